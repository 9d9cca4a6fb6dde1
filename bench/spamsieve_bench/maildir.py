"""The harness's mail store as the benchmark reads it, and the latency phase's deliveries.

The layout is the one tests/ss-test-servers.h documents (Maildir++: folder "A/B" is
SS_DIR/Maildir/.A.B). Loading message sets goes through the harness (Servers.reload); this
module only
  * reads the store back for the runs' checks (counts, flags, SHA-1 of the bytes);
  * empties folders together with dovecot's index and UID list between runs, so that each
    run starts from the same server state (the harness API has no such call);
  * delivers the latency phase's messages into new/ as a delivery agent does, timed by the
    measuring process at the rename (the harness only stores into cur/)."""

import hashlib
import os
import random
import socket
import time

FOLDERS = ('INBOX', 'Unfiltered', 'Spam', 'Spam/False Positives', 'Spam/False Negatives')


class Maildir:
    """The harness's maildir++ store, root = SS_DIR/Maildir."""

    def __init__(self, root):
        self.root = root
        st = os.stat(root)
        self.uid, self.gid = st.st_uid, st.st_gid
        self.counter = 0
        self.host = socket.gethostname().replace('/', '_').replace(':', '_').replace('.', '_')

    def path(self, folder):
        if folder.upper() == 'INBOX':
            return self.root
        return os.path.join(self.root, '.' + folder.replace('/', '.'))

    def clear(self, folder):
        """Empties the folder, and drops dovecot's index and UID list of it too (between
        runs, no session has it open), so that every run starts from the same server state
        instead of an index log grown by the runs before."""
        p = self.path(folder)
        for sub in ('cur', 'new', 'tmp'):
            d = os.path.join(p, sub)
            if os.path.isdir(d):
                for n in os.listdir(d):
                    os.unlink(os.path.join(d, n))
        if os.path.isdir(p):
            for n in os.listdir(p):
                if n.startswith('dovecot.index') or n == 'dovecot-uidlist':
                    os.unlink(os.path.join(p, n))

    def deliver(self, folder, data):
        """Writes into tmp/, then renames into new/, as a delivery agent does; returns once
        the message is visible there."""
        self.counter += 1
        now = time.time()
        base = '%d.M%06dP%dQ%dR%08x.%s' % (int(now), int(now * 1e6) % 1000000, os.getpid(),
                                           self.counter, random.getrandbits(32), self.host)
        p = self.path(folder)
        tmp = os.path.join(p, 'tmp', base)
        with open(tmp, 'wb') as f:
            f.write(data)
        os.chmod(tmp, 0o600)
        os.chown(tmp, self.uid, self.gid)
        os.rename(tmp, os.path.join(p, 'new', base))

    def files(self, folder):
        p = self.path(folder)
        out = []
        for sub in ('new', 'cur'):
            d = os.path.join(p, sub)
            if os.path.isdir(d):
                out += [os.path.join(d, n) for n in os.listdir(d) if not n.startswith('.')]
        return out

    def count(self, folder):
        return len(self.files(folder))

    def hashes(self, folder):
        out = []
        for path in self.files(folder):
            try:
                with open(path, 'rb') as f:
                    out.append(hashlib.sha1(f.read()).hexdigest())
            except FileNotFoundError:
                pass
        return out

