"""Word context: each written word is read as a known word, letters, digits or a mix,
whichever the network's probabilities and prior odds make likeliest.

Letters and digits written with the same strokes (O and 0, I and 1) cannot be told
apart by their shape; the word they stand in can. A word of letters may also be one of
a word list's (:mod:`ocr_cli.pipeline.lexicon`).
"""

import numpy as np

# How often a written word is all letters, all digits, or a mix (codes such as B7):
# prior odds for reading a word one way; the network's probabilities must outweigh them.
WORD_PRIORS = {"letters": 0.6, "digits": 0.3, "mixed": 0.1}
# With a lexicon, how many times likelier a word of letters is to be one of its words
# than a string it lacks (a name, an abbreviation, the alphabet): the odds against which
# an unknown reading loses to a known word. Chosen on 40 pages of nist36_valid glyphs
# (odds 3 to 20 read 96.7-97.2% of their characters; 8 and 12 best).
KNOWN_ODDS = 8.0


# Letters and digits hand-printed with the same strokes (a loop, a bar): the shape alone
# cannot tell them apart, the word can. (S/5, Z/2, B/8, G/6, Q/9 differ by a stroke the
# network sees, and are left to the word priors alone.)
LOOK_ALIKES = ("O0", "I1")


def word_kinds(classes):
    """Boolean class masks ``(C,)`` allowed by each kind of word (punctuation is of
    none: it stays as read)."""
    digits = np.array([c.isdigit() for c in classes])
    letters = np.array([c.isalpha() for c in classes])
    return {"letters": letters, "digits": digits, "mixed": letters | digits}


def pool_look_alikes(probs, classes):
    """``probs: (K, C)`` with each look-alike's probability added to its twin's, so that
    within letters (or digits) an ``O`` scores what the shape says of ``O`` or ``0``."""
    pooled = probs.copy()
    for a, b in LOOK_ALIKES:
        if a in classes and b in classes:
            i, j = classes.index(a), classes.index(b)
            pooled[:, i] = pooled[:, j] = probs[:, i] + probs[:, j]
    return pooled


def read_words(characters, lexicon=None):
    """``characters`` (:class:`ocr_cli.pipeline.records.Characters`, classified) with the
    class read for each (``choice``), word by word (see :func:`choose`)."""
    return characters.replace(choice=choose(characters.probs, characters.classes, characters.line, characters.word,
                                            lexicon))


def choose(probs, classes, line, word, lexicon=None):
    """Class index per character ``(K,)``, choosing for each word whether it is a known
    word of ``lexicon`` (:class:`ocr_cli.pipeline.lexicon.Lexicon`), other letters, digits or
    mixed: the kind with the largest prior x product over its characters of the best
    probability that kind allows. Within letters or digits, look-alike pairs share
    their probability (:func:`pool_look_alikes`); a mixed reading takes each character
    as the network scored it. A word made only of look-alikes (``100``, ``IO``) has
    nothing to tell its kind and is read as the network scored it; punctuation marks
    stay as read and do not count. ``probs: (K, C)``."""
    kinds = word_kinds(classes)
    pooled = pool_look_alikes(probs, classes)
    choice = probs.argmax(1) if len(probs) else np.zeros(0, int)
    look_alike = np.isin(np.array(list(classes)), list("".join(LOOK_ALIKES)))
    part = np.cumsum(~kinds["mixed"][choice]) if len(probs) else np.zeros(0, int)
    keys = np.stack([line, word, part], 1) if len(probs) else np.zeros((0, 3), int)
    for key in np.unique(keys, axis=0):
        members = np.nonzero((keys == key).all(1))[0]
        members = members[kinds["mixed"][choice[members]]]  # letters and digits only
        if not len(members) or look_alike[choice[members]].all():
            continue
        scores = {}
        for kind, prior in WORD_PRIORS.items():
            p = probs[members] if kind == "mixed" else pooled[members]
            scores[kind] = np.log(prior) + np.log(np.maximum((p * kinds[kind]).max(1), 1e-12)).sum()
        known, score = lexicon.best(np.log(np.maximum(pooled[members], 1e-12))) if lexicon else (None, -np.inf)
        scores["known"] = np.log(WORD_PRIORS["letters"] * KNOWN_ODDS) + score
        kind = max(scores, key=scores.get)
        if kind == "known":
            choice[members] = known
        else:
            p = probs[members] if kind == "mixed" else pooled[members]
            choice[members] = np.where(kinds[kind], p, -1).argmax(1)
    return choice
