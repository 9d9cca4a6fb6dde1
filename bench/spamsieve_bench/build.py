"""What the benchmark needs before it starts: the tools on PATH and build-bench/ (spamsieve
--headless, the harness program ss-test-serve and the harness's fake-spamd)."""

import os
import shutil
import subprocess

from .util import BUILD, ROOT, WORK, log


def ensure_tools(args):
    need = ['spamc', 'spamd', 'dovecot', 'meson', 'ninja', 'cc', 'xargs', 'npm', 'time', 'setpriv']
    if 'gui' in args.phases:
        need.append('xwininfo')
    if 'throughput' in args.phases:
        need.append('imapfilter')
    missing = [t for t in need if shutil.which(t) is None]
    if missing:
        log('missing %s: running tools/install-deps' % ', '.join(missing))
        subprocess.run([os.path.join(ROOT, 'tools', 'install-deps'), '--bench'], check=True)


def build_bench(args):
    targets = ['src/spamsieve', 'tests/ss-test-serve']
    if 'engine' in args.phases:
        targets.append('src/harness/fake-spamd')
    log('building %s (%s)' % (os.path.relpath(BUILD, ROOT),
                              ', '.join(os.path.basename(t) for t in targets)))
    if not os.path.isfile(os.path.join(BUILD, 'build.ninja')):
        subprocess.run(['meson', 'setup', BUILD, ROOT, '-Dgui=false', '-Dtests=true'],
                       check=True, stdout=subprocess.DEVNULL)
    subprocess.run(['ninja', '-C', BUILD] + targets, check=True,
                   stdout=open(os.path.join(WORK, 'build.log'), 'w'), stderr=subprocess.STDOUT)
