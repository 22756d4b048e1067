"""The records that flow through reading a page.

:class:`Characters` is what the stages pass along, each taking one and returning a new
one (:meth:`Characters.replace`, :meth:`Characters.subset`): boxes in the working
image's pixels, the components each character is made of, lines and words, and, once
cropped and classified, crops, probabilities and the class read. :func:`page_of` turns
it, once, at the end, into a :class:`Page`: blocks of lines of words of characters in
the photo's own pixels, the one record every output format renders.
"""

from dataclasses import dataclass, field, replace
from typing import Optional

import numpy as np

UNSURE = "?"  # how a character read with less than the asked confidence is shown


@dataclass(frozen=True)
class Characters:
    """The characters of one page, in reading order, as the stages find and read them.

    ``boxes: (K, 4)`` int ``[y1, x1, y2, x2]`` in working pixels (top-left inclusive,
    bottom-right exclusive); ``members``: per character, the labels of its components
    in the working label image; ``line, word: (K,)`` the line index and the word index
    within the line; then, from recognition on, ``crops: (K, PIXELS)`` network inputs,
    ``probs: (K, C)`` class probabilities over ``classes`` and ``choice: (K,)`` the class
    index read for each character, word context included; ``block: (K,)`` the block
    (a sheet, a note, a box of a diagram) of each; ``word_confidence: (K,)`` the
    probability of each one's word as finally read (:func:`ocr_cli.pipeline.context.readings`);
    ``printed: (K,)`` whether each stands on a line of print (:mod:`ocr_cli.pipeline.printed`).
    """

    boxes: np.ndarray
    members: tuple
    line: np.ndarray
    word: np.ndarray
    crops: Optional[np.ndarray] = None
    probs: Optional[np.ndarray] = None
    classes: str = ""
    choice: Optional[np.ndarray] = None
    block: Optional[np.ndarray] = None
    word_confidence: Optional[np.ndarray] = None
    printed: Optional[np.ndarray] = None

    @classmethod
    def found(cls, boxes, members, line=None, word=None, block=None):
        """Characters as segmentation finds them (lines, words and blocks default to 0)."""
        boxes = np.asarray(boxes, np.int64).reshape(-1, 4)
        given = lambda v: np.zeros(len(boxes), np.int64) if v is None else np.asarray(v, np.int64)
        return cls(boxes, tuple(members), given(line), given(word), block=given(block))

    def __len__(self):
        return len(self.boxes)

    def replace(self, **changes):
        """The same characters with ``changes`` (say, ``probs=...``)."""
        return replace(self, **changes)

    def subset(self, keep):
        """The characters where ``keep`` (a boolean mask or indices, in order) holds,
        lines and words renumbered from 0 without gaps (a line or word left empty
        disappears)."""
        keep = np.flatnonzero(keep) if np.asarray(keep).dtype == bool else np.asarray(keep, np.int64)
        line, word = self.line[keep], self.word[keep]
        renumbered_line = np.unique(line, return_inverse=True)[1].reshape(-1)
        renumbered_word = np.zeros(len(line), np.int64)
        for k in range(1, len(line)):
            if line[k] == line[k - 1]:
                renumbered_word[k] = renumbered_word[k - 1] + int(word[k] != word[k - 1])
        take = lambda a: None if a is None else a[keep]
        block = None if self.block is None else np.unique(self.block[keep], return_inverse=True)[1].reshape(-1)
        return replace(self, boxes=self.boxes[keep], members=tuple(self.members[k] for k in keep),
                       line=renumbered_line, word=renumbered_word, crops=take(self.crops), probs=take(self.probs),
                       choice=take(self.choice), block=block, word_confidence=take(self.word_confidence),
                       printed=take(self.printed))

    @property
    def confidence(self):
        """The network's probability of each character's chosen class (None before)."""
        if self.choice is None:
            return None
        return self.probs[np.arange(len(self)), self.choice]


@dataclass(frozen=True)
class Character:
    """One character: ``text`` (the class read; empty when the page was not read,
    only searched), ``box`` ``(left, top, width, height)`` in the photo's pixels,
    ``confidence`` (the network's probability of ``text``; None when not read) and
    ``alternatives``: the three likeliest ``(class, probability)`` as the network
    scored them, before word context."""

    text: str
    box: tuple
    confidence: Optional[float] = None
    alternatives: tuple = ()

    def shown(self, min_confidence=0.0):
        """``text``, or :data:`UNSURE` when read with less than ``min_confidence``."""
        return UNSURE if self.confidence is not None and self.confidence < min_confidence else self.text


def around(boxes):
    """The ``(left, top, width, height)`` box around ``boxes`` of that form."""
    left, top = min(b[0] for b in boxes), min(b[1] for b in boxes)
    right, bottom = max(b[0] + b[2] for b in boxes), max(b[1] + b[3] for b in boxes)
    return left, top, right - left, bottom - top


def least(confidences):
    known = [c for c in confidences if c is not None]
    return min(known) if known else None


class Group:
    """What words, lines and blocks share: a box around their ``parts``, the confidence
    of the least sure of them, and their text, the parts' joined by ``separator``."""

    separator = ""

    @property
    def parts(self):
        raise NotImplementedError

    @property
    def box(self):
        return around([p.box for p in self.parts])

    @property
    def confidence(self):
        return least(p.confidence for p in self.parts)

    def text(self, min_confidence=0.0, per_character=False):
        """The text, words (or with ``per_character``, characters) read with less than
        ``min_confidence`` as :data:`UNSURE`."""
        return self.separator.join(p.shown(min_confidence, per_character) for p in self.parts)

    shown = text


@dataclass(frozen=True)
class Word(Group):
    """Characters written together; its ``confidence`` is the probability of the word as
    finally read (word context and lexicon included; ``probability``), or, when that is
    not known, its least sure character's. A word read with less than the asked
    confidence is flagged: each of its characters shown as :data:`UNSURE` (or, with
    ``per_character``, each character read with less than it)."""

    characters: tuple
    probability: Optional[float] = None

    @property
    def parts(self):
        return self.characters

    @property
    def confidence(self):
        return self.probability if self.probability is not None else least(c.confidence for c in self.characters)

    def flagged(self, min_confidence=0.0):
        """Whether the word was read with less than ``min_confidence``."""
        return self.confidence is not None and self.confidence < min_confidence

    def shown_characters(self, min_confidence=0.0, per_character=False):
        """Each character's text as shown: :data:`UNSURE` for all of a flagged word's, or
        with ``per_character`` for each character read with less than ``min_confidence``."""
        if per_character:
            return [c.shown(min_confidence) for c in self.characters]
        return [UNSURE if self.flagged(min_confidence) else c.text for c in self.characters]

    def text(self, min_confidence=0.0, per_character=False):
        return "".join(self.shown_characters(min_confidence, per_character))

    shown = text


@dataclass(frozen=True)
class Line(Group):
    """Words on one written line, left to right; ``printed``: a line of print (a form's
    label, a title), not handwriting."""

    words: tuple
    printed: bool = False
    separator = " "

    @property
    def parts(self):
        return self.words


@dataclass(frozen=True)
class Block(Group):
    """Lines that belong together (a sheet, a note, a box of a diagram), top to bottom."""

    lines: tuple
    separator = "\n"

    @property
    def parts(self):
        return self.lines


@dataclass(frozen=True)
class Page:
    """What was read of one image: ``size`` ``(width, height)`` in its pixels, its
    ``blocks`` of lines, the typical character height in its pixels; ``crops``
    ``(K, PIXELS)`` the network's inputs in reading order, kept only when asked for
    (figures). ``read`` False: characters were found, not read (no text).
    ``warning``: why what was read is not to be trusted (None: it is)."""

    size: tuple
    blocks: tuple = ()
    char_height: float = 0.0
    read: bool = True
    crops: Optional[np.ndarray] = field(default=None, compare=False, repr=False)
    warning: Optional[str] = None

    @property
    def lines(self):
        return [line for block in self.blocks for line in block.lines]

    @property
    def words(self):
        return [word for line in self.lines for word in line.words]

    @property
    def characters(self):
        return [c for word in self.words for c in word.characters]

    def text(self, min_confidence=0.0, per_character=False):
        """The text: one line per written line, single spaces between words, a blank line
        between blocks; words (with ``per_character``: characters) read with less than
        ``min_confidence`` as :data:`UNSURE`."""
        return "\n\n".join(block.text(min_confidence, per_character) for block in self.blocks)


def page_of(characters, photo_boxes, size, char_height, keep_crops=False, warning=None):
    """The :class:`Page` of ``characters`` (:class:`Characters`), whose boxes in the
    photo's pixels are ``photo_boxes: (K, 4)`` ``[y1, x1, y2, x2]``; ``size``: the
    photo's ``(width, height)``; ``warning``: see :class:`Page`."""
    read = characters.choice is not None
    labels = [characters.classes[i] for i in characters.choice] if read else [""] * len(characters)
    confidence = characters.confidence.tolist() if read else [None] * len(characters)
    if read:
        best = np.argsort(-characters.probs, axis=1)[:, :3]
        top = [tuple((characters.classes[j], float(p[j])) for j in row) for row, p in zip(best, characters.probs)]
    else:
        top = [()] * len(characters)
    blocks, probability, printed = {}, {}, set()
    block = characters.block if characters.block is not None else np.zeros(len(characters), np.int64)
    for k, (y1, x1, y2, x2) in enumerate(photo_boxes.tolist()):
        character = Character(labels[k], (x1, y1, x2 - x1, y2 - y1), confidence[k], top[k])
        lines = blocks.setdefault(int(block[k]), {})
        lines.setdefault(int(characters.line[k]), {}).setdefault(int(characters.word[k]), []).append(character)
        if characters.word_confidence is not None:
            probability[id(lines[int(characters.line[k])][int(characters.word[k])])] = float(characters.word_confidence[k])
        if characters.printed is not None and characters.printed[k]:
            printed.add(int(characters.line[k]))
    return Page(tuple(size), tuple(Block(tuple(Line(tuple(Word(tuple(chars), probability.get(id(chars)))
                                                          for chars in words.values()), number in printed)
                                               for number, words in lines.items())) for lines in blocks.values()),
                float(char_height), read, characters.crops if keep_crops else None, warning)
