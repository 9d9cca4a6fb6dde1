"""SpamSieve as the benchmark runs it: the build, its settings file, a private HOME/XDG world
per run, its JSON records, and a live (IDLE) engine whose stdout is timestamped."""

import json
import os
import queue
import shutil
import subprocess
import threading
import time

from .util import BUILD, WORK, start, stop


def spamsieve_bin():
    """build-bench's, or $SS_BENCH_SPAMSIEVE (another build, e.g. to compare branches)."""
    return os.environ.get('SS_BENCH_SPAMSIEVE') or os.path.join(BUILD, 'src', 'spamsieve')


def write_settings(path, srv, spamd_address, folders=None, extra=''):
    secret = os.path.join(WORK, 'secret')
    with open(secret, 'w') as f:
        f.write(srv.password + '\n')
    os.chmod(secret, 0o600)
    text = ('[account]\nurl=imap://127.0.0.1:%d\ntls=starttls\nuser=%s\npassword-file=%s\n'
            'ca-file=%s\n' % (srv.imap_port, srv.user, secret, srv.ca_file))
    if folders:
        text += '[folders]\nunfiltered=%s\ninbox=%s\nspam=%s\nfalse-positives=%s\n' \
                'false-negatives=%s\n' % folders
    text += '[spamd]\naddress=%s\n' % spamd_address
    text += extra
    with open(path, 'w') as f:
        f.write(text)
    return path


def ss_env(tag):
    """A private HOME / XDG world per run, so every run starts from the same state."""
    top = os.path.join(WORK, 'xdg', tag)
    shutil.rmtree(top, ignore_errors=True)
    env = dict(os.environ)
    for k, sub in (('HOME', 'home'), ('XDG_DATA_HOME', 'data'), ('XDG_CONFIG_HOME', 'config'),
                   ('XDG_CACHE_HOME', 'cache'), ('XDG_RUNTIME_DIR', 'run')):
        d = os.path.join(top, sub)
        os.makedirs(d, 0o700)
        env[k] = d
    env['LC_ALL'] = 'C.UTF-8'
    for k in ('G_DEBUG', 'G_MESSAGES_DEBUG', 'G_SLICE', 'MALLOC_CHECK_'):
        env.pop(k, None)
    return env, os.path.join(env['XDG_DATA_HOME'], 'spamsieve', 'state.sqlite')


def read_records(path):
    recs = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith('{'):
                try:
                    recs.append(json.loads(line))
                except ValueError:
                    pass
    return recs



class Live:
    """spamsieve --headless --json in live mode; stdout lines are timestamped on arrival."""

    def __init__(self, conf, tag, debug=False):
        env, _ = ss_env(tag)
        if debug:
            env['G_MESSAGES_DEBUG'] = 'ss-imap-client'
        self.err_path = os.path.join(WORK, 'out', tag + '.err')
        self.lines = queue.Queue()
        self.log = []
        self.proc = start([spamsieve_bin(), '--headless', '--config', conf, '--json'], env=env,
                          stdout=subprocess.PIPE, stderr=open(self.err_path, 'w'))
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in self.proc.stdout:
            t = time.monotonic()
            line = raw.decode('utf-8', 'replace').rstrip('\n')
            self.log.append((t, line))
            if line.startswith('{'):
                try:
                    self.lines.put((t, json.loads(line)))
                except ValueError:
                    pass

    def wait_state(self, state, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                _, obj = self.lines.get(timeout=0.5)
            except queue.Empty:
                if self.proc.poll() is not None:
                    return False
                continue
            if obj.get('event') == 'state' and obj.get('state') == state:
                return True
        return False

    def stop(self):
        stop(self.proc)
        self.reader.join(5)
