"""6. Accuracy (online replay): runs replay.py twice on the same messages, the engine as built
(--train-existing + the personal learner) and today's behaviour (spamd alone, corrections
only), and writes their figures side by side: the "Accuracy" section of RESULTS.md (full
runs) or bench/work/RESULTS-accuracy.md, and the raw numbers as JSON."""

import datetime
import json
import os

from . import metrics, stream
from .maildir import FOLDERS
from .replay import Replay, store_folders
from .util import BENCH, WORK, f2, log

SECTION = '## Accuracy (online replay)'


def phase_replay(ctx):
    a = ctx.args
    items = stream.load_part(a.accuracy_part)
    ham, spam, rest = stream.split_existing(items, a.accuracy_existing, a.accuracy_n)
    whole = len(items) - len(ham) - len(spam)
    ctx.replay_setup = {'part': a.accuracy_part, 'part_size': len(items),
                        'existing_ham': len(ham), 'existing_spam': len(spam),
                        'stream': len(rest), 'stream_of': whole, 'batch': a.batch,
                        'existing_each': a.accuracy_existing,
                        'stream_spam': sum(i.kind == 'spam' for i in rest),
                        'stream_hard_ham': sum(i.hard for i in rest),
                        'baseline_settings': a.baseline_settings,
                        'learning_settings': a.learning_settings}
    log('accuracy: %s part of the corpus, %d messages: %d + %d existing, a stream of %d (%d spam)'
        % (a.accuracy_part.upper(), len(items), len(ham), len(spam), len(rest),
           ctx.replay_setup['stream_spam']))
    foreign = store_folders(ctx.srv) - set(FOLDERS)   # other phases' folders: not touched
    res = {}
    modes = set(a.replay_modes.split(','))
    for mode, train, settings in (('learning', True, a.learning_settings.replace('\\n', '\n')),
                                  ('today', False, a.baseline_settings.replace('\\n', '\n'))):
        if mode not in modes:
            continue
        r = Replay(ctx, mode, ham, spam, rest, foreign).run(a.batch, train, settings)
        if mode == 'today' and not settings:
            r['notes'].append('the learner could not be turned off (no --baseline-settings): '
                              'this is "no initial training", with the engine as built')
        res[mode] = r
        log('  [%s] %s' % (mode, one_line(r)))
    ctx.replay = res
    if len(res) == 2:
        write(ctx)
        return
    for mode, r in res.items():
        path = os.path.join(WORK, 'RESULTS-accuracy-%s.json' % mode)
        with open(path, 'w') as f:
            json.dump({'date': ctx.date, 'argv': ctx.argv, 'setup': ctx.replay_setup,
                       'results': {mode: r}}, f, indent=1, sort_keys=True)
        log('accuracy: wrote %s (one mode: no Markdown section)' % os.path.relpath(path, BENCH))


def fmt(v, digits=2):
    return '—' if v is None else ('%.*f' % (digits, v))


def one_line(s):
    return ('1-ROCA %s %%, ham in Spam %s %% (%d/%d), spam in INBOX %s %% (%d/%d), uncertain '
            '%s %%, lost %d, duplicated %d'
            % (fmt(s['roca'], 3), fmt(s['ham_fp_pct']), s['ham_fp'], s['ham'],
               fmt(s['spam_fn_pct']), s['spam_fn'], s['spam'], fmt(s['uncertain_pct']),
               s['lost'], s['duplicated']))


def rows(s):
    """(label, figure, target key or None) of one replay"""
    return [
        ('1-ROCA over "%s"' % s['rank_field'].split()[0], '%s %%' % fmt(s['roca'], 3), 'roca'),
        ('1-ROCA over spamd\'s score alone', '%s %%' % fmt(s['roca_spamd'], 3), None),
        ('ham put in Spam', '%s %% (%d/%d)' % (fmt(s['ham_fp_pct']), s['ham_fp'], s['ham']),
         'ham_fp_pct'),
        ('— easy ham put in Spam', '%s %% (%d/%d)' % (fmt(s['easy_fp_pct']), s['easy_fp'],
                                                    s['easy_ham']), None),
        ('— hard ham put in Spam', '%s %% (%d/%d)' % (fmt(s['hard_fp_pct']), s['hard_fp'],
                                                    s['hard_ham']), None),
        ('spam left in INBOX', '%s %% (%d/%d)' % (fmt(s['spam_fn_pct']), s['spam_fn'],
                                                s['spam']), 'spam_fn_pct'),
        ('uncertain', '%s %% (%d: %d ham, %d spam)' % (fmt(s['uncertain_pct']), s['uncertain'],
                                                     s['uncertain_ham'], s['uncertain_spam']),
         'uncertain_pct'),
        ('spamd\'s own verdict (score ≥ its threshold) on the same scans: ham put in Spam '
         '(hard ham) / spam left in INBOX', '%s %% (%s %%) / %s %%'
         % (fmt(s['spamd_alone']['ham_fp_pct']), fmt(s['spamd_alone']['hard_fp_pct']),
            fmt(s['spamd_alone']['spam_fn_pct'])), None),
        ('spam caught at ≤ 0.1 % ham (by rank)', '%s %%' % fmt(s['spam_caught_at_0_1'], 1),
         None),
        ('errors, 1st half / 2nd half of the stream', '%d / %d (of %d / %d)'
         % (s['errors_first_half'], s['errors_second_half'], s['first_half_n'],
            s['second_half_n']), None),
        ('no verdict / unranked', '%d / %d' % (s['no_verdict'], s['unranked']), None),
        ('corrections moved (to FP / to FN)', '%d / %d' % (s['corrections']['to_fp'],
                                                        s['corrections']['to_fn']), None),
        ('learned records (ham / spam)', '%d / %d' % (s['learned']['learned-ham'],
                                                     s['learned']['learned-spam']), None),
        ('messages lost / duplicated (counted / total)', '%d / %d (%d / %d)'
         % (s['lost'], s['duplicated'], s['counted'], s['total']), 'lost'),
        ('spamd Bayes DB at the end (nham / nspam)', '%s / %s'
         % (s['bayes_end'].get('nham', '?'), s['bayes_end'].get('nspam', '?')), None),
        ('engine CPU per streamed message (--once runs)',
         '%.1f ms' % s['engine_cpu_ms_per_msg'], None),
        ('spamsieve runs failed (training, --once)', '%d of %d' % (s['failed_runs'], s['runs']),
         None),
    ]


def targets_text():
    return ', '.join('%s ≤ %g %%' % (label, limit) for _, label, limit in metrics.TARGETS) + \
        ', 0 lost'


def render(ctx):
    su, res = ctx.replay_setup, ctx.replay
    new, old = res['learning'], res['today']
    limits = {k: v for k, _, v in metrics.TARGETS}
    out = [SECTION, '',
           'Written by `bench/run %s` on %s. A TREC-style online replay through the real engine '
           '(bench/spamsieve_bench/replay.py) against the harness\'s dovecot + spamd (`-L`, '
           'Bayes on, auto-learn off; Bayes DB emptied before each replay).'
           % (' '.join(ctx.argv), ctx.date), '',
           '- **Messages**: the %s part of the SpamAssassin public corpus (%d messages; split: '
           'first hex digit of SHA-1(file name) odd = REPORT, even = TUNE, as in '
           'tools/learner-replay; tune on TUNE only). Existing mail: all of it up to the date '
           'by which %d of each kind had arrived: %d ham (INBOX, read) and %d spam (Spam). '
           'Stream: %s in date order (%d spam, %d hard ham), APPENDed to Unfiltered %d at a '
           'time, each batch followed by `spamsieve --headless --once --json` and by a '
           'simulated user who moves every mistake in INBOX and Spam into "Spam/False '
           'Negatives" / "Spam/False Positives" (learned by the next run).'
           % (su['part'].upper(), su['part_size'], su['existing_each'],
              su['existing_ham'], su['existing_spam'],
              'the %d after them' % su['stream'] if su['stream'] == su['stream_of'] else
              '%d spread evenly over the %d after them' % (su['stream'], su['stream_of']),
              su['stream_spam'], su['stream_hard_ham'], su['batch']),
           '- **learning**: `--train-existing` once, then the engine as built%s. **today**: no '
           'initial training, corrections only%s.'
           % (' (settings: `%s`)' % su['learning_settings'] if su.get('learning_settings') else '',
              ' (settings: `%s`)' % su['baseline_settings'] if su['baseline_settings'] else ''),
           '- An error is a confident wrong verdict ("uncertain" is counted apart); the rank for '
           '1-ROCA is "logodds" (the fused value, exact where "combined" rounds to 0 or 1) '
           'where the records carry it, else "combined", else spamd\'s score. "spamd\'s '
           'own verdict" applies spamd\'s threshold to the score in the same records: what '
           'SpamSieve without a learner would have decided on those scans.',
           '- **Targets**: %s.' % targets_text(), '',
           '| Measure | learning | today | Target |', '|---|---|---|---|']
    for (label, fig, key), (_, fig_old, _) in zip(rows(new), rows(old)):
        target = ''
        if key in limits:
            target = '≤ %g %% (%s)' % (limits[key], {True: 'met', False: 'missed',
                                                     None: '—'}[metrics.target_met(new, key,
                                                                                   limits[key])])
        elif key == 'lost':
            target = '0 (%s)' % ('met' if new['lost'] == 0 and new['duplicated'] == 0
                                 else 'missed')
        out.append('| %s | %s | %s | %s |' % (label, fig, fig_old, target))
    out.append('')
    for mode in ('learning', 'today'):
        for n in res[mode]['notes']:
            out.append('- %s: %s' % (mode, n))
    out.append('')
    return '\n'.join(out)


def write(ctx):
    md = render(ctx)
    print(md)
    full = ctx.args.accuracy_n == 0 and ctx.args.accuracy_part == 'report'
    raw = {'date': ctx.date, 'argv': ctx.argv, 'setup': ctx.replay_setup,
           'targets': {k: v for k, _, v in metrics.TARGETS}, 'results': ctx.replay}
    jpath = os.path.join(BENCH, 'RESULTS-accuracy.json') if full else \
        os.path.join(WORK, 'RESULTS-accuracy.json')
    with open(jpath, 'w') as f:
        json.dump(raw, f, indent=1, sort_keys=True)
    # alone and complete: into RESULTS.md; within a whole bench/run, main() writes it
    mpath = os.path.join(BENCH, 'RESULTS.md') if full and ctx.args.phases == {'replay'} else \
        os.path.join(WORK, 'RESULTS-accuracy.md')
    replace_section(mpath, md)
    log('accuracy: wrote %s and %s' % (os.path.relpath(mpath, BENCH),
                                       os.path.relpath(jpath, BENCH)))
    ctx.replay_md = md


def replace_section(path, md):
    """Puts the section into the file in place of the old one (else at its end)."""
    text = open(path).read() if os.path.exists(path) else ''
    start = text.find(SECTION)
    if start < 0:
        text = text.rstrip('\n') + ('\n\n' if text else '') + md + '\n'
    else:
        # the section ends at the next heading or at the raw figures of the whole run
        ends = [e for e in (text.find('\n## ', start + len(SECTION)),
                            text.find('\n<details>', start + len(SECTION))) if e >= 0]
        end = min(ends) + 1 if ends else len(text)
        text = text[:start] + md + '\n' + text[end:]
    with open(path, 'w') as f:
        f.write(text)
