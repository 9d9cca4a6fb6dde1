#!/usr/bin/python3
"""plain-imap.py: the floor for bench/run's engine-cost test. Does the IMAP part of a filter
pass and nothing else: STARTTLS + LOGIN, SELECT Unfiltered, UID SEARCH UNDELETED, then in
chunks of 32 UID FETCH BODY.PEEK[] and UID MOVE to INBOX. No scanning, no bookkeeping.

Usage: plain-imap.py PORT USER PASSWORD CA_FILE [CHUNK]
Prints the number of messages moved."""
import imaplib
import ssl
import sys


def main():
    port, user, password, ca_file = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
    chunk = int(sys.argv[5]) if len(sys.argv) > 5 else 32
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
        typ, data = imap.uid('MOVE', part, 'INBOX')
        if typ != 'OK':
            sys.exit('MOVE failed: %r' % (data,))
        moved += len(uids[off:off + chunk])
    imap.logout()
    print('moved %d messages (%d bytes fetched)' % (moved, size))


if __name__ == '__main__':
    main()
