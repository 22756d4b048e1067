"""Training-time augmentation keeps images valid and changes them as intended."""

import numpy as np

from ocr_cli.net.augment import PRESSURE, augment, random_affines, vary_strokes, warp


def letter_rows(n=8):
    images = np.ones((n, 32, 32))
    images[:, 6:26, 10:14] = 0.0  # a vertical bar ...
    images[:, 6:10, 10:24] = 0.0  # ... with a top stroke: a rough 'F'-like shape
    return images


def test_identity_affine_changes_nothing():
    images = letter_rows()
    same = warp(images, np.tile(np.eye(2), (8, 1, 1)), np.zeros((8, 2)))
    np.testing.assert_allclose(same, images, atol=1e-12)


def test_shift_moves_the_ink():
    images = letter_rows(1)
    moved = warp(images, np.eye(2)[None], np.array([[0.0, -3.0]]))  # output x reads input x - 3
    np.testing.assert_allclose(moved[0, :, 13:17], images[0, :, 10:14])


def test_augmented_batches_stay_images_of_the_same_size_and_ink():
    rng = np.random.default_rng(0)
    rows = letter_rows(64).reshape(64, -1)
    out = augment(rows, rng)
    assert out.shape == rows.shape and out.min() >= 0 and out.max() <= 1
    # ink fades by up to PRESSURE where the pen pressed less: still ink if clearly darker than paper
    ink = (out < 1 - (1 - PRESSURE) / 2).sum(1) / (rows < 0.5).sum(1)
    assert 0.4 < ink.min() and ink.max() < 2.5  # changed, but the character is still there
    assert not np.allclose(out, rows)
    matrices, _ = random_affines(1000, rng)
    assert 0.7 < np.abs(np.linalg.det(matrices)).min() and np.abs(np.linalg.det(matrices)).max() < 1.4


def test_stroke_variation_thickens_and_thins():
    images = letter_rows(300)
    varied = vary_strokes(images, np.random.default_rng(1))
    ink_before = (images < 0.5).sum((1, 2))
    ink_after = (varied < 0.5).sum((1, 2))
    assert (ink_after > ink_before).any() and (ink_after < ink_before).any() and (ink_after == ink_before).any()


def test_letter_variants_draw_serifs_on_i_and_leave_other_classes():
    from ocr_cli.layout import CLASSES
    from ocr_cli.net.augment import letter_variants

    upright = np.ones((32, 32))
    upright[4:28, 14:18] = 0.0  # a plain I: a 4 px bar
    images = np.stack([upright.T] * 40)  # stored transposed, as the data is
    labels = np.array([CLASSES.index("I")] * 20 + [CLASSES.index("L")] * 20)
    out = letter_variants(images, labels, np.random.default_rng(0))
    np.testing.assert_array_equal(out[20:], images[20:])  # L has no variants
    widths = (out[:20].transpose(0, 2, 1) < 0.5).sum(2)  # ink per upright row
    serifed = widths[:, 4] > 4
    assert 3 < serifed.sum() < 17  # about half of them
    assert (widths[serifed, 4] >= 8).all() and (widths[:, 15] == 4).all()  # a bar at the top, the stem unchanged


def test_with_more_forms_some_zeros_get_a_slash_from_corner_to_corner():
    from ocr_cli.layout import CLASSES
    from ocr_cli.net.augment import SLASHES, letter_variants

    upright = np.ones((32, 32))
    upright[4:28, 9:23] = 0.0
    upright[7:25, 12:20] = 1.0  # a zero: a ring 3 px thick
    images = np.stack([upright.T] * 200)
    labels = np.array([CLASSES.index("0")] * 200)
    assert np.array_equal(letter_variants(images, labels, np.random.default_rng(1)), images)  # only with forms
    out = letter_variants(images, labels, np.random.default_rng(1), forms=True).transpose(0, 2, 1)
    slashed = (out[:, 7:25, 12:20] < 0.5).any(axis=(1, 2))  # ink inside the ring
    assert abs(slashed.mean() - SLASHES["0"]) < 0.08
    one = out[np.flatnonzero(slashed)[0]]
    assert one[15, 15] < 0.5 and one[8, 13] > 0.5 and one[23, 18] > 0.5  # across the middle, not the other diagonal
    assert one[29, 7] < 0.5 or one[28, 8] < 0.5  # it reaches past the ring's bottom left corner
    np.testing.assert_array_equal(np.minimum(out[slashed], upright), out[slashed])  # ink only added


def test_uneven_pressure_fades_ink_but_keeps_the_firmest_stroke_and_the_paper():
    from ocr_cli.net.augment import uneven_pressure

    rows = letter_rows(64)
    out = uneven_pressure(rows, np.random.default_rng(0))
    changed = ~np.isclose(out, rows).all(axis=(1, 2))
    assert 10 < changed.sum() < 30  # about 30% of the images
    paper = rows == 1
    assert np.array_equal(out[paper], rows[paper])  # paper stays paper
    assert (out >= rows - 1e-6).all()  # ink only fades
    darkness = 1 - out[changed].reshape(changed.sum(), -1)
    original = 1 - rows[changed].reshape(changed.sum(), -1)
    assert np.allclose(darkness.max(1), original.max(1), atol=0.05)  # the firmest part stays full ink
    assert (darkness.sum(1) < original.sum(1)).all() and darkness.sum() < 0.9 * original.sum()


def test_broken_strokes_only_turn_ink_into_paper():
    from ocr_cli.net.augment import broken_strokes

    rows = letter_rows(200)
    out = broken_strokes(rows, np.random.default_rng(1))
    broken = (out != rows).any(axis=(1, 2))
    assert 15 < broken.sum() < 50  # about 15% of the images
    assert np.all(out[out != rows] == 1.0)
    lost = (rows < 0.5).sum((1, 2)) - (out < 0.5).sum((1, 2))
    assert lost[broken].min() > 0 and lost[broken].max() <= 2 * 9  # at most 2 gaps of radius 1.3 px


def test_neighbour_pieces_put_part_of_another_character_beside_a_share_of_the_rows():
    from ocr_cli.net.augment import neighbour_pieces

    upright = np.ones((32, 32))
    upright[4:28, 14:18] = 0.0  # a bar, 4 px wide, in the middle
    X = np.tile(upright.T.reshape(1, -1), (400, 1))
    out = neighbour_pieces(X, np.random.default_rng(0), 0.3)
    changed = (out != X).any(axis=1)
    assert 0.22 < changed.mean() < 0.38
    columns = (out[changed].reshape(-1, 32, 32).transpose(0, 2, 1) < 0.5).any(axis=1).sum(axis=1)
    assert (columns > 4).all()  # beside the bar, a piece of another
    assert np.array_equal(neighbour_pieces(X, np.random.default_rng(0), 0.0), X)
