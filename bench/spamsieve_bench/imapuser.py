"""The accuracy replay's simulated user and mail delivery, over IMAP (imaplib, STARTTLS with
the harness CA): APPEND into folders, read which messages (X-Bench-Id) a folder holds, move
them with UID MOVE, mark them read."""

import imaplib
import re
import ssl
import time

BID = re.compile(rb'X-Bench-Id:\s*([0-9a-f]+)', re.I)
UID = re.compile(rb'UID (\d+)')


def quote(folder):
    return '"%s"' % folder.replace('\\', '\\\\').replace('"', '\\"')


class User:
    def __init__(self, srv):
        self.srv = srv
        self.imap = None
        self.connect()

    def connect(self):
        ctx = ssl.create_default_context(cafile=self.srv.ca_file)
        self.imap = imaplib.IMAP4('127.0.0.1', self.srv.imap_port)
        self.imap.starttls(ssl_context=ctx)
        self.imap.login(self.srv.user, self.srv.password)

    def close(self):
        try:
            self.imap.logout()
        except (imaplib.IMAP4.error, OSError):
            pass

    def _ok(self, what, res):
        typ, data = res
        if typ != 'OK':
            raise RuntimeError('IMAP %s: %s %r' % (what, typ, data))
        return data

    def append(self, folder, items, seen=False):
        """INTERNALDATE now: older ones would be expired from Spam by the engine."""
        flags = '(\\Seen)' if seen else '()'
        for it in items:
            when = imaplib.Time2Internaldate(time.time())
            self._ok('APPEND', self.imap.append(quote(folder), flags, when,
                                                 it.data.replace(b'\r\n', b'\n')
                                                 .replace(b'\n', b'\r\n')))

    def select(self, folder):
        """Number of messages in the folder."""
        data = self._ok('SELECT ' + folder, self.imap.select(quote(folder)))
        return int(data[0] or 0)

    def ids(self, folder):
        """UID -> X-Bench-Id (None when the message has none) of every message in folder."""
        out = {}
        if self.select(folder) == 0:
            return out
        data = self._ok('FETCH', self.imap.uid('FETCH', '1:*',
                                               '(UID BODY.PEEK[HEADER.FIELDS (X-Bench-Id)])'))
        for part in data:
            if not isinstance(part, tuple):
                continue
            m = UID.search(part[0])
            if m is None:
                continue
            b = BID.search(part[1] or b'')
            out[int(m.group(1))] = b.group(1).decode() if b else None
        return out

    def move(self, uids, dest):
        """UID MOVE from the selected folder."""
        for i in range(0, len(uids), 200):
            part = ','.join(str(u) for u in uids[i:i + 200])
            self._ok('MOVE', self.imap.uid('MOVE', part, quote(dest)))

    def mark_seen(self, uids):
        for i in range(0, len(uids), 200):
            part = ','.join(str(u) for u in uids[i:i + 200])
            self._ok('STORE', self.imap.uid('STORE', part, '+FLAGS.SILENT', '(\\Seen)'))

    def folders(self):
        names = []
        for line in self._ok('LIST', self.imap.list('""', '*')):
            if not line:
                continue
            line = line.decode('utf-8', 'replace')
            if '\\Noselect' in line or '\\NonExistent' in line:
                continue
            m = re.search(r'\) (?:"[^"]*"|NIL) (.*)$', line)
            if m:
                name = m.group(1)
                if name.startswith('"') and name.endswith('"'):
                    name = name[1:-1].replace('\\"', '"').replace('\\\\', '\\')
                names.append(name)
        return names

    def census(self, skip=()):
        """folder -> list of X-Bench-Id of every message in every folder but skip."""
        return {f: list(self.ids(f).values()) for f in self.folders() if f not in skip}
