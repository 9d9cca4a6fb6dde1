"""5. Accuracy: spam caught and ham wrongly flagged with the default rules (from the throughput
phase's a runs), then after teaching spamd through the learning folders."""

import os

from .corpus import write_set
from .spamsieve import read_records, spamsieve_bin, ss_env
from .throughput import classify, method_a
from .util import WORK, f1, f2, log, output, run_measured


def sa_learn_counts(srv):
    env = dict(os.environ, HOME=os.path.join(srv.spamd_dir, 'home'), LC_ALL='C')
    out = output(['setpriv', '--reuid=%d' % os.stat(srv.spamd_dir).st_uid,
                  '--regid=%d' % os.stat(srv.spamd_dir).st_gid, '--clear-groups', '--',
                  'sa-learn', '--dbpath', os.path.join(srv.spamd_dir, 'bayes', 'bayes'),
                  '--dump', 'magic'], env=env)
    counts = {}
    for line in out.splitlines():
        parts = line.split()
        if line.endswith('non-token data: nspam') and len(parts) >= 3:
            counts['nspam'] = int(parts[2])
        if line.endswith('non-token data: nham') and len(parts) >= 3:
            counts['nham'] = int(parts[2])
    return counts


def counts_on(messages, flagged):
    res = {'spam_caught': 0, 'spam_total': 0, 'ham_flagged': 0, 'ham_total': 0, 'unknown': 0}
    for m in messages:
        if m.kind == 'spam':
            res['spam_total'] += 1
            res['spam_caught'] += m.sha in flagged
        else:
            res['ham_total'] += 1
            res['ham_flagged'] += m.sha in flagged
    return res


def accuracy_set(ctx):
    """The held-out messages filtered again after teaching: the first n of the mixed set's
    spam and ham, 1 : 4 like the whole set (all N when --teach-check >= N)."""
    k = min(ctx.args.teach_check, ctx.n)
    k_spam = k // 5
    spam = [m for m in ctx.mixed if m.kind == 'spam'][:k_spam]
    ham = [m for m in ctx.mixed if m.kind == 'ham'][:k - k_spam]
    keep = set(id(m) for m in spam + ham)
    return [m for m in ctx.mixed if id(m) in keep]


def phase_accuracy(ctx):
    res = {}
    if ctx.n_teach > 0:
        log('accuracy: teaching %d ham via "Spam/False Positives" + %d spam via '
            '"Spam/False Negatives", one --once pass' % (ctx.n_teach, ctx.n_teach))
        ctx.srv.reload(fp=write_set('teach-ham', ctx.teach_ham),
                       fn=write_set('teach-spam', ctx.teach_spam))
        env, _ = ss_env('teach')
        out = os.path.join(WORK, 'out', 'teach.jsonl')
        with open(out, 'w') as o:
            rc, wall, ru = run_measured([spamsieve_bin(), '--headless', '--config', ctx.conf_real,
                                         '--once', '--json'], env=env, stdout=o,
                                        stderr=open(os.path.join(WORK, 'out', 'teach.err'), 'w'))
        recs = read_records(out)
        res['learned_ham'] = sum(r.get('verdict') == 'learned-ham' for r in recs)
        res['learned_spam'] = sum(r.get('verdict') == 'learned-spam' for r in recs)
        res['teach_rc'] = rc
        res['teach_wall'] = wall
        res['bayes'] = sa_learn_counts(ctx.srv)
        log('  taught: exit %d, %d learned-ham + %d learned-spam records in %.1f s; spamd Bayes '
            'DB: %s' % (rc, res['learned_ham'], res['learned_spam'], wall, res['bayes']))
        acc = accuracy_set(ctx)
        res['set_n'] = len(acc)
        log('accuracy: %d of the held-out messages again, after teaching' % len(acc))
        ctx.srv.reload(write_set('accuracy', acc))
        saved = ctx.n
        ctx.n = len(acc)
        try:
            ok, wall, ru, info = method_a(ctx, 'acc-after')
        finally:
            ctx.n = saved
        res['after_ok'] = ok
        res['after_wall'] = wall
        res['after'] = classify(ctx.srv.maildir, ctx.by_sha)
        if getattr(ctx, 'flagged_before', None) is not None:
            res['before'] = counts_on(acc, ctx.flagged_before)
        log('  after teaching: %s (%.1f s)' % (res['after'], wall))
    ctx.acc = res




def table_rows(ctx):
    """Rows 5: before and after teaching."""
    rows = []   # (measure, figure, target, verdict, how)
    n = ctx.n
    before = getattr(ctx, 'accuracy_before', None)
    acc = getattr(ctx, 'acc', None)
    pct = lambda a, b: 100.0 * a / max(b, 1)
    if before:
        full = before[0]
        same = all(x == full for x in before)
        sub = acc.get('before') if acc and 'before' in acc else None
        b = sub or full
        rows.append(('5. Spam caught, default rules (no Bayes yet)',
                     '**%s%%** (%d/%d)' % (f1(pct(b['spam_caught'], b['spam_total'])),
                                          b['spam_caught'], b['spam_total']), '', '',
                     'spamd -L; the a run\'s verdicts, read from where it put the messages '
                     '(Spam vs INBOX, matched by SHA-1)%s. Of all N=%d: %s%% (%d/%d)%s'
                     % (' on the %d held-out messages filtered again below' % acc['set_n']
                        if sub else '', n, f1(pct(full['spam_caught'], full['spam_total'])),
                        full['spam_caught'], full['spam_total'],
                        '' if same else '; the a runs differed: %s' % before)))
        rows.append(('Ham wrongly flagged, default rules',
                     '**%s%%** (%d/%d)' % (f2(pct(b['ham_flagged'], b['ham_total'])),
                                          b['ham_flagged'], b['ham_total']), '', '',
                     'of all N: %s%% (%d/%d)' % (f2(pct(full['ham_flagged'], full['ham_total'])),
                                                full['ham_flagged'], full['ham_total'])))
    if acc and 'after' in acc:
        a = acc['after']
        bayes = acc.get('bayes', {})
        rows.append(('Spam caught after teaching %d + %d' % (ctx.n_teach, ctx.n_teach),
                     '**%s%%** (%d/%d)' % (f1(pct(a['spam_caught'], a['spam_total'])),
                                          a['spam_caught'], a['spam_total']), '', '',
                     '%d ham into "Spam/False Positives" + %d spam into "Spam/False Negatives" '
                     '(not among the N), one --once pass: %d learned-ham + %d learned-spam '
                     'records in %.1f s; spamd\'s Bayes DB then holds nham=%s nspam=%s. Then %d '
                     'held-out messages (first %d spam + %d ham of the N) filtered again'
                     % (ctx.n_teach, ctx.n_teach, acc['learned_ham'], acc['learned_spam'],
                        acc['teach_wall'], bayes.get('nham', '?'), bayes.get('nspam', '?'),
                        acc['set_n'], a['spam_total'], a['ham_total'])))
        rows.append(('Ham wrongly flagged after teaching',
                     '**%s%%** (%d/%d)' % (f2(pct(a['ham_flagged'], a['ham_total'])),
                                          a['ham_flagged'], a['ham_total']), '', '',
                     'that pass ran at %s msg/s with Bayes in use' % f1(acc['set_n'] / acc['after_wall'])))
    return rows
