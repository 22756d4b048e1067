"""From a photo's grey pixels to its ink: the darkness of every pixel relative to the
paper under it, the ink mask, its marks, and the typical character height.

    grey -> paper brightness per block (background) -> what is not the sheet (not_sheet)
         -> ink darkness -> strokes only (top-hat) -> hysteresis threshold -> marks

Every size is relative to the measured character height or to the page's own
statistics.
"""

from typing import NamedTuple

import numpy as np
from . import ndi

# The character height is first measured on the page at about this many pixels
# (:func:`survey`): enough to measure characters down to ~1/60 of the page height, and cheap.
SURVEY_PIXELS = 1_000_000
# Under this height (pixels) a character's strokes blur into a blob at the survey's
# scale and its height is not measured there.
SURVEY_SMALLEST = 8
# Characters are segmented and cropped at this height (pixels): well above the 25 px
# the network sees, so that resampling, not the photo, limits the crop.
WORKING_HEIGHT = 48


# An image larger than this (pixels) is shrunk a strip of rows at a time: PIL resizes
# its own copy of what it is given, and a whole copy of a 150-megapixel float32 image
# is 600 MB more. Smaller ones (any photo decoded at its working scale) are shrunk whole.
RESIZE_WHOLE_PIXELS = 16_000_000
STRIP_MARGIN = 2


def resize(gray, scale):
    """Area-averaged (downscaling) or bilinear (upscaling) resize of ``(H, W)`` float32."""
    from PIL import Image

    if scale == 1:
        return gray
    h, w = gray.shape
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    if scale > 1 or gray.size <= RESIZE_WHOLE_PIXELS:
        return np.asarray(Image.fromarray(gray).resize(size, Image.BOX if scale < 1 else Image.BILINEAR))
    shrunk = np.empty(size[::-1], np.float32)
    step = h / size[1]  # rows of gray per row of the result: each strip's box starts where the last ended
    rows = max(1, int(RESIZE_WHOLE_PIXELS // 4 / (w * step)))
    for first in range(0, size[1], rows):
        last = min(size[1], first + rows)
        # (with rows to spare: PIL rounds a box's edges to whole rows, and may take one more)
        top, bottom = max(0, int(first * step) - STRIP_MARGIN), min(h, int(np.ceil(last * step)) + STRIP_MARGIN)
        strip = Image.fromarray(gray[top:bottom])
        shrunk[first:last] = np.asarray(strip.resize((size[0], last - first), Image.BOX,
                                                     box=(0, first * step - top, w, last * step - top)))
    return shrunk


def background(gray, block, sheet):
    """Paper brightness under uneven lighting: the 90th percentile of each ``block``
    square (ink covers far less than 10% of a block larger than a character) of the
    pixels on the ``sheet`` (mask; a desk beside the sheet in the block would make the
    paper look as dark as the desk and the ink beside it as pale as the paper), a
    block with none taking its nearest block's value, a 3x3 median over blocks to
    overrule blocks crowded with ink, then a smooth bilinear upsampling back to
    ``gray``'s shape."""
    from PIL import Image

    grid = block_statistic(np.where(sheet, gray, np.nan) if not sheet.all() else gray, block, 90)
    missing = np.isnan(grid)
    if missing.all():
        grid = block_statistic(gray, block, 90)
    elif missing.any():
        grid = grid[tuple(ndi.distance_transform_edt(missing, return_distances=False, return_indices=True))]
    grid = ndi.median_filter(grid, 3, mode="nearest")
    return np.asarray(Image.fromarray(grid).resize(gray.shape[::-1], Image.BILINEAR))


def ink_darkness(gray, block):
    """``(H, W)`` ink darkness 0..1 (0 paper): 1 - grey / background; 0 on what is
    not the sheet (:func:`not_sheet`, in blocks of a quarter of ``block``: half a
    character)."""
    off = not_sheet(gray, max(2, block // 4))
    ink = np.clip(1.0 - gray / np.maximum(background(gray, block, ~off), 1e-3), 0.0, 1.0)
    ink[off] = 0.0
    return ink


def block_statistic(gray, block, q):
    """The ``q``-th percentile of each ``block`` x ``block`` square of ``gray``:
    ``(ceil(H / block), ceil(W / block))``; NaN pixels are left out (NaN for a block
    of nothing else)."""
    h, w = gray.shape
    rows, cols = -(-h // block), -(-w // block)
    padded = np.pad(gray, ((0, rows * block - h), (0, cols * block - w)), mode="edge")
    tiles = padded.reshape(rows, block, cols, block).transpose(0, 2, 1, 3).reshape(rows, cols, -1)
    if not np.isnan(tiles).any():
        return np.percentile(tiles, q, axis=2).astype(np.float32)
    # numpy's nanpercentile, vectorised (it works block by block: 10 s for 100,000
    # blocks): NaN sort last, each block interpolates between its own valid values.
    ordered = np.sort(tiles, axis=2)
    valid = tiles.shape[2] - np.isnan(tiles).sum(axis=2)
    position = np.maximum(valid - 1, 0) * (q / 100)
    below = np.floor(position).astype(np.int64)
    above = np.minimum(below + 1, np.maximum(valid - 1, 0))
    low = np.take_along_axis(ordered, below[..., None], 2)[..., 0]
    high = np.take_along_axis(ordered, above[..., None], 2)[..., 0]
    result = low + (high - low) * (position - below)
    result[valid == 0] = np.nan  # a block of NaN only: its answer is NaN
    return result.astype(np.float32)


def not_sheet(gray, block):
    """``(H, W)`` mask of what is not the sheet: a desk, a room, a table edge around it.
    Half a character block's median brightness ignores strokes (they cover less than
    half a block) but not a surface; the surround's blocks are darker than half the
    paper's brightness (90th percentile of the blocks: a shadow over the sheet darkens
    it by less), reach the frame and hold no writing (:func:`written_on`: a deep
    shadow fallen across the sheet does). From them the mask grows through every pixel
    darker than half the paper, so it follows the sheet's edge to the pixel, but not
    into ink near the edge that does not touch the surround."""
    medians = ndi.median_filter(block_statistic(gray, block, 50), 3, mode="nearest")
    paper = np.percentile(medians, 90)
    labels, _ = ndi.label(medians < 0.5 * paper)
    edge = on_the_frame(labels)
    # Each pixel's block.
    rows = np.minimum(np.arange(gray.shape[0]) // block, labels.shape[0] - 1)
    cols = np.minimum(np.arange(gray.shape[1]) // block, labels.shape[1] - 1)
    surrounds = [k for k in edge[edge > 0] if not written_on(gray, labels == k, medians, (rows, cols), paper)]
    core = np.isin(labels, surrounds)
    if not core.any():
        return np.zeros(gray.shape, bool)
    # Seeds: the surround's inner blocks (a block at its edge may hold ink of the sheet
    # beside it) and its pixels on the frame.
    inner = ndi.binary_erosion(core, np.ones((3, 3)), border_value=1)
    on_frame = np.zeros(gray.shape, bool)
    on_frame[[0, -1], :] = on_frame[:, [0, -1]] = True
    dark = gray < 0.5 * paper
    seeds = (inner[np.ix_(rows, cols)] | (core[np.ix_(rows, cols)] & on_frame)) & dark
    return ndi.binary_propagation(seeds, mask=dark)


# A dark region holding pixels under this share of its own brightness is written on ...
STROKE_RATIO = 0.4
# ... when they make at least this share of it: a shadow across a sheet keeps its strokes
# as dark against it as the paper's (a letter is 5-15% of its box), a desk has none.
WRITTEN = 0.01
# A shadow lets through at least this share of the paper's light (a desk or a room in the
# dark is darker; their noise and grain are no writing).
SHADOW_LEAST = 0.25


def written_on(gray, region, medians, blocks, paper):
    """Whether the ``region`` (a mask of blocks, ``medians`` their median brightness,
    ``blocks`` the ``(rows, cols)`` block of each pixel row and column) of ``gray``
    holds writing: a shadow fallen across the sheet rather than the desk around it. A
    region darker than SHADOW_LEAST of the ``paper`` is none (a black desk's noise is
    no writing)."""
    if np.median(medians[region]) < SHADOW_LEAST * paper:
        return False
    rows, cols = blocks
    inside = region[np.ix_(rows, cols)]
    local = medians[np.ix_(rows, cols)][inside]
    return bool(np.mean(gray[inside] < STROKE_RATIO * local) >= WRITTEN)


def strokes_only(ink, height):
    """``ink`` less what is wider than a stroke: a white top-hat (darkness minus its
    grey opening) with a square of 0.6 character heights, wider than where two of the
    thickest marker strokes meet (a stroke is up to a quarter of a height) but
    narrower than a desk's edge, a shadow or a table edge, whose solid darkness it
    removes."""
    size = max(3, int(round(0.6 * height)))
    return ink - ndi.grey_opening(ink, size=(size, size))


def paper_noise(ink):
    """The paper's darkness (median) and its pixel noise: the robust spread of the
    darkness minus a 2 px blur of it, which haze, shadows and other slow changes of
    the paper do not inflate, on a quarter of the pixels."""
    sample = ink[::2, ::2]
    fine = sample - ndi.gaussian_filter(sample, 1.0)
    return float(np.median(sample)), float(1.4826 * np.median(np.abs(fine - np.median(fine))))


# The hysteresis' low threshold lies this share of the way from the paper to the high
# one: a faint or dry stroke grows from its firm part through pixels this dark.
LOW_SHARE = 0.6
# A pale pen's strokes (their cores darken the paper by at most the first of PEN_CORES)
# fade into their thin parts where the pen ran dry or light: they grow through pixels
# FAINT_SHARE of the way to the high threshold (a pen between the two: a share between),
# where a mark grown so stays the size of a character or two (PEN_MARK heights at most
# tall and wide: letters that a pale pen's thin strokes join are cut by the lattice); a
# mark grown larger (through paper grain, a shadow's edge) keeps only what the page's
# LOW_SHARE grows. Dark strokes keep LOW_SHARE: haze beside them (erased writing, the
# blur between two letters that touch) stays out.
PEN_CORES, FAINT_SHARE, PEN_MARK = (0.3, 0.45), 0.25, (1.5, 2.5)
# No threshold lies nearer the paper than this many standard deviations of its noise.
NOISE_FLOOR = 4
# Marks taller than the first or wider than the second of these (character heights) are
# no characters (three letters that touch are 3.5 wide): their ink does not set the
# strokes' cores.
GIANT = (2.0, 4.0)


def threshold(ink, blur, height=None):
    """Ink mask of ``ink`` (darkness) by hysteresis: pixels of the ``blur``-ed darkness
    above a high threshold seed strokes, which grow through pixels above a low one,
    so that a faint or thin stroke stays joined to the firm part of its character.
    The growth runs on the blurred darkness but only through pixels that are ink
    before blurring too, so the blur never bridges a gap of paper between two marks.
    The high threshold is Otsu's on the blurred darkness (capped at the stroke
    cores), raised to half-way to the stroke cores (99.5th percentile: ink covers
    more of a page of text than that) where haze or a grey board pulls Otsu down to
    the paper; the low threshold is 60% of the way from the paper to the high one,
    above the paper's noise. A page whose darkest pixels do not stand out of the
    paper noise (6 sigma) and 10% above the paper is blank: an empty mask. Given the
    characters' ``height``, the cores are measured without marks far larger, and a
    pale pen's thin parts grow in (:func:`pale_pen`)."""
    smooth = ndi.gaussian_filter(ink, blur)
    if smooth.max() - smooth.min() < 1e-4:  # far under one grey level of 8-bit: a flat page
        return np.zeros(ink.shape, bool)
    paper, noise = paper_noise(smooth)
    cores = float(np.percentile(smooth, 99.5))
    low, high = hysteresis_levels(smooth, cores, paper, noise)
    mask = smooth > high
    if not mask.any() or smooth[mask].mean() < paper + max(6 * noise, 0.1):
        return np.zeros(ink.shape, bool)
    found = grow(ink, smooth, low, high)
    if height is None:
        return found
    # The darkest half percent may be no writing at all (the edge of dark hair above a
    # sheet held up to a webcam): the cores and the split are measured again without
    # the marks far larger than a character, and the page thresholded again if they
    # are fainter.
    labels, boxes, _ = components(found)
    tall, wide = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    giants = np.flatnonzero((tall > GIANT[0] * height) | (wide > GIANT[1] * height)) + 1
    if len(giants):
        rest = smooth[~np.isin(labels, giants)]
        marks_cores = float(np.percentile(rest, 99.5)) if rest.size else cores
        if marks_cores < cores:
            low, high = hysteresis_levels(rest, marks_cores, paper, noise)
            found = grow(ink, smooth, low, high)
    # (the pen is as pale as the page's darkest strokes: hair or a form's print beside
    # it may be darker, then it is not taken for pale)
    return pale_pen(found, ink, smooth, cores, paper, noise, low, high, height)


def pale_pen(found, ink, smooth, cores, paper, noise, low, high, height):
    """``found`` with the thin parts of a pale pen's strokes grown in (see
    :data:`PEN_CORES`): the marks grown through the pale pen's lower threshold that stay
    within PEN_MARK character heights tall and wide, the rest as ``found``."""
    pale_low = low_level(float(np.interp(cores - paper, PEN_CORES, (FAINT_SHARE, LOW_SHARE))), high, paper, noise)
    if pale_low >= low:
        return found
    pale = grow(ink, smooth, pale_low, high)
    labels, boxes, _ = components(pale)
    tall, wide = PEN_MARK
    sized = ((boxes[:, 2] - boxes[:, 0]) <= tall * height) & ((boxes[:, 3] - boxes[:, 1]) <= wide * height)
    return found | np.concatenate([[False], sized])[labels]


def hysteresis_levels(darkness, cores, paper, noise):
    """``(low, high)`` thresholds of :func:`threshold` from the blurred ``darkness``
    values and their stroke ``cores``, above the ``paper`` and its ``noise``."""
    # Otsu on the darkness capped at the cores: the darkest half percent (a strip of
    # desk at the frame, a shadow's core) must not pull the split away from the strokes.
    capped = np.minimum(darkness, cores)
    # (Darkness flat up to the cores, under half a percent of the page darker: no split.)
    split = otsu(capped) if cores - capped.min() >= 1e-4 else cores
    high = max(split, paper + 0.5 * (cores - paper))
    return low_level(LOW_SHARE, high, paper, noise), high


def low_level(share, high, paper, noise):
    """The hysteresis' low threshold ``share`` of the way from the ``paper`` to ``high``,
    at least NOISE_FLOOR standard deviations of the paper's ``noise`` above it."""
    return max(paper + share * (high - paper), paper + NOISE_FLOOR * noise)


def grow(ink, smooth, low, high):
    """Pixels of the blurred darkness ``smooth`` over ``high``, and those over ``low``
    that reach them through pixels that are ink (over ``low``) before blurring too."""
    return hysteresis(np.where(ink > low, smooth, 0), low, high) | (smooth > high)


def hysteresis(values, low, high):
    """Pixels of ``values`` over ``low`` joined (4-connected) to one over ``high``
    (skimage's ``apply_hysteresis_threshold``, without importing skimage)."""
    labels, count = ndi.label(values > min(low, high))
    connected = np.zeros(count + 1, bool)
    connected[np.unique(labels[values > high])] = True
    connected[0] = False
    return connected[labels]


def otsu(values):
    """Otsu's threshold of ``values`` over 256 bins between their extremes, as skimage's
    ``threshold_otsu`` computes it (its bin centres; one value: that value)."""
    values = values.reshape(-1)
    if np.all(values == values[0]):
        return values[0]
    counts, edges = np.histogram(values, bins=256, range=(values.min(), values.max()))
    counts = counts.astype(np.float32)
    centres = (edges[:-1] + edges[1:]) / 2.0
    weight1, weight2 = np.cumsum(counts), np.cumsum(counts[::-1])[::-1]
    mean1 = np.cumsum(counts * centres) / weight1
    mean2 = (np.cumsum((counts * centres)[::-1]) / weight2[::-1])[::-1]
    variance12 = weight1[:-1] * weight2[1:] * (mean1[:-1] - mean2[1:]) ** 2
    return centres[np.argmax(variance12)]


def on_the_frame(labels):
    """The labels of ``labels: (H, W)`` found on the image's frame (0 too where the background reaches it)."""
    return np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))


def components(binary):
    """Labels ``(H, W)`` and boxes ``(n, 4)`` ``[y1, x1, y2, x2]`` and pixel counts ``(n,)``
    of the 8-connected components; label ``i + 1`` is row ``i``."""
    labels, n = ndi.label(binary, structure=np.ones((3, 3)))
    slices = ndi.find_objects(labels)
    boxes = np.array([[s[0].start, s[1].start, s[0].stop, s[1].stop] for s in slices], dtype=np.int64).reshape(-1, 4)
    areas = np.bincount(labels.ravel(), minlength=n + 1)[1:]
    return labels, boxes, areas


# Marks that are not characters, left out of the character height: lines (the long side
# over this many times the short one; a 1 or an I is at most about 8 times as tall as its
# stroke is wide) ...
LINE_ASPECT = 10
# ... and frames: marks of over FRAME_SIDE px whose ink fills under this share of their
# box (a box or a diagram drawn around words; a character fills 10-50% of its box).
FRAME_FILL, FRAME_SIDE = 0.08, 20
# No mark weighs more in the ink-weighted median than this many typical marks: a
# drawing or a blot is one mark, not the page's writing.
MOST_WEIGHT = 4


def typical_height(boxes, areas, shape):
    """The ink-weighted median height of the marks that may be characters: specks carry
    little ink, so they barely move it; marks touching the image edge (shadows, page
    borders), lines and frames (:data:`LINE_ASPECT`, :data:`FRAME_FILL`) are left out,
    and no mark weighs more than :data:`MOST_WEIGHT` typical ones."""
    heights, widths = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    inside = (boxes[:, 0] > 0) & (boxes[:, 1] > 0) & (boxes[:, 2] < shape[0]) & (boxes[:, 3] < shape[1])
    long_side, short_side = np.maximum(heights, widths), np.minimum(heights, widths)
    line = long_side > LINE_ASPECT * np.maximum(short_side, 1)
    frame = (areas < FRAME_FILL * heights * widths) & (long_side > FRAME_SIDE)
    keep = inside & ~line & ~frame
    if not keep.any():
        return 0.0
    h, a = heights[keep], areas[keep]
    a = np.minimum(a, MOST_WEIGHT * np.median(a))
    order = np.argsort(h)
    cumulative = np.cumsum(a[order])
    return float(h[order][np.searchsorted(cumulative, cumulative[-1] / 2)])


# The marks of a page that may be single characters: a long side between these multiples
# of the typical height (a broken piece is smaller, two letters joined are wider).
CHARACTER_SIZE = (0.6, 1.6)


class Survey(NamedTuple):
    """A first look at a page: its typical character ``height``, the ``boxes`` ``(n,
    4)`` of its marks that may be single characters (:data:`CHARACTER_SIZE`) and their
    ``weights`` ``(n,)`` (the square root of their ink), in the pixels of the image looked
    at; and the marks' typical ``width``, measured as the height is (the characters'
    height on a page turned by a right angle)."""

    height: float
    boxes: np.ndarray
    weights: np.ndarray
    width: float = 0.0

    def scaled(self, factor):
        """The same in pixels ``factor`` times larger."""
        return Survey(self.height * factor, self.boxes * factor, self.weights, self.width * factor)


def survey(gray):
    """Pass 1 at about :data:`SURVEY_PIXELS` (see :class:`Survey`). Characters too small
    to measure there (a dense page, a large scan: under :data:`SURVEY_SMALLEST` px at
    that scale) are measured at full resolution in a window of the same size at the
    page's centre."""
    scale = min(1.0, np.sqrt(SURVEY_PIXELS / gray.size))
    small = resize(gray, scale)
    boxes, areas = marks(small)

    def across(boxes):  # the marks turned a quarter: their widths measured as heights
        return boxes[:, [1, 0, 3, 2]]

    height = typical_height(boxes, areas, small.shape) / scale
    width = typical_height(across(boxes), areas, small.shape[::-1]) / scale
    if scale < 1 and height * scale < SURVEY_SMALLEST:
        side = int(np.sqrt(SURVEY_PIXELS))
        top, left = max(0, (gray.shape[0] - side) // 2), max(0, (gray.shape[1] - side) // 2)
        window = gray[top:top + side, left:left + side]
        near, near_areas = marks(window)
        height = typical_height(near, near_areas, window.shape) or height
        width = typical_height(across(near), near_areas, window.shape[::-1]) or width
    size = np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]) / scale
    keep = (size >= CHARACTER_SIZE[0] * height) & (size <= CHARACTER_SIZE[1] * height) if height else size < 0
    return Survey(height, boxes[keep] / scale, np.sqrt(areas[keep]), width)


def marks(small):
    """The marks of ``small`` (a page or a window of one): their boxes and pixel counts."""
    # Lighting varies over the page, not over a character: blocks of 1/24 of the short side.
    ink = ink_darkness(small, max(4, min(small.shape) // 24))
    # A 1 px blur (a thousandth of the page at this size, well under any legible
    # character) averages pixel noise down fourfold so that it cannot pass for ink.
    _, boxes, areas = components(threshold(ink, 1.0))
    return boxes, areas


