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


def read_words(characters, lexicon=None, allowed=None):
    """``characters`` (:class:`ocr_cli.pipeline.records.Characters`, classified) with the
    class read for each (``choice``), word by word (see :func:`readings`), and the
    probability of each one's word as finally read (``word_confidence``). ``allowed``: a
    boolean mask over the classes (``--chars``), None for all."""
    choice, word_confidence = readings(characters.probs, characters.classes, characters.line, characters.word,
                                       lexicon, allowed)
    return characters.replace(choice=choice, word_confidence=word_confidence)


def choose(probs, classes, line, word, lexicon=None, allowed=None):
    """Class index per character ``(K,)`` (see :func:`readings`)."""
    return readings(probs, classes, line, word, lexicon, allowed)[0]


def logsumexp(values):
    values = np.asarray(values, float)
    top = values.max() if len(values) else -np.inf
    return top + np.log(np.exp(values - top).sum()) if np.isfinite(top) else -np.inf


# The prior of a known word: a word of letters, KNOWN_ODDS times likelier one of the list's.
KNOWN_PRIOR = float(np.log(WORD_PRIORS["letters"] * KNOWN_ODDS))


def kind_scores(probs, pooled, kinds, lexicon=None):
    """How well one word's characters (``probs: (K, C)``, ``pooled`` the same with
    look-alikes pooled, :func:`pool_look_alikes`) read as each kind of word (``kinds``:
    the classes each allows, :func:`word_kinds`): ``scores[kind]``, the log of the
    kind's prior times the product over the characters of the best probability it
    allows them (within letters or digits, pooled); ``totals[kind]``, the same with the
    sum of what it allows; ``evidence[kind]``, the probabilities it allows; and with a
    ``lexicon``, the known words of the word's length and their log-probabilities
    (``words``, ``word_scores``; the kind ``known`` if there are any)."""
    scores, totals, evidence = {}, {}, {}
    for kind, prior in WORD_PRIORS.items():
        evidence[kind] = p = (probs if kind == "mixed" else pooled) * kinds[kind]
        scores[kind] = np.log(prior) + np.log(np.maximum(p.max(1), 1e-12)).sum()
        totals[kind] = np.log(prior) + np.log(np.maximum(p.sum(1), 1e-300)).sum()
    log_pooled = np.log(np.maximum(pooled * kinds["letters"], 1e-12))
    words, word_scores = lexicon.scores(log_pooled) if lexicon else (None, None)
    if words is not None and len(words):
        scores["known"] = KNOWN_PRIOR + word_scores.max()
        totals["known"] = KNOWN_PRIOR + logsumexp(word_scores)
    return scores, totals, evidence, words, word_scores


def readings(probs, classes, line, word, lexicon=None, allowed=None):
    """Class index per character ``(K,)``, choosing for each word whether it is a known
    word of ``lexicon`` (:class:`ocr_cli.pipeline.lexicon.Lexicon`), other letters, digits or
    mixed: the kind with the largest prior x product over its characters of the best
    probability that kind allows. Within letters or digits, look-alike pairs share
    their probability (:func:`pool_look_alikes`); a mixed reading takes each character
    as the network scored it. A word made only of look-alikes (``100``, ``IO``) has
    nothing to tell its kind and is read as the network scored it; punctuation marks
    stay as read and do not count. ``probs: (K, C)``; ``allowed``: classes that may be
    read (a boolean mask; None: all).

    Also the probability of each character's word as finally read ``(K,)``: per part
    of the word between punctuation (an apostrophe does not part a word), the posterior of the reading chosen under the same
    model that chose it (each kind's prior times the product of the probabilities it
    gives the characters, summed over the kinds that allow the reading, over the same
    sum for every reading of every kind), times the confidence of each punctuation mark."""
    kinds = word_kinds(classes)
    if allowed is not None:
        kinds = {kind: mask & allowed for kind, mask in kinds.items()}
    pooled = pool_look_alikes(probs, classes)
    choice = probs.argmax(1) if len(probs) else np.zeros(0, int)
    contribution = probs[np.arange(len(probs)), choice] if len(probs) else np.zeros(0)
    look_alike = np.isin(np.array(list(classes)), list("".join(LOOK_ALIKES)))
    alnum = word_kinds(classes)["mixed"]
    # A word's parts lie between its punctuation marks, but for an apostrophe: the letters
    # on both sides of it make one word (MAX'S, DON'T), read as one kind.
    apostrophe = np.array([c == "'" for c in classes])
    part = np.cumsum(~alnum[choice] & ~apostrophe[choice]) if len(probs) else np.zeros(0, int)
    keys = np.stack([line, word, part], 1) if len(probs) else np.zeros((0, 3), int)
    for key in np.unique(keys, axis=0):
        members = np.nonzero((keys == key).all(1))[0]
        members = members[alnum[choice[members]]]  # letters and digits only
        if not len(members):
            continue
        if look_alike[choice[members]].all():
            contribution[members] = probs[members, choice[members]]
            continue
        scores, totals, evidence, words, word_scores = kind_scores(probs[members], pooled[members], kinds, lexicon)
        kind = max(scores, key=scores.get)
        if kind == "known":
            choice[members] = words[int(word_scores.argmax())]
        else:
            choice[members] = np.where(kinds[kind], evidence[kind], -1).argmax(1)
        read = choice[members]
        favour = [np.log(WORD_PRIORS[k]) + np.log(np.maximum(evidence[k][np.arange(len(read)), read], 1e-300)).sum()
                  for k in WORD_PRIORS if kinds[k][read].all()]
        if words is not None and len(words) and (words == read).all(1).any():
            favour.append(KNOWN_PRIOR + word_scores[(words == read).all(1)][0])
        contribution[members] = 0.0
        contribution[members[0]] = min(1.0, float(np.exp(logsumexp(favour) - logsumexp(list(totals.values())))))
        contribution[members[1:]] = 1.0
    word_confidence = np.zeros(len(probs))
    for key in np.unique(keys[:, :2], axis=0) if len(probs) else []:
        members = np.nonzero((keys[:, :2] == key).all(1))[0]
        word_confidence[members] = np.prod(contribution[members])
    return choice, word_confidence
