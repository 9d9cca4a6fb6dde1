"""The one place that writes into the harness's mail store.

Messages go straight into the maildir, in the layout tests/ss-test-servers.c uses (Maildir++:
folder "A/B" is Maildir/.A.B; files written in tmp/, renamed into cur/ or new/, owned by the
mail user), not through IMAP, so that loading them costs nothing that is measured. The bench
does this itself rather than through the harness program because
  * the latency phase times each message from the instant it is renamed into new/ (as a
    delivery agent does); that instant must be taken in the measuring process, and the
    harness API (ss_test_dovecot_add_message) only stores into cur/;
  * between runs every folder is emptied together with dovecot's index and UID list, so each
    run starts from the same server state; the harness API has no such call.
It also reads the store back (counts, flags, SHA-1 of the bytes) for the runs' checks."""

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

    def ensure(self, folder):
        p = self.path(folder)
        for sub in ('', 'cur', 'new', 'tmp'):
            d = os.path.join(p, sub)
            if not os.path.isdir(d):
                os.makedirs(d, 0o700)
                os.chown(d, self.uid, self.gid)
        marker = os.path.join(p, 'maildirfolder')
        if p != self.root and not os.path.exists(marker):
            open(marker, 'w').close()
            os.chown(marker, self.uid, self.gid)

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

    def add(self, folder, data, new=False, flags=''):
        """Writes into tmp/, then renames into cur/ (with flags) or new/. Returns the final
        path once it is visible."""
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
        final = os.path.join(p, 'new', base) if new else os.path.join(p, 'cur', base + ':2,' + flags)
        os.rename(tmp, final)
        return final

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


def reload(md, unfiltered=(), fp=(), fn=(), extra_clear=()):
    for folder in FOLDERS + tuple(extra_clear):
        md.ensure(folder)
        md.clear(folder)
    for m in unfiltered:
        md.add('Unfiltered', m.data)
    for m in fp:
        md.add('Spam/False Positives', m.data)
    for m in fn:
        md.add('Spam/False Negatives', m.data)
