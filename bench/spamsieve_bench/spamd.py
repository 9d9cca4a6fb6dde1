"""A minimal spamd client (SPAMC/1.5 over TCP). spamc is not used here on purpose: the latency
phase times one scan alone with it, and spamc's process start would be counted in the scan."""

import socket
import threading


def spamd_request(port, verb, body=b'', headers=(), timeout=300):
    s = socket.create_connection(('127.0.0.1', port), timeout=timeout)
    try:
        head = '%s SPAMC/1.5\r\n' % verb
        if body or verb != 'PING':
            head += 'Content-length: %d\r\n' % len(body)
        for h in headers:
            head += h + '\r\n'
        s.sendall(head.encode() + b'\r\n' + body)
        s.shutdown(socket.SHUT_WR)
        chunks = []
        while True:
            b = s.recv(65536)
            if not b:
                break
            chunks.append(b)
        return b''.join(chunks)
    finally:
        s.close()


def as_fetched(data):
    """What dovecot's FETCH BODY[] returns for a stored LF message: bare LF -> CRLF."""
    return data.replace(b'\r\n', b'\n').replace(b'\n', b'\r\n').replace(b'\0', b'\x80')


def warm_up_spamd(port, messages, parallel=10):
    """spamd forks its children on demand: bring them up before anything is timed."""
    def one(m):
        spamd_request(port, 'SYMBOLS', as_fetched(m.data))
    threads = [threading.Thread(target=one, args=(m,)) for m in messages]
    for i in range(0, len(threads), parallel):
        for t in threads[i:i + parallel]:
            t.start()
        for t in threads[i:i + parallel]:
            t.join()
