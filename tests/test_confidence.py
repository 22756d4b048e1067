"""Word confidence after word context, and --min-confidence flagging words."""

import numpy as np

from ocr_cli.layout import CLASSES
from ocr_cli.pipeline.context import readings
from ocr_cli.pipeline.lexicon import Lexicon
from ocr_cli.pipeline.records import Character, Word


def word_probs(*rows, rest=0.0):
    out = np.full((len(rows), len(CLASSES)), rest)
    for i, row in enumerate(rows):
        for label, p in row.items():
            out[i, CLASSES.index(label)] = p
    return out / out.sum(1, keepdims=True)


def read(*rows, lexicon=None):
    choice, confidence = readings(word_probs(*rows, rest=0.001), CLASSES, np.zeros(len(rows), int),
                                  np.zeros(len(rows), int), lexicon)
    return "".join(CLASSES[i] for i in choice), confidence[0]


def test_a_word_read_with_certainty_is_near_the_product_of_its_characters():
    text, confidence = read({"X": 0.97}, {"Q": 0.97}, {"Z": 0.97})
    assert text == "XQZ" and 0.85 < confidence <= 1.0


def test_a_doubtful_character_makes_its_word_doubtful_whatever_context_chose():
    sure = read({"C": 0.95}, {"A": 0.95}, {"T": 0.95})[1]
    text, doubtful = read({"C": 0.95}, {"A": 0.5, "H": 0.45}, {"T": 0.95})
    assert text == "CAT" and doubtful < 0.7 < sure
    # the lexicon settles a doubtful first letter: the word is READ, and less sure than a clear one
    lexicon = Lexicon(["READ", "HEAD"], CLASSES)
    text, confidence = read({"A": 0.6, "R": 0.35}, {"E": 0.9}, {"A": 0.9}, {"D": 0.9}, lexicon=lexicon)
    assert text == "READ" and 0.2 < confidence < 0.9
    # look-alikes the word settles cost nothing: TO with a loop the network took for 0
    text, confidence = read({"T": 0.95}, {"0": 0.6, "O": 0.35})
    assert text == "TO" and confidence > 0.85


def test_min_confidence_flags_words_and_with_flag_characters_characters():
    word = Word((Character("A", (0, 0, 1, 1), 0.99), Character("B", (1, 0, 1, 1), 0.6)), probability=0.4)
    assert word.confidence == 0.4
    assert word.text(0.5) == "??" and word.text(0.3) == "AB"
    assert word.text(0.7, per_character=True) == "A?"
    assert Word(word.characters).confidence == 0.6  # without a word probability: the least sure character's


def test_an_apostrophe_does_not_part_a_word_into_a_word_and_a_number():
    classes = CLASSES + "'"
    probs = np.hstack([word_probs({"M": 0.9}, {"A": 0.9}, {"X": 0.9}, {"A": 0.001}, {"5": 0.7, "S": 0.3}, rest=0.001),
                       np.zeros((5, 1))])
    probs[3] = 0.0
    probs[3, -1] = 1.0  # the apostrophe
    zeros = np.zeros(5, int)
    choice, _ = readings(probs, classes, zeros, zeros)
    assert "".join(classes[i] for i in choice) == "MAX'S"
    # with the mark read as a hyphen instead, the number after it stands on its own
    hyphen = CLASSES + "-"
    assert "".join(hyphen[i] for i in readings(probs, hyphen, zeros, zeros)[0]) == "MAX-5"
