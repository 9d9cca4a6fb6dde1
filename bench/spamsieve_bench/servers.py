"""The test harness's dovecot + spamd (tools/test-servers, i.e. tools/test-servers.c built as
tests/ss-test-serve), started once for every phase. Messages are loaded into its folders by the
harness itself (its --commands on stdin: ss_test_dovecot_add_message)."""

import os
import subprocess
import threading
import time

from .maildir import FOLDERS, Maildir
from .util import BUILD, ROOT, WORK, die, log, proc_table, start, stop


class Servers:
    def __init__(self):
        log('starting dovecot + spamd (tools/test-servers)')
        self.proc = start([os.path.join(ROOT, 'tools', 'test-servers'), '--build-dir', BUILD,
                           '--commands'], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          stderr=open(os.path.join(WORK, 'servers.log'), 'w'), text=True)
        self.lock = threading.Lock()
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

    def command(self, *words):
        """One harness command (see tools/test-servers.c); returns its answer after "OK"."""
        with self.lock:
            self.proc.stdin.write('\t'.join(words) + '\n')
            self.proc.stdin.flush()
            answer = self.proc.stdout.readline().strip()
        if not answer.startswith('OK'):
            die('harness command %s: %s' % (' '.join(words), answer or 'no answer'))
        return answer[2:].strip()

    def create_empty(self, folders):
        """Creates the folders if missing and empties them (see Maildir.clear)."""
        for folder in folders:
            self.command('create', folder)
            self.maildir.clear(folder)

    def reload(self, unfiltered=None, fp=None, fn=None):
        """Empties the benchmark's folders, then loads message sets (directories written by
        corpus.write_set) into Unfiltered and the two learning folders."""
        self.create_empty(FOLDERS)
        for folder, directory in (('Unfiltered', unfiltered), ('Spam/False Positives', fp),
                                  ('Spam/False Negatives', fn)):
            if directory is not None:
                self.command('load', folder, directory)

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
