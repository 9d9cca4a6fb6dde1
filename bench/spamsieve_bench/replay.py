"""6. Accuracy: a TREC-style online replay through the real engine (see stream.py for the
messages and the split).

One replay: spamd's Bayes DB and every folder emptied; the existing mail APPENDed (read ham in
INBOX, spam in Spam); `spamsieve --headless --config F --train-existing` once (when the binary
has it and the mode trains); then the stream arrives in Unfiltered in date order, BATCH at a
time, each batch followed by `spamsieve --headless --config F --once --json` and by the
simulated user, who reads INBOX and Spam and moves every mistake into the learning folders
("Spam/False Negatives", "Spam/False Positives"), marking the ham in INBOX read; the next run
learns them. Each message's verdict and rank come from the first record of its scan (all of
them in bench/work/out/acc-MODE-items.jsonl). At the end one more --once learns the last
corrections, and every folder is counted."""

import json
import os
import re
import subprocess

from . import metrics
from .accuracy import sa_learn_counts
from .imapuser import User
from .maildir import FOLDERS
from .spamsieve import read_records, spamsieve_bin, ss_env, write_settings
from .util import WORK, log, output, run_measured

MID = re.compile(rb'^Message-ID:[ \t]*(\S+)', re.I | re.M)
SCANNED = ('spam', 'ham', 'uncertain', 'skipped', 'unscanned')


def has_option(option):
    return option in output([spamsieve_bin(), '--headless', '--help']) + \
        output([spamsieve_bin(), '--help'])


def reset_spamd(srv):
    """An empty Bayes DB (and auto-welcomelist) for each replay."""
    st = os.stat(srv.spamd_dir)
    env = dict(os.environ, HOME=os.path.join(srv.spamd_dir, 'home'), LC_ALL='C')
    subprocess.run(['setpriv', '--reuid=%d' % st.st_uid, '--regid=%d' % st.st_gid,
                    '--clear-groups', '--', 'sa-learn', '--dbpath',
                    os.path.join(srv.spamd_dir, 'bayes', 'bayes'), '--clear'], env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    bdir = os.path.join(srv.spamd_dir, 'bayes')
    for n in os.listdir(bdir):
        if n.startswith('awl'):
            os.unlink(os.path.join(bdir, n))


def store_folders(srv):
    """The folders of the store, from its directories (Maildir++: ".A.B" is "A/B")."""
    root = srv.maildir.root
    return set(n[1:].replace('.', '/') for n in os.listdir(root)
               if n.startswith('.') and os.path.isdir(os.path.join(root, n)))


def reset_store(srv, foreign):
    """Every folder of the store but the foreign ones (another phase's, e.g. the idle
    engine's, which may still be open) emptied with dovecot's index of it; the five created."""
    for folder in store_folders(srv) - foreign:
        srv.maildir.clear(folder)
    srv.create_empty(FOLDERS)


class Replay:
    def __init__(self, ctx, mode, existing_ham, existing_spam, stream, foreign):
        self.ctx, self.mode, self.srv, self.foreign = ctx, mode, ctx.srv, foreign
        self.ex_ham, self.ex_spam, self.stream = existing_ham, existing_spam, stream
        self.label = {i.bid: i for i in existing_ham + existing_spam + stream}
        self.first = {}        # bid -> first scan record
        self.runs = []         # (what, exit code, wall, cpu)
        self.notes = []
        self.learned = {'learned-ham': 0, 'learned-spam': 0}
        self.corrections = {'to_fp': 0, 'to_fn': 0}
        self.unmatched = 0
        mids = {}
        for it in stream:
            m = MID.search(it.data.split(b'\n\n', 1)[0])
            if m:
                mids.setdefault(m.group(1).decode('latin-1').strip('<> '), []).append(it.bid)
        self.by_mid = {k: v[0] for k, v in mids.items() if len(v) == 1}   # unique ones only

    def spamsieve(self, what, extra_args, tag):
        out = os.path.join(WORK, 'out', 'acc-%s-%s.jsonl' % (self.mode, tag))
        err = os.path.join(WORK, 'out', 'acc-%s-%s.err' % (self.mode, tag))
        with open(out, 'w') as o, open(err, 'w') as e:
            rc, wall, ru = run_measured([spamsieve_bin(), '--headless', '--config', self.conf]
                                        + extra_args, env=self.env, stdout=o, stderr=e)
        self.runs.append((what, rc, wall, ru.ru_utime + ru.ru_stime))
        if rc != 0:
            log('  %s: exit %d (see %s)' % (what, rc, os.path.relpath(err, WORK)))
        return rc, out, err

    def record_batch(self, path, unfiltered):
        """Keeps the first scan record of each message; counts the learned ones."""
        for r in read_records(path):
            v = r.get('verdict')
            if v in self.learned:
                self.learned[v] += 1
                continue
            if v not in SCANNED:
                continue
            bid = unfiltered.get(r.get('uid')) if r.get('folder') == 'Unfiltered' else None
            if bid is None:
                bid = self.by_mid.get((r.get('message_id') or '').strip('<> '))
            if bid is None:
                self.unmatched += 1
                continue
            self.first.setdefault(bid, r)

    def user_pass(self, user):
        """Reads INBOX and Spam; moves every mistake into the learning folders."""
        inbox = user.ids('INBOX')
        wrong = [u for u, b in inbox.items() if b in self.label and self.label[b].kind == 'spam']
        ham = [u for u, b in inbox.items() if u not in wrong]
        if ham:
            user.mark_seen(ham)
        if wrong:
            user.move(wrong, 'Spam/False Negatives')
        self.corrections['to_fn'] += len(wrong)
        spam = user.ids('Spam')
        wrong = [u for u, b in spam.items() if b in self.label and self.label[b].kind == 'ham']
        if wrong:
            user.move(wrong, 'Spam/False Positives')
        self.corrections['to_fp'] += len(wrong)

    def run(self, batch, train, settings=''):
        srv = self.srv
        log('accuracy [%s]: emptying Bayes and the folders; existing mail %d ham (INBOX, read) '
            '+ %d spam (Spam); stream %d in batches of %d'
            % (self.mode, len(self.ex_ham), len(self.ex_spam), len(self.stream), batch))
        reset_spamd(srv)
        reset_store(srv, self.foreign)
        self.env, _ = ss_env('acc-' + self.mode)
        self.conf = write_settings(os.path.join(WORK, 'acc-%s.conf' % self.mode), srv,
                                   srv.spamd_address, extra=settings)
        user = User(srv)
        try:
            user.append('INBOX', self.ex_ham, seen=True)
            user.append('Spam', self.ex_spam)
            if train and has_option('--train-existing'):
                rc, out, err = self.spamsieve('train-existing', ['--train-existing'], 'train')
                summary = open(out).read().strip().splitlines()[-1:] or \
                    open(err).read().strip().splitlines()[-1:]
                self.notes.append('--train-existing: exit %d in %.1f s: %s'
                                  % (rc, self.runs[-1][2], summary[0] if summary else ''))
            elif train:
                self.notes.append('--train-existing skipped: this spamsieve has no such '
                                  'option (spamsieve --headless --help)')
            else:
                self.notes.append('no initial training (today\'s behaviour)')
            b = sa_learn_counts(srv)
            self.notes[-1] += '; spamd Bayes DB then %s' % (
                'nham=%s nspam=%s' % (b.get('nham'), b.get('nspam')) if b else 'empty')
            log('  ' + self.notes[-1])
            for k in range(0, len(self.stream), batch):
                user.append('Unfiltered', self.stream[k:k + batch])
                unfiltered = user.ids('Unfiltered')
                rc, out, _ = self.spamsieve('once', ['--once', '--json'], 'b%04d' % (k // batch))
                self.record_batch(out, unfiltered)
                self.user_pass(user)
                if (k // batch) % 5 == 4 or k + batch >= len(self.stream):
                    log('  [%s] %d/%d scanned, %d corrections so far'
                        % (self.mode, len(self.first), len(self.stream),
                           sum(self.corrections.values())))
            rc, out, _ = self.spamsieve('final learning pass', ['--once', '--json'], 'final')
            self.record_batch(out, {})
            census = user.census(self.foreign)
        finally:
            user.close()
        return self.result(census)

    def result(self, census):
        # "combined" is null for a message not scanned: such are counted as unranked.
        # Ranked by "logodds" where the records have it: "combined" rounds to 0 or 1 (ties).
        items = []
        field = next((f for f in ('logodds', 'combined')
                      if any(r.get(f) is not None for r in self.first.values())), 'score')
        uses_combined = field != 'score'
        for pos, it in enumerate(self.stream):
            r = self.first.get(it.bid, {})
            rank = r.get(field)
            items.append({'kind': it.kind, 'hard': it.hard, 'verdict': r.get('verdict'),
                          'rank': rank, 'score': r.get('score'), 'pos': pos})
        with open(os.path.join(WORK, 'out', 'acc-%s-items.jsonl' % self.mode), 'w') as f:
            for it, i in zip(self.stream, items):
                r = self.first.get(it.bid, {})
                f.write(json.dumps({'bid': it.bid, 'file': '%s/%s' % (it.group, it.name),
                                    'kind': it.kind, 'hard': it.hard, 'pos': i['pos'],
                                    'verdict': i['verdict'], 'score': i['score'],
                                    'threshold': r.get('threshold'),
                                    'combined': r.get('combined'), 'logodds': r.get('logodds'),
                                    'learner': r.get('learner')}) + '\n')
        s = metrics.summarize(items)
        # what spamd alone decided on the same scans (score >= its threshold): today's verdict
        alone = [dict(i, verdict=None if r.get('score') is None or r.get('threshold') is None
                      else 'spam' if r['score'] >= r['threshold'] else 'ham')
                 for i, r in ((i, self.first.get(it.bid, {})) for i, it in zip(items, self.stream))]
        a = metrics.summarize(alone)
        s['spamd_alone'] = {k: a[k] for k in ('ham_fp', 'ham_fp_pct', 'hard_fp', 'hard_fp_pct',
                                              'spam_fn', 'spam_fn_pct', 'no_verdict')}
        s['rank_field'] = field if uses_combined else 'score (spamd; no "combined" in the ' \
                                                      'records)'
        s['roca_spamd'] = metrics.one_minus_roca([(i['score'], i['kind'] == 'spam')
                                                  for i in items if i['score'] is not None])
        seen = {}
        for folder, bids in census.items():
            for b in bids:
                seen[b] = seen.get(b, 0) + 1
        s['total'] = len(self.label)
        s['counted'] = sum(seen.values())
        s['lost'] = sum(1 for b in self.label if b not in seen)
        s['duplicated'] = sum(c - 1 for b, c in seen.items() if c > 1)
        s['unlabelled'] = sum(c for b, c in seen.items() if b not in self.label)
        s['folders'] = {f: len(b) for f, b in census.items()}
        s['learned'] = dict(self.learned)
        s['corrections'] = dict(self.corrections)
        s['unmatched_records'] = self.unmatched
        s['notes'] = list(self.notes)
        once = [r for r in self.runs if r[0] == 'once']
        s['runs'] = len(self.runs)
        s['failed_runs'] = sum(1 for r in self.runs if r[1] != 0)
        s['scan_wall'] = sum(r[2] for r in once)
        s['engine_cpu_ms_per_msg'] = 1000.0 * sum(r[3] for r in once) / max(len(self.stream), 1)
        try:
            s['bayes_end'] = sa_learn_counts(self.srv)
        except (OSError, ValueError):
            s['bayes_end'] = {}
        return s
