"""The network's input layout and class lists: defined here once, used everywhere.

A character reaches the network as one row of :data:`PIXELS` floats: a
:data:`SIDE` x :data:`SIDE` image of paper :data:`PAPER` (1.0) and ink :data:`INK`
(0.0), stored transposed (``row.reshape(SIDE, SIDE).T`` is upright), the character's
longer side :data:`LONG_SIDE` px and centred, its strokes about :data:`STROKE` px wide:
the layout of the nist36 files (measured on nist36_train), which the reading pipeline
reproduces for every character it cuts (:func:`to_layout`).

Classes: a data file's label columns and a model's outputs are named by a string of
characters, one per column (:data:`CLASSES`, the 36 of the nist36 files, by default;
:data:`NOT_A_CHARACTER` names the column of crops that are not characters). Lists are
matched by character, never by position.
"""

import functools

import numpy as np

CLASSES = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
# A model may have one more output, after the 36: "not a character" (a fragment, two
# letters, a speck, an edge or a box line that segmentation cut); reading drops them.
NOT_A_CHARACTER = "~"

SIDE = 32
PIXELS = SIDE * SIDE
PAPER, INK = 1.0, 0.0
LONG_SIDE = 25  # median long side of the training characters
STROKE = 3.5  # median stroke width of the training characters (ink area / skeleton length, px at 32x32)
STROKE_RANGE = (1.7, 8.2)  # its 1st and 99th percentile: only strokes the data hardly has are changed
# What a model file records of the layout it was trained on.
METADATA = {"side": SIDE, "flatten": "transposed: row.reshape(32, 32).T is the upright image",
            "background": PAPER, "ink": INK}


def valid_classes(text):
    """Whether ``text`` can name classes: distinct printable ASCII characters, none a
    space (a class is written as itself in every output)."""
    return (isinstance(text, str) and bool(text) and len(set(text)) == len(text)
            and all(c.isascii() and c.isprintable() and not c.isspace() for c in text))


def default_classes(columns):
    """The classes of ``columns`` label columns of a file that does not name them: the
    36, and "not a character" as a 37th."""
    return (CLASSES + NOT_A_CHARACTER)[:columns]


def characters_only(probs, classes):
    """``probs (N, C)`` over ``classes`` less the "not a character" column, if they
    have one."""
    junk = classes.find(NOT_A_CHARACTER)
    return np.delete(probs, junk, axis=1) if junk >= 0 else probs


def upright(rows):
    """Rows ``(N, PIXELS)`` -> upright images ``(N, SIDE, SIDE)`` (views)."""
    return np.asarray(rows).reshape(-1, SIDE, SIDE).transpose(0, 2, 1)


def rows(images):
    """Upright images ``(N, SIDE, SIDE)`` (or one ``(SIDE, SIDE)``) -> rows ``(N, PIXELS)``."""
    images = np.asarray(images).reshape(-1, SIDE, SIDE)
    return images.transpose(0, 2, 1).reshape(len(images), PIXELS)


def shifted(X, dy, dx):
    """Rows ``X: (N, PIXELS)`` with each image moved ``dy`` px down and ``dx`` px right
    (upright image), paper filling what comes in from the frame."""
    images = X.reshape(len(X), SIDE, SIDE)  # stored transposed: axis 1 is x, axis 2 is y
    out = np.full_like(images, PAPER)
    source = lambda d: slice(max(-d, 0), SIDE + min(-d, 0))
    target = lambda d: slice(max(d, 0), SIDE + min(d, 0))
    out[:, target(dx), target(dy)] = images[:, source(dx), source(dy)]
    return out.reshape(len(X), PIXELS)


def ink_widths(rows):
    """Width over height of each row's ink (its pixels darker than half-way): ``(N,)``;
    0 for a row without ink."""
    ink = upright(rows) < (PAPER + INK) / 2  # paper is light, ink dark

    def extent(present):  # (N, SIDE) -> first to last True
        first = present.argmax(1)
        last = SIDE - present[:, ::-1].argmax(1)
        return np.where(present.any(1), last - first, 0)
    height, width = extent(ink.any(2)), extent(ink.any(1))
    return width / np.maximum(height, 1)


# The widest a class is drawn: this percentile of its training characters' width over height.
WIDEST_PERCENTILE = 99


def widest(rows, labels, classes, least=20):
    """``{class: width over height}``: how wide each of ``classes`` is drawn at most
    (:data:`WIDEST_PERCENTILE` of the rows of that class, ``labels`` their class
    indices); classes with fewer than ``least`` rows are left out."""
    widths = ink_widths(rows)
    return {c: round(float(np.percentile(widths[labels == k], WIDEST_PERCENTILE)), 3)
            for k, c in enumerate(classes) if (labels == k).sum() >= least}


# --- one character's ink into the layout ---

def stroke_width(mask):
    """Mean stroke width of a boolean ``mask``: ink area / skeleton length (pixels)."""
    length = skeletonize(mask).sum()
    return mask.sum() / length if length else 0.0


def skeletonize(mask):
    """Zhang's thinning of a 2-D ``mask``, as ``skimage.morphology.skeletonize`` makes
    it: by its compiled loop, loaded alone (importing skimage.morphology imports
    scipy.spatial and more, a tenth of a second at every start of ``ocr read``);
    through skimage's own function where its files are laid out otherwise."""
    return compiled_thinning()(np.asarray(mask).astype(bool, order="C", copy=False))


@functools.cache  # loaded once per process
def compiled_thinning():
    import importlib.machinery
    import importlib.util
    from pathlib import Path

    name = "skimage.morphology._skeletonize_various_cy"
    try:
        folder = Path(importlib.util.find_spec("skimage").origin).parent / "morphology"
        path = next(p for p in folder.iterdir() if p.name.startswith("_skeletonize_various_cy.")
                    and p.suffix in (".so", ".pyd"))
        loader = importlib.machinery.ExtensionFileLoader(name, str(path))
        module = importlib.util.module_from_spec(importlib.util.spec_from_loader(name, loader))
        loader.exec_module(module)
        return module._fast_skeletonize
    except Exception:  # noqa: BLE001 - another skimage: its public function, which does the same
        from skimage.morphology import skeletonize as public

        return public


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
    own = stroke_width(mask)
    width = own * scale
    # A blot has no strokes to correct: its skeleton is a dot, its "stroke" wider than half
    # of it (thinning by that would erode with a disk of its whole size).
    if width == 0 or STROKE_RANGE[0] <= width <= STROKE_RANGE[1] or own > max(mask.shape) / 2:
        return 0
    return int(round((STROKE - width) / (2 * scale)))


def tight(ink):
    """``ink`` cut to the box of its pixels darker than half (all of it if none are)."""
    ys, xs = np.nonzero(ink > 0.5)
    return ink[ys.min():ys.max() + 1, xs.min():xs.max() + 1] if len(ys) else ink


def place(ink):
    """``ink: (h, w)`` (ink 1) padded square, resized so its long side is
    :data:`LONG_SIDE` and centred on a ``(SIDE, SIDE)`` canvas."""
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
    """``ink: (h, w)`` darkness 0..1 of one character, tightly cropped -> ``(SIDE,
    SIDE)`` upright image in the layout (paper 1, ink 0). Stroke width is corrected
    before resizing, at the resolution the strokes were found in, so that a thin
    pencil line is thickened before it fades into grey."""
    from .pipeline import ndi

    radius = stroke_correction(ink > 0.5, LONG_SIDE / max(ink.shape))
    if radius > 0:
        ink = ndi.grey_dilation(np.pad(ink, radius), footprint=disk(radius))
    elif radius < 0:
        thinner = ndi.grey_erosion(ink, footprint=disk(-radius))
        ink = tight(thinner) if (thinner > 0.5).any() else ink
    return PAPER - np.clip(place(ink), 0.0, 1.0)
