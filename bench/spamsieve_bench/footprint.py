"""4. Footprint: peak RSS of the headless pass (from the throughput phase's a runs), idle CPU of
a second live engine on folders of its own, and the GTK app's memory with 5,000 verdicts."""

import os
import shutil
import sqlite3
import subprocess
import threading
import time

from .spamsieve import Live, write_settings
from .util import (BENCH, GUI_BUILD, ROOT, WORK, die, f1, f3, log, mark, pid_cpu,
                   proc_status, run_measured, task_ns)

IDLE_FOLDERS = ('IdleUnfiltered', 'IdleInbox', 'IdleSpam', 'IdleSpam/FP', 'IdleSpam/FN')


def idle_worker(ctx, seconds, result):
    try:
        ctx.srv.create_empty(IDLE_FOLDERS)
        conf = write_settings(os.path.join(WORK, 'idle.conf'), ctx.srv, ctx.srv.spamd_address,
                              folders=IDLE_FOLDERS)
        live = Live(conf, 'idle')
        if not live.wait_state('watching'):
            result['error'] = 'the idle engine never reached "watching" (see %s)' % live.err_path
            live.stop()
            return
        time.sleep(3)
        pid = live.proc.pid
        c0, n0, t0 = pid_cpu(pid), task_ns(pid), time.monotonic()
        result['started'] = True
        time.sleep(seconds)
        c1, n1, t1 = pid_cpu(pid), task_ns(pid), time.monotonic()
        # clock ticks (10 ms) include threads that exited; schedstat has ns resolution
        ns = sum(v - n0.get(tid, 0) for tid, v in n1.items())
        result['cpu_ticks'] = c1 - c0
        result['cpu_ns'] = ns / 1e9
        result['cpu'] = max(c1 - c0, ns / 1e9)
        result['seconds'] = t1 - t0
        result['vmhwm_kb'] = proc_status(pid, 'VmHWM')
        result['vmrss_kb'] = proc_status(pid, 'VmRSS')
        result['threads'] = proc_status(pid, 'Threads')
        live.stop()
    except Exception as e:  # reported in the table
        result['error'] = repr(e)




def start_idle(ctx, seconds):
    """Starts the idle measurement in a thread, alongside the next phases (it uses no CPU to
    speak of), and waits until its window has begun; returns the thread."""
    ctx.idle = {}
    log('idle: a second live engine on its own folders (IdleUnfiltered, ...) for %.0f s, '
        'alongside the next phases' % seconds)
    thread = threading.Thread(target=idle_worker, args=(ctx, seconds, ctx.idle), daemon=True)
    thread.start()
    t_wait = time.monotonic() + 90
    while not ctx.idle.get('started') and 'error' not in ctx.idle and time.monotonic() < t_wait:
        time.sleep(0.2)
    return thread

def make_gui_journal(ctx, rows_wanted):
    src_path = os.path.join(ctx.a1_data_dir, 'spamsieve', 'state.sqlite')
    dst_path = os.path.join(WORK, 'gui-state.sqlite')
    for suffix in ('', '-wal', '-shm'):
        if os.path.exists(dst_path + suffix):
            os.unlink(dst_path + suffix)
    src = sqlite3.connect(src_path)
    dst = sqlite3.connect(dst_path)
    src.backup(dst)
    src.close()
    cur = dst.execute('SELECT * FROM history ORDER BY id')
    cols = [c[0] for c in cur.description]
    rows = cur.fetchall()
    if not rows and rows_wanted:
        die('no history rows to copy for the GUI journal')
    dst.execute('DELETE FROM history')
    now = int(time.time())
    i_id, i_time = cols.index('id'), cols.index('time')
    i_uid = cols.index('uid') if 'uid' in cols else None
    out = []
    for i in range(rows_wanted):
        row = list(rows[i % len(rows)])
        row[i_id] = None
        row[i_time] = now - (rows_wanted - i) * 30
        if i_uid is not None:
            row[i_uid] = 100000 + i
        out.append(row)
    dst.executemany('INSERT INTO history (%s) VALUES (%s)' % (','.join(cols), ','.join('?' * len(cols))),
                    out)
    dst.commit()
    n = dst.execute('SELECT count(*) FROM history').fetchone()[0]
    account = dst.execute('SELECT DISTINCT account FROM history').fetchall()
    dst.execute('PRAGMA wal_checkpoint(TRUNCATE)')
    dst.close()
    return dst_path, n, [a[0] for a in account]


def gui_probe(ctx, rows, tag):
    """One GUI start with a journal of `rows` history rows; returns a dict with vmhwm_kb..."""
    res = {}
    gui_bin = os.path.join(GUI_BUILD, 'src', 'spamsieve')
    journal, n, accounts = make_gui_journal(ctx, rows)
    log('GUI: %s under Xvfb with %d history rows for %s'
        % (os.path.relpath(gui_bin, ROOT), n, ', '.join(accounts) or '(none)'))
    ctx.srv.reload()
    out = os.path.join(WORK, tag)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    rc, wall, ru = run_measured(
        [os.path.join(ROOT, 'tests', 'with-display.sh'), os.path.join(BENCH, 'gui-footprint.sh'),
         gui_bin, os.path.join(GUI_BUILD, 'data'), journal,
         'imap://127.0.0.1:%d' % ctx.srv.imap_port, ctx.srv.user, ctx.srv.password,
         ctx.srv.ca_file, ctx.srv.spamd_address, out, str(ctx.args.gui_settle)],
        stdout=open(os.path.join(WORK, 'out', tag + '.out'), 'w'), stderr=subprocess.STDOUT,
        timeout=300)
    res['rows'] = n
    try:
        with open(os.path.join(out, 'gui.txt')) as f:
            for line in f:
                k, _, v = line.replace(':', '=', 1).partition('=')
                res[k.strip()] = v.strip()
    except OSError:
        pass
    if rc != 0 or 'VmHWM' not in res:
        res['error'] = 'the GUI probe failed (exit %d, see bench/work/out/%s.out)' % (rc, tag)
    else:
        res['vmhwm_kb'] = int(res['VmHWM'].split()[0])
        res['vmrss_kb'] = int(res['VmRSS'].split()[0])
        log('  GUI: VmHWM %.1f MB, VmRSS %.1f MB, window after %s s'
            % (res['vmhwm_kb'] / 1024, res['vmrss_kb'] / 1024, res.get('window_after_s')))
    return res


def phase_gui(ctx):
    ctx.gui = {}
    if not ctx.gui_built:
        ctx.gui['error'] = ctx.gui_reason
        return
    if getattr(ctx, 'a1_data_dir', None) is None:
        ctx.gui['error'] = 'no journal from a SpamSieve pass to fill the history from'
        return
    ctx.gui = gui_probe(ctx, ctx.args.gui_rows, 'gui')
    # the same without history, to see what the verdicts themselves cost
    ctx.gui_empty = gui_probe(ctx, 0, 'gui-empty')


def build_gui(ctx):
    ctx.gui_built = False
    if subprocess.run(['pkg-config', '--exists', 'gtk4', 'libadwaita-1'],
                      capture_output=True).returncode != 0:
        ctx.gui_reason = 'not measured: GTK 4 / libadwaita development files missing'
        return
    if not os.path.isfile(os.path.join(GUI_BUILD, 'build.ninja')):
        r = subprocess.run(['meson', 'setup', GUI_BUILD, ROOT, '-Dgui=true', '-Dtests=false'],
                           stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        if r.returncode != 0:
            ctx.gui_reason = 'not measured: meson setup of the GUI build failed'
            return
    r = subprocess.run(['ninja', '-C', GUI_BUILD, 'src/spamsieve', 'data/gschemas.compiled'],
                       stdout=open(os.path.join(WORK, 'build-gui.log'), 'w'), stderr=subprocess.STDOUT)
    if r.returncode != 0:
        ctx.gui_reason = 'not measured: the GUI build failed (bench/work/build-gui.log)'
        return
    ctx.gui_built = True




def table_rows(ctx):
    """Rows 4: peak RSS, idle CPU, GUI."""
    rows = []   # (measure, figure, target, verdict, how)
    n = ctx.n
    tp = getattr(ctx, 'tp', None)
    if tp:
        rss = max(r['maxrss_kb'] for r in tp['a']) / 1024
        mems = [r.get('mem') or {} for r in tp['a']]
        split = ''
        if mems and mems[0].get('VmRSS'):
            mm = max(mems, key=lambda x: x.get('VmRSS', 0))
            split = ('; at its largest (sampled every 50 ms) %s MB = %s MB anonymous + %s MB '
                     'file-backed (shared libraries) + %s MB shmem, %d threads'
                     % (f1(mm['VmRSS'] / 1024), f1(mm.get('RssAnon', 0) / 1024),
                        f1(mm.get('RssFile', 0) / 1024), f1(mm.get('RssShmem', 0) / 1024),
                        mm.get('max_threads', 0)))
        rows.append(('4. Peak RSS, `spamsieve --headless --once`, %d-message pass' % n,
                     '**%s MB**' % f1(rss), '< 20 MB', mark(rss < 20),
                     'GNU time %%M (ru_maxrss) of the process, max over the a runs [%s MB]%s'
                     % (', '.join(f1(r['maxrss_kb'] / 1024) for r in tp['a']), split)))
    idle = getattr(ctx, 'idle', None)
    if idle is not None:
        if 'cpu' in idle:
            per10 = idle['cpu'] * 600 / idle['seconds']
            rows.append(('Idle CPU of the live engine, per 10 min', '**%s CPU s**' % f3(per10),
                         '< 1 s', mark(per10 < 1.0),
                         'CPU time of all its threads from /proc (schedstat, ns; utime+stime '
                         'ticks said %.2f s) over %.0f s of IDLE with nothing arriving, '
                         'scaled ×%.1f to 10 min%s; idle RSS %s MB, %s threads'
                         % (idle['cpu_ticks'], idle['seconds'], 600 / idle['seconds'],
                            '' if idle['seconds'] >= 599 else ' (measured %.4f CPU s; '
                            'run `bench/run --idle-minutes 10` for the full window)' % idle['cpu'],
                            f1(idle['vmrss_kb'] / 1024), idle['threads'])))
        else:
            rows.append(('Idle CPU of the live engine, per 10 min', 'not measured', '< 1 s', '—',
                         idle.get('error', '')))
    gui = getattr(ctx, 'gui', None)
    if gui is not None:
        if 'vmhwm_kb' in gui:
            empty = getattr(ctx, 'gui_empty', {})
            rows.append(('GUI with %d verdicts, peak RSS' % gui['rows'],
                         '**%s MB**' % f1(gui['vmhwm_kb'] / 1024), '', '',
                         'VmHWM of the GTK app under Xvfb (X11, cairo renderer) %s s after its '
                         'window was mapped; history loaded from a pre-filled state.sqlite, the '
                         'engine logged in and watching; VmRSS %s MB. The same with an empty '
                         'history: %s; screenshot bench/work/gui/gui.png'
                         % (ctx.args.gui_settle, f1(gui['vmrss_kb'] / 1024),
                            '%s MB' % f1(empty['vmhwm_kb'] / 1024) if 'vmhwm_kb' in empty
                            else 'not measured')))
        else:
            rows.append(('GUI with 5000 verdicts, peak RSS', 'not measured', '', '—',
                         gui.get('error', '')))
    return rows
