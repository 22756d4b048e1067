"""Reading a photo, stage by stage; each stage takes the page's
:class:`~ocr_cli.pipeline.records.Characters` and returns new ones::

    1. decode      (images)     the photo at the scale its characters need
    2. orient      (orient)     the turn that sets its lines level and upright
    3. segment     (segment)    marks, lines (each its own direction) and blocks in reading order
    4. lattice     (lattice)    every way of reading each line's atoms scored by the network
                                in one batch; the best path: characters, punctuation,
                                what is not a character left out; words from the line's gaps
    5. words       (context)    each word read as a known word, letters, digits or mixed
    6. print       (printed)    lines of print (a form's labels) told from handwriting;
                                lines read with little confidence (clutter) left out
    7. page        (records)    boxes in the photo's pixels: the Page every output renders
"""

from pathlib import Path

import numpy as np

from ocr_cli.errors import InputError
from ocr_cli.layout import NOT_A_CHARACTER, characters_only
from ocr_cli.pipeline.charset import allowed_mask, restricted
from ocr_cli.pipeline.context import read_words
from ocr_cli.pipeline.crop import crop
from ocr_cli.pipeline.images import Photo, load_photo
from ocr_cli.pipeline.orient import orientation
from ocr_cli.pipeline.printed import printed_lines
from ocr_cli.pipeline.records import page_of
from ocr_cli.pipeline.lattice import PUNCTUATION, as_found, finite, read_lines
from ocr_cli.pipeline.segment import segment


def final_look(model, characters):
    """``characters`` read through the lattice with the probabilities of those the
    network read as ``model`` gives them (with its test-time shifts, which the lattice
    spares its many candidates), and an error if they overflow."""
    network = np.flatnonzero(characters.probs[:, :len(model.classes)].sum(1) > 0) if len(characters) else []
    probs = characters.probs.copy()
    if len(network) and model.metadata.get("average_shifts"):
        real = characters_only(model.predict_proba(characters.crops[network]), model.classes)
        probs[network, :real.shape[1]] = real / np.maximum(real.sum(1, keepdims=True), 1e-12)
    return characters.replace(probs=finite(probs))


def drop_not_characters(characters):
    """``characters`` less those a model with a "not a character" output
    (:data:`ocr_cli.layout.NOT_A_CHARACTER`) scores as that; the probabilities of the
    rest renormalised over the real classes. A model without that output changes
    nothing."""
    junk = characters.classes.find(NOT_A_CHARACTER)
    if junk < 0:
        return characters
    kept = characters.subset(characters.probs.argmax(1) != junk)
    real = characters_only(kept.probs, characters.classes)
    real /= np.maximum(real.sum(1, keepdims=True), 1e-12)
    return kept.replace(probs=real, classes=characters.classes.replace(NOT_A_CHARACTER, ""))


# A page whose characters the network reads with a median confidence under this is
# not to be trusted: hand-printed capitals and digits read at a median of 0.84-0.91
# (the sample pages, the development photos), lower-case print, cursive and scenes
# without text at 0.3-0.7 (python bench/bench_warning.py) ...
LEGIBLE = 0.75
# ... over at least this many characters (one or two say too little).
LEAST_READ = 3


def by_network(characters):
    """Which of the read ``characters`` the network read (punctuation, read by its
    shape, is not)."""
    return characters.choice < len(characters.classes) - len(PUNCTUATION)


def legibility(characters):
    """Why the characters read are not to be trusted (their median confidence is
    under LEGIBLE), or None. Punctuation, read by its shape, does not count."""
    if characters.choice is None:
        return None
    confidence = characters.confidence[by_network(characters)]
    if len(confidence) < LEAST_READ or np.median(confidence) >= LEGIBLE:
        return None
    return (f"cannot read this page: its characters read with a median confidence of {np.median(confidence):.2f}"
            " (not hand-printed capitals and digits, or too faint)")


# A line whose characters the network reads with a median confidence under this is no
# writing (the sides of a form's empty boxes, a face, a door knob, the edge of a note):
# on the development photos lines of hand-printed capitals read at 0.45 and up, such
# marks at 0.05-0.25. Its characters are left out where others are left
# (:func:`without_clutter`; the page's legibility is judged on everything read).
LINE_DOUBT = 0.3


# A line of at least STRIPES characters, STRIPED of them read as a lone upright stroke
# (I or 1), is a row of stripes (a curtain's folds, blinds, a fence, the edge of a
# keyboard), not writing: words and numbers hold other letters and digits.
STRIPES, STRIPED = 5, 0.8


def doubtful_lines(characters):
    """Which characters stand on a line whose characters (punctuation, read by its
    shape, aside) read with a median confidence under LINE_DOUBT, or as strokes (at
    least STRIPES of them, STRIPED of them an I or a 1)."""
    doubtful = np.zeros(len(characters), bool)
    if characters.choice is None or not len(characters):
        return doubtful
    network = by_network(characters)
    strokes = np.isin(np.array(list(characters.classes)), list("I1"))[characters.choice]
    for line in np.unique(characters.line):
        on_line = characters.line == line
        read = on_line & network
        striped = read.sum() >= STRIPES and strokes[read].mean() >= STRIPED
        doubtful[on_line] = read.any() and (np.median(characters.confidence[read]) < LINE_DOUBT or striped)
    return doubtful


def without_clutter(characters):
    """``characters`` less those of :func:`doubtful_lines`, unless fewer than LEAST_READ
    characters are left: a page that is all doubt keeps everything (and its warning,
    :func:`legibility`, judged on everything read, says why)."""
    doubtful = doubtful_lines(characters)
    if not doubtful.any():
        return characters
    kept = characters.subset(~doubtful)
    if by_network(kept).sum() < LEAST_READ:
        return characters
    return kept


def read_page(photo, model, lexicon=None, keep_crops=False, punctuation=True, chars=None, printed=True,
              clutter=False):
    """The :class:`~ocr_cli.pipeline.records.Page` of ``photo``
    (:class:`~ocr_cli.pipeline.images.Photo`), its words read with ``lexicon``
    (:class:`~ocr_cli.pipeline.lexicon.Lexicon`; None: none), with its punctuation
    unless ``punctuation`` is False, and a warning when it is not to be trusted
    (:func:`legibility`); lines of clutter (:func:`doubtful_lines`) are left out. With
    ``model`` None the characters are found only, not read.
    ``keep_crops``: the page keeps the network's inputs (for figures). ``chars``: the
    only characters that may be read (:mod:`ocr_cli.pipeline.charset`; None: all).
    ``printed`` False: lines of print are left out (only handwriting is read);
    ``clutter`` True: lines of clutter are kept (what ``ocr find-letters`` shows)."""
    photo = photo.surveyed()
    photo = photo._replace(angle=orientation(photo, model))
    working, marks = segment(photo)
    if model is not None:
        reading = model if chars is None else restricted(model, chars)
        marks_read = punctuation and (chars is None or any(c in chars for c in PUNCTUATION))
        characters = final_look(reading, read_lines(working, marks, reading, marks_read, lexicon))
        allowed = None
        if chars is not None:
            allowed = allowed_mask(chars, characters.classes)
            if len(characters):  # punctuation marks outside the set are not read
                characters = characters.subset(allowed[characters.probs.argmax(1)] |
                                               (characters.probs[:, :len(characters.classes) - len(PUNCTUATION)].sum(1) > 0))
        characters = read_words(characters, lexicon, allowed)
        characters = characters.replace(printed=printed_lines(characters))
        warning = legibility(characters)
        if chars is None and not clutter:  # (letters read as digits, where only digits may be, are doubtful)
            characters = without_clutter(characters)
        if not printed:
            characters = characters.subset(~characters.printed)
    else:
        characters, warning = as_found(working, marks), None
        if keep_crops:
            characters = crop(working, characters)
    return page_of(characters, working.photo_boxes(characters.boxes), photo.size,
                   working.height / working.photo_scale, keep_crops, warning)


def as_photo(image):
    """A path (decoded at the scale reading needs), a PIL image (upright per its EXIF
    orientation, any mode) or an image array as a :class:`Photo`."""
    if isinstance(image, (str, Path)):
        return load_photo(image)
    if hasattr(image, "getexif") and hasattr(image, "mode"):  # a PIL image
        from PIL import ImageOps

        from ocr_cli.pipeline.images import photo_of_pil

        return photo_of_pil(ImageOps.exif_transpose(image))
    return Photo.of(image)


def cut(image):
    """Every character segmentation finds in ``image`` (a path, an image array or a
    :class:`Photo`), cut as the network gets them before it has looked at any: their
    boxes ``(K, 4)`` ``[y1, x1, y2, x2]`` in the photo's pixels and their crops ``(K,
    PIXELS)`` (for measuring the crops, and for training data cut as reading cuts)."""
    working, characters = segment(image if isinstance(image, Photo) else as_photo(image))
    characters = crop(working, characters)
    return working.photo_boxes(characters.boxes), characters.crops


def find_letters(image):
    """The characters of ``image`` (a path or an image array), found but not read: a
    :class:`~ocr_cli.pipeline.records.Page` whose characters have boxes, no text."""
    return read_page(as_photo(image), None)


def read_image(image, model=None, lexicon=None, chars=None, printed=True):
    """Reads the text of ``image`` (a path, a PIL image or an image array) with ``model`` (default:
    the shipped one) and ``lexicon`` (default: the shipped English word list; an empty
    :class:`~ocr_cli.pipeline.lexicon.Lexicon` reads without one), only ``chars`` if given
    (a string; see :mod:`ocr_cli.pipeline.charset`), lines of print left out if
    ``printed`` is False: a
    :class:`~ocr_cli.pipeline.records.Page`. A plain function of its arguments, safe to
    run in other processes."""
    from ocr_cli.net.model import load_model
    from ocr_cli.pipeline.lexicon import english

    model = reading_model(model if model is not None else load_model(), "model")
    lexicon = lexicon if lexicon is not None else english(model.classes)
    if chars is not None:
        from ocr_cli.pipeline.charset import parse_chars

        chars = parse_chars(chars, model.classes.replace(NOT_A_CHARACTER, "") + PUNCTUATION)
    return read_page(as_photo(image), model, lexicon, chars=chars, printed=printed)


def reading_model(model, source):
    """``model``, if it has a class that is a character to read: a model whose only
    class is "not a character" is an :class:`InputError` naming ``source``."""
    if not model.classes.replace(NOT_A_CHARACTER, ""):
        raise InputError(source, f"the model reads no characters: its only class is '{NOT_A_CHARACTER}' "
                                 f"(not a character)")
    return model


ENGLISH = "english"  # PageReader's lexicon: the shipped word list


class PageReader:
    """``ocr read`` and ``ocr find-letters`` on one file, made to be sent to worker
    processes: ``model`` (a path; None: the shipped one) and ``lexicon``
    (:data:`ENGLISH`, a word list's path, or None for none) are loaded on first use,
    once per process, and left behind when the reader is pickled. ``read`` False
    only finds the characters (no model); ``keep_crops``: pages keep the network's
    inputs; ``punctuation`` False reads no punctuation marks; ``chars``: only these
    characters are read (a string such as ``"0123456789"`` or ``"A-Z"``, checked
    against the model's classes when it is loaded); ``printed`` False leaves lines of
    print out; ``clutter`` True keeps lines of clutter (:func:`without_clutter`)."""

    def __init__(self, model=None, lexicon=ENGLISH, read=True, keep_crops=False, punctuation=True, chars=None,
                 printed=True, clutter=False):
        self.model, self.lexicon, self.read, self.keep_crops = model, lexicon, read, keep_crops
        self.punctuation, self.chars, self.printed, self.clutter = punctuation, chars, printed, clutter
        self.loaded = None

    def __getstate__(self):
        return dict(self.__dict__, loaded=None)

    def load(self):
        """``(model, lexicon)``, loaded the first time (None for what is not used: a
        model when nothing is classified, ...)."""
        from ocr_cli.net.model import default_model_path, load_model
        from ocr_cli.pipeline.lexicon import Lexicon, english

        if self.loaded is None:
            given = not isinstance(self.model, (str, Path, type(None)))  # a model loaded already
            model = (self.model if given else load_model(self.model)) if self.read else None
            if model is not None:
                reading_model(model, "model" if given else self.model or default_model_path())
            if model is None:
                lexicon = None
            elif self.lexicon is None:
                lexicon = Lexicon([], model.classes)
            elif self.lexicon == ENGLISH:
                lexicon = english(model.classes)
            else:
                lexicon = Lexicon.from_file(self.lexicon, model.classes)
            self.loaded = model, lexicon
            if self.chars is not None and model is not None:
                from ocr_cli.pipeline.charset import parse_chars

                self.chars = parse_chars(self.chars, model.classes.replace(NOT_A_CHARACTER, "") + PUNCTUATION)
        return self.loaded

    def characters(self):
        """The characters the pages may hold: the model's classes ("not a character"
        aside) and the punctuation marks read (none without a model)."""
        model, _ = self.load()
        if model is None:
            return ""
        every = model.classes.replace(NOT_A_CHARACTER, "") + (PUNCTUATION if self.punctuation else "")
        return every if self.chars is None else "".join(c for c in every if c in self.chars)

    def source(self):
        """What made the pages: ``{"version", "model": {"name", "sha256"} or None}``."""
        from ocr_cli import __version__
        from ocr_cli.net.data import sha256
        from ocr_cli.net.model import default_model_path

        path = Path(self.model) if self.model is not None else default_model_path()
        return {"version": __version__, "model": {"name": path.name, "sha256": sha256(path)} if self.read else None}

    def page_of(self, photo):
        """The :class:`~ocr_cli.pipeline.records.Page` of one decoded ``photo``."""
        model, lexicon = self.load()
        return read_page(photo, model, lexicon, self.keep_crops, self.punctuation, self.chars, self.printed,
                         self.clutter)

    def __call__(self, path):
        """The :class:`~ocr_cli.pipeline.records.Page` of each page of the file at
        ``path`` (a list), its pages decoded and read one at a time
        (:func:`~ocr_cli.pipeline.documents.photos`)."""
        from ocr_cli.pipeline.documents import photos

        self.load()
        pages = []
        for number, photo in enumerate(photos(path), 1):
            try:
                pages.append(self.page_of(photo))
            except InputError as error:  # what is wrong with the page is wrong with this file
                raise InputError(path, (f"page {number}: " if number > 1 else "") + error.problem) from None
            del photo
        return pages
