"""--chars SET: only those characters can be read; word context and lexicon keep to them."""

import json

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from ocr_cli.cli import app
from ocr_cli.errors import InputError
from ocr_cli.layout import CLASSES
from ocr_cli.pipeline.charset import RestrictedNetwork, parse_chars
from ocr_cli.pipeline.context import readings
from ocr_cli.pipeline.lexicon import Lexicon

READABLE = CLASSES + ".,:-'/"


def test_sets_are_characters_and_ranges():
    assert parse_chars("0123456789", READABLE) == "0123456789"
    assert parse_chars("A-Z", READABLE) == CLASSES[:26]
    assert parse_chars("0-2A-C-", READABLE) == "ABC012-"
    for bad, said in (("a-z", "not among the characters"), ("Z-A", "runs backwards"), ("", "names no characters")):
        with pytest.raises(InputError, match=said):
            parse_chars(bad, READABLE)


class Fixed:
    """A network that gives every input the same probabilities."""

    def __init__(self, row):
        self.row = np.asarray(row, float)

    def predict_proba(self, X):
        return np.tile(self.row, (len(X), 1))


def test_outside_the_set_scores_nothing_and_a_look_alike_gives_its_twin_its_probability():
    row = np.full(len(CLASSES), 0.01)
    row[CLASSES.index("O")], row[CLASSES.index("8")] = 0.6, 0.05
    row /= row.sum()
    probs = RestrictedNetwork(Fixed(row), CLASSES, "0123456789").predict_proba(np.zeros((1, 4)))[0]
    assert probs[:26].sum() == 0 and np.isclose(probs.sum(), 1)
    assert probs.argmax() == CLASSES.index("0")  # the loop the network read as O


def test_word_context_and_the_lexicon_keep_to_the_set():
    probs = np.full((2, len(CLASSES)), 0.001)
    probs[0, CLASSES.index("S")], probs[0, CLASSES.index("5")] = 0.6, 0.3
    probs[1, CLASSES.index("O")], probs[1, CLASSES.index("0")] = 0.6, 0.3
    zeros = np.zeros(2, int)
    lexicon = Lexicon(["SO"], CLASSES)
    assert "".join(CLASSES[i] for i in readings(probs, CLASSES, zeros, zeros, lexicon)[0]) == "SO"
    digits = np.array([c.isdigit() for c in CLASSES])
    assert "".join(CLASSES[i] for i in readings(probs, CLASSES, zeros, zeros, lexicon, digits)[0]) == "50"


def test_read_with_chars_reads_only_those(pattern_bank, pattern_model, tmp_path):
    from ocr_synth.pages import compose_page, photograph

    page = compose_page(["CALL 42 NOW", "ZQ9"], pattern_bank, np.random.default_rng(11), char_height=44)
    path = tmp_path / "note.jpg"
    Image.fromarray(photograph(page.image, np.random.default_rng(12))).save(path, quality=90)
    result = CliRunner().invoke(app, ["read", str(path), "--model", str(pattern_model), "--chars", "0-9", "--json"])
    assert result.exit_code == 0, result.output
    [entry] = json.loads(result.stdout)
    assert entry["characters"] == "0123456789"
    assert set(entry["text"]) <= set("0123456789 \n") and "42" in entry["text"]
    result = CliRunner().invoke(app, ["read", str(path), "--model", str(pattern_model), "--chars", "a-z"])
    assert result.exit_code == 2 and result.stderr.startswith("ocr: error: --chars: 'abcdefghijklmnopqrstuvwxyz': not")
