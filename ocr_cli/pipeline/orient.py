"""Which way the page lies: the direction of its lines (skew) and which of the four
turns of that direction reads upright (orientation).

    1. the survey's marks that may be single characters (:func:`ocr_cli.pipeline.ink.survey`)
    2. skew: the direction along which the marks' centres gather into the sharpest rows
       (projection profiles over every direction, then a finer step around the best)
    3. orientation: a sample of those marks cut out and turned by the skew and by the
       three right angles beside it; the turn the network reads most confidently wins
       (upright unless another is clearly better)

:class:`Turn` maps points of the turned image back to the image as it was.
"""

from dataclasses import dataclass

import numpy as np

from ocr_cli.layout import PAPER, characters_only, place, rows, tight

# Skew: every direction in this step (degrees), then the best one refined in FINE_STEP.
COARSE_STEP, FINE_STEP = 1.0, 0.1
# The rows of the projection profile: a third of a character's height, finer than the
# gap between lines (about half a height) so that lines stay apart.
PROFILE_BIN = 1 / 3
# A direction within this many degrees of level is taken as level: lines are followed
# letter by letter through such a tilt and the network reads characters leaning more
# (it is trained on turns of up to 12 degrees); turning the image for less only blurs it.
LEVEL = 2.5
# ... and so is one whose rows are not clearly sharper than those of level or of upright
# columns, whichever is sharper (the sum of squares of the profile at least this many
# times theirs): a few marks of a short note line up by chance in some direction
# (measured: 1.0-1.2 on level photos of a few words, 1.3 and up on tilted ones). A page
# turned by a right angle lines up along its columns and is then turned by the quarters.
SHARPER = 1.25
# Lines of text gather their marks into rows this many times sharper (profile sum of
# squares) than the columns across them: then the page is upright or upside down, and
# the network only tells which (a page of digits that touch reads as confidently turned
# by a right angle as upright: wide marks read badly either way).
ROWS_OVER_COLUMNS = 1.5
# Marks sampled for the orientation test (at most).
SAMPLES = 32
# A turn other than upright must read this much more confidently (mean log-probability
# of the best class, per character) to be chosen: upright pages read at -0.1 to -0.3,
# the same pages turned at -0.5 to -1.1 (measured on sample_images and the development
# photos); characters such as O, S, X, 8 read alike either way and narrow the gap, and a
# photo of a few faint words may read upright at -0.8 and turned at -0.7 ...
TURN_MARGIN = 0.2
# ... and by this many standard errors of that mean gain: a few marks read badly either
# way gain much by chance (eight marks of digits that touch, 0, 8 and 1 among them, gain
# 0.28 by a half turn at 1.9 errors; the marks of the development photos 0.9 at most),
# the 32 marks sampled of a sample page turned upside down gain 0.24 to 0.48 at 3.2 to
# 5.1 errors.
TURN_ERRORS = 2.5


@dataclass(frozen=True)
class Turn:
    """An image of ``size`` ``(width, height)`` turned counter-clockwise by ``angle``
    degrees about its centre onto a canvas of ``turned_size`` that holds all of it (as
    PIL's ``rotate(angle, expand=True)`` does)."""

    angle: float
    size: tuple
    turned_size: tuple

    @classmethod
    def of(cls, angle, size):
        import math

        w, h = size
        if angle % 90 == 0:
            return cls(float(angle), tuple(size), (w, h) if angle % 180 == 0 else (h, w))
        # The canvas as PIL sizes it: its turned corners' extent, rounded outward.
        theta = -math.radians(angle % 360.0)
        c, s = round(math.cos(theta), 15), round(math.sin(theta), 15)
        tx, ty = c * -w / 2 + s * -h / 2 + w / 2, -s * -w / 2 + c * -h / 2 + h / 2
        xs = [c * x + s * y + tx for x, y in ((0, 0), (w, 0), (w, h), (0, h))]
        ys = [-s * x + c * y + ty for x, y in ((0, 0), (w, 0), (w, h), (0, h))]
        turned = (math.ceil(max(xs)) - math.floor(min(xs)), math.ceil(max(ys)) - math.floor(min(ys)))
        return cls(float(angle), tuple(size), turned)

    def back(self, points):
        """``points: (n, 2)`` ``(x, y)`` of the turned image -> the same points of the
        image as it was."""
        theta = np.deg2rad(self.angle)
        c, s = np.cos(theta), np.sin(theta)
        d = np.asarray(points, np.float64) - np.array(self.turned_size) / 2
        return np.column_stack([c * d[:, 0] - s * d[:, 1], s * d[:, 0] + c * d[:, 1]]) + np.array(self.size) / 2

    def forward(self, points):
        """``points: (n, 2)`` ``(x, y)`` of the image as it was -> the same points of the
        turned image (the inverse of :meth:`back`)."""
        theta = np.deg2rad(self.angle)
        c, s = np.cos(theta), np.sin(theta)
        d = np.asarray(points, np.float64) - np.array(self.size) / 2
        return np.column_stack([c * d[:, 0] + s * d[:, 1], -s * d[:, 0] + c * d[:, 1]]) + np.array(self.turned_size) / 2

    def apply(self, image, fill=None):
        """``image: (h, w)`` float32 turned; what comes in from outside it is ``fill``
        (default: the median of the image's outermost pixels, the paper of a page or the
        desk around a sheet, so that the surround stays what it was)."""
        from PIL import Image

        if self.angle % 360 == 0:
            return image
        if self.angle % 90 == 0:
            return np.ascontiguousarray(np.rot90(image, int(self.angle // 90) % 4))
        if fill is None:
            fill = np.median(np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]]))
        turned = Image.fromarray(image).rotate(self.angle, Image.BILINEAR, expand=True, fillcolor=float(fill))
        return np.asarray(turned)


def profile_sharpness(cx, cy, weights, angles, bin_size):
    """For each direction in ``angles`` (degrees, counter-clockwise from level), how
    sharply the points gather into rows across it: the sum of squares of the weighted
    histogram of their positions across the direction, in bins of ``bin_size``."""
    theta = np.deg2rad(np.asarray(angles, np.float64))[:, None]
    across = (np.sin(theta) * cx[None] + np.cos(theta) * cy[None]) / bin_size  # (angles, points)
    across -= across.min(1, keepdims=True)
    bins = across.astype(np.int64)
    width = int(bins.max()) + 1
    flat = (np.arange(len(angles))[:, None] * width + bins).ravel()
    counts = np.bincount(flat, weights=np.broadcast_to(weights, bins.shape).ravel(), minlength=len(angles) * width)
    return (counts.reshape(len(angles), width) ** 2).sum(1)


def skew(cx, cy, weights, height):
    """The direction (degrees in [-90, 90), counter-clockwise from level, image y
    down) along which the points ``(cx, cy)`` line up best: the lines of text, or, where
    the text is a grid, its rows or its columns."""
    coarse = np.arange(-90.0, 90.0, COARSE_STEP)
    best = coarse[np.argmax(profile_sharpness(cx, cy, weights, coarse, height * PROFILE_BIN))]
    fine = best + np.arange(-COARSE_STEP, COARSE_STEP + FINE_STEP / 2, FINE_STEP)
    angle = float(fine[np.argmax(profile_sharpness(cx, cy, weights, fine, height * PROFILE_BIN))])
    return (angle + 90) % 180 - 90


def sample_inks(gray, boxes):
    """The ink ``(h, w)`` (0 paper, 1 its darkest percent) of each mark in ``boxes``
    (gray's pixels) cut from ``gray``, its paper the 90th percentile of the page."""
    paper = float(np.percentile(gray, 90))
    out = []
    for y1, x1, y2, x2 in np.round(boxes).astype(int):
        patch = gray[max(y1, 0):y2, max(x1, 0):x2]
        if patch.size == 0:
            continue
        ink = np.clip(1.0 - patch / max(paper, 1e-3), 0, 1)
        out.append(np.clip(ink / max(float(np.percentile(ink, 99)), 1e-3), 0, 1).astype(np.float32))
    return out


def sample_crops(inks, angle):
    """Layout rows ``(n, PIXELS)`` of the marks' ``inks`` (:func:`sample_inks`) turned by
    ``angle`` degrees (placed without correcting their strokes: a test, not a reading)."""
    out = [rows(PAPER - place(tight(Turn.of(angle, (ink.shape[1], ink.shape[0])).apply(ink, 0.0))))[0]
           for ink in inks]
    return np.array(out, np.float32).reshape(-1, 32 * 32)


def confidence(model, crops):
    """Log-probability of the best character the network reads each of ``crops`` as (one
    look, without the model's test-time shifts; "not a character" is none: a mark
    turned the wrong way looks like no character)."""
    real = characters_only(model.net.predict_proba(crops), model.classes)
    return np.log(np.maximum(real.max(1), 1e-12))


def clearly_better(turned, upright):
    """Whether marks read ``turned`` (log-probabilities, one per mark) read clearly
    better than ``upright`` (the same marks): by :data:`TURN_MARGIN` per mark and by
    :data:`TURN_ERRORS` standard errors of the mean gain."""
    gain = turned - upright
    error = gain.std(ddof=1) / np.sqrt(len(gain)) if len(gain) > 1 else np.inf
    return gain.mean() > max(TURN_MARGIN, TURN_ERRORS * error)


def orientation(photo, model=None):
    """The angle (degrees, counter-clockwise) that turns ``photo``
    (:class:`~ocr_cli.pipeline.images.Photo`) upright: its skew, and with a ``model``,
    the right-angle turn of it that reads best (see the module's docstring). 0 when
    there is too little to tell."""
    looked = photo.surveyed().survey
    boxes, weights, height = looked.boxes / photo.factor, looked.weights, looked.height / photo.factor
    if len(boxes) < 2 or not height:
        return 0.0
    cx, cy = (boxes[:, 1] + boxes[:, 3]) / 2, (boxes[:, 0] + boxes[:, 2]) / 2
    direction = skew(cx, cy, weights, height)
    sharpness = profile_sharpness(cx, cy, weights, [direction, 0.0, -90.0], height * PROFILE_BIN)
    axis = 0.0 if sharpness[1] >= sharpness[2] else -90.0  # level rows, or a page turned a quarter
    if abs((direction - axis + 90) % 180 - 90) < LEVEL or sharpness[0] < SHARPER * sharpness[1:].max():
        direction = axis
    angle = 0.0 - direction  # lines rising by a degrees are levelled by a turn of -a (0.0: not -0.0)
    if model is None:
        return angle
    picks = boxes[np.linspace(0, len(boxes) - 1, min(SAMPLES, len(boxes))).astype(int)]
    # The marks' own layout halves the choice: rows far sharper along the direction
    # they line up best in than across it are lines of text, upright or upside down.
    rows, columns = profile_sharpness(cx, cy, weights, [direction, direction + 90], height * PROFILE_BIN)
    quarters = (0, 180) if rows >= ROWS_OVER_COLUMNS * columns else \
        (90, 270) if columns >= ROWS_OVER_COLUMNS * rows else (0, 90, 180, 270)
    inks = sample_inks(photo.gray, picks)  # (the page's paper measured once, not per turn)
    scores = {quarter: confidence(model, sample_crops(inks, angle + quarter)) for quarter in quarters}
    best = max(scores, key=lambda quarter: scores[quarter].mean())
    # The page as photographed, within its skew of upright, unless a turn clearly reads better.
    home = [quarter for quarter in scores if abs((angle + quarter + 180) % 360 - 180) < 45]
    if home and best != home[0] and not clearly_better(scores[best], scores[home[0]]):
        best = home[0]
    return (angle + best + 180) % 360 - 180
