"""1. Throughput: a `spamsieve --headless --once`, b the classic imapfilter + spamc recipe
(bench/classic.lua), c spamc from disk with xargs -P 10; N messages, rounds rotating the order;
with the CPU bookkeeping of spamd, dovecot, the client and the rest of the machine."""

import os
import subprocess
import time

from .corpus import LIST0
from .spamsieve import read_records, spamsieve_bin, ss_env
from .util import (BENCH, WORK, cpu_of, f1, f2, f3, log, mark, median, proc_table,
                   run_measured, self_cpu, system_busy, tree_cpu)


class Sampler:
    """CPU used, during one timed run, by spamd (parent + children, with the children that
    exited through the parent's cutime/cstime), dovecot (master + all its processes), this
    script, and the whole machine."""

    def __init__(self, srv):
        self.srv = srv
        self.spamd_pid = srv.spamd_pid()
        self.dovecot_pid = srv.dovecot_pid()

    def sample(self):
        t = proc_table()
        return (tree_cpu(self.spamd_pid, t), tree_cpu(self.dovecot_pid, t) if self.dovecot_pid else 0.0,
                self_cpu(), system_busy())

    def begin(self):
        self.before = self.sample()

    def end(self, client_cpu, wall, cores):
        a = self.sample()
        b = self.before
        d = {'spamd_cpu': a[0] - b[0], 'dovecot_cpu': a[1] - b[1], 'self_cpu': a[2] - b[2],
             'busy': a[3] - b[3], 'client_cpu': client_cpu}
        other = d['busy'] - d['spamd_cpu'] - d['dovecot_cpu'] - d['self_cpu'] - client_cpu
        d['other_cpu'] = max(other, 0.0)
        d['other_share'] = d['other_cpu'] / (wall * cores) if wall > 0 else 0.0
        d['spamd_util'] = d['spamd_cpu'] / (wall * cores) if wall > 0 else 0.0
        avail = wall * cores - d['other_cpu']
        d['spamd_util_avail'] = d['spamd_cpu'] / avail if avail > 0 else 0.0
        return d




def method_a(ctx, tag):
    env, _ = ss_env(tag)
    out = os.path.join(WORK, 'out', tag + '.jsonl')
    err = os.path.join(WORK, 'out', tag + '.err')
    with open(out, 'w') as o, open(err, 'w') as e:
        rc, wall, ru = run_measured([spamsieve_bin(), '--headless', '--config', ctx.conf_real,
                                     '--once', '--json'], env=env, stdout=o, stderr=e, watch=True)
    recs = [r for r in read_records(out) if r.get('folder') == 'Unfiltered']
    verdicts = {}
    for r in recs:
        verdicts[r.get('verdict')] = verdicts.get(r.get('verdict'), 0) + 1
    left = ctx.srv.maildir.count('Unfiltered')
    # every message judged once: spam, ham, or uncertain (INBOX + $Uncertain by default)
    judged = sum(verdicts.get(v, 0) for v in ('spam', 'ham', 'uncertain'))
    ok = rc == 0 and left == 0 and judged == ctx.n
    if not ok:
        log('  method a: exit %d, %d left in Unfiltered, verdicts %s (see %s)' % (rc, left, verdicts, err))
    return ok, wall, ru, {'verdicts': verdicts, 'data_dir': env['XDG_DATA_HOME'], 'mem': ru.mem}


def method_b(ctx, tag):
    home = os.path.join(WORK, 'imapfilter-home')
    tmp = os.path.join(WORK, 'tmp')
    os.makedirs(home, exist_ok=True)
    os.makedirs(tmp, exist_ok=True)
    env = dict(os.environ, HOME=home, BENCH_IMAP_PORT=str(ctx.srv.imap_port),
               BENCH_IMAP_USER=ctx.srv.user, BENCH_IMAP_PASSWORD=ctx.srv.password,
               BENCH_SPAMD_PORT=str(ctx.srv.spamd_port), BENCH_TMP=tmp)
    out = os.path.join(WORK, 'out', tag + '.out')
    with open(out, 'w') as o:
        rc, wall, ru = run_measured(['imapfilter', '-t', ctx.srv.ca_file, '-c',
                                     os.path.join(BENCH, 'classic.lua')],
                                    env=env, stdout=o, stderr=subprocess.STDOUT)
    md = ctx.srv.maildir
    delivered = md.files('INBOX') + md.files('Spam')
    scanned = 0
    for p in delivered:
        with open(p, 'rb') as f:
            head = f.read(65536).split(b'\n\n', 1)[0]
        if b'\nX-Spam-Checker-Version:' in head or head.startswith(b'X-Spam-Checker-Version:'):
            scanned += 1
    seen = sum(1 for p in md.files('Unfiltered') if p.rsplit(':2,', 1)[-1].find('S') >= 0)
    ok = rc == 0 and len(delivered) == ctx.n and scanned == ctx.n and seen == ctx.n
    if not ok:
        log('  method b: exit %d, %d delivered, %d with spamd headers, %d seen (see %s)'
            % (rc, len(delivered), scanned, seen, out))
    return ok, wall, ru, {'spam': md.count('Spam')}


def method_c(ctx, tag):
    script = ('exec spamc -x -d 127.0.0.1 -p %d -y < "$1" > /dev/null' % ctx.srv.spamd_port)
    out = os.path.join(WORK, 'out', tag + '.out')
    with open(out, 'w') as o:
        rc, wall, ru = run_measured(['xargs', '-0', '-P', '10', '-n', '1', '-a', LIST0,
                                     'sh', '-c', script, 'sh'], stdout=o, stderr=subprocess.STDOUT)
    ok = rc == 0
    if not ok:
        log('  method c: exit %d (see %s)' % (rc, out))
    return ok, wall, ru, {}


def classify(md, by_sha):
    """From the maildir after a SpamSieve pass: (spam caught, spam total, ham flagged,
    ham total, unknown)"""
    flagged = md.hashes('Spam')
    passed = md.hashes('INBOX')
    res = {'spam_caught': 0, 'spam_total': 0, 'ham_flagged': 0, 'ham_total': 0, 'unknown': 0}
    for h, in_spam in [(h, True) for h in flagged] + [(h, False) for h in passed]:
        kind = by_sha.get(h)
        if kind is None:
            res['unknown'] += 1
        elif kind == 'spam':
            res['spam_total'] += 1
            res['spam_caught'] += in_spam
        else:
            res['ham_total'] += 1
            res['ham_flagged'] += in_spam
    return res


def phase_throughput(ctx):
    log('throughput: %d messages (%d spam), %d rounds of a (SpamSieve), b (imapfilter), '
        'c (spamc -P 10)' % (ctx.n, sum(m.kind == 'spam' for m in ctx.mixed), ctx.runs))
    methods = {'a': method_a, 'b': method_b, 'c': method_c}
    runs = {'a': [], 'b': [], 'c': []}
    order = ['a', 'b', 'c']
    ctx.accuracy_before = []
    for r in range(ctx.runs):
        for name in order[r % 3:] + order[:r % 3]:
            ctx.srv.reload(ctx.mixed_dir if name != 'c' else None)
            time.sleep(0.5)
            sampler = Sampler(ctx.srv)
            sampler.begin()
            ok, wall, ru, info = methods[name](ctx, 'tp-%s-%d' % (name, r + 1))
            d = sampler.end(cpu_of(ru), wall, ctx.cores)
            d.update(info)
            d.update({'ok': ok, 'wall': wall, 'rate': ctx.n / wall, 'maxrss_kb': ru.ru_maxrss,
                      'spamd_per_msg': d['spamd_cpu'] / ctx.n})
            runs[name].append(d)
            log('  %s run %d: %.1f msg/s (%.1f s), spamd %.3f CPU s/msg = %.0f%% of %d cores, '
                'client %.2f CPU s, dovecot %.2f CPU s, other load %.0f%%%s'
                % (name, r + 1, d['rate'], wall, d['spamd_per_msg'], 100 * d['spamd_util'],
                   ctx.cores, d['client_cpu'], d['dovecot_cpu'], 100 * d['other_share'],
                   '' if ok else '  FAILED CHECK'))
            if name == 'a' and ok:
                ctx.accuracy_before.append(classify(ctx.srv.maildir, ctx.by_sha))
                if r == 0:
                    ctx.a1_data_dir = info['data_dir']
                    ctx.flagged_before = set(ctx.srv.maildir.hashes('Spam'))
    ctx.tp = runs




def table_rows(ctx):
    """Rows 1a-1c, the ratios and spamd's saturation."""
    rows = []   # (measure, figure, target, verdict, how)
    cores = ctx.cores
    n = ctx.n
    tp = getattr(ctx, 'tp', None)
    if tp:
        def rates(k):
            return [r['rate'] for r in tp[k]]
        ra, rb, rc_ = median(rates('a')), median(rates('b')), median(rates('c'))
        runs_txt = lambda k: ', '.join(f1(x) for x in rates(k))
        fails = [k for k in tp for r in tp[k] if not r['ok']]
        rows.append(('1a. Throughput, `spamsieve --headless --once` (chunk 32, parallel 10)',
                     '**%s msg/s**' % f1(ra), '', '',
                     'N=%d (%d spam), median of %d runs [%s]; wall time of the whole process '
                     '(login, LIST, SEARCH, FETCH, scans, STORE, MOVE, journal)'
                     % (n, ctx.n_spam, len(tp['a']), runs_txt('a'))))
        rows.append(('1b. Throughput, classic `imapfilter` + `spamc` (bench/classic.lua)',
                     '**%s msg/s**' % f1(rb), '', '',
                     'serial: imapfilter runs one `pipe_to(spamc)` at a time, so one scan is '
                     'in flight; per message FETCH header + body, spamc, APPEND; chunks of 32 '
                     'marked seen. Median of %d [%s]' % (len(tp['b']), runs_txt('b'))))
        rows.append(('1c. Throughput, `spamc -y` from disk, `xargs -P 10`, no IMAP',
                     '**%s msg/s**' % f1(rc_), '', '',
                     'same %d files, one sh + spamc process per message. Median of %d [%s]'
                     % (n, len(tp['c']), runs_txt('c'))))
        ab = ra / rb
        rows.append(('a / b', '**%s×**' % f2(ab), '≥ 1.05', mark(ab >= 1.05), 'medians'))
        ac = ra / rc_
        clearly = ac > 1 and min(rates('a')) > max(rates('c'))
        rows.append(('a / c', '**%s×**' % f2(ac), 'clearly > 1', mark(clearly),
                     '"clearly": median ratio > 1 and the slowest a run faster than the '
                     'fastest c run'))
        per_msg = median([r['spamd_per_msg'] for r in tp['a']])
        per_msg_c = median([r['spamd_per_msg'] for r in tp['c']])
        limit = cores / per_msg
        rows.append(('spamd CPU per message', '%s CPU s' % f3(per_msg), '', '',
                     'spamd parent + children (utime+stime, + cutime/cstime of exited '
                     'children) from /proc before/after each a run ÷ N; median. In c runs: '
                     '%s CPU s' % f3(per_msg_c)))
        other = median([r['other_share'] for r in tp['a']])
        rows.append(('Limit = cores ÷ spamd CPU per message', '%s msg/s' % f1(limit), '', '',
                     '%d cores' % cores))
        rows.append(('a ÷ limit (spamd saturation)', '**%s**' % f3(ra / limit), '≥ 0.95',
                     mark(ra / limit >= 0.95),
                     'median a rate ÷ limit. Per run, spamd kept %s of the %d cores busy; '
                     'SpamSieve itself used %s CPU s, dovecot %s CPU s per run; other '
                     'processes on the machine (not part of the benchmark) took %s of the '
                     'cores (median); of the CPU time they left, spamd got %s (c runs: %s)'
                     % (', '.join('%.1f%%' % (100 * r['spamd_util']) for r in tp['a']), cores,
                        f2(median([r['client_cpu'] for r in tp['a']])),
                        f2(median([r['dovecot_cpu'] for r in tp['a']])),
                        '%.1f%%' % (100 * other),
                        ', '.join('%.1f%%' % (100 * r['spamd_util_avail']) for r in tp['a']),
                        ', '.join('%.1f%%' % (100 * r['spamd_util_avail']) for r in tp['c']))))
        if fails:
            rows.append(('Check failures', ', '.join(sorted(set(fails))), '', '**missed**',
                         'a run whose messages were not all handled; see bench/work/out/'))
    return rows
