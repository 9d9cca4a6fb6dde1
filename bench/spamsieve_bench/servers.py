"""The test harness's dovecot + spamd (tools/test-servers, i.e. tests/ss-test-servers.c built as
ss-test-serve), started once for every phase."""

import os
import subprocess
import time

from .maildir import Maildir
from .util import BUILD, ROOT, WORK, die, log, proc_table, start, stop


class Servers:
    def __init__(self):
        log('starting dovecot + spamd (tools/test-servers)')
        self.proc = start([os.path.join(ROOT, 'tools', 'test-servers'), '--build-dir', BUILD],
                          stdout=subprocess.PIPE, stderr=open(os.path.join(WORK, 'servers.log'), 'w'),
                          text=True)
        self.env = {}
        deadline = time.monotonic() + 300
        for line in self.proc.stdout:
            k, _, v = line.strip().partition('=')
            self.env[k] = v
            if k == 'SS_READY':
                break
            if time.monotonic() > deadline:
                break
        if self.env.get('SS_READY') != '1':
            die('the test servers did not start; see bench/work/servers.log')
        self.imap_port = int(self.env['SS_IMAP_PORT'])
        self.ca_file = self.env['SS_CA_FILE']
        self.dir = self.env['SS_DIR']
        self.user = self.env['SS_USER']
        self.password = self.env['SS_PASSWORD']
        self.spamd_address = self.env['SS_SPAMD_ADDRESS']
        self.spamd_port = int(self.spamd_address.rsplit(':', 1)[1])
        self.spamd_dir = self.env['SS_SPAMD_DIR']
        self.maildir = Maildir(os.path.join(self.dir, 'Maildir'))

    def spamd_pid(self):
        with open(os.path.join(self.spamd_dir, 'spamd.pid')) as f:
            return int(f.read().strip())

    def dovecot_pid(self):
        for pid, (ppid, comm, _) in proc_table().items():
            if ppid == self.proc.pid and comm == 'dovecot':
                return pid
        return None

    def stop(self):
        stop(self.proc)
