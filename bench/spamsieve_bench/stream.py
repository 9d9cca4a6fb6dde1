"""The accuracy replay's messages: a fixed split of the SpamAssassin public corpus, the user's
existing mail and the stream, in date order.

Split (the same rule as tools/learner-replay): a message is in the REPORT part when the first
hex digit of SHA-1(its file name, e.g. "00001.7c7d69....txt") is odd, else in the TUNE part.
Thresholds and learner parameters are chosen on TUNE only; the replay reports on REPORT
unless --accuracy-part tune says otherwise. Within the part, all mail up to the date by which
EXISTING ham and EXISTING spam have arrived is the account's existing mail (read ham in INBOX,
spam in Spam); the rest, in date order, is the stream. Each message gets a first header
line "X-Bench-Id: <12 hex>" (from SHA-1 of its group and name: no signal for a classifier)
that names it in every folder."""

import email.utils
import hashlib
import os
import time

from .corpus import corpus_dir

GROUPS = (('easy-ham-1', 'ham', False), ('easy-ham-2', 'ham', False),
          ('hard-ham-1', 'ham', True), ('spam-1', 'spam', False), ('spam-2', 'spam', False))


class Item:
    __slots__ = ('bid', 'group', 'name', 'kind', 'hard', 'date', 'data')


def in_report_part(name):
    """The split rule.

    >>> in_report_part('00001.7c7d6921e671bbe18ebb5f893cd9bb35.txt')  # SHA-1 c...
    False
    >>> in_report_part('00002.ca96f74042d05c1a1d29ca30467cfcd5.txt')  # SHA-1 9...
    True
    """
    return int(hashlib.sha1(name.encode()).hexdigest()[0], 16) % 2 == 1


def _date(raw, head):
    """Arrival time: the mbox "From " line, else the newest Received: header, else Date:."""
    if raw.startswith(b'From '):
        first = raw.split(b'\n', 1)[0].decode('latin-1').split()
        try:
            return time.mktime(time.strptime(' '.join(first[-5:]), '%a %b %d %H:%M:%S %Y'))
        except ValueError:
            pass
    lines, cur = [], None
    for line in head.split('\n'):
        if line[:1] in (' ', '\t') and cur is not None:
            lines[-1] += ' ' + line.strip()
        else:
            lines.append(line)
            cur = line
    for want in ('received:', 'date:'):
        for line in lines:
            if line.lower().startswith(want):
                value = line.rsplit(';', 1)[-1] if want == 'received:' else line[5:]
                t = email.utils.parsedate_tz(value.strip())
                if t is not None:
                    try:
                        return email.utils.mktime_tz(t)
                    except (OverflowError, ValueError):
                        pass
    return 0.0


def load_part(part='report'):
    """Every message of the part, oldest first (ties by group and name)."""
    items = []
    for group, kind, hard in GROUPS:
        d = os.path.join(corpus_dir(), group)
        for name in sorted(os.listdir(d)):
            if not name.endswith('.txt') or in_report_part(name) != (part == 'report'):
                continue
            with open(os.path.join(d, name), 'rb') as f:
                raw = f.read()
            body = raw.split(b'\n', 1)[1] if raw.startswith(b'From ') and b'\n' in raw else raw
            it = Item()
            it.group, it.name, it.kind, it.hard = group, name, kind, hard
            it.bid = hashlib.sha1(('%s/%s' % (group, name)).encode()).hexdigest()[:12]
            head = body.split(b'\n\n', 1)[0].decode('latin-1')
            it.date = _date(raw, head)
            it.data = b'X-Bench-Id: ' + it.bid.encode() + b'\n' + body
            items.append(it)
    items.sort(key=lambda i: (i.date, i.group, i.name))
    return items


def split_existing(items, n_existing, n_stream):
    """(existing ham, existing spam, stream): the account holds all mail up to the date when
    it has n_existing of each kind (so the stream starts unskewed: more of one kind may be
    existing), then the rest in date order: all of it when n_stream is 0, else n_stream
    messages spread evenly over it (the corpus's spam comes in bursts: the first n would not
    be a fair sample).

    >>> class I:
    ...     def __init__(s, k, d): s.kind, s.date = k, d
    >>> xs = [I('spam', 1), I('ham', 2), I('spam', 3), I('ham', 4), I('spam', 5), I('ham', 6)]
    >>> [len(x) for x in split_existing(xs, 1, 0)], [len(x) for x in split_existing(xs, 2, 1)]
    ([1, 1, 4], [2, 2, 1])
    >>> [i.date for i in split_existing(xs, 1, 2)[2]]
    [3, 5]
    """
    cut = 0
    for kind in ('ham', 'spam'):
        dates = [i.date for i in items if i.kind == kind]
        if n_existing > 0 and dates:
            cut = max(cut, dates[min(n_existing, len(dates)) - 1])
    old = [i for i in items if n_existing > 0 and i.date <= cut]
    rest = [i for i in items if not (n_existing > 0 and i.date <= cut)]
    if n_stream and n_stream < len(rest):
        rest = [rest[k * len(rest) // n_stream] for k in range(n_stream)]
    return [i for i in old if i.kind == 'ham'], [i for i in old if i.kind == 'spam'], rest
