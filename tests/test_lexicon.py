"""Word lists: loading, and the best known word for a row of character probabilities."""

import itertools

import numpy as np
import pytest

from ocr_cli.layout import CLASSES
from ocr_cli.errors import InputError
from ocr_cli.pipeline.lexicon import Lexicon, english


def test_best_word_is_the_one_with_the_highest_summed_log_probability():
    rng = np.random.default_rng(0)
    words = ["".join(w) for w in itertools.product("ABC", repeat=3)] + ["AB", "ABCD"]
    lexicon = Lexicon(words, CLASSES)
    for _ in range(20):
        log_probs = np.log(rng.dirichlet(np.ones(len(CLASSES)), size=3))
        scores = {w: sum(log_probs[k, CLASSES.index(c)] for k, c in enumerate(w)) for w in words if len(w) == 3}
        expected = max(scores, key=scores.get)
        found, score = lexicon.best(log_probs)
        assert "".join(CLASSES[i] for i in found) == expected and np.isclose(score, scores[expected])


def test_words_outside_the_classes_are_left_out_and_lengths_without_words_score_nothing():
    lexicon = Lexicon(["TO", "T0", "DON'T", "CAFÉ", "", "X"], CLASSES)
    assert len(lexicon) == 3 and sorted(lexicon.by_length) == [1, 2]
    assert lexicon.best(np.zeros((4, len(CLASSES)))) == (None, -np.inf)


def test_word_list_file_is_read_upper_cased(tmp_path):
    path = tmp_path / "words.txt"
    path.write_text("quiz\n\nRead\n")
    lexicon = Lexicon.from_file(path, CLASSES)
    assert {"".join(CLASSES[i] for i in row) for row in lexicon.by_length[4]} == {"QUIZ", "READ"}


@pytest.mark.parametrize("make,problem", [
    (lambda p: p, "no such file"),
    (lambda p: p.mkdir() or p, "is a directory, not a word list"),
    (lambda p: p.write_bytes(b"\xff\xfe\x00bad") and p, "cannot read the word list"),
])
def test_unreadable_word_lists_are_input_errors(tmp_path, make, problem):
    path = make(tmp_path / "words.txt")
    with pytest.raises(InputError, match=problem) as error:
        Lexicon.from_file(path, CLASSES)
    assert str(path) in str(error.value)


def test_the_shipped_english_list():
    lexicon = english(CLASSES)
    assert len(lexicon) > 50_000
    four = {"".join(CLASSES[i] for i in row) for row in lexicon.by_length[4]}
    assert {"READ", "QUIZ", "LIST"} <= four and "QXZJ" not in four
