"""Pages however they lie: skew and orientation found, boxes in the photo's own pixels."""

import numpy as np
import pytest

from ocr_cli.pipeline.orient import Turn, skew


@pytest.mark.parametrize("angle", [30, -17.5, 90, 180, 270])
def test_a_turn_maps_points_back_as_pil_turned_them(angle):
    image = np.zeros((120, 200), np.float32)
    image[20:24, 150:154] = 1.0  # a dot at (151.5, 21.5)
    turn = Turn.of(angle, (200, 120))
    turned = turn.apply(image, 0.0)
    assert turned.shape == turn.turned_size[::-1]
    ys, xs = np.nonzero(turned > 0.3)
    back = turn.back(np.array([[xs.mean() + 0.5, ys.mean() + 0.5]]))[0]
    assert np.abs(back - [152, 22]).max() < 1.5, (back, turned.shape)


@pytest.mark.parametrize("angle", [0.0, 7.0, -23.0, 38.0, 90.0 - 4.0])
def test_skew_is_the_direction_the_centres_line_up_along(angle):
    rng = np.random.default_rng(1)
    along, across = np.meshgrid(np.arange(12) * 40.0, np.arange(5) * 70.0)  # 5 lines of 12 characters
    along, across = along.ravel() + rng.normal(0, 3, along.size), across.ravel() + rng.normal(0, 3, along.size)
    theta = np.deg2rad(angle)  # a line rising by the angle, in image coordinates (y down)
    cx, cy = along * np.cos(theta) + across * np.sin(theta), -along * np.sin(theta) + across * np.cos(theta)
    found = skew(cx, cy, np.ones(cx.size), 40.0)
    assert abs((found - angle + 90) % 180 - 90) < 1.0, found


@pytest.fixture(scope="module")
def nist_page(nist_bank):
    from ocr_synth.pages import compose_page

    bank = nist_bank
    rng = np.random.default_rng(5)
    return compose_page(["SHIP 42 BOXES", "CALL BERT NOW", "PARK AT 7"], bank, rng, char_height=60)


@pytest.mark.parametrize("angle", [-23, 9, 31, 90, 180, 270])
def test_a_turned_page_reads_as_the_upright_one_with_boxes_on_its_characters(nist_page, angle):
    from ocr_cli.net.model import load_model
    from ocr_cli.pipeline.reader import read_image

    model = load_model()
    upright = read_image(nist_page.image, model).text()
    size = nist_page.image.shape[::-1]
    turn = Turn.of(angle, size)
    turned = turn.apply(nist_page.image.astype(np.float32), 1.0)
    page = read_image(turned, model)
    assert page.text() == upright
    # Each true box, turned, is held by the box read for its character (a turned box's
    # corners: the box around them in the turned photo).
    for character, (y1, x1, y2, x2) in zip(page.characters, nist_page.boxes):
        corners = np.array([[x1, y1], [x2, y1], [x1, y2], [x2, y2]], np.float64)
        where = turn.forward(corners)  # the true corners in the turned photo
        assert np.allclose(turn.back(where), corners)
        left, top, width, height = character.box
        slack = 0.15 * 60
        assert (where[:, 0] >= left - slack).all() and (where[:, 0] <= left + width + slack).all()
        assert (where[:, 1] >= top - slack).all() and (where[:, 1] <= top + height + slack).all()


def test_a_level_page_is_not_turned(nist_page):
    from ocr_cli.net.model import load_model
    from ocr_cli.pipeline.images import Photo
    from ocr_cli.pipeline.orient import orientation

    assert orientation(Photo.of(nist_page.image), load_model()) == 0.0


@pytest.mark.parametrize("angle", [90, 180])
def test_a_not_a_character_output_does_not_decide_the_turn(nist_page, angle):
    """A model with the "not a character" output: a mark turned the wrong way is no
    character, so that output's probability is no evidence for a turn (here it takes
    99.99% of every mark, leaving the characters their ratios)."""
    from ocr_cli.layout import NOT_A_CHARACTER
    from ocr_cli.net.model import load_model
    from ocr_cli.pipeline.images import Photo
    from ocr_cli.pipeline.orient import orientation

    model = load_model()
    last = model.net.layers[-1]
    last.W = np.concatenate([last.W, np.zeros((last.W.shape[0], 1), last.W.dtype)], 1)
    last.b = np.append(last.b, last.b.dtype.type(30.0))
    model.metadata = dict(model.metadata, classes=model.classes + NOT_A_CHARACTER)
    turned = Turn.of(angle, nist_page.image.shape[::-1]).apply(nist_page.image.astype(np.float32), 1.0)
    assert orientation(Photo.of(turned), model) % 360 == (-angle) % 360


@pytest.mark.parametrize("seed", [1, 2, 16, 25])
def test_rows_of_digits_that_touch_stay_upright(nist_bank, seed):
    """Wide marks of touching digits read badly in every turn; the marks gathering into
    rows say the page is upright or upside down, and the network picks upright: a
    few marks that read better upside down by chance (0, 8 and 1 read alike either
    way) are not enough to turn the page."""
    from ocr_cli.net.model import load_model
    from ocr_cli.pipeline.images import Photo
    from ocr_cli.pipeline.orient import orientation
    from ocr_synth.stress import stress_photo, stress_text

    rng = np.random.default_rng(seed)
    photo = stress_photo("touching", stress_text("touching", rng), nist_bank, rng)
    assert orientation(Photo.of(photo.rgb), load_model()) == 0


def test_a_few_marks_lining_up_by_chance_do_not_turn_the_page(nist_bank):
    """Three marks of a page of touching digits line up best along 57 degrees, but no
    more sharply than along level rows: the page is not turned."""
    from ocr_cli.pipeline.images import Photo
    from ocr_cli.pipeline.orient import orientation
    from ocr_synth.stress import STRESS_KINDS, stress_photo, stress_text

    rng = np.random.default_rng(STRESS_KINDS.index("touching"))
    for _ in range(3):  # the third page of the stress bench's touching kind
        photo = stress_photo("touching", stress_text("touching", rng), nist_bank, rng)
    assert orientation(Photo.of(photo.rgb)) == 0


@pytest.mark.parametrize("angle", [90, 270])
def test_a_page_turned_a_quarter_is_read_at_its_characters_height(nist_page, angle):
    """Lying characters are measured by their width on the photo as it is: the
    character height found is the upright page's."""
    from ocr_cli.net.model import load_model
    from ocr_cli.pipeline.images import Photo
    from ocr_cli.pipeline.orient import orientation
    from ocr_cli.pipeline.segment import segment

    def height(image):
        photo = Photo.of(image).surveyed()
        working, _ = segment(photo._replace(angle=orientation(photo, load_model())))
        return working.height / working.photo_scale  # in the photo's pixels

    turned = Turn.of(angle, nist_page.image.shape[::-1]).apply(nist_page.image.astype(np.float32), 1.0)
    assert height(turned) == pytest.approx(height(nist_page.image), rel=0.02)
