"""Known words: the most likely dictionary word for a row of character probabilities."""

from functools import lru_cache
from pathlib import Path

import numpy as np

from ocr_cli.errors import InputError, existing_file

ENGLISH = Path(__file__).resolve().parents[1] / "words" / "english.txt"  # package data


class Lexicon:
    """Words of ``classes``, grouped by length as class indices ``by_length[L]: (M, L)``.

    Words with characters outside ``classes`` are left out.
    """

    def __init__(self, words, classes):
        lookup = np.full(128, -1)  # ASCII code -> class index, -1 outside the classes
        lookup[[ord(c) for c in classes]] = np.arange(len(classes))
        groups = {}
        for word in words:
            if word and word.isascii():
                groups.setdefault(len(word), []).append(word)
        self.by_length = {}
        for length, same in groups.items():
            rows = lookup[np.frombuffer("".join(same).encode("ascii"), np.uint8).reshape(-1, length)]
            known = rows[(rows >= 0).all(1)]
            if len(known):
                self.by_length[length] = known

    def __len__(self):
        return sum(len(rows) for rows in self.by_length.values())

    @classmethod
    def from_file(cls, path, classes):
        """One word per line (upper-cased on reading); blank lines are skipped."""
        path = existing_file(path, "a word list")
        try:
            words = path.read_text(encoding="utf-8").upper().split()
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(path, f"cannot read the word list ({exc})") from None
        return cls(words, classes)

    def scores(self, log_probs):
        """Every known word of ``len(log_probs)`` characters ``(M, L)`` and its summed
        log-probability ``(M,)`` under ``log_probs: (L, C)`` (None, None if none)."""
        words = self.by_length.get(len(log_probs))
        if words is None:
            return None, None
        return words, log_probs[np.arange(len(log_probs)), words].sum(1)

    def best(self, log_probs):
        """The known word of ``len(log_probs)`` characters with the highest summed
        log-probability under ``log_probs: (L, C)``: ``(class indices (L,), score)``,
        or ``(None, -inf)`` if no word has that length."""
        words = self.by_length.get(len(log_probs))
        if words is None:
            return None, -np.inf
        scores = log_probs[np.arange(len(log_probs)), words].sum(1)
        i = scores.argmax()
        return words[i], scores[i]


@lru_cache(maxsize=4)
def english(classes):
    """The shipped English word list (``words/english.txt``) for ``classes``."""
    return Lexicon.from_file(ENGLISH, classes)
