"""Finding characters on synthetic pages with known boxes, lines and words."""

import numpy as np
import pytest
from PIL import Image

from conftest import find_letters
from ocr_cli.pipeline.images import Photo
from ocr_cli.pipeline.lattice import word_threshold
from ocr_cli.pipeline.segment import segment
from ocr_cli.pipeline.structure import runs_at_least
from ocr_synth.pages import compose_page, photograph

LINES = ["HELLO WORLD 42", "AB CD", "7 NOTES TO READ"]
HEIGHT = 40


@pytest.fixture(scope="module")
def page(pattern_bank):
    return compose_page(LINES, pattern_bank, np.random.default_rng(1), char_height=HEIGHT)


@pytest.fixture(scope="module")
def photo(page):
    return photograph(page.image, np.random.default_rng(2))


def assert_boxes_match(found, truth, tolerance):
    assert found.shape == truth.shape
    assert np.abs(found - truth).max() <= tolerance, np.abs(found - truth).max()


def test_photo_gives_exact_count_order_lines_and_words(page, photo):
    letters = find_letters(photo)
    assert len(letters) == len(page.boxes) == 28
    assert letters.line.tolist() == page.line_index
    assert letters.word.tolist() == page.word_index
    # Edges within a tenth of a character: blur and the ink threshold move them a little.
    assert_boxes_match(letters.boxes, np.array(page.boxes), HEIGHT / 10)
    assert letters.char_height == pytest.approx(HEIGHT, rel=0.15)


@pytest.mark.parametrize("factor", [0.5, 2.0])
def test_boxes_are_in_original_pixels_when_rescaled(page, photo, factor):
    h, w = photo.shape[:2]
    scaled = np.asarray(Image.fromarray(photo).resize((round(w * factor), round(h * factor)), Image.BILINEAR))
    letters = find_letters(scaled)
    assert letters.line.tolist() == page.line_index and letters.word.tolist() == page.word_index
    assert_boxes_match(letters.boxes, np.array(page.boxes) * factor, factor * HEIGHT / 10 + 1)


def test_large_page_is_worked_at_a_reduced_scale(pattern_bank):
    big = compose_page(["AB 12"], pattern_bank, np.random.default_rng(4), char_height=200)
    letters = find_letters(big.image)
    assert segment(Photo.of(big.image))[0].photo_scale < 0.5  # characters are segmented at about 48 px, not 200
    assert_boxes_match(letters.boxes, np.array(big.boxes), 200 / 10)


@pytest.mark.parametrize("char_height,suffix,factor", [(400, "jpg", 4), (100, "jpg", 1), (400, "png", 4),
                                                       (100, "png", 1)])
def test_a_large_photo_is_decoded_only_as_large_as_its_characters_need(pattern_bank, tmp_path, char_height, suffix,
                                                                        factor):
    """A JPEG by its DCT scaling, any other format averaged over boxes as it is made grey."""
    from ocr_cli.pipeline.images import load_photo

    big = compose_page(["AB 12", "CD"], pattern_bank, np.random.default_rng(4), char_height=char_height,
                       width=char_height * 12, height=char_height * 8)  # 400 px letters: a 15-megapixel page
    path = tmp_path / f"page.{suffix}"
    Image.fromarray(np.round(big.image * 255).astype(np.uint8)).save(path, quality=92)
    page = load_photo(path)
    assert page.factor == pytest.approx(factor, rel=0.01)  # 400 / 4 = 100 px: still twice the 48 px worked at
    assert page.gray.shape[1] == pytest.approx(big.image.shape[1] / factor, abs=1)
    letters = find_letters(page)
    assert letters.line.tolist() == big.line_index and letters.word.tolist() == big.word_index
    assert_boxes_match(letters.boxes, np.array(big.boxes), char_height / 10)
    assert letters.char_height == pytest.approx(char_height, rel=0.15)


def test_blank_pages_give_no_boxes():
    rng = np.random.default_rng(5)
    paper = np.full((300, 400), 0.85, np.float32)
    for blank in (paper, paper * np.linspace(0.7, 1.0, 400)[None] + rng.normal(0, 0.01, paper.shape).astype(np.float32),
                  np.ones((1, 1)), np.zeros((50, 50))):
        letters = find_letters(blank)
        assert len(letters) == 0 and letters.boxes.shape == (0, 4)


def test_periods_and_specks_are_dropped_broken_letters_joined(pattern_bank):
    page = compose_page(["AB CD"], pattern_bank, np.random.default_rng(6), char_height=HEIGHT)
    image = page.image.copy()
    y1, x1, y2, x2 = page.boxes[1]
    image[y2 - 5:y2, x2 + 3:x2 + 8] = 0  # a period after B
    image[5:8, 5:8] = 0  # a speck in the margin
    y1, x1, y2, x2 = page.boxes[2]
    image[(y1 + y2) // 2 - 1:(y1 + y2) // 2 + 2, x1:x2] = 1  # C broken into a top and a bottom half
    letters = find_letters(image)
    assert len(letters) == 4 and letters.word.tolist() == [0, 0, 1, 1]
    assert_boxes_match(letters.boxes, np.array(page.boxes), HEIGHT / 10)


def test_tilted_lines_stay_whole(pattern_bank):
    page = compose_page(["ABCDEFGH IJKLMNOP", "QRSTUVWX YZ012345"], pattern_bank, np.random.default_rng(7), char_height=HEIGHT)
    tilted = photograph(page.image, np.random.default_rng(8), rotation_deg=3.0)
    letters = find_letters(tilted)
    assert len(letters) == 32
    assert letters.line.tolist() == [0] * 16 + [1] * 16
    assert letters.word.tolist() == ([0] * 8 + [1] * 8) * 2


def test_word_threshold_needs_two_groups():
    rng = np.random.default_rng(9)
    # Letter gaps alone (one normal group): a false word break on fewer than 2% of pages.
    false_breaks = [word_threshold(rng.normal(0.5, 0.15, 60)) < np.inf for _ in range(200)]
    assert np.mean(false_breaks) < 0.02
    # Letter gaps plus word gaps: the threshold falls between the two groups every time.
    for _ in range(200):
        limit = word_threshold(np.concatenate([rng.uniform(0.1, 0.9, 60), rng.uniform(1.3, 2.2, 15)]))
        assert 0.9 <= limit <= 1.3
    assert word_threshold(np.array([0.5, 0.5, 0.5])) == np.inf
    assert word_threshold(np.array([0.4, 1.8])) == np.inf  # too few gaps to tell


# --- kinds of trouble from real photos, reproduced on synthetic pages ---

def grey_photo(image, rng):
    """A composed page as the grey of its phone photo (light, tint, blur, noise)."""
    from ocr_cli.pipeline.images import to_gray

    return to_gray(photograph(image, rng))


def assert_reads_layout(letters, page, tolerance=HEIGHT / 8):
    assert letters.line.tolist() == page.line_index and letters.word.tolist() == page.word_index
    assert_boxes_match(letters.boxes, np.array(page.boxes), tolerance)


def test_an_h_whose_bar_is_faint_is_one_box(pattern_bank):
    page = compose_page(["HH"], pattern_bank, np.random.default_rng(3), char_height=HEIGHT)
    image = page.image.copy()
    for y1, x1, y2, x2 in page.boxes:  # the glyph's middle bars are drawn faintly (a light pen stroke)
        bars = image[y1 + (y2 - y1) // 4:y2 - (y2 - y1) // 4, x1 + (x2 - x1) // 6:x2 - (x2 - x1) // 6]
        bars[bars < 0.5] = 0.7
    letters = find_letters(image)
    assert len(letters) == 2
    assert_boxes_match(letters.boxes, np.array(page.boxes), HEIGHT / 8)


def test_a_pale_pen_s_thin_parts_keep_its_letters_whole(pattern_bank):
    """A pale pen (its strokes darken the paper by a fifth) whose bars ran light: the
    bars fade under the page's low threshold, the pale pen's lower one keeps each H
    one mark (haze beside a marker's dark strokes stays out: the hazy whiteboard's test)."""
    rng = np.random.default_rng(7)
    page = compose_page(["HH HH"], pattern_bank, rng, char_height=HEIGHT)
    ink = 1.0 - page.image
    for y1, x1, y2, x2 in page.boxes:  # the middle bars, drawn lightly
        bars = ink[y1 + (y2 - y1) // 4:y2 - (y2 - y1) // 4, x1 + (x2 - x1) // 6:x2 - (x2 - x1) // 6]
        bars *= 0.3
    noise = rng.normal(0, 0.004, ink.shape)
    pale = np.clip(1.0 - 0.2 * ink + noise, 0, 1).astype(np.float32)
    letters = find_letters(pale)
    assert len(letters) == len(page.boxes)
    assert_boxes_match(letters.boxes, np.array(page.boxes), HEIGHT / 8)


def test_a_sheet_on_a_dark_desk_gives_its_text_and_nothing_from_the_desk(pattern_bank):
    rng = np.random.default_rng(4)
    page = compose_page(["AB CD", "EF"], pattern_bank, rng, char_height=HEIGHT)
    sheet = grey_photo(page.image, rng)
    pad = ((60, 80), (90, 50))
    desk = np.pad(sheet, pad, constant_values=0.1)
    desk = desk + rng.normal(0, 0.02, desk.shape).astype(np.float32)  # a textured, dark surface
    desk[pad[0][0] + sheet.shape[0] // 2:, :30] = 0.5  # a lighter object at the frame
    letters = find_letters(np.clip(desk, 0, 1))
    assert len(letters) == len(page.boxes)
    shifted = np.array(page.boxes) + [pad[0][0], pad[1][0], pad[0][0], pad[1][0]]
    assert_boxes_match(letters.boxes, shifted, HEIGHT / 8)


def test_a_hazy_whiteboard_with_faint_old_writing_gives_its_text_only(pattern_bank):
    rng = np.random.default_rng(5)
    page = compose_page(["WIPE", "CLEAN 42"], pattern_bank, rng, char_height=HEIGHT, width=600, height=300)
    old = compose_page(["OLD NOTES", "X Y Z"], pattern_bank, np.random.default_rng(6), char_height=HEIGHT)
    board = page.image.copy()
    h, w = min(board.shape[0], old.image.shape[0]), min(board.shape[1], old.image.shape[1])
    ghost = 1 - 0.15 * (1 - old.image[:h, :w])  # erased writing: 15% of the ink left
    board[:h, :w] = np.minimum(board[:h, :w], ghost)
    yy, xx = np.mgrid[:board.shape[0], :board.shape[1]]
    haze = 0.12 * np.exp(-(((xx - 250) / 180) ** 2 + ((yy - 120) / 90) ** 2))  # a grey smear of erasing
    board = np.clip(board - haze, 0, 1).astype(np.float32)
    letters = find_letters(board)
    assert len(letters) == len(page.boxes)
    assert_reads_layout(letters, page)


def test_edges_and_shadow_borders_give_no_characters(pattern_bank):
    rng = np.random.default_rng(7)
    page = compose_page(["EDGE 7"], pattern_bank, rng, char_height=HEIGHT, width=500, height=260)
    grey = grey_photo(page.image, rng)
    shadowed = grey.copy()
    yy, xx = np.mgrid[:grey.shape[0], :grey.shape[1]]
    shadowed[xx > 0.75 * grey.shape[1] + 0.3 * yy] *= 0.55  # a hard shadow crossing the right part
    shadowed[-25:, :] = 0.25  # a table edge along the bottom of the frame
    shadowed[:, :12] *= 0.5  # the card's edge along the left of the frame
    letters = find_letters(shadowed)
    assert len(letters) == len(page.boxes)
    assert_boxes_match(letters.boxes, np.array(page.boxes), HEIGHT / 8)


def test_a_heading_and_small_text_in_a_box_are_both_read(pattern_bank):
    rng = np.random.default_rng(8)
    heading = compose_page(["BIG"], pattern_bank, rng, char_height=70)
    small = compose_page(["SMALL 12"], pattern_bank, rng, char_height=30)
    image = np.ones((heading.image.shape[0] + small.image.shape[0] + 40, 700), np.float32)
    image[:heading.image.shape[0], :heading.image.shape[1]] = heading.image
    top = heading.image.shape[0] + 20
    image[top:top + small.image.shape[0], 40:40 + small.image.shape[1]] = small.image
    y1 = top + min(b[0] for b in small.boxes) - 10
    y2 = top + max(b[2] for b in small.boxes) + 10
    x1, x2 = 40 + min(b[1] for b in small.boxes) - 12, 40 + max(b[3] for b in small.boxes) + 12
    image[y1:y1 + 3, x1:x2] = image[y2 - 3:y2, x1:x2] = 0  # a box drawn around the small text
    image[y1:y2, x1:x1 + 3] = image[y1:y2, x2 - 3:x2] = 0
    letters = find_letters(image)
    expected = np.array(heading.boxes + [[b[0] + top, b[1] + 40, b[2] + top, b[3] + 40] for b in small.boxes])
    assert len(letters) == len(expected)
    assert letters.line.tolist() == [0] * 3 + [1] * 7
    assert_boxes_match(letters.boxes, expected, 70 / 8)


def test_letters_touching_the_box_drawn_around_them_are_read(pattern_bank):
    rng = np.random.default_rng(9)
    heading = compose_page(["BIG"], pattern_bank, rng, char_height=70)
    small = compose_page(["SPACE"], pattern_bank, rng, char_height=36)
    image = np.ones((heading.image.shape[0] + small.image.shape[0] + 40, 700), np.float32)
    image[:heading.image.shape[0], :heading.image.shape[1]] = heading.image
    top = heading.image.shape[0] + 20
    image[top:top + small.image.shape[0], 40:40 + small.image.shape[1]] = small.image
    boxes = [[b[0] + top, b[1] + 40, b[2] + top, b[3] + 40] for b in small.boxes]
    # A hand-drawn box, slightly tilted, whose top and bottom lines touch the tallest letters
    # at its left end; its sides stand clear of the word.
    y1, y2 = min(b[0] for b in boxes), max(b[2] for b in boxes)
    x1, x2 = min(b[1] for b in boxes) - 12, max(b[3] for b in boxes) + 12
    for x in range(x1, x2):
        tilt = (x - x1) * 3 // (x2 - x1)
        image[y1 - 2 - tilt:y1 + 1 - tilt, x] = image[y2 - 1 + tilt:y2 + 2 + tilt, x] = 0
    image[y1 - 5:y2 + 5, x1:x1 + 3] = image[y1 - 5:y2 + 5, x2 - 3:x2] = 0
    letters = find_letters(image)
    expected = np.array(heading.boxes + boxes)
    assert len(letters) == len(expected)
    assert letters.line.tolist() == [0] * 3 + [1] * 5
    assert_boxes_match(letters.boxes, expected, 70 / 8)


def test_runs_at_least_is_a_line_opening():
    rng = np.random.default_rng(0)
    for _ in range(200):
        mask = rng.random(rng.integers(1, 12, 2)) < rng.uniform(0.3, 0.95)
        length, axis = int(rng.integers(1, 14)), int(rng.integers(0, 2))
        rows = np.moveaxis(mask, axis, -1)
        expected = np.zeros_like(rows)
        for r in range(rows.shape[0]):
            for start in range(rows.shape[1] - length + 1):
                if rows[r, start:start + length].all():
                    expected[r, start:start + length] = True
        assert (runs_at_least(mask, length, axis) == np.moveaxis(expected, -1, axis)).all()


def test_overlap_sweep_finds_exactly_the_pairs_a_full_comparison_finds():
    from ocr_cli.pipeline.segment import not_a_frame, overlapping_pairs

    rng = np.random.default_rng(9)
    for _ in range(20):
        n = int(rng.integers(0, 60))
        y1, x1 = rng.integers(0, 200, (2, n))
        boxes = np.stack([y1, x1, y1 + rng.integers(1, 60, n), x1 + rng.integers(1, 60, n)], 1)
        found = {tuple(sorted(p)) for p in overlapping_pairs(boxes).tolist()}
        brute = {(i, j) for i in range(n) for j in range(i + 1, n)
                 if min(boxes[i, 3], boxes[j, 3]) > max(boxes[i, 1], boxes[j, 1])}
        assert found == brute
        h = boxes[:, 2] - boxes[:, 0]
        inside = [any(k != m and (boxes[k, :2] <= boxes[m, :2]).all() and (boxes[k, 2:] >= boxes[m, 2:]).all()
                      and h[m] >= h[k] / 3 and h[m] >= 0.3 * 30 for m in range(n)) for k in range(n)]
        assert not_a_frame(boxes, 30).tolist() == [not x for x in inside]


def test_five_thousand_marks_are_arranged_in_lines_in_bounded_memory():
    import tracemalloc

    from ocr_cli.pipeline.records import Characters
    from ocr_cli.pipeline.segment import arrange

    yy, xx = np.mgrid[0:2100:30, 0:2100:30]  # 4,900 marks: an n x n array of floats is 190 MB
    boxes = np.stack([yy.ravel(), xx.ravel(), yy.ravel() + 20, xx.ravel() + 15], 1)
    tracemalloc.start()
    try:
        marks = arrange(Characters.found(boxes, [np.array([k + 1]) for k in range(len(boxes))]), 20)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50e6
    assert len(marks) == len(boxes) and marks.line.max() + 1 == 70
    for k in range(70):  # each row of marks one line, read left to right
        own = marks.boxes[marks.line == k]
        assert len(set(own[:, 0])) == 1 and (np.diff(own[:, 1]) > 0).all()


def test_solid_blots_of_character_size_are_not_characters(pattern_bank):
    page = compose_page(["AB CD"], pattern_bank, np.random.default_rng(6), char_height=HEIGHT)
    image = page.image.copy()
    y1, x1, y2, x2 = page.boxes[-1]
    image[y1:y2, x2 + HEIGHT:x2 + 2 * HEIGHT] = 0  # a filled square as tall as the letters
    image[y2 + HEIGHT:y2 + 2 * HEIGHT, x1:x1 + HEIGHT // 2] = 0  # a thick blot below
    letters = find_letters(image)
    assert_boxes_match(letters.boxes, np.array(page.boxes), HEIGHT / 10)



def test_a_dense_page_of_small_characters_is_measured_at_full_resolution(pattern_bank):
    from ocr_cli.pipeline.ink import SURVEY_PIXELS, SURVEY_SMALLEST, survey

    rng = np.random.default_rng(3)
    lines = [" ".join("".join(rng.choice(list("ABCDEFGH0123"), 4)) for _ in range(24)) for _ in range(90)]
    page = compose_page(lines, pattern_bank, rng, char_height=16)
    scale = np.sqrt(SURVEY_PIXELS / page.image.size)
    assert 16 * scale < SURVEY_SMALLEST  # too small to measure at the survey's scale
    assert abs(survey(page.image).height - 16) <= 2
    letters = find_letters(page.image)
    assert len(letters) == len(page.boxes) and abs(letters.char_height - 16) <= 2


def test_faint_writing_under_a_dark_edge_is_found(pattern_bank):
    """A faint pen on a sheet held up before dark hair: the darkest half percent of
    the darkness is the hair's edge, not writing; without the marks far larger than a
    character the strokes' cores are the letters', and their ink is found."""
    from ocr_cli.pipeline.ink import threshold

    rng = np.random.default_rng(8)
    page = compose_page(["HALO", "WORD"], pattern_bank, rng, char_height=HEIGHT, width=420, height=260)
    ink = np.pad(0.3 * (1 - page.image), ((100, 0), (0, 0)))  # darkness: faint letters
    yy, xx = np.mgrid[:ink.shape[0], :ink.shape[1]]
    rim = (np.abs(np.hypot((xx - ink.shape[1] / 2) / 160, (yy - 95) / 80) - 1) < 0.05) & (yy < 95)
    ink[rim] = 0.9  # the edge of a dark head
    ink = np.clip(ink + rng.normal(0, 0.005, ink.shape), 0, 1).astype(np.float32)
    letters = np.pad(page.image < 0.5, ((100, 0), (0, 0)))
    share = lambda mask: (mask & letters).sum() / letters.sum()
    assert share(threshold(ink, HEIGHT / 32)) < 0.5  # the hair's edge sets the threshold
    assert share(threshold(ink, HEIGHT / 32, HEIGHT)) > 0.9


def test_letters_under_a_deep_shadow_reaching_the_frame_are_found(pattern_bank):
    """A shadow darker than half the paper that reaches the frame looks like the desk
    around a sheet, but it is written on (strokes as dark against it as against the
    paper): it stays part of the sheet and its letters are found."""
    rng = np.random.default_rng(9)
    page = compose_page(["AB CD", "EF GH"], pattern_bank, rng, char_height=HEIGHT, width=420, height=200)
    photo = page.image.astype(np.float32).copy()
    yy, xx = np.mgrid[:photo.shape[0], :photo.shape[1]]
    shadow = xx < 150 + 0.3 * yy  # a hand's shadow over the left of the sheet, to its edge
    photo[shadow] *= 0.35
    photo = np.clip(photo + rng.normal(0, 0.01, photo.shape), 0, 1).astype(np.float32)
    letters = find_letters(photo)
    assert len(letters) == len(page.boxes)
    assert_boxes_match(letters.boxes, np.array(page.boxes), HEIGHT / 8)


def test_thresholds_and_thinning_are_skimages_without_importing_it():
    """Otsu's split, hysteresis and Zhang's thinning are computed as scikit-image does
    (same values on random pages and masks), and reading a page imports no skimage:
    importing skimage.morphology alone takes a tenth of a second at every start."""
    import subprocess
    import sys

    from scipy import ndimage as ndi
    from skimage.filters import apply_hysteresis_threshold, threshold_otsu
    from skimage.morphology import skeletonize as public

    from ocr_cli.layout import skeletonize
    from ocr_cli.pipeline.ink import hysteresis, otsu

    rng = np.random.default_rng(0)
    for k in range(60):
        h, w = rng.integers(1, 60, 2)
        x = (rng.random((h, w)) ** rng.uniform(0.3, 3)).astype(np.float32)
        x = np.round(x * 5) / 5 if k % 5 == 0 else x
        low, high = sorted(rng.random(2))
        assert otsu(x) == threshold_otsu(x)
        assert (hysteresis(x, low, high) == apply_hysteresis_threshold(x, low, high)).all()
        mask = ndi.binary_dilation(rng.random((h, w)) < 0.05, iterations=int(rng.integers(1, 4)))
        assert (skeletonize(mask) == public(mask)).all()
    probe = ("import sys, numpy as np; from ocr_cli.pipeline.reader import read_image; "
             "image = np.full((120, 300), 0.9, np.float32); image[40:80, 50:60] = 0.1; read_image(image); "
             "print(sorted(m for m in sys.modules if m.split('.')[0] == 'skimage' and not m.endswith('_cy')))")
    imported = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert imported.strip() == "[]"  # (the thinning's compiled loop is loaded alone)


def overlap(box, truth):
    """Intersection over union of ``box`` ``(left, top, width, height)`` and ``truth``
    ``[y1, x1, y2, x2]``."""
    left, top, width, height = box
    y1, x1, y2, x2 = truth
    inner = max(0, min(x2, left + width) - max(x1, left)) * max(0, min(y2, top + height) - max(y1, top))
    return inner / (width * height + (y2 - y1) * (x2 - x1) - inner)


def comb_field(bank, style, seed):
    """A row of eight printed cells (``style`` "comb": a line with ticks a third of the
    cell high; "boxes": closed boxes) with a capital or digit written in each, as large
    as the cell so that the letters touch its lines: (image, true boxes)."""
    from PIL import ImageDraw

    from ocr_synth.scenes import write_in_cells

    cell, left, top = 52, 30, 40
    canvas = Image.new("F", (left * 2 + 8 * cell, 140), 1.0)
    draw = ImageDraw.Draw(canvas)
    bottom, right = top + cell, left + 8 * cell
    tick = cell if style == "boxes" else cell // 3
    draw.line([(left, bottom), (right, bottom)], fill=0.0, width=2)
    if style == "boxes":
        draw.line([(left, top), (right, top)], fill=0.0, width=2)
    for i in range(9):
        draw.line([(left + i * cell, bottom), (left + i * cell, bottom - tick)], fill=0.0, width=2)
    image = np.asarray(canvas, np.float32).copy()
    labels = np.zeros(image.shape, np.int32)
    boxes, _ = write_in_cells(image, labels, "AB12CD34", top, left, cell, cell, bank,
                              np.random.default_rng(seed), 0)
    return image, np.array(boxes)


@pytest.mark.parametrize("style", ["comb", "boxes"])
def test_letters_written_in_a_comb_or_a_row_of_boxes_are_read_without_its_ticks_and_sides(nist_bank, style):
    """Handwriting (pattern glyphs are drawn with the straight full-height strokes of
    ticks) in printed cells, read by the shipped model: every letter found, in one
    line, each box on a letter (no tick or side read as a 1 or an I, no letter lost
    to a side it touches)."""
    from ocr_cli.net.model import load_model
    from ocr_cli.pipeline.lexicon import Lexicon
    from ocr_cli.pipeline.reader import read_image

    model, right, total = load_model(), 0, 0
    for seed in range(4):
        image, truth = comb_field(nist_bank, style, seed)
        assert any(image[y1 - 1:y2 + 1, x1 - 1:x2 + 1].min() == 0 for y1, x1, y2, x2 in truth)  # touching
        page = read_image((image * 255).astype(np.uint8), model, Lexicon([], model.classes))
        read = page.characters
        assert len(page.lines) == 1 and len(read) == len(truth), page.text()
        # (a tick read as a letter overlaps one by under 0.1; a foot run along the comb's
        # line goes with the line, as a 2's in one of these)
        assert all(overlap(c.box, true) > 0.4 for c, true in zip(read, truth))
        right += sum(c.text == t for c, t in zip(read, "AB12CD34"))
        total += len(truth)
    assert right >= 0.85 * total  # the shipped model misreads a few of these hands (1 as 7, 4 as Y)


def test_a_rule_under_two_letters_parts_nothing_and_a_line_between_them_does():
    from ocr_cli.pipeline.lines import barrier_between

    a, b = [20, 10, 60, 40], [20, 60, 60, 90]  # side by side, a gap of 20 columns
    barrier = np.zeros((100, 120), bool)
    barrier[58:61, 0:120] = True  # a rule at their feet, along the gap
    assert not barrier_between(barrier, a, b, 3)
    barrier[20:60, 49:51] = True  # an upright line in the gap
    assert barrier_between(barrier, a, b, 3)


def test_sides_at_one_pitch_are_told_from_strokes_between_them():
    from ocr_cli.pipeline.structure import on_a_pitch

    x = [30, 82, 134, 141, 186, 238, 280, 290, 342]  # cells 52 apart; strokes at 141 and 280
    boxes = np.array([[10, c - 1, 60, c + 1] for c in x])
    keep = on_a_pitch(boxes, boxes[:, 0], height=40)
    assert keep.tolist() == [c not in (141, 280) for c in x]
    # two rows of another pitch each, told apart by where they stand
    rows = np.array([[10 + 100 * (k % 2), c - 1, 60 + 100 * (k % 2), c + 1] for k, c in enumerate(range(0, 400, 40))])
    assert on_a_pitch(rows, rows[:, 0], height=40).all()
    assert not on_a_pitch(boxes[:2], boxes[:2, 0], height=40, least=3).any()


def test_arrows_joining_drawn_boxes_go_and_letters_in_a_box_or_on_a_line_stay():
    from ocr_cli.pipeline.structure import without_connectors

    height = 40
    binary, removed = np.zeros((300, 500), bool), np.zeros((300, 500), bool)
    for x1, x2 in ((20, 160), (260, 400)):  # two boxes' sides, taken out
        removed[50:56, x1:x2] = removed[144:150, x1:x2] = removed[50:150, x1:x1 + 6] = removed[50:150, x2 - 6:x2] = True
    binary[80:120, 60:66] = True  # a letter's stroke in the first box
    binary[80:120, 148:154] = binary[80:86, 130:154] = True  # a letter touching its box's side from inside
    binary[98:102, 162:258] = True  # an arrow from the first box's side to the second's, a pixel off each
    binary[90:110, 248:258] = True  # its head
    binary[82:118, 434:440] = True  # an E touching the second box from outside with its arms
    binary[82:86, 404:440] = binary[98:102, 404:440] = binary[114:118, 404:440] = True
    binary[200:240, 60:66] = binary[200:240, 90:96] = True  # two letters standing on an underline
    removed[240:244, 40:140] = True
    out = without_connectors(binary, removed, height)
    assert not out[90:110, 162:258].any()  # the arrow and its head are gone
    arrow = np.zeros(binary.shape, bool)
    arrow[90:110, 162:258] = True
    assert (out == binary)[~arrow].all()  # nothing else changed
    # with nothing enclosed (no box), nothing goes
    assert (without_connectors(binary, removed & (np.arange(300) >= 200)[:, None], height) == binary).all()


def test_growing_a_mask_by_a_square_is_a_dilation_by_it():
    from ocr_cli.pipeline import ndi
    from ocr_cli.pipeline.structure import grown

    rng = np.random.default_rng(0)
    for size in (1, 3, 9, 21):
        for _ in range(10):
            mask = rng.random((int(rng.integers(1, 60)), int(rng.integers(1, 60)))) < 0.03
            assert (grown(mask, size) == ndi.binary_dilation(mask, np.ones((size, size), bool))).all()


def notes_side_by_side(bank, edge):
    """Two notes of one colour stuck edge to edge: ``AB CD`` over ``EFGH`` on the left,
    ``XY`` on the right, level with ``AB CD`` and a letter gap past it; with ``edge``,
    the faint line of the right note's edge between them (a grey 15% under the
    paper's, two pixels wide). Returns the image and the x where the right note begins."""
    rng = np.random.default_rng(8)
    left = compose_page(["AB CD", "EFGH"], bank, rng, char_height=HEIGHT)
    right = compose_page(["XY"], bank, rng, char_height=HEIGHT)

    def ink(page):  # the page cut to its ink
        boxes = np.array(page.boxes)
        y1, x1 = boxes[:, :2].min(0)
        return page.image[y1:boxes[:, 2].max(), x1:boxes[:, 3].max()]

    a, b = ink(left), ink(right)
    gap = int(0.9 * HEIGHT)
    image = np.ones((a.shape[0] + 4 * HEIGHT, a.shape[1] + gap + b.shape[1] + 4 * HEIGHT), np.float32)
    top, x = 2 * HEIGHT, 2 * HEIGHT
    image[top:top + a.shape[0], x:x + a.shape[1]] = a
    split = x + a.shape[1] + gap // 2
    image[top:top + b.shape[0], x + a.shape[1] + gap:x + a.shape[1] + gap + b.shape[1]] = b
    if edge:
        image[HEIGHT // 2:-HEIGHT // 2, split:split + 2] = 0.85
    return photograph(image, np.random.default_rng(9)), split


def test_the_faint_edge_of_a_note_stuck_beside_another_parts_their_words(pattern_bank):
    """A note's edge over its neighbour is a thin line too faint to be ink: what lies either
    side of it is on different lines and blocks, read note by note (without the edge,
    ``XY`` would continue the line of ``AB CD``)."""
    for edge in (True, False):
        photo, split = notes_side_by_side(pattern_bank, edge)
        _, marks = segment(Photo.of(photo))
        right = (marks.boxes[:, 1] + marks.boxes[:, 3]) / 2 > split
        assert len(marks) == 10 and right.sum() == 2
        if edge:  # the left note's eight letters first, both its lines; then the right's
            assert right.tolist() == [False] * 8 + [True] * 2
            assert len(set(marks.block[right]) & set(marks.block[~right])) == 0
            assert len(set(marks.line[right]) & set(marks.line[~right])) == 0
        else:
            assert len(set(marks.line[right]) & set(marks.line[~right])) == 1


def test_faint_lines_are_thin_long_and_alone_not_ink_nor_a_dark_area_s_grain():
    from ocr_cli.pipeline.structure import faint_lines

    rng = np.random.default_rng(10)
    ink = np.clip(rng.normal(0.01, 0.01, (300, 400)), 0, 1).astype(np.float32)
    ink[20:280, 100:102] += 0.12  # a faint upright edge, 6.5 heights long
    ink[150:160, 150:350] += 0.15  # a faint band ten pixels tall: a shadow's border, not thin
    ink[20:280, 300:302] = 0.9  # a drawn line: ink
    grain = ink[30:130, 180:280]
    grain += np.clip(rng.normal(0.3, 0.15, grain.shape), 0, 1)  # a dark area's grain
    found = ink > 0.5
    lines = faint_lines(ink, found, 40.0)
    assert lines[25:275, 100:102].mean() > 0.9
    lines[:, 99:103] = False
    assert not lines.any()


def test_blocks_on_a_note_are_read_in_rows_left_to_right_and_notes_in_rows():
    """Blocks on one surface (two notes of one colour stuck side by side, seen as one) are
    read in rows, left to right, not by their tops alone; the surfaces in rows too."""
    from ocr_cli.pipeline.lines import reading_order

    blocks = {  # block: (its characters' boxes, the surface they lie on)
        0: ([[150, 20, 190, 50], [150, 60, 190, 90]], [100, 0, 400, 350]),  # left on a note
        1: ([[140, 200, 180, 230], [140, 240, 180, 270]], [100, 0, 400, 350]),  # right on it, a bit higher
        2: ([[130, 420, 170, 450]], [90, 380, 390, 600]),  # on the next note, higher still
        3: ([[900, 900, 940, 930]], [0, 0, 1000, 1000]),  # on the wall, below
    }
    boxes = np.array([box for b in blocks for box in blocks[b][0]])
    block = np.array([b for b in blocks for _ in blocks[b][0]])
    surface = np.array([blocks[b][1] for b in blocks for _ in blocks[b][0]])
    order, _, read = reading_order(boxes, block.copy(), block, surface)
    assert block[order].tolist() == [0, 0, 1, 1, 2, 3]
    assert read.tolist() == [0, 0, 1, 1, 2, 3]
