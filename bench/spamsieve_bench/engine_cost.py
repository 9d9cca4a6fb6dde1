"""2. Engine cost: the same pass against an instant stand-in scanner (the harness's fake-spamd),
so that only IMAP and the engine are measured, beside bench/plain-imap.py (FETCH + MOVE, no
scan) and plain-imap.py --keywords; --profile adds a perf record and a per-command breakdown."""

import os
import shutil
import subprocess
import time

from .spamsieve import spamsieve_bin, ss_env, write_settings
from .util import (BENCH, FAKE_SPAMD, ROOT, WORK, cpu_of, die, f1, f2, log, mark, median,
                   run_measured, start, stop)


def fake_spamd_port(fake):
    """The port from fake-spamd's "PORT=N" line."""
    for line in fake.stdout:
        if line.startswith('PORT='):
            return int(line.strip().split('=')[1])
    die('%s printed no PORT= line' % FAKE_SPAMD)


def phase_engine(ctx):
    log('engine cost: %d messages, instant stand-in scanner (%s), %d rounds'
        % (ctx.n, os.path.relpath(FAKE_SPAMD, ROOT), ctx.args.engine_runs))
    fake = start([FAKE_SPAMD, '0'], stdout=subprocess.PIPE, text=True)
    port = fake_spamd_port(fake)
    conf = write_settings(os.path.join(WORK, 'fake.conf'), ctx.srv, '127.0.0.1:%d' % port)
    runs = {'ss': [], 'plain': [], 'plain-kw': []}
    try:
        for r in range(ctx.args.engine_runs):
            order = ('ss', 'plain', 'plain-kw')
            for name in order[r % 3:] + order[:r % 3]:
                ctx.srv.reload(ctx.mixed_dir)
                time.sleep(0.5)
                tag = 'eng-%s-%d' % (name, r + 1)
                out = os.path.join(WORK, 'out', tag + '.out')
                with open(out, 'w') as o:
                    if name == 'ss':
                        env, _ = ss_env(tag)
                        rc, wall, ru = run_measured([spamsieve_bin(), '--headless', '--config', conf,
                                                     '--once', '--json'], env=env, stdout=o,
                                                    stderr=subprocess.STDOUT)
                    else:
                        rc, wall, ru = run_measured(['/usr/bin/python3', os.path.join(BENCH, 'plain-imap.py')]
                                                    + (['--keywords'] if name == 'plain-kw' else [])
                                                    + [str(ctx.srv.imap_port), ctx.srv.user,
                                                     ctx.srv.password, ctx.srv.ca_file, '32'],
                                                    stdout=o, stderr=subprocess.STDOUT)
                left = ctx.srv.maildir.count('Unfiltered')
                inbox = ctx.srv.maildir.count('INBOX')
                ok = rc == 0 and left == 0 and inbox == ctx.n
                d = {'ok': ok, 'wall': wall, 'rate': ctx.n / wall, 'cpu': cpu_of(ru),
                     'user': ru.ru_utime, 'sys': ru.ru_stime, 'maxrss_kb': ru.ru_maxrss}
                runs[name].append(d)
                log('  %-5s run %d: %.0f msg/s (%.2f s), %.3f CPU s (user %.3f sys %.3f), '
                    'peak RSS %.1f MB%s' % (name, r + 1, d['rate'], wall, d['cpu'], d['user'],
                                            d['sys'], d['maxrss_kb'] / 1024,
                                            '' if ok else '  FAILED CHECK (see %s)' % out))
        if ctx.args.profile:
            profile_engine(ctx, conf)
    finally:
        stop(fake)
    ctx.eng = runs


def profile_engine(ctx, conf):
    """perf record (DWARF call graphs) of one engine-cost pass; the report goes to
    bench/work/profile.txt: self time by library and symbol, then inclusive time by symbol."""
    if shutil.which('perf') is None:
        log('  --profile: perf is not installed (apt-get install linux-perf)')
        return
    ctx.srv.reload(ctx.mixed_dir)
    env, _ = ss_env('profile')
    data = os.path.join(WORK, 'perf.data')
    log('  profiling one pass with perf record --call-graph dwarf')
    subprocess.run(['perf', 'record', '-q', '-F', '4999', '--call-graph', 'dwarf,16384',
                    '-o', data, '--', spamsieve_bin(), '--headless', '--config', conf, '--once'],
                   env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(os.path.join(WORK, 'profile.txt'), 'w') as f:
        for extra in (['--no-children', '--sort', 'dso'],
                      ['--no-children', '--sort', 'dso,symbol', '--percent-limit', '0.7'],
                      ['--children', '--sort', 'symbol', '--percent-limit', '2']):
            f.flush()
            subprocess.run(['perf', 'report', '-i', data, '--stdio', '-g', 'none'] + extra,
                           stdout=f, stderr=subprocess.DEVNULL)
    # Wall time of the same pass by IMAP command, from the engine's debug lines
    ctx.srv.reload(ctx.mixed_dir)
    env, _ = ss_env('profile-trace')
    env['G_MESSAGES_DEBUG'] = 'ss-imap-client'
    p = subprocess.Popen([spamsieve_bin(), '--headless', '--config', conf, '--once'], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    t0 = time.monotonic()
    events = []
    for raw in p.stdout:
        line = raw.decode('utf-8', 'replace')
        for mark_ in (': > ', ': < '):
            i = line.find(mark_)
            if 'DEBUG' in line and i >= 0:
                events.append((time.monotonic() - t0, mark_[2], line[i + 4:].strip()))
                break
    p.wait()
    sent, spent, count, gaps, last = {}, {}, {}, 0.0, None
    for t, d, text in events:
        tag, _, rest = text.partition(' ')
        if d == '>':
            words = rest.split()
            kind = ' '.join(words[:2]) if words and words[0] == 'UID' else (words[0] if words else '?')
            if 'FETCH' in kind:
                kind += ' BODY.PEEK[]' if 'BODY.PEEK[]' in rest else ' (meta)'
            if 'STORE' in kind:
                kind += ' +FLAGS' if '+FLAGS' in rest else ' -FLAGS'
            sent[tag] = (t, kind)
            if last is not None:
                gaps += t - last
        elif tag in sent:
            ts, kind = sent.pop(tag)
            spent[kind] = spent.get(kind, 0.0) + t - ts
            count[kind] = count.get(kind, 0) + 1
            last = t
    with open(os.path.join(WORK, 'profile.txt'), 'a') as f:
        f.write('\n# Wall time of one instant-scanner pass by IMAP command (engine debug lines)\n')
        if events:
            f.write('# first to last IMAP line %.3f s; waiting for the server %.3f s; between a reply '
                    'and the next command (the engine, on the IMAP thread) %.3f s\n'
                    % (events[-1][0] - events[0][0], sum(spent.values()), gaps))
        for kind in sorted(spent, key=spent.get, reverse=True):
            f.write('#   %-26s %4d commands %.3f s\n' % (kind, count[kind], spent[kind]))
    log('  profile written to bench/work/profile.txt')




def table_rows(ctx):
    """Rows 2: SpamSieve and the plain script with the instant scanner."""
    rows = []   # (measure, figure, target, verdict, how)
    n = ctx.n
    eng = getattr(ctx, 'eng', None)
    if eng:
        rs, rp = median([r['rate'] for r in eng['ss']]), median([r['rate'] for r in eng['plain']])
        cs = median([r['cpu'] for r in eng['ss']]) * 1000 / n
        cp = median([r['cpu'] for r in eng['plain']]) * 1000 / n
        rows.append(('2. Engine cost: SpamSieve, instant scanner', '**%s msg/s**, %s CPU s / 1000 msgs'
                     % (f1(rs), f2(cs)), '', '',
                     'the harness\'s fake-spamd answers `Spam: False ; 0.0 / 5.0` at once; '
                     'median of %d; rusage (user+sys) of the spamsieve process; runs [%s msg/s]'
                     % (len(eng['ss']), ', '.join(f1(r['rate']) for r in eng['ss']))))
        rows.append(('2. Plain imaplib script (FETCH + MOVE, no scan)',
                     '**%s msg/s**, %s CPU s / 1000 msgs' % (f1(rp), f2(cp)), '', '',
                     'bench/plain-imap.py: STARTTLS, UID SEARCH, UID FETCH BODY.PEEK[] ×32, '
                     'UID MOVE; runs [%s msg/s]' % ', '.join(f1(r['rate']) for r in eng['plain'])))
        rows.append(('SpamSieve rate ÷ plain rate', '**%s**' % f2(rs / rp), '≥ 0.80',
                     mark(rs / rp >= 0.8), ''))
        if eng.get('plain-kw'):
            rk = median([r['rate'] for r in eng['plain-kw']])
            rows.append(('2. Plain script + the same keyword STOREs', '%s msg/s' % f1(rk), '', '',
                         'plain-imap.py --keywords: also UID STORE +FLAGS.SILENT ($NotJunk) and '
                         '-FLAGS.SILENT ($Junk) per chunk, as SpamSieve does for ham (dovecot '
                         'renames each maildir file to add the keyword); SpamSieve ÷ this: %s; '
                         'runs [%s msg/s]' % (f2(rs / rk), ', '.join(f1(r['rate'])
                                                                   for r in eng['plain-kw']))))
        rows.append(('SpamSieve CPU beyond plain, per 1000 msgs', '**%s CPU s**' % f2(cs - cp),
                     '< 1 s', mark(cs - cp < 1.0), 'SpamSieve %s − plain %s' % (f2(cs), f2(cp))))
    return rows
