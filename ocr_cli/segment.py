"""Finding the characters of a photo: boxes in reading order, grouped into lines and words.

The pipeline, one step per function::

    grey -> choose working scale -> flatten lighting -> mask what is not the sheet
         -> blur -> threshold (hysteresis) -> strip drawn boxes -> label
         -> join pieces -> drop what is not a character (size, frame, shape, ink)
         -> group lines -> order -> word gaps -> boxes in original pixels

Every size is relative to the measured character height or to the page's own
statistics, never an absolute number of pixels tuned to one photo.
"""

from dataclasses import dataclass

import numpy as np
from scipy import ndimage as ndi
from skimage.filters import apply_hysteresis_threshold, threshold_otsu

from ocr_cli.errors import InputError
from ocr_cli.images import to_gray

# Pass 1 looks at the page at about this many pixels: enough to measure characters
# down to ~1/60 of the page height, and cheap.
SURVEY_PIXELS = 1_000_000
# Under this height (pixels) a character's strokes blur into a blob at the survey's
# scale and its height is not measured there.
SURVEY_SMALLEST = 8
# Characters are segmented and cropped at this height (pixels): well above the 25 px
# the network sees, so that resampling, not the photo, limits the crop.
WORKING_HEIGHT = 48
# ... on an image of at most this many pixels: segmentation holds about 40 bytes per
# working pixel, so reading stays about a gigabyte at most (66 MP of 18,000 characters:
# 1.0 GB); only a page dense with characters under 1/100 of its side reaches it (they
# are then worked under 48 px: 29 px on that page, 90.8% read against 92.4% at 37 px).
MOST_WORKING_PIXELS = 10_000_000
# A page of hand printing holds at most a couple of thousand characters; a thousand
# solid dots outnumbering the marks that could be characters is a pattern, a halftone
# or noise, and reading each of them would only spend time and memory.
MOST_BLOBS = 1000


@dataclass
class Letters:
    """What :func:`find_letters` found: ``boxes: (K, 4)`` int ``[y1, x1, y2, x2]`` in
    photo pixels (top-left inclusive, bottom-right exclusive) in reading order;
    ``line, word: (K,)`` the line index and the word index within the line;
    ``char_height`` in photo pixels; ``size``: the photo's (height, width)."""

    boxes: np.ndarray
    line: np.ndarray
    word: np.ndarray
    char_height: float
    size: tuple = (0, 0)

    def __len__(self):
        return len(self.boxes)

    def subset(self, keep):
        """The characters where ``keep: (K,)`` holds, lines and words renumbered from
        0 without gaps (a line or word left empty disappears)."""
        line, word = self.line[keep], self.word[keep]
        renumbered_line = np.unique(line, return_inverse=True)[1].reshape(-1)
        renumbered_word = np.zeros(len(line), np.int64)
        for k in range(1, len(line)):
            if line[k] == line[k - 1]:
                renumbered_word[k] = renumbered_word[k - 1] + int(word[k] != word[k - 1])
        return Letters(self.boxes[keep], renumbered_line, renumbered_word, self.char_height, self.size)


@dataclass
class Working:
    """The segmentation's working-scale images, which cropping reads: ``photo_scale``
    (working pixels per photo pixel), ``ink: (h, w)`` float ink darkness 0..1,
    ``labels: (h, w)`` component labels, ``members``: per character, the labels of
    its own components, ``boxes: (K, 4)`` in working pixels, in the order of
    :class:`Letters`, and ``height``, the character height in working pixels."""

    photo_scale: float
    ink: np.ndarray
    labels: np.ndarray
    members: list
    boxes: np.ndarray
    height: float = 0.0

    def with_characters(self, boxes, members):
        """The same images with other characters: ``boxes (K, 4)``, ``members``."""
        return Working(self.photo_scale, self.ink, self.labels, list(members),
                       np.asarray(boxes, np.int64).reshape(-1, 4), self.height)


def resize(gray, scale):
    """Area-averaged (downscaling) or bilinear (upscaling) resize of ``(H, W)`` float32."""
    from PIL import Image

    if scale == 1:
        return gray
    h, w = gray.shape
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.asarray(Image.fromarray(gray).resize(size, Image.BOX if scale < 1 else Image.BILINEAR))


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
    it by less) and reach the frame. From them the mask grows through every pixel
    darker than half the paper, so it follows the sheet's edge to the pixel, but not
    into ink near the edge that does not touch the surround."""
    medians = ndi.median_filter(block_statistic(gray, block, 50), 3, mode="nearest")
    paper = np.percentile(medians, 90)
    labels, _ = ndi.label(medians < 0.5 * paper)
    edge = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    core = np.isin(labels, edge[edge > 0])
    if not core.any():
        return np.zeros(gray.shape, bool)
    # Seeds: the surround's inner blocks (a block at its edge may hold ink of the sheet
    # beside it) and its pixels on the frame.
    inner = ndi.binary_erosion(core, np.ones((3, 3)), border_value=1)
    rows = np.minimum(np.arange(gray.shape[0]) // block, core.shape[0] - 1)
    cols = np.minimum(np.arange(gray.shape[1]) // block, core.shape[1] - 1)
    on_frame = np.zeros(gray.shape, bool)
    on_frame[[0, -1], :] = on_frame[:, [0, -1]] = True
    dark = gray < 0.5 * paper
    seeds = (inner[np.ix_(rows, cols)] | (core[np.ix_(rows, cols)] & on_frame)) & dark
    return ndi.binary_propagation(seeds, mask=dark)


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


def threshold(ink, blur):
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
    paper noise (6 sigma) and 10% above the paper is blank: an empty mask."""
    smooth = ndi.gaussian_filter(ink, blur)
    if smooth.max() - smooth.min() < 1e-4:  # far under one grey level of 8-bit: a flat page
        return np.zeros(ink.shape, bool)
    paper, noise = paper_noise(smooth)
    cores = float(np.percentile(smooth, 99.5))
    # Otsu on the darkness capped at the cores: the darkest half percent (a strip of
    # desk at the frame, a shadow's core) must not pull the split away from the strokes.
    high = max(threshold_otsu(np.minimum(smooth, cores)), paper + 0.5 * (cores - paper))
    mask = smooth > high
    if not mask.any() or smooth[mask].mean() < paper + max(6 * noise, 0.1):
        return np.zeros(ink.shape, bool)
    low = max(paper + 0.6 * (high - paper), paper + 4 * noise)
    return apply_hysteresis_threshold(np.where(ink > low, smooth, 0), low, high) | mask


def components(binary):
    """Labels ``(H, W)`` and boxes ``(n, 4)`` ``[y1, x1, y2, x2]`` and pixel counts ``(n,)``
    of the 8-connected components; label ``i + 1`` is row ``i``."""
    labels, n = ndi.label(binary, structure=np.ones((3, 3)))
    slices = ndi.find_objects(labels)
    boxes = np.array([[s[0].start, s[1].start, s[0].stop, s[1].stop] for s in slices], dtype=np.int64).reshape(-1, 4)
    areas = np.bincount(labels.ravel(), minlength=n + 1)[1:]
    return labels, boxes, areas


def runs_at_least(mask, length, axis):
    """Pixels of ``mask`` on a straight run of at least ``length`` pixels along ``axis``
    (1: rows, 0: columns): a morphological opening with a line, by running sums, so
    that it costs the same for any length."""
    m = np.moveaxis(mask, axis, -1).astype(np.int32)
    sums = np.concatenate([np.zeros(m.shape[:-1] + (1,), np.int32), np.cumsum(m, -1)], -1)
    starts = (sums[..., length:] - sums[..., :-length]) == length  # a full run starts here
    covered = np.concatenate([np.zeros(m.shape[:-1] + (1,), np.int32), np.cumsum(starts, -1, dtype=np.int32)], -1)
    n = m.shape[-1]
    first = np.clip(np.arange(n) - length + 1, 0, None)  # run starts that cover pixel x: x-length+1 .. x
    last = np.minimum(np.arange(n), starts.shape[-1] - 1)
    hit = (covered[..., last + 1] - covered[..., first]) > 0 if starts.shape[-1] else np.zeros_like(m, bool)
    return np.moveaxis(hit & (m > 0), -1, axis)


def drawn_lines(own):
    """The pixels of ``own`` (one mark's mask, cut to its box) on the straight sides of
    a box drawn by hand, and how many of the four sides there are: rows that run along
    half the box's width and columns along half its height, touching the box's outer
    edge (the letters inside never do). A hand-drawn line wanders off straight by a few
    percent of its length (a tilt, a wobble), so runs are looked for in the mask
    thickened across by 1.5% of their length: a letter touching the line loses as
    much of its ink next to it."""
    rules, sides = np.zeros(own.shape, bool), 0
    for axis in (1, 0):
        length = max(2, own.shape[axis] // 2)
        wobble = int(np.ceil(0.015 * length))
        across = (2 * wobble + 1, 1) if axis == 1 else (1, 2 * wobble + 1)
        band = runs_at_least(ndi.binary_dilation(own, np.ones(across)), length, axis)
        labels, _ = ndi.label(band)
        # The side's band reaches the box's edge up to a tenth of the box across (a
        # stroke's ragged edge, a line's end bent off), where no letter inside reaches.
        zone = max(wobble + 1, int(0.1 * own.shape[1 - axis]))
        near = np.moveaxis(labels, 1 - axis, 0)
        for edge in (near[:zone], near[-zone:]):
            found = np.unique(edge[edge > 0])
            sides += len(found) > 0
            rules |= np.isin(labels, found)
    return own & rules, sides


def holds_a_letter(mask, height):
    """Whether ``mask`` has a mark at least 0.2 character heights tall: a small word's
    letters (0.3 heights and up) shortened where they touched the box's lines, not
    the short stubs of a broken letter's inner strokes."""
    spans = [s[0].stop - s[0].start for s in ndi.find_objects(ndi.label(mask)[0])]
    return bool(spans) and max(spans) >= 0.2 * height


def without_drawn_boxes(binary, height):
    """``binary`` less the lines of boxes drawn around words, so that letters touching
    their box become marks of their own. A drawn box is a mark whose box wholly holds
    another mark at least a third of its height and of 0.3 character heights (a
    letter, not a speck inside an O or an E), or a mark at least 1.5 times as wide as
    tall (a word's width, not a letter's) with all four straight sides and a letter
    left when they are gone (not a broken letter's boxy half; letters that touch, as
    an E beside an E, make three sides at most)."""
    labels, boxes, _ = components(binary)
    if not len(boxes):
        return binary
    i, j = overlapping_pairs(boxes).T
    h, w = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    holds = encloses(boxes, i, j) & (h[j] >= h[i] / 3) & (h[j] >= 0.3 * height)
    holding = np.zeros(len(boxes), bool)
    holding[i[holds]] = True
    out = binary.copy()
    for k in np.flatnonzero(holding | ((w >= 1.5 * h) & (h >= 0.3 * height))):
        y1, x1, y2, x2 = boxes[k]
        own = labels[y1:y2, x1:x2] == k + 1
        lines, sides = drawn_lines(own)
        if holding[k] or (sides == 4 and holds_a_letter(own & ~lines, height)):
            out[y1:y2, x1:x2] &= ~lines
    return out


def typical_height(boxes, areas, shape):
    """The ink-weighted median component height: specks carry little ink, so they barely
    move it; components touching the image edge (shadows, page borders) are left out."""
    heights = boxes[:, 2] - boxes[:, 0]
    inside = (boxes[:, 0] > 0) & (boxes[:, 1] > 0) & (boxes[:, 2] < shape[0]) & (boxes[:, 3] < shape[1])
    if not inside.any():
        return 0.0
    h, a = heights[inside], areas[inside]
    order = np.argsort(h)
    cumulative = np.cumsum(a[order])
    return float(h[order][np.searchsorted(cumulative, cumulative[-1] / 2)])


def survey(gray):
    """Pass 1 at about :data:`SURVEY_PIXELS`: the character height in original pixels.
    Characters too small to measure there (a dense page, a large scan: under
    :data:`SURVEY_SMALLEST` px at that scale) are measured at full resolution in a
    window of the same size at the page's centre."""
    scale = min(1.0, np.sqrt(SURVEY_PIXELS / gray.size))
    height = measured_height(resize(gray, scale)) / scale
    if scale < 1 and height * scale < SURVEY_SMALLEST:
        side = int(np.sqrt(SURVEY_PIXELS))
        top, left = max(0, (gray.shape[0] - side) // 2), max(0, (gray.shape[1] - side) // 2)
        return measured_height(gray[top:top + side, left:left + side]) or height
    return height


def measured_height(small):
    """The typical character height of ``small`` (a page or a window of one) in its pixels."""
    # Lighting varies over the page, not over a character: blocks of 1/24 of the short side.
    ink = ink_darkness(small, max(4, min(small.shape) // 24))
    # A 1 px blur (a thousandth of the page at this size, well under any legible
    # character) averages pixel noise down fourfold so that it cannot pass for ink.
    _, boxes, areas = components(threshold(ink, 1.0))
    return typical_height(boxes, areas, small.shape)


def overlapping_pairs(boxes):
    """Index pairs ``(i, j)``, ``i != j``, of boxes ``(n, 4)`` whose column ranges
    overlap, by a sweep over boxes sorted by left edge: each box meets only those that
    start before it ends, so memory follows the pairs, never ``n x n``."""
    order = np.argsort(boxes[:, 1], kind="stable")
    left, right = boxes[order, 1], boxes[order, 3]
    ends = np.searchsorted(left, right, side="left")  # boxes starting before box k ends
    firsts = [np.full(end - k - 1, k) for k, end in enumerate(ends) if end > k + 1]
    if not firsts:
        return np.zeros((0, 2), np.int64)
    i = np.concatenate(firsts)
    j = np.concatenate([np.arange(k + 1, end) for k, end in enumerate(ends) if end > k + 1])
    return np.stack([order[i], order[j]], 1)


def encloses(boxes, i, j):
    """Whether box ``i`` wholly contains box ``j`` (index arrays of equal length)."""
    return ((boxes[i, 0] <= boxes[j, 0]) & (boxes[i, 1] <= boxes[j, 1]) & (boxes[i, 2] >= boxes[j, 2])
            & (boxes[i, 3] >= boxes[j, 3]))


def join_pieces(boxes, height):
    """Groups of component rows that make one character: pieces stacked in one column
    (horizontal overlap >= half the narrower piece) and close vertically (gap < 1/2
    character height) whose union stays within 1.5 character heights; never a piece
    and one it encloses (a box drawn around a word and the letters inside)."""
    n = len(boxes)
    parent = np.arange(n)

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    i, j = overlapping_pairs(boxes).T
    y1, x1, y2, x2 = boxes.T
    overlap = np.minimum(x2[i], x2[j]) - np.maximum(x1[i], x1[j])
    vgap = np.maximum(y1[i], y1[j]) - np.minimum(y2[i], y2[j])
    span = np.maximum(y2[i], y2[j]) - np.minimum(y1[i], y1[j])
    close = ((overlap >= 0.5 * np.minimum(x2[i] - x1[i], x2[j] - x1[j])) & (vgap < 0.5 * height)
             & (span <= 1.5 * height) & ~encloses(boxes, i, j) & ~encloses(boxes, j, i))
    for a, b in zip(i[close], j[close]):
        parent[root(a)] = root(b)
    roots = np.array([root(k) for k in range(n)], dtype=np.int64)
    order = np.argsort(roots, kind="stable")  # the pieces of each root, together, in index order
    return np.split(order, np.flatnonzero(np.diff(roots[order])) + 1) if n else []


def merge_boxes(boxes, groups):
    return np.array([[boxes[g, 0].min(), boxes[g, 1].min(), boxes[g, 2].max(), boxes[g, 3].max()] for g in groups],
                    dtype=np.int64).reshape(-1, 4)


def is_character(boxes, height):
    """Keeps boxes of character size: drops specks and punctuation (both sides under
    0.3 character heights: a period, a stray dot; the small words written beside
    large ones, in a box or a margin, are 0.4 heights and up) and giants (taller
    than 3 character heights or wider than 5: rules, borders, shadows)."""
    h, w = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    small = (h < 0.3 * height) & (w < 0.3 * height)
    giant = (h > 3 * height) | (w > 5 * height)
    return ~small & ~giant


def not_a_blob(boxes, groups, areas):
    """Drops solid blobs: marks whose ink fills over 95% of their box and that are not
    thin (short side over half the long one): a dot, a blot, a filled square. Strokes
    leave paper in a character's box: of the nist36 training characters none fills
    more than 80% of a box that is not thin (an I or a 1 fills a thin one); the margin
    is for the blur of thresholding, which closes narrow gaps between strokes."""
    h, w = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    ink = np.array([areas[g - 1].sum() for g in groups], dtype=np.float64).reshape(-1)
    solid = ink > 0.95 * np.maximum(h * w, 1)
    squat = np.minimum(h, w) > 0.5 * np.maximum(h, w)
    return ~(solid & squat)


def inside_frame(boxes, shape):
    """Boxes clear of the image's edge. What the frame cuts is the surround (a desk, a
    shadow, a table edge) or a character cut in half; when nothing else is found (a
    tight crop of one word), everything is kept."""
    clear = (boxes[:, 0] > 0) & (boxes[:, 1] > 0) & (boxes[:, 2] < shape[0]) & (boxes[:, 3] < shape[1])
    return clear if clear.any() else np.ones(len(boxes), bool)


def not_a_frame(boxes):
    """Drops boxes that wholly contain another box: a box drawn around a word, a
    circle around a number (a character never encloses a whole other character)."""
    i, j = overlapping_pairs(boxes).T
    frame = np.zeros(len(boxes), bool)
    frame[i[encloses(boxes, i, j)]] = True
    frame[j[encloses(boxes, j, i)]] = True
    return ~frame


def not_a_rule(boxes, height):
    """Drops flat marks: wider than three times their height and flatter than 0.4
    character heights (an underline, a dash, a line of a form); the flattest letters
    and digits are about as wide as tall."""
    h, w = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    return ~((w > 3 * h) & (h < 0.4 * height))


def firm_ink(ink, labels, groups):
    """Drops marks whose strokes are far fainter than the page's characters (mean
    darkness of their pixels under half the median over the marks): erased writing
    on a whiteboard, a pencil line showing through the paper. One pass over the
    pixels, whatever the number of marks."""
    if not groups:
        return np.zeros(0, bool)
    mark = np.zeros(labels.max() + 1, np.int64)  # label -> mark number + 1 (0: background, dropped)
    for k, g in enumerate(groups):
        mark[g] = k + 1
    pixel_mark = mark[labels]
    counts = np.bincount(pixel_mark.ravel(), minlength=len(groups) + 1)[1:]
    sums = np.bincount(pixel_mark.ravel(), weights=ink.ravel(), minlength=len(groups) + 1)[1:]
    darkness = sums / np.maximum(counts, 1)
    return darkness >= 0.5 * np.median(darkness)


def keep(boxes, groups, mask):
    """The boxes ``(n, 4)`` and component groups where ``mask: (n,)`` holds."""
    return boxes[mask], [g for g, k in zip(groups, mask) if k]


def group_lines(boxes, height):
    """Line index per box. Boxes are taken left to right; each joins the line whose most
    recent box has its vertical centre within 0.6 character heights (following a
    slanted line letter by letter), else starts a new line. Lines are numbered top to
    bottom by their mean centre."""
    cy = (boxes[:, 0] + boxes[:, 2]) / 2
    line = np.full(len(boxes), -1)
    last_cy = []
    for i in np.argsort(boxes[:, 1], kind="stable"):
        distances = np.abs(np.array(last_cy) - cy[i]) if last_cy else np.array([])
        if len(distances) and distances.min() < 0.6 * height:
            line[i] = int(distances.argmin())
            last_cy[line[i]] = cy[i]
        else:
            line[i] = len(last_cy)
            last_cy.append(cy[i])
    means = np.array([cy[line == k].mean() for k in range(len(last_cy))])
    rank = np.argsort(np.argsort(means))
    return rank[line] if len(line) else line


def word_threshold(gaps):
    """The gap above which a gap separates words, from this page's own letter gaps
    ``(n,)`` in character heights. Otsu's split divides them into two groups; it is kept
    only if two normal groups explain the gaps better than one by the Bayesian
    information criterion, otherwise ``inf``: no word breaks on the page (a page of
    evenly spaced letters has one broad group, not two)."""
    values = np.sort(gaps)
    n = len(values)
    if n < 3 or values[0] == values[-1]:
        return np.inf
    k = np.arange(1, n)
    low_mean = np.cumsum(values)[:-1] / k
    high_mean = (values.sum() - np.cumsum(values)[:-1]) / (n - k)
    split = int(np.argmax(k * (n - k) * (high_mean - low_mean) ** 2)) + 1
    low, high = values[:split], values[split:]

    def log_variance(v):
        # Gaps are measured between ink boxes to about half a stroke: 5% of a height.
        return np.log(max(v.var(), 0.05 ** 2))

    one = n * log_variance(values) + 2 * np.log(n)
    two = (len(low) * log_variance(low) + len(high) * log_variance(high)
           - 2 * (len(low) * np.log(len(low) / n) + len(high) * np.log(len(high) / n)) + 5 * np.log(n))
    return float((low.max() + high.min()) / 2) if two < one else np.inf


def order_and_words(boxes, line, height):
    """Reading order (line by line, left to right) and the word index within each line."""
    order = np.lexsort((boxes[:, 1], line))
    boxes, line = boxes[order], line[order]
    same_line = line[1:] == line[:-1]
    gaps = (boxes[1:, 1] - boxes[:-1, 3]) / height
    limit = word_threshold(gaps[same_line])
    new_word = np.concatenate([[False], same_line & (gaps > limit)])
    starts_line = np.concatenate([[True], ~same_line])
    word = np.zeros(len(boxes), dtype=np.int64)
    for i in range(1, len(boxes)):
        word[i] = 0 if starts_line[i] else word[i - 1] + int(new_word[i])
    return order, word


def find_letters(image, factor=1.0, char_height=None):
    """Finds the characters of ``image`` (any array :func:`ocr_cli.images.to_gray`
    takes: grey, RGB, RGBA, integer or float), each of whose pixels stands for
    ``factor`` x ``factor`` pixels of the photo (see :func:`ocr_cli.images.load_page`),
    with characters ``char_height`` photo pixels tall (None: measure them). Returns
    :class:`Letters`, with boxes and character height in photo pixels."""
    return segment(image, factor, char_height)[0]


def segment(image, factor=1.0, char_height=None):
    """:func:`find_letters`, and the :class:`Working` images that cropping needs."""
    gray = to_gray(image)
    height = survey(gray) if char_height is None else char_height / factor
    scale = min(1.0, WORKING_HEIGHT / height) if height > 0 else min(1.0, np.sqrt(SURVEY_PIXELS / gray.size))
    scale = min(scale, np.sqrt(MOST_WORKING_PIXELS / gray.size))  # a page dense with small characters
    small = resize(gray, scale)
    work_height = max(height * scale, 1.0)
    # A block of two character heights always holds paper around the strokes.
    ink = strokes_only(ink_darkness(small, max(4, int(2 * work_height))), work_height)
    # Blur by 1/32 of a character: smooths paper grain and JPEG blocks, keeps strokes.
    binary = without_drawn_boxes(threshold(ink, work_height / 32), work_height)
    labels, boxes, areas = components(binary)
    groups = join_pieces(boxes, work_height) if len(boxes) else []
    merged, groups = merge_boxes(boxes, groups), [g + 1 for g in groups]
    merged, groups = keep(merged, groups, is_character(merged, work_height))
    shaped = not_a_blob(merged, groups, areas)
    if (~shaped).sum() > MOST_BLOBS and (~shaped).mean() > 0.5:
        raise InputError("image", f"not a page of text: {(~shaped).sum()} of its {len(shaped)} marks are solid dots")
    merged, groups = keep(merged, groups, shaped)
    merged, groups = keep(merged, groups, inside_frame(merged, ink.shape))
    merged, groups = keep(merged, groups, not_a_frame(merged))
    merged, groups = keep(merged, groups, not_a_rule(merged, work_height))
    merged, groups = keep(merged, groups, firm_ink(ink, labels, groups))
    working = Working(scale / factor, ink, labels, groups, merged, work_height)
    size = tuple(int(v) for v in np.round(np.array(gray.shape) * factor))
    return arrange(working, height * factor, size)


def arrange(working, char_height, size):
    """The characters of ``working`` (:class:`Working`) grouped into lines, put in
    reading order and split into words: :class:`Letters` (``size``: the photo's
    (height, width); ``char_height`` in photo pixels) and the :class:`Working` in the
    same order."""
    merged, groups, work_height = working.boxes, working.members, working.height
    line = group_lines(merged, work_height)
    order, word = order_and_words(merged, line, work_height) if len(merged) else (np.zeros(0, int), np.zeros(0, int))
    renewed = working.with_characters(merged[order], [groups[i] for i in order])
    return Letters(photo_boxes(renewed, size), line[order], word, char_height, size), renewed


def photo_boxes(working, size):
    """``working.boxes`` in photo pixels, grown outward to whole pixels and kept
    within the photo (``size``: its (height, width))."""
    boxes = working.boxes
    original = np.column_stack([np.floor(boxes[:, :2] / working.photo_scale),
                                np.ceil(boxes[:, 2:] / working.photo_scale)])
    return np.minimum(original, np.array(size + size)).astype(np.int64).reshape(-1, 4)
