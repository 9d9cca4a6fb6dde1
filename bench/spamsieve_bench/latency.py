"""3. Latency of the live engine (IDLE): messages dropped into Unfiltered/new/ one at a time,
timed to their JSON record, minus the scan time of the same bytes alone. The same again in
place ([folders] unfiltered=INBOX): dropped into INBOX/new/, timed to the record, which comes
once the ham has its $NotJunk keyword (and its journal row) or the spam is in Spam."""

import os
import queue
import time

from .spamd import as_fetched, spamd_request
from .spamsieve import Live, write_settings
from .util import WORK, f3, log, mark, median, pctl


def phase_latency(ctx):
    ctx.lat = measure(ctx, 'Unfiltered', ctx.conf_real, 'latency')
    conf = write_settings(os.path.join(WORK, 'inplace.conf'), ctx.srv, ctx.srv.spamd_address,
                          extra='[folders]\nunfiltered=INBOX\n')
    ctx.lat_inplace = measure(ctx, 'INBOX', conf, 'latency-inplace')


def sample(mixed, k):
    """k messages of the mixed set, one in five spam (every fifth from the third on): both
    verdicts are timed (in place, ham stays and spam moves)."""
    spam = [m for m in mixed if m.kind == 'spam']
    ham = [m for m in mixed if m.kind != 'spam']
    return [spam.pop(0) if i % 5 == 2 and spam else ham.pop(0) for i in range(k)]


def measure(ctx, folder, conf, tag):
    """Messages dropped one at a time into folder's new/, the engine watching folder."""
    k = ctx.args.latency_count
    log('%s: live engine (IDLE) on %s, one message every %.0f s for %d messages'
        % (tag, folder, ctx.args.latency_interval, k))
    md = ctx.srv.maildir
    ctx.srv.reload()
    msgs = sample(ctx.mixed, k)
    live = Live(conf, tag, debug=True)
    res = {}
    try:
        if not live.wait_state('watching'):
            res['error'] = 'the live engine never reached "watching" (see %s)' % live.err_path
            return res
        time.sleep(1.0)
        drops = []
        t_begin = time.monotonic() + 0.5
        for i, m in enumerate(msgs):
            target = t_begin + i * ctx.args.latency_interval
            while time.monotonic() < target:
                time.sleep(min(0.01, max(0.0, target - time.monotonic())))
            md.deliver(folder, m.data)
            drops.append(time.monotonic())
        arrivals = []
        deadline = time.monotonic() + 60
        while len(arrivals) < k and time.monotonic() < deadline:
            try:
                t, obj = live.lines.get(timeout=0.5)
            except queue.Empty:
                continue
            if 'uid' in obj and obj.get('folder') == folder:
                arrivals.append((t, obj))
    finally:
        live.stop()
    if len(arrivals) < k:
        res['error'] = 'only %d of %d messages judged in %s' % (len(arrivals), k, folder)
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
    with open(os.path.join(WORK, 'out', tag + '.log'), 'w') as f:
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
    res['spam'] = sum(1 for _, obj in arrivals[:n] if obj.get('destination') == 'Spam')
    res['kinds'] = {kind: [beyond[i] for i in range(n) if msgs[i].kind == kind]
                    for kind in ('ham', 'spam')}
    log('  latency beyond scan: median %.3f s, p95 %.3f s (raw median %.3f s, scan median %.3f s); '
        '%d IDLE commands, %d woke for new mail'
        % (median(beyond), pctl(beyond, 95), median(lat), median(scans), res['idle_cmds'],
           res['idle_newmail']))
    return res


def table_rows(ctx):
    """Rows 3: latency beyond the scan, its split, and with the scan; then the same in place."""
    rows = []
    lat = getattr(ctx, 'lat', None)
    if lat:
        rows += mode_rows(ctx, lat, '3. Latency beyond scan (live mode, IDLE), median',
                          'Unfiltered/new/', 'UID MOVE', '< 1 s')
    lat = getattr(ctx, 'lat_inplace', None)
    if lat:
        rows += mode_rows(ctx, lat, '3b. Latency beyond scan in place (unfiltered=INBOX), median',
                          'INBOX/new/', 'the ham\'s $NotJunk STORE or the spam\'s UID MOVE',
                          '< 1 s')
    return rows


def by_kind(lat, kind):
    values = lat.get('kinds', {}).get(kind)
    return f3(median(values)) if values else '—'


def mode_rows(ctx, lat, title, where, action, target):
    rows = []   # (measure, figure, target, verdict, how)
    if not lat.get('n'):
        return [(title.replace(' beyond scan', '').replace(', median', ''), 'not measured',
                 target, '—', lat.get('error', ''))]
    b = lat['beyond']
    prefix = '' if title.startswith('3.') else '(in place) '
    rows.append((title, '**%s s**' % f3(median(b)), target, mark(median(b) < 1.0),
                 '%d messages (%d spam) dropped into %s every %.0f s; time from the rename to '
                 'the JSON record (written after %s) minus a separate SYMBOLS request of the '
                 'same bytes to the same spamd; median ham %s s, spam %s s. IDLE: %d IDLE '
                 'commands, %d ended by new mail%s'
                 % (lat['n'], lat.get('spam', 0), where, ctx.args.latency_interval, action,
                    by_kind(lat, 'ham'), by_kind(lat, 'spam'), lat['idle_cmds'],
                    lat['idle_newmail'],
                    '; ' + lat['error'] if lat.get('error') else '')))
    rows.append((prefix + 'Latency beyond scan, p95', '%s s' % f3(pctl(b, 95)), '', '',
                 'nearest rank; max %s s' % f3(max(b))))
    if lat.get('notify'):
        rows.append((prefix + 'Latency split: drop → IDLE wake-up / wake-up → judged, beyond scan',
                     '%s s / %s s' % (f3(median(lat['notify'])), f3(median(lat['engine']))),
                     '', '', 'medians over %d messages; the wake-up is the engine\'s '
                     '"DONE (new mail)" debug line. dovecot delays IDLE notifications '
                     'by 500 ms after inotify (NOTIFY_DELAY_MSECS in its mailbox-watch.c), '
                     'so the first part is mostly the server\'s; p95 %s s / %s s'
                     % (len(lat['notify']), f3(pctl(lat['notify'], 95)),
                        f3(pctl(lat['engine'], 95)))))
    rows.append((prefix + 'Latency including scan, median / p95', '%s s / %s s'
                 % (f3(median(lat['latency'])), f3(pctl(lat['latency'], 95))), '', '',
                 'scan alone: median %s s, p95 %s s'
                 % (f3(median(lat['scan'])), f3(pctl(lat['scan'], 95)))))
    return rows
