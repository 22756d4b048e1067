"""Reading a photo: find the characters, crop them, classify them in one batch.

Stages, each with its own type: image (:class:`ocr_cli.images.Page`) -> segmentation
(:class:`ocr_cli.segment.Letters`, with its working images) -> recognition
(:class:`Reading`) -> records (:mod:`ocr_cli.report`).
"""

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ocr_cli.crop import crop_letters
from ocr_cli.errors import InputError, OcrError
from ocr_cli.images import Page, load_page
from ocr_cli.resegment import reread
from ocr_cli.segment import segment


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
    """Boolean class masks ``(C,)`` allowed by each kind of word."""
    digits = np.array([c.isdigit() for c in classes])
    return {"letters": ~digits, "digits": digits, "mixed": np.ones(len(classes), bool)}


def pool_look_alikes(probs, classes):
    """``probs: (K, C)`` with each look-alike's probability added to its twin's, so that
    within letters (or digits) an ``O`` scores what the shape says of ``O`` or ``0``."""
    pooled = probs.copy()
    for a, b in LOOK_ALIKES:
        if a in classes and b in classes:
            i, j = classes.index(a), classes.index(b)
            pooled[:, i] = pooled[:, j] = probs[:, i] + probs[:, j]
    return pooled


def read_words(probs, classes, line, word, lexicon=None):
    """Class index per character ``(K,)``, choosing for each word whether it is a known
    word of ``lexicon`` (:class:`ocr_cli.lexicon.Lexicon`), other letters, digits or
    mixed: the kind with the largest prior x product over its characters of the best
    probability that kind allows. Within letters or digits, look-alike pairs share
    their probability (:func:`pool_look_alikes`); a mixed reading takes each character
    as the network scored it. A word made only of look-alikes (``100``, ``IO``) has
    nothing to tell its kind and is read as the network scored it. ``probs: (K, C)``."""
    kinds = word_kinds(classes)
    pooled = pool_look_alikes(probs, classes)
    choice = probs.argmax(1) if len(probs) else np.zeros(0, int)
    look_alike = np.isin(np.array(list(classes)), list("".join(LOOK_ALIKES)))
    keys = np.stack([line, word], 1) if len(probs) else np.zeros((0, 2), int)
    for key in np.unique(keys, axis=0):
        members = np.nonzero((keys == key).all(1))[0]
        if look_alike[choice[members]].all():
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


@dataclass
class Reading:
    """The result of :func:`read_page`: the found ``letters`` (boxes, lines, words), the
    network inputs ``crops: (K, 1024)``, their class probabilities ``probs: (K, C)``,
    the model's ``classes`` and ``choice: (K,)``, the class index read for each
    character word by word (see :func:`read_words`). A page found but not classified
    has ``probs`` and ``choice`` of no columns and ``classes`` empty."""

    letters: object
    crops: np.ndarray
    probs: np.ndarray
    classes: str
    choice: np.ndarray

    @property
    def labels(self):
        return [self.classes[i] for i in self.choice]

    @property
    def confidence(self):
        """The network's probability of each character's chosen label."""
        return self.probs[np.arange(len(self.probs)), self.choice]

    def top(self, k=3):
        """Per character, the ``k`` most likely ``(label, probability)`` pairs as the
        network scored them (before word context)."""
        best = np.argsort(-self.probs, axis=1)[:, :k]
        return [[(self.classes[j], float(p[j])) for j in row] for row, p in zip(best, self.probs)]

    def lines(self, min_confidence=0.0):
        """The text as lines of words; characters under ``min_confidence`` become ``?``."""
        labels = [c if p >= min_confidence else "?" for c, p in zip(self.labels, self.confidence)]
        out = []
        for line in range(int(self.letters.line.max()) + 1 if len(labels) else 0):
            in_line = np.nonzero(self.letters.line == line)[0]
            words = {}
            for k in in_line:
                words.setdefault(int(self.letters.word[k]), []).append(labels[k])
            out.append(" ".join("".join(chars) for chars in words.values()))
        return out

    def text(self, min_confidence=0.0):
        return "\n".join(self.lines(min_confidence))

    def characters(self):
        """One dict per character: box, line, word, label, confidence, top-3."""
        return [
            {"box": [int(v) for v in box], "line": int(line), "word": int(word), "label": label,
             "confidence": float(conf), "top3": [{"label": c, "p": p} for c, p in top]}
            for box, line, word, label, conf, top in zip(self.letters.boxes, self.letters.line, self.letters.word,
                                                         self.labels, self.confidence, self.top(3))
        ]




def read_image(image, model=None, lexicon=None):
    """Reads the text of ``image`` (a path or an image array) with ``model`` (default:
    the shipped one) and ``lexicon`` (default: the shipped English word list; an empty
    :class:`ocr_cli.lexicon.Lexicon` reads without one). A plain function of its
    arguments, safe to run in other processes."""
    from ocr_cli.lexicon import english
    from ocr_cli.model import load_model

    model = model if model is not None else load_model()
    lexicon = lexicon if lexicon is not None else english(model.classes)
    page = load_page(image) if isinstance(image, (str, Path)) else Page(image, 1.0, None)
    return read_page(page, model, lexicon)


def read_page(page, model, lexicon=None):
    """Finds, crops and reads the characters of ``page`` (:class:`ocr_cli.images.Page`)
    -> :class:`Reading`, whose words are read with ``lexicon`` (None: none). With
    ``model`` None the characters are found only: no crops, no classes."""
    letters, working = segment(*page)
    if model is None:
        return Reading(letters, None, np.zeros((len(letters), 0)), "", np.zeros(len(letters), int))
    crops = crop_letters(working)
    probs = model.predict_proba(crops)
    if not np.isfinite(probs).all():
        raise OcrError("model: its outputs overflow (not finite numbers): its weights are too large to read with")
    letters, working, crops, probs = reread(letters, working, crops, probs, model)
    letters, crops, probs, classes = drop_not_characters(letters, crops, probs, model.classes)
    return Reading(letters, crops, probs, classes, read_words(probs, classes, letters.line, letters.word, lexicon))


class PageReader:
    """The work of ``ocr read`` and ``ocr find-letters`` on one photo, made to be sent
    to worker processes: the model (``model_path``, None: the shipped one) and the
    word list (``lexicon_path``, None: the shipped English one; ``use_lexicon`` False:
    none) are loaded on first use, once per process, and left behind when the reader
    is pickled; ``classify`` False only finds the characters. ``figures``: where to
    draw the boxes (and labels) over each photo (named ``figure_name`` in a folder),
    ``crops``: where to show the crops
    as the network sees them (see :func:`ocr_cli.plots.figure_path`); ``several``:
    whether several photos are read (figures then go into folders)."""

    def __init__(self, model_path=None, lexicon_path=None, use_lexicon=True, figures=None, several=False,
                 classify=True, crops=None, figure_name="read"):
        self.model_path, self.lexicon_path, self.use_lexicon = model_path, lexicon_path, use_lexicon
        self.figures, self.several, self.classify, self.crops = figures, several, classify, crops
        self.figure_name = figure_name
        self.loaded = None

    def __getstate__(self):
        return dict(self.__dict__, loaded=None)

    def load(self):
        """``(model, lexicon)``, loaded the first time (``(None, None)`` when not
        classifying)."""
        from ocr_cli.lexicon import Lexicon, english
        from ocr_cli.model import load_model

        if self.loaded is None and not self.classify:
            self.loaded = None, None
        elif self.loaded is None:
            model = load_model(self.model_path)
            if not self.use_lexicon:
                lexicon = Lexicon([], model.classes)
            elif self.lexicon_path is not None:
                lexicon = Lexicon.from_file(self.lexicon_path, model.classes)
            else:
                lexicon = english(model.classes)
            self.loaded = model, lexicon
        return self.loaded

    def source(self):
        """What made the readings: ``{"version", "model": {"name", "sha256"}}``."""
        from importlib.metadata import PackageNotFoundError, version

        from ocr_cli.data import sha256
        from ocr_cli.model import default_model_path

        path = Path(self.model_path) if self.model_path is not None else default_model_path()
        try:
            number = version("ocr-cli")
        except PackageNotFoundError:
            number = "unknown"
        return {"version": number, "model": {"name": path.name, "sha256": sha256(path)} if self.classify else None}

    def __call__(self, path):
        """The :class:`Reading` of the photo at ``path``, without the crops (they need
        not travel back from a worker)."""
        model, lexicon = self.load()
        page = load_page(path)
        try:
            reading = read_page(page, model, lexicon)
        except InputError as error:  # what is wrong with the page is wrong with this file
            raise InputError(path, error.problem) from None
        if self.figures is not None or self.crops is not None:
            from ocr_cli.plots import figure_path, plot_boxes, plot_crops

            if self.figures is not None:
                plot_boxes(page.gray, reading.letters, figure_path(self.figures, path, self.figure_name, self.several),
                           reading.labels if model else None, page.factor,
                           reading.confidence if model else None, Path(path).name)
            if self.crops is not None:
                plot_crops(reading.crops, reading.labels, figure_path(self.crops, path, "crops", self.several))
        return replace(reading, crops=None)


def drop_not_characters(letters, crops, probs, classes):
    """Drops the characters a model with a "not a character" output
    (:data:`ocr_cli.NOT_A_CHARACTER`) scores as that; returns the kept ``letters``,
    ``crops``, the probabilities of the kept over the real classes (renormalised) and
    those classes. A model without that output changes nothing."""
    from ocr_cli import NOT_A_CHARACTER

    junk = classes.find(NOT_A_CHARACTER)
    if junk < 0:
        return letters, crops, probs, classes
    keep = probs.argmax(1) != junk
    real = np.delete(probs[keep], junk, axis=1)
    real /= np.maximum(real.sum(1, keepdims=True), 1e-12)
    return letters.subset(keep), None if crops is None else crops[keep], real, classes.replace(NOT_A_CHARACTER, "")
