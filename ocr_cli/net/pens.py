"""Characters drawn anew from recorded pen strokes, with other pens, at training time.

The UNIPEN characters (``unipen36_strokes.json.gz``: per sample its ``label``, its
``strokes`` as lists of ``[x, y]`` tablet points, ``y_axis_up``, ``xppi``/``yppi`` and
its ``writer``) were written on tablets; their ``.mat`` images show them with one pen.
Here each sample is drawn again whenever training asks for it, each time with another
pen (:func:`random_pen`): thin or thick, pressed unevenly (lighter and narrower in
places), skipping, blotting, soft, slanted or squeezed a little, at about the size the
reading pipeline works at (characters 48 px tall,
:data:`ocr_cli.pipeline.ink.WORKING_HEIGHT`). Its ink is then made what the pipeline
makes of a character: scaled so that its firm strokes are full ink
(:func:`ocr_cli.pipeline.crop.character_ink` does the same) and brought to the 32x32
layout by :func:`ocr_cli.layout.to_layout`, which also brings strokes thinner or
thicker than the training data's to its median. Training thus sees what reading
produces.

Why strokes rather than image augmentation: a pen is a property of the line drawn, not
of the image. Thinning an image of a 3 px stroke cannot make the 1 px line of a fine
pen that a tablet records exactly, nor can an image know where a stroke starts (where
pens blot) or where the hand lifted.

Characters known only as images (nist36, emnist36) can still meet other pens the same
way: :func:`redraw_image` enlarges a glyph to the working size, thins, thickens,
breaks or fades its strokes there and brings it back through the reading crop.
"""

import gzip
import json
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage as ndi

from ocr_cli.errors import InputError, existing_file
from ocr_cli.layout import CLASSES, PIXELS, SIDE, stroke_width, tight, to_layout

HEIGHT = (36, 64)  # px: a character's long side as drawn; the pipeline works at 48 px tall
SUPERSAMPLE = 2  # drawn at twice the size and reduced: anti-aliased edges, as a photo has
WIDTH = (0.035, 0.25)  # stroke width / long side, log-uniform: a fine pen (0.9 px at the
# 25 px of the layout, thickened there by to_layout) to a broad marker (6 px; nist36's median is 3.5)
SPACING = 1.5  # px: strokes are resampled this finely, so pressure and gaps can vary along them
SMOOTH_SPACING = 0.08  # of the long side: sparser recordings (some tablets sampled slowly) are
# smoothed by corner cutting first, or their curves would be drawn as polygons
SLANT = 0.25  # shear: the same writer leans more or less
ROTATION = np.deg2rad(8)  # ... and turns the page a little
SQUEEZE = 0.15  # width / height changes by up to 15% (other hands, other pens)
PRESSURE = (0.5, (0.2, 0.8))  # share of the samples pressed unevenly, and by how much the
# lightest place fades (a ballpoint held flat, a pencil)
PRESSURE_WAVES = (1.0, 4.0)  # ... over this many smooth changes along the character
PRESSURE_WIDTH = 0.5  # a lighter place is also narrower, by up to this share of the fade
SKIPS = (0.25, (1, 4), (0.3, 1.5))  # share of the samples that skip, how many gaps, and each
# gap's length in stroke widths (a dry pen, a rough page)
BLOTS = (0.1, (1, 2), (1.1, 1.8))  # share that blot, how many blots, and their diameter in
# stroke widths (a fountain or felt pen resting where a stroke starts or ends)
DRY = (0.15, (0.15, 0.5))  # share drawn with a dry, grainy pen, and the share of ink lost in
# tiny specks along the stroke
SOFTNESS = (0.0, 1.2)  # px Gaussian blur as drawn: a sharp scan to a soft photo

# Pens for characters known only as images (the nist36 and emnist36 rows): the glyph is
# enlarged to the size the pipeline works at and its strokes are changed there, as a
# different pen would have drawn them, then brought back by the reading crop.
IMAGE_PENS = ("thin", "thick", "skipping", "pressed")  # drawn with equal chance
THIN = (0.25, 0.5)  # a fine pen's stroke as a share of the glyph's (a felt tip to a ballpoint)
THICK = (1.3, 1.8)  # a marker's, likewise
IMAGE_GAPS = ((1, 3), (0.6, 1.2))  # gaps per character, and their diameter in stroke widths

LEVELS = 8  # pressure is drawn in this many shades
# The percentile of the stroke pixels that counts as full ink: the reading crop's
# (ocr_cli.pipeline.crop.FULL_INK_PERCENTILE, a layer above this one; a test keeps them equal).
FIRM = 90


@dataclass
class Strokes:
    """Samples of pen strokes: ``points[i]``: a list of ``(n, 2)`` float arrays, one per
    stroke, x to the right and y down, in the sample's own units (squares: x and y at
    the same resolution); ``labels: (N,)`` class indices; ``writers: (N,)`` writer ids
    ``site:name`` (as the ``.mat`` file's ``unipen_writers``); ``path``: the file."""

    points: list
    labels: np.ndarray
    writers: np.ndarray
    path: object

    def __len__(self):
        return len(self.labels)

    def subset(self, rows):
        """The samples at ``rows`` (indices or a boolean mask)."""
        rows = np.arange(len(self))[rows]
        return Strokes([self.points[i] for i in rows], self.labels[rows], self.writers[rows], self.path)


def writer_id(sample):
    """``site:name``, as the ``.mat`` file's ``unipen_writers``: the UNIPEN site is the
    folder under the section's (``data/1a/aga/amywldrp.dat`` -> ``aga:amywldrp``, and
    ``data/1a/apa/apa00/app0032.dat`` -> ``apa:app0032``: some sites file their
    writers in subfolders); names repeat across sites."""
    parts = str(sample.get("file", "")).split("/")
    if len(parts) >= 4 and parts[0] == "data":
        return f"{parts[2]}:{sample['writer']}"
    return f"{parts[-2]}:{sample['writer']}" if len(parts) >= 2 else str(sample["writer"])


def load_strokes(path):
    """Reads a strokes file (``.json.gz`` or ``.json``: a list of samples, see the
    module's docstring) into :class:`Strokes`; a one-line :class:`InputError` for a
    file that is not one."""
    path = existing_file(path, "a strokes file")
    try:
        opener = gzip.open if str(path).endswith(".gz") else open
        with opener(path, "rt") as f:
            samples = json.load(f)
        points, labels, writers = [], [], []
        for sample in samples:
            scale = np.array([1.0, 1.0])
            if sample.get("xppi") and sample.get("yppi"):  # tablets may sample x and y at different resolutions
                scale = np.array([1.0 / sample["xppi"], 1.0 / sample["yppi"]]) * sample["xppi"]
            flip = -1.0 if sample.get("y_axis_up") else 1.0
            strokes = [np.asarray(s, np.float64).reshape(-1, 2) * scale * [1.0, flip] for s in sample["strokes"]]
            strokes = [s for s in strokes if len(s)]
            if not strokes:
                raise ValueError("a sample without points")
            points.append(strokes)
            labels.append(CLASSES.index(sample["label"]))
            writers.append(writer_id(sample))
    except (OSError, EOFError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(path, f"not a readable strokes file ({type(exc).__name__}: {exc})") from None
    if not points:
        raise InputError(path, "holds no samples")
    return Strokes(points, np.array(labels), np.array(writers), path)


def corner_cut(points):
    """One round of Chaikin's corner cutting, ends kept: a polygon's corners rounded."""
    if len(points) < 3:
        return points
    a, b = points[:-1], points[1:]
    cut = np.empty((2 * len(a), 2))
    cut[0::2], cut[1::2] = 0.75 * a + 0.25 * b, 0.25 * a + 0.75 * b
    return np.concatenate([points[:1], cut[1:-1], points[-1:]])


def resample(points, spacing):
    """Points along the polyline every ``spacing`` (its ends kept) and their arc lengths."""
    steps = np.linalg.norm(np.diff(points, axis=0), axis=1)
    arc = np.concatenate([[0.0], np.cumsum(steps)])
    if arc[-1] == 0:
        return points[:1], np.zeros(1)
    at = np.linspace(0, arc[-1], max(2, int(np.ceil(arc[-1] / spacing)) + 1))
    return np.stack([np.interp(at, arc, points[:, 0]), np.interp(at, arc, points[:, 1])], 1), at


@dataclass
class Pen:
    """How one sample is drawn: its long side ``height`` in px, stroke ``width`` in px,
    the ``affine`` (2x2) applied to its points, how deep the pressure fades
    (``pressure``, 0: even) and over how many ``waves``, ``skips`` (gap count),
    ``blots`` (blot count), ``dry`` (share of ink lost in specks) and ``blur`` (px)."""

    height: float
    width: float
    affine: np.ndarray
    pressure: float = 0.0
    waves: float = 1.0
    skips: int = 0
    blots: int = 0
    dry: float = 0.0
    blur: float = 0.0


def random_pen(rng):
    """A pen drawn at random from the ranges at the top of this module."""
    height = rng.uniform(*HEIGHT)
    width = height * np.exp(rng.uniform(*np.log(WIDTH)))
    angle, slant = rng.uniform(-ROTATION, ROTATION), rng.uniform(-SLANT, SLANT)
    squeeze = rng.uniform(1 - SQUEEZE, 1 + SQUEEZE)
    cos, sin = np.cos(angle), np.sin(angle)
    affine = np.array([[cos, -sin], [sin, cos]]) @ np.array([[squeeze, slant], [0.0, 1.0]])
    pen = Pen(height, width, affine, blur=rng.uniform(*SOFTNESS))
    if rng.random() < PRESSURE[0]:
        pen.pressure, pen.waves = rng.uniform(*PRESSURE[1]), rng.uniform(*PRESSURE_WAVES)
    if rng.random() < SKIPS[0]:
        pen.skips = int(rng.integers(SKIPS[1][0], SKIPS[1][1] + 1))
    if rng.random() < BLOTS[0]:
        pen.blots = int(rng.integers(BLOTS[1][0], BLOTS[1][1] + 1))
    if rng.random() < DRY[0]:
        pen.dry = rng.uniform(*DRY[1])
    return pen


def place_points(strokes, pen):
    """The strokes through ``pen.affine``, scaled so the long side of their box is
    ``pen.height`` px, moved to leave a margin of one stroke width; and the canvas size
    ``(width, height)`` they need."""
    turned = [s @ pen.affine.T for s in strokes]
    every = np.concatenate(turned)
    low, extent = every.min(0), np.ptp(every, 0)
    scale = pen.height / max(extent.max(), 1e-9)
    margin = pen.width + 2
    placed = [(s - low) * scale + margin for s in turned]
    size = np.ceil(extent * scale + 2 * margin).astype(int)
    return placed, (int(size[0]), int(size[1]))


def draw(strokes, pen, rng):
    """Ink darkness ``(h, w)`` 0..1 of ``strokes`` (:class:`Strokes` points of one
    sample) drawn with ``pen``: round-capped segments every :data:`SPACING` px whose
    darkness and width follow the pressure, with gaps, blots and dry specks."""
    placed, (width, height) = place_points(strokes, pen)
    extent = max(pen.height, 1.0)
    canvas = Image.new("L", (width * SUPERSAMPLE, height * SUPERSAMPLE), 0)
    paint = ImageDraw.Draw(canvas)
    lines = []
    for s in placed:
        sparse = len(s) > 1 and np.median(np.linalg.norm(np.diff(s, axis=0), axis=1)) > SMOOTH_SPACING * extent
        points, arc = resample(corner_cut(s) if sparse else s, SPACING)
        lines.append((points, arc))
    total = sum(arc[-1] for _, arc in lines) + 1e-9
    phase = rng.uniform(0, 2 * np.pi, 2)
    # a gap must outrun the round caps either side of it (half a width each) to show
    gaps = [(rng.uniform(0, total), (1 + rng.uniform(*SKIPS[2])) * pen.width) for _ in range(pen.skips)]
    done = 0.0
    for points, arc in lines:
        along = (done + arc) / total  # 0..1 over the whole character, in writing order
        done += arc[-1]
        pressure = 1 - pen.pressure * 0.5 * (1 + np.sin(2 * np.pi * pen.waves * along + phase[0])
                                             * np.cos(np.pi * pen.waves * along + phase[1]))
        keep = np.ones(len(points), bool)
        for start, length in gaps:
            keep &= ~((done - arc[-1] + arc >= start) & (done - arc[-1] + arc < start + length))
        if pen.dry:
            keep &= rng.random(len(points)) >= pen.dry
        # Runs of kept points at one pressure level are drawn as one polyline: the
        # pressure is quantised to LEVELS steps, which the eye cannot tell apart.
        level = np.where(keep, np.round(pressure * LEVELS).astype(int), -1)
        starts = np.flatnonzero(np.diff(np.concatenate([[-2], level])) != 0)
        for first, end in zip(starts, np.concatenate([starts[1:], [len(points)]])):
            if level[first] < 0:
                continue
            strength = level[first] / LEVELS
            run = points[max(first - 1, 0) if level[max(first - 1, 0)] >= 0 else first:end] * SUPERSAMPLE
            radius = SUPERSAMPLE * pen.width * (1 - PRESSURE_WIDTH * (1 - strength)) / 2
            shade = int(255 * strength)
            for x, y in (run[0], run[-1]):
                paint.ellipse([x - radius, y - radius, x + radius, y + radius], fill=shade)
            if len(run) > 1:
                paint.line([tuple(p) for p in run.tolist()], fill=shade, width=max(1, int(round(2 * radius))))
    for _ in range(pen.blots):
        points, _ = lines[rng.integers(len(lines))]
        x, y = points[0 if rng.random() < 0.5 else -1] * SUPERSAMPLE  # blots where the pen rests: stroke ends
        radius = SUPERSAMPLE * pen.width * rng.uniform(*BLOTS[2]) / 2
        paint.ellipse([x - radius, y - radius, x + radius, y + radius], fill=255)
    ink = np.asarray(canvas.resize((width, height), Image.BOX), np.float32) / 255
    return ndi.gaussian_filter(ink, pen.blur) if pen.blur > 0.3 else ink


def as_read(ink):
    """``ink`` (darkness, any size) as the reading pipeline makes a character: firm
    strokes (the :data:`FIRM` percentile of the stroke pixels)
    scaled to full ink, cut to its box, brought to the layout by
    :func:`ocr_cli.layout.to_layout`; a flat row in the data's stored (transposed) order."""
    core = ink[ink > 0.5 * ink.max()] if ink.max() > 0 else ink.ravel()
    full = np.percentile(core, FIRM) if core.size else 1.0
    ink = tight(np.clip(ink / max(full, 1e-6), 0.0, 1.0))
    return to_layout(ink).T.reshape(-1)


def render(strokes, rows, rng):
    """Rows ``(len(rows), 1024)`` float32 of the samples ``rows`` of ``strokes``
    (:class:`Strokes`), each drawn with a new :func:`random_pen`."""
    out = np.empty((len(rows), PIXELS), np.float32)
    for j, i in enumerate(rows):
        out[j] = as_read(draw(strokes.points[i], random_pen(rng), rng))
    return out


def round_footprint(radius):
    """A boolean disk of any (not only whole) ``radius`` px, for grey erosion and dilation."""
    r = int(np.ceil(radius))
    span = np.arange(-r, r + 1)
    return span[:, None] ** 2 + span[None] ** 2 <= radius ** 2 + 0.25


def redraw_image(row, rng):
    """One image row (the layout, stored transposed, paper 1) as drawn by another pen
    (one of :data:`IMAGE_PENS`) at the pipeline's working size, then read by
    :func:`as_read`: a row again."""
    ink = tight(1.0 - row.reshape(SIDE, SIDE).T)
    ink = np.clip(ndi.zoom(ink, rng.uniform(*HEIGHT) / max(ink.shape), order=1), 0.0, 1.0)
    # (A blot's skeleton is a dot, its "stroke" as wide as itself: no stroke is wider than
    # half the character, so pens widen and break a blot as they would a thick stroke.)
    width = min(max(stroke_width(ink > 0.5), 1.0), max(ink.shape) / 2)
    kind = IMAGE_PENS[rng.integers(len(IMAGE_PENS))]
    if kind == "thin":
        thinner = ndi.grey_erosion(ink, footprint=round_footprint(width * (1 - rng.uniform(*THIN)) / 2))
        ink = thinner if (thinner > 0.5).sum() >= 0.1 * (ink > 0.5).sum() else ink
    elif kind == "thick":
        radius = width * (rng.uniform(*THICK) - 1) / 2
        ink = ndi.grey_dilation(np.pad(ink, int(width)), footprint=round_footprint(radius))
    elif kind == "skipping":
        ys, xs = np.nonzero(ink > 0.5)
        yy, xx = np.mgrid[:ink.shape[0], :ink.shape[1]]
        for k in rng.choice(len(ys), size=min(len(ys), rng.integers(IMAGE_GAPS[0][0], IMAGE_GAPS[0][1] + 1)),
                            replace=False):
            radius = width * rng.uniform(*IMAGE_GAPS[1]) / 2
            ink = np.where((yy - ys[k]) ** 2 + (xx - xs[k]) ** 2 <= radius ** 2, 0.0, ink)
    else:  # pressed unevenly: darkness times a smooth field over the character
        knots = rng.uniform(1 - PRESSURE[1][1], 1.0, (3, 3))
        ink = ink * np.clip(ndi.zoom(knots, np.array(ink.shape) / 3, order=1), 0, 1)[:ink.shape[0], :ink.shape[1]]
    return as_read(ink) if (ink > 0.1).any() else row


def redraw_images(X, rng):
    """Rows ``X: (n, 1024)`` each redrawn by :func:`redraw_image`."""
    return np.array([redraw_image(row, rng) for row in X], dtype=np.float32).reshape(len(X), -1)
