#!/usr/bin/python3
"""plain-imap.py: the floor for bench/run's engine-cost test. Does the IMAP part of a filter
pass and nothing else: STARTTLS + LOGIN, SELECT Unfiltered, UID SEARCH UNDELETED, then in
chunks of 32 UID FETCH BODY.PEEK[] and UID MOVE to INBOX. No scanning, no bookkeeping.
With --keywords it also sends the two STOREs SpamSieve sends for ham before the MOVE
(+FLAGS.SILENT ($NotJunk), -FLAGS.SILENT ($Junk)): the same server work, no engine.

Usage: plain-imap.py [--keywords] PORT USER PASSWORD CA_FILE [CHUNK]
Prints the number of messages moved."""
import imaplib
import ssl
import sys


def main():
    args = sys.argv[1:]
    keywords = args[:1] == ['--keywords']
    if keywords:
        args = args[1:]
    port, user, password, ca_file = args[0], args[1], args[2], args[3]
    chunk = int(args[4]) if len(args) > 4 else 32
    ctx = ssl.create_default_context(cafile=ca_file)
    imap = imaplib.IMAP4('127.0.0.1', int(port))
    imap.starttls(ssl_context=ctx)
    imap.login(user, password)
    typ, _ = imap.select('Unfiltered')
    if typ != 'OK':
        sys.exit('SELECT failed')
    typ, data = imap.uid('SEARCH', 'UNDELETED')
    uids = data[0].split()
    moved = 0
    size = 0
    for off in range(0, len(uids), chunk):
        part = b','.join(uids[off:off + chunk]).decode()
        typ, data = imap.uid('FETCH', part, '(BODY.PEEK[])')
        if typ != 'OK':
            sys.exit('FETCH failed')
        for item in data:
            if isinstance(item, tuple):
                size += len(item[1])
        if keywords:
            for op in ('+FLAGS.SILENT', '-FLAGS.SILENT'):
                typ, data = imap.uid('STORE', part, op, '($NotJunk)' if op[0] == '+' else '($Junk)')
                if typ != 'OK':
                    sys.exit('STORE failed: %r' % (data,))
        typ, data = imap.uid('MOVE', part, 'INBOX')
        if typ != 'OK':
            sys.exit('MOVE failed: %r' % (data,))
        moved += len(uids[off:off + chunk])
    imap.logout()
    print('moved %d messages (%d bytes fetched)' % (moved, size))


if __name__ == '__main__':
    main()
