"""Cutting each found character into the network's input layout.

The layout of the training data (measured on nist36_train): a 32x32 image, the
character's longer side 25 px (median) and centred, strokes 3.5 px wide (median of ink
area / skeleton length; 2.3 to 5.5 px from the 10th to 90th percentile, 1.7 to 8.2 px
from the 1st to 99th), ink 0 on
paper 1, flattened transposed.
"""

import numpy as np
from scipy import ndimage as ndi
from skimage.morphology import skeletonize

SIDE = 32
LONG_SIDE = 25  # median long side of the training characters
STROKE = 3.5  # median stroke width of the training characters (pixels at 32x32)
STROKE_RANGE = (1.7, 8.2)  # its 1st and 99th percentile: only strokes the data hardly has are changed


def stroke_width(mask):
    """Mean stroke width of a boolean ``mask``: ink area / skeleton length (pixels)."""
    length = skeletonize(mask).sum()
    return mask.sum() / length if length else 0.0


def disk(radius):
    r = np.arange(-radius, radius + 1)
    return (r[:, None] ** 2 + r[None] ** 2) <= radius ** 2 + 0.5


def stroke_correction(mask, scale):
    """Disk radius (in ``mask`` pixels) that brings the strokes of the character
    ``mask`` to the training median :data:`STROKE` once it is scaled by ``scale`` to the
    layout, if they would be thinner or thicker than most training strokes (outside
    :data:`STROKE_RANGE`: a pencil, a marker): positive to thicken, negative to thin
    (each pixel of radius changes the width by two); 0 for strokes inside the range,
    which are left as written, as the training data has them."""
    width = stroke_width(mask) * scale
    if width == 0 or STROKE_RANGE[0] <= width <= STROKE_RANGE[1]:
        return 0
    return int(round((STROKE - width) / (2 * scale)))


def tight(ink):
    """``ink`` cut to the box of its pixels darker than half (all of it if none are)."""
    rows, cols = np.nonzero(ink > 0.5)
    return ink[rows.min():rows.max() + 1, cols.min():cols.max() + 1] if len(rows) else ink


def place(ink):
    """``ink: (h, w)`` (ink 1) padded square, resized so its long side is
    :data:`LONG_SIDE` and centred on a (32, 32) canvas."""
    from PIL import Image

    h, w = ink.shape
    side = max(h, w)
    square = np.zeros((side, side), np.float32)
    square[(side - h) // 2:(side - h) // 2 + h, (side - w) // 2:(side - w) // 2 + w] = ink
    resample = Image.BOX if side > LONG_SIDE else Image.BILINEAR
    small = np.asarray(Image.fromarray(square).resize((LONG_SIDE, LONG_SIDE), resample))
    canvas = np.zeros((SIDE, SIDE), np.float32)
    start = (SIDE - LONG_SIDE) // 2
    canvas[start:start + LONG_SIDE, start:start + LONG_SIDE] = small
    return canvas


def to_layout(ink):
    """``ink: (h, w)`` darkness 0..1 of one character, tightly cropped -> ``(32, 32)``
    upright image in the training layout (paper 1, ink 0). Stroke width is corrected
    before resizing, at the resolution the strokes were found in, so that a thin
    pencil line is thickened before it fades into grey."""
    radius = stroke_correction(ink > 0.5, LONG_SIDE / max(ink.shape))
    if radius > 0:
        ink = ndi.grey_dilation(np.pad(ink, radius), footprint=disk(radius))
    elif radius < 0:
        thinner = ndi.grey_erosion(ink, footprint=disk(-radius))
        ink = tight(thinner) if (thinner > 0.5).any() else ink
    return 1.0 - np.clip(place(ink), 0.0, 1.0)


def character_ink(working, k):
    """Ink darkness of character ``k`` at the working scale (:class:`ocr_cli.segment.Working`),
    cut to its box, keeping only its own components (grown by one pixel for their
    anti-aliased edges) so that a neighbour reaching into the box does not leak in;
    scaled so strokes reach 1."""
    y1, x1, y2, x2 = working.boxes[k]
    region = (slice(max(y1 - 1, 0), y2 + 1), slice(max(x1 - 1, 0), x2 + 1))
    own = np.isin(working.labels[region], working.members[k])
    ink = working.ink[region] * ndi.binary_dilation(own, structure=np.ones((3, 3)))
    core = ink[own]
    # Pen pressure varies: the 90th percentile of the stroke pixels counts as full ink.
    full = np.percentile(core, 90) if core.size else 1.0
    return tight(np.clip(ink / max(full, 1e-6), 0.0, 1.0))


def crop_letters(working):
    """Every character found (:class:`ocr_cli.segment.Working`) as network input
    ``(K, 1024)``: upright 32x32 crops, transposed, flattened."""
    crops = np.ones((len(working.boxes), SIDE * SIDE), np.float32)
    for k in range(len(working.boxes)):
        crops[k] = to_layout(character_ink(working, k)).T.reshape(-1)
    return crops
