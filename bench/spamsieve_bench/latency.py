"""3. Latency of the live engine (IDLE): messages dropped into Unfiltered/new/ one at a time,
timed to their JSON record, minus the scan time of the same bytes alone."""

import os
import queue
import time

from .spamd import as_fetched, spamd_request
from .spamsieve import Live
from .util import WORK, f3, log, mark, median, pctl


def phase_latency(ctx):
    k = ctx.args.latency_count
    log('latency: live engine (IDLE), one message every %.0f s for %d messages'
        % (ctx.args.latency_interval, k))
    md = ctx.srv.maildir
    ctx.srv.reload()
    msgs = ctx.mixed[:k]
    live = Live(ctx.conf_real, 'latency', debug=True)
    res = {}
    try:
        if not live.wait_state('watching'):
            res['error'] = 'the live engine never reached "watching" (see %s)' % live.err_path
            ctx.lat = res
            return
        time.sleep(1.0)
        drops = []
        t_begin = time.monotonic() + 0.5
        for i, m in enumerate(msgs):
            target = t_begin + i * ctx.args.latency_interval
            while time.monotonic() < target:
                time.sleep(min(0.01, max(0.0, target - time.monotonic())))
            md.deliver('Unfiltered', m.data)
            drops.append(time.monotonic())
        arrivals = []
        deadline = time.monotonic() + 60
        while len(arrivals) < k and time.monotonic() < deadline:
            try:
                t, obj = live.lines.get(timeout=0.5)
            except queue.Empty:
                continue
            if 'uid' in obj and obj.get('folder') == 'Unfiltered':
                arrivals.append((t, obj))
    finally:
        live.stop()
    if len(arrivals) < k:
        res['error'] = 'only %d of %d messages left Unfiltered' % (len(arrivals), k)
    n = min(len(arrivals), k)
    lat = [arrivals[i][0] - drops[i] for i in range(n)]
    # Scan time: the same bytes (as IMAP delivers them), one SYMBOLS request each, alone
    scans = []
    for m in msgs[:n]:
        body = as_fetched(m.data)
        t0 = time.monotonic()
        reply = spamd_request(ctx.srv.spamd_port, 'SYMBOLS', body)
        scans.append(time.monotonic() - t0)
        if b' 0 EX_OK' not in reply.split(b'\r\n', 1)[0]:
            res['error'] = 'spamd did not answer SYMBOLS: %r' % reply[:80]
    beyond = [l - s for l, s in zip(lat, scans)]
    # Where the time goes: drop -> IDLE wake-up (the engine's "DONE (new mail)" debug line;
    # dovecot waits NOTIFY_DELAY_MSECS = 500 ms after inotify before it tells IDLE clients),
    # then wake-up -> record (SELECT/SEARCH/FETCH, scan, STORE, MOVE, journal)
    wakes = [t for t, line in live.log if 'DONE (new mail)' in line]
    notify, engine = [], []
    for i in range(n):
        w = [t for t in wakes if drops[i] <= t <= arrivals[i][0]]
        if w:
            notify.append(w[0] - drops[i])
            engine.append(arrivals[i][0] - w[0] - scans[i])
    with open(os.path.join(WORK, 'out', 'latency.log'), 'w') as f:
        for t, line in live.log:
            f.write('%.4f %s\n' % (t - t_begin, line))
    text = '\n'.join(line for _, line in live.log)
    try:
        with open(live.err_path, errors='replace') as f:
            text += f.read()
    except OSError:
        pass
    res.update({'n': n, 'latency': lat, 'scan': scans, 'beyond': beyond, 'notify': notify,
                'engine': engine,
                'idle_cmds': text.count(' IDLE'), 'idle_newmail': text.count('(new mail)'),
                'mismatch': sum(1 for i in range(n)
                                if arrivals[i][1].get('message_id')
                                and arrivals[i][1]['message_id'] not in msgs[i].data.decode('latin-1'))})
    log('  latency beyond scan: median %.3f s, p95 %.3f s (raw median %.3f s, scan median %.3f s); '
        '%d IDLE commands, %d woke for new mail'
        % (median(beyond), pctl(beyond, 95), median(lat), median(scans), res['idle_cmds'],
           res['idle_newmail']))
    ctx.lat = res




def table_rows(ctx):
    """Rows 3: latency beyond the scan, its split, and with the scan."""
    rows = []   # (measure, figure, target, verdict, how)
    lat = getattr(ctx, 'lat', None)
    if lat:
        if lat.get('n'):
            b = lat['beyond']
            rows.append(('3. Latency beyond scan (live mode, IDLE), median',
                         '**%s s**' % f3(median(b)), '< 1 s', mark(median(b) < 1.0),
                         '%d messages dropped into Unfiltered/new/ every %.0f s; time from the '
                         'rename to the JSON record (written after UID MOVE) minus a separate '
                         'SYMBOLS request of the same bytes to the same spamd. IDLE: %d IDLE '
                         'commands, %d ended by new mail%s'
                         % (lat['n'], ctx.args.latency_interval, lat['idle_cmds'],
                            lat['idle_newmail'], '; ' + lat['error'] if lat.get('error') else '')))
            rows.append(('Latency beyond scan, p95', '%s s' % f3(pctl(b, 95)), '', '',
                         'nearest rank; max %s s' % f3(max(b))))
            if lat.get('notify'):
                rows.append(('Latency split: drop → IDLE wake-up / wake-up → moved, beyond scan',
                             '%s s / %s s' % (f3(median(lat['notify'])), f3(median(lat['engine']))),
                             '', '', 'medians over %d messages; the wake-up is the engine\'s '
                             '"DONE (new mail)" debug line. dovecot delays IDLE notifications '
                             'by 500 ms after inotify (NOTIFY_DELAY_MSECS in its mailbox-watch.c), '
                             'so the first part is mostly the server\'s; p95 %s s / %s s'
                             % (len(lat['notify']), f3(pctl(lat['notify'], 95)),
                                f3(pctl(lat['engine'], 95)))))
            rows.append(('Latency including scan, median / p95', '%s s / %s s'
                         % (f3(median(lat['latency'])), f3(pctl(lat['latency'], 95))), '', '',
                         'scan alone: median %s s, p95 %s s'
                         % (f3(median(lat['scan'])), f3(pctl(lat['scan'], 95)))))
        else:
            rows.append(('3. Latency', 'not measured', '< 1 s', '—', lat.get('error', '')))
    return rows
