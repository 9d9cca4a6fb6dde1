"""The accuracy replay's figures, from one list of scored messages (pure functions, no I/O).
Each item is a dict: kind ('ham' or 'spam'), hard (bool, hard ham), verdict ('spam', 'ham',
'uncertain' or None when the message got no verdict), rank (the value ranked for the ROC:
"combined" when the engine gives it, else spamd's score; None when unscored), pos (its place
in the stream, 0-based). Run `python3 -m doctest bench/spamsieve_bench/metrics.py`."""


def one_minus_roca(pairs):
    """Area above the ROC curve in %, of (rank, is_spam) pairs: 100 * P(a ham ranks at or
    above a spam), ties counted half (Mann-Whitney). None without both classes.

    >>> one_minus_roca([(0.1, False), (0.2, False), (0.8, True), (0.9, True)])
    0.0
    >>> one_minus_roca([(0.9, False), (0.1, True)])
    100.0
    >>> one_minus_roca([(0.5, False), (0.5, True)])
    50.0
    >>> round(one_minus_roca([(1, False), (3, False), (2, True), (4, True)]), 2)
    25.0
    >>> one_minus_roca([(1, True)]) is None
    True
    """
    pairs = sorted(pairs, key=lambda p: p[0])
    n_spam = sum(1 for _, s in pairs if s)
    n_ham = len(pairs) - n_spam
    if n_spam == 0 or n_ham == 0:
        return None
    # rank sum of the spam, ties sharing their average rank
    rank_sum, i = 0.0, 0
    while i < len(pairs):
        j = i
        while j < len(pairs) and pairs[j][0] == pairs[i][0]:
            j += 1
        avg = (i + 1 + j) / 2.0
        rank_sum += avg * sum(1 for k in range(i, j) if pairs[k][1])
        i = j
    auc = (rank_sum - n_spam * (n_spam + 1) / 2.0) / (n_spam * n_ham)
    return 100.0 * (1.0 - auc)


def pct(a, b):
    """a of b in % (None when b is 0).

    >>> pct(1, 4)
    25.0
    >>> pct(0, 0) is None
    True
    """
    return 100.0 * a / b if b else None


def is_error(item):
    """A confident wrong verdict: ham to Spam or spam to INBOX ('uncertain' is no error).

    >>> is_error({'kind': 'ham', 'verdict': 'spam'})
    True
    >>> is_error({'kind': 'spam', 'verdict': 'uncertain'})
    False
    """
    return ((item['kind'] == 'ham' and item['verdict'] == 'spam')
            or (item['kind'] == 'spam' and item['verdict'] == 'ham'))


def summarize(items):
    """The figures of one replay.

    >>> items = [dict(kind='ham', hard=False, verdict='ham', rank=0.1, pos=0),
    ...          dict(kind='ham', hard=True, verdict='spam', rank=0.7, pos=1),
    ...          dict(kind='spam', hard=False, verdict='ham', rank=0.4, pos=2),
    ...          dict(kind='spam', hard=False, verdict='uncertain', rank=0.9, pos=3)]
    >>> s = summarize(items)
    >>> s['ham_fp'], s['hard_fp'], s['easy_fp'], s['spam_fn'], s['uncertain']
    (1, 1, 0, 1, 1)
    >>> s['ham_fp_pct'], s['hard_fp_pct'], s['spam_fn_pct'], s['uncertain_pct']
    (50.0, 100.0, 50.0, 25.0)
    >>> s['errors_first_half'], s['errors_second_half'], s['roca']
    (1, 1, 25.0)
    """
    n = len(items)
    ham = [i for i in items if i['kind'] == 'ham']
    spam = [i for i in items if i['kind'] == 'spam']
    hard = [i for i in ham if i['hard']]
    easy = [i for i in ham if not i['hard']]
    fp = lambda xs: sum(1 for i in xs if i['verdict'] == 'spam')
    s = {'n': n, 'ham': len(ham), 'spam': len(spam), 'hard_ham': len(hard),
         'easy_ham': len(easy)}
    s['ham_fp'], s['easy_fp'], s['hard_fp'] = fp(ham), fp(easy), fp(hard)
    s['spam_fn'] = sum(1 for i in spam if i['verdict'] == 'ham')
    s['uncertain'] = sum(1 for i in items if i['verdict'] == 'uncertain')
    s['uncertain_ham'] = sum(1 for i in ham if i['verdict'] == 'uncertain')
    s['uncertain_spam'] = sum(1 for i in spam if i['verdict'] == 'uncertain')
    s['no_verdict'] = sum(1 for i in items if i['verdict'] not in ('ham', 'spam', 'uncertain'))
    s['unranked'] = sum(1 for i in items if i['rank'] is None)
    s['ham_fp_pct'] = pct(s['ham_fp'], len(ham))
    s['easy_fp_pct'] = pct(s['easy_fp'], len(easy))
    s['hard_fp_pct'] = pct(s['hard_fp'], len(hard))
    s['spam_fn_pct'] = pct(s['spam_fn'], len(spam))
    s['uncertain_pct'] = pct(s['uncertain'], n)
    half = n // 2
    s['errors_first_half'] = sum(1 for i in items if i['pos'] < half and is_error(i))
    s['errors_second_half'] = sum(1 for i in items if i['pos'] >= half and is_error(i))
    s['first_half_n'], s['second_half_n'] = half, n - half
    s['roca'] = one_minus_roca([(i['rank'], i['kind'] == 'spam') for i in items
                                if i['rank'] is not None])
    s['spam_caught_at_0_1'] = caught_at(items, 0.1)
    return s


def caught_at(items, ham_pct):
    """Spam caught in % when the cut-off on rank lets at most ham_pct % of ham above it.

    >>> caught_at([dict(kind='ham', rank=0.1), dict(kind='spam', rank=0.2),
    ...            dict(kind='spam', rank=0.05)], 0.1)
    50.0
    """
    ham = sorted((i['rank'] for i in items if i['kind'] == 'ham' and i['rank'] is not None),
                 reverse=True)
    spam = [i['rank'] for i in items if i['kind'] == 'spam' and i['rank'] is not None]
    if not ham or not spam:
        return None
    allowed = int(len(ham) * ham_pct / 100.0)   # ham allowed strictly above the cut
    cut = ham[allowed]                          # the highest ham rank that must stay below
    return pct(sum(1 for r in spam if r > cut), len(spam))


TARGETS = (('roca', '1-ROCA', 0.2), ('ham_fp_pct', 'ham put in Spam', 0.6),
           ('spam_fn_pct', 'spam left in INBOX', 3.0), ('uncertain_pct', 'uncertain', 6.0))


def target_met(s, key, limit):
    """True / False / None (no figure).

    >>> target_met({'roca': 0.1}, 'roca', 0.2), target_met({'roca': None}, 'roca', 0.2)
    (True, None)
    """
    v = s.get(key)
    return None if v is None else v <= limit
