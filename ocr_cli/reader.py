"""Reading a photo: find the characters, crop them, classify them in one batch."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ocr_cli.crop import crop_letters
from ocr_cli.images import load_image
from ocr_cli.segment import find_letters


@dataclass
class Reading:
    """The result of :func:`read_image`: the found ``letters`` (boxes, lines, words),
    ``probs: (K, C)`` class probabilities per character and the model's ``classes``."""

    source: str
    letters: object
    probs: np.ndarray
    classes: str

    @property
    def labels(self):
        return [self.classes[i] for i in self.probs.argmax(1)]

    @property
    def confidence(self):
        return self.probs.max(1) if len(self.probs) else np.zeros(0)

    def top(self, k=3):
        """Per character, the ``k`` most likely ``(label, probability)`` pairs."""
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


def read_image(image, model=None):
    """Reads the text of ``image`` (a path or an image array) with ``model`` (default:
    the shipped one). A plain function of its arguments, safe to run in other processes."""
    from ocr_cli.model import load_model

    model = model if model is not None else load_model()
    source = str(image) if isinstance(image, (str, Path)) else "<array>"
    gray = load_image(image) if isinstance(image, (str, Path)) else image
    letters = find_letters(gray)
    crops = crop_letters(letters)
    probs = model.predict_proba(crops.astype(np.float64)) if len(crops) else np.zeros((0, len(model.classes)))
    return Reading(source, letters, probs, model.classes)
