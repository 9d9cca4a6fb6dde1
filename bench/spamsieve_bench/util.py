"""Shared plumbing: paths, logging, child processes, /proc CPU and memory readings, and the
statistics and number formats of the table."""

import os
import resource
import signal
import statistics
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BENCH = os.path.join(ROOT, 'bench')
CACHE = os.path.join(BENCH, 'cache')
# SS_BENCH_WORK: another work dir, for a run beside one already using bench/work
WORK = os.environ.get('SS_BENCH_WORK') or os.path.join(BENCH, 'work')
BUILD = os.path.join(ROOT, 'build-bench')
GUI_BUILD = os.path.join(ROOT, 'build-bench-gui')
# the harness's stand-in scanner (src/harness, shared with the tests), built by meson
FAKE_SPAMD = os.path.join(BUILD, 'src', 'harness', 'fake-spamd')
CLK_TCK = os.sysconf('SC_CLK_TCK')

T_START = time.monotonic()
CHILDREN = []          # Popen objects to stop on exit (ours only)


def log(msg):
    el = time.monotonic() - T_START
    print('[bench %4d:%02d] %s' % (el // 60, el % 60, msg), file=sys.stderr, flush=True)


def die(msg):
    log('ERROR: ' + msg)
    raise SystemExit(1)


# ------------------------------------------------------------------------------------------
# /proc: CPU time of process trees, system busy time, memory

def proc_table():
    """pid -> (ppid, comm, ticks used by it and its reaped children)"""
    table = {}
    for d in os.listdir('/proc'):
        if not d.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % d) as f:
                s = f.read()
        except OSError:
            continue
        comm = s[s.index('(') + 1:s.rindex(')')]
        f = s[s.rindex(')') + 2:].split()
        # f[1] ppid; f[11..14] utime stime cutime cstime
        table[int(d)] = (int(f[1]), comm, sum(int(x) for x in f[11:15]))
    return table


def tree_cpu(root, table=None, children_only_of=None):
    """CPU seconds of root and all its live descendants, each with its reaped children
    (cutime/cstime): children that exited are counted through their parent."""
    table = table if table is not None else proc_table()
    if root not in table:
        return 0.0
    kids = {}
    for pid, (ppid, _, _) in table.items():
        kids.setdefault(ppid, []).append(pid)
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += table[pid][2]
        todo.extend(kids.get(pid, ()))
    return total / CLK_TCK


def pid_cpu(pid):
    """utime + stime of one process (all its threads), seconds"""
    with open('/proc/%d/stat' % pid) as f:
        s = f.read()
    f = s[s.rindex(')') + 2:].split()
    return (int(f[11]) + int(f[12])) / CLK_TCK


def task_ns(pid):
    """tid -> nanoseconds on CPU (/proc/PID/task/TID/schedstat), for the live threads"""
    out = {}
    try:
        tids = os.listdir('/proc/%d/task' % pid)
    except OSError:
        return out
    for tid in tids:
        try:
            with open('/proc/%d/task/%s/schedstat' % (pid, tid)) as f:
                out[tid] = int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return out


def system_busy():
    with open('/proc/stat') as f:
        v = [int(x) for x in f.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal
    return (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / CLK_TCK


def self_cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def proc_status(pid, key):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith(key + ':'):
                return int(line.split()[1])  # kB
    return None


# ------------------------------------------------------------------------------------------
# Processes

class Usage:
    """What one measured run used: wall seconds, user/sys CPU seconds of the process and
    the children it waited for (wait4), and its peak RSS in kB."""

    def __init__(self, wall, ru, maxrss_kb, mem=None):
        self.wall = wall
        self.ru_utime, self.ru_stime = ru.ru_utime, ru.ru_stime
        self.ru_maxrss = maxrss_kb
        self.mem = mem or {}


def watch_memory(parent_pid, mem, done):
    """Samples /proc/PID/status of parent_pid's child (the process under /usr/bin/time)
    every 50 ms: the split of resident memory at its largest (anonymous vs file-backed, i.e.
    mostly shared libraries) and the thread count."""
    pid = None
    while not done.is_set():
        try:
            if pid is None:
                with open('/proc/%d/task/%d/children' % (parent_pid, parent_pid)) as f:
                    kids = f.read().split()
                pid = int(kids[0]) if kids else None
            if pid is not None:
                st = {}
                with open('/proc/%d/status' % pid) as f:
                    for line in f:
                        k, _, v = line.partition(':')
                        if k in ('VmRSS', 'RssAnon', 'RssFile', 'RssShmem', 'Threads'):
                            st[k] = int(v.split()[0])
                if st.get('VmRSS', 0) > mem.get('VmRSS', 0):
                    mem.update(st)
                mem['max_threads'] = max(mem.get('max_threads', 0), st.get('Threads', 0))
        except (OSError, ValueError, IndexError):
            pass
        done.wait(0.05)


def run_measured(cmd, env=None, stdout=None, stderr=None, timeout=1800, cwd=None, watch=False):
    """Runs cmd to completion under /usr/bin/time; returns (exit code, wall seconds, Usage).
    CPU comes from wait4 (GNU time's own share is ~1 ms); peak RSS from GNU time's %M: a
    child forked from this (large) Python process would otherwise report Python's RSS as
    its ru_maxrss (Linux keeps the pre-exec high-water mark)."""
    rss_file = os.path.join(WORK, 'out', '.time-%d' % threading.get_ident())
    full = ['/usr/bin/time', '-q', '-f', '%M', '-o', rss_file] + list(cmd)
    t0 = time.monotonic()
    p = subprocess.Popen(full, env=env, stdout=stdout, stderr=stderr, cwd=cwd,
                         start_new_session=True)
    timer = threading.Timer(timeout, lambda: os.killpg(p.pid, signal.SIGKILL))
    timer.start()
    mem, done = {}, threading.Event()
    watcher = threading.Thread(target=watch_memory, args=(p.pid, mem, done), daemon=True)
    if watch:
        watcher.start()
    try:
        _, status, ru = os.wait4(p.pid, 0)
    finally:
        timer.cancel()
        done.set()
    wall = time.monotonic() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if watch:
        watcher.join()
    try:
        with open(rss_file) as f:
            maxrss = int(f.read().split()[-1])
    except (OSError, ValueError, IndexError):
        maxrss = 0
    return p.returncode, wall, Usage(wall, ru, maxrss, mem)


def start(cmd, **kw):
    p = subprocess.Popen(cmd, **kw)
    CHILDREN.append(p)
    return p


def stop(p, sig=signal.SIGTERM, timeout=15):
    if p is None or p.poll() is not None:
        return
    try:
        p.send_signal(sig)
        p.wait(timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


def stop_all():
    for p in reversed(CHILDREN):
        stop(p)


def output(cmd, **kw):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60, **kw)
        return (r.stdout + r.stderr).strip()
    except (OSError, subprocess.TimeoutExpired) as e:
        return 'unavailable (%s)' % e


# ------------------------------------------------------------------------------------------
# Statistics and formatting

def median(xs):
    return statistics.median(xs) if xs else float('nan')


def pctl(xs, p):
    """nearest-rank percentile"""
    if not xs:
        return float('nan')
    s = sorted(xs)
    k = max(0, min(len(s) - 1, int(-(-p * len(s) // 100)) - 1))
    return s[k]


def f1(x):
    return '%.1f' % x


def f2(x):
    return '%.2f' % x


def f3(x):
    return '%.3f' % x


def mark(ok):
    if ok is None:
        return '—'
    return '**met**' if ok else '**missed**'


def cpu_of(ru):
    return ru.ru_utime + ru.ru_stime
