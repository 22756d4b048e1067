"""On-the-fly augmentation of training batches: small random affine changes (rotation,
scale, shear, shift), elastic distortion, stroke thickening or thinning, and what
photographed pens do to a crop: uneven pressure, broken strokes and blur; so that the
network meets characters written a little differently from the training set, as
photos are."""

import numpy as np
from scipy import ndimage as ndi

from ocr_cli.layout import CLASSES

SIDE = 32
ROTATION = np.deg2rad(12)  # handwriting leans by up to about 10 degrees
SCALE = 0.12  # character size varies by +-12% (the data's long side spans 19-31 px)
SHEAR = 0.2  # slanted strokes
SHIFT = 2.0  # centring is off by a pixel or two
ELASTIC = 1.5  # px: strokes bend by about a stroke width ...
ELASTIC_KNOTS = 4  # ... smoothly: random shifts at 4x4 knots, interpolated (Simard et al. 2003)
BLUR = 0.9  # px (Gaussian sigma, at most): photo crops are softer than the scans
PRESSURE_SHARE = 0.3  # of the images: ink fades by up to PRESSURE over parts of the character,
PRESSURE = 0.5  # ... as a ballpoint or pencil does where the hand pressed less
PRESSURE_KNOTS = 3  # ... smoothly (3x3 field). More (half the images, to 40%) under-fits: valid 89.8%
GAPS = (0.15, 2)  # of the images lose up to 2 bits of stroke: a dry pen skips
GAP_RADIUS = 1.3  # px: about a third of a stroke width, so the gap breaks a thin stroke


def random_affines(n, rng):
    """``(n, 2, 2)`` matrices and ``(n, 2)`` offsets mapping output pixels to input
    pixels about the image centre."""
    angle = rng.uniform(-ROTATION, ROTATION, n)
    scale = rng.uniform(1 - SCALE, 1 + SCALE, (n, 2))
    shear = rng.uniform(-SHEAR, SHEAR, n)
    cos, sin = np.cos(angle), np.sin(angle)
    rotation = np.stack([np.stack([cos, -sin], -1), np.stack([sin, cos], -1)], -2)
    shearing = np.tile(np.eye(2), (n, 1, 1))
    shearing[:, 0, 1] = shear
    matrices = rotation @ shearing / scale[:, :, None]
    centre = (SIDE - 1) / 2
    offsets = centre - matrices @ np.full(2, centre) + rng.uniform(-SHIFT, SHIFT, (n, 2))
    return matrices, offsets


def elastic_displacements(n, rng):
    """``(n, 1024, 2)`` smooth random pixel displacements of typical size ``ELASTIC`` px."""
    knots = rng.normal(0, ELASTIC, size=(n, 2, ELASTIC_KNOTS, ELASTIC_KNOTS))
    # linear interpolation from the knots (spread over the frame) to every pixel: (32, knots)
    position = np.linspace(0, ELASTIC_KNOTS - 1, SIDE)
    weights = np.maximum(0, 1 - np.abs(position[:, None] - np.arange(ELASTIC_KNOTS)))
    field = np.einsum("yi,ncij,xj->nyxc", weights, knots, weights, optimize=True)
    return field.reshape(n, -1, 2)


def warp(images, matrices, offsets, displacements=0.0):
    """``images: (n, 32, 32)`` resampled bilinearly through the affines plus per-pixel
    ``displacements``, paper (1) filling what comes from outside the frame."""
    n = len(images)
    grid = np.stack(np.meshgrid(np.arange(SIDE), np.arange(SIDE), indexing="ij"), -1).reshape(-1, 2)
    source = np.einsum("nij,pj->npi", matrices, grid) + offsets[:, None, :] + displacements  # (n, 1024, 2)
    framed = np.pad(images, ((0, 0), (1, 1), (1, 1)), constant_values=1.0).ravel()  # paper around the frame
    side = SIDE + 2
    source = np.clip(source + 1, 0, side - 1.001)  # in the padded frame; outside reads paper
    top_left = source.astype(np.intp)
    fy, fx = np.moveaxis((source - top_left).astype(images.dtype), -1, 0)
    corner = np.arange(n)[:, None] * side * side + top_left[..., 0] * side + top_left[..., 1]
    top = framed[corner] + fx * (framed[corner + 1] - framed[corner])
    bottom = framed[corner + side] + fx * (framed[corner + side + 1] - framed[corner + side])
    return (top + fy * (bottom - top)).reshape(n, SIDE, SIDE)


def vary_strokes(images, rng):
    """A third of the images get thicker strokes (ink is dark: a 2x2 minimum filter),
    a third thinner ones (a 2x2 maximum filter, unless that would erase the character)."""
    choice = rng.integers(0, 3, len(images))
    out = images.copy()
    out[choice == 1] = ndi.minimum_filter(images[choice == 1], size=(1, 2, 2))
    thinner = ndi.maximum_filter(images[choice == 2], size=(1, 2, 2))
    keep = (thinner < 0.5).sum((1, 2)) >= 0.3 * (images[choice == 2] < 0.5).sum((1, 2))
    out[np.nonzero(choice == 2)[0][keep]] = thinner[keep]
    return out


# Letter forms people print that NIST barely has, drawn onto a share of the training
# characters of their class (upright image, ink 0): bars as (relative height of the
# bar, relative width, probability): serifs on I (top and bottom), a base on 1, a bar
# across the middle of Z and 7.
VARIANTS = {
    "I": ((0.0, 0.45, 0.5), (1.0, 0.45, 0.5)),
    "1": ((1.0, 0.45, 0.4),),
    "Z": ((0.5, 0.5, 0.3),),
    "7": ((0.5, 0.5, 0.3),),
}
# More forms, with ``forms`` (ocr train --forms): a bar on top of J (otherpens36's
# scanned Js, read as 8 without it) and a slash across a share of the zeros (read as Q
# or 8 otherwise): forms other hands print that NIST lacks.
FORMS = {"J": ((0.0, 0.7, 0.3),)}
SLASHES = {"0": 0.25}  # share of the zeros that get a slash from corner to corner
SLASH_REACH = 0.15  # the slash runs this share of the box past the zero's ink at both ends
NEIGHBOUR_PIECE = (0.1, 0.35)  # the share of a neighbour's width that reaches into a crop
NEIGHBOUR_GAP = (0.0, 0.15)  # ... at this gap from the character, in character heights


def draw_bar(upright, where, width, rng):
    """Draws a horizontal bar on ``upright: (32, 32)`` (ink 0) at relative height
    ``where`` of the character's box, about ``width`` x its height wide, centred on the
    ink of that row, as thick as the character's strokes."""
    ink = upright < 0.5
    rows = np.nonzero(ink.any(1))[0]
    if len(rows) < 4:
        return
    top, bottom = rows[0], rows[-1]
    thickness = max(1, int(round(ink.sum() / max(ink.any(1).sum(), 1) / 1.5)))  # a rough stroke width
    y = int(round(top + where * (bottom - top + 1 - thickness)))
    band = ink[max(y - 2, 0):y + thickness + 2].any(0)
    centre = np.nonzero(band)[0].mean() if band.any() else 15.5
    half = rng.uniform(0.8, 1.2) * width * (bottom - top + 1) / 2
    x1, x2 = int(round(centre - half)), int(round(centre + half)) + 1
    upright[y:y + thickness, max(x1, 0):min(x2, SIDE)] = 0.0


def draw_slash(upright):
    """Draws a slash on ``upright: (32, 32)`` (ink 0) from below the ink's bottom left
    to above its top right, :data:`SLASH_REACH` past it, about as thick as its strokes."""
    ink = upright < 0.5
    rows, cols = np.nonzero(ink.any(1))[0], np.nonzero(ink.any(0))[0]
    if len(rows) < 4 or len(cols) < 2:
        return
    (top, bottom), (left, right) = (rows[0], rows[-1]), (cols[0], cols[-1])
    thickness = max(1.0, ink.sum() / max(ink.any(1).sum(), 1) / 3)  # half a rough stroke width
    reach_y, reach_x = SLASH_REACH * (bottom - top), SLASH_REACH * (right - left)
    start, end = np.array([bottom + reach_y, left - reach_x]), np.array([top - reach_y, right + reach_x])
    yy, xx = np.mgrid[:SIDE, :SIDE]
    along = end - start
    t = np.clip(((yy - start[0]) * along[0] + (xx - start[1]) * along[1]) / (along @ along), 0, 1)
    distance = np.hypot(yy - start[0] - t * along[0], xx - start[1] - t * along[1])
    np.minimum(upright, np.clip(distance - thickness / 2 + 0.5, 0, 1), out=upright)


def letter_variants(images, labels, rng, forms=False):
    """Copy of ``images: (n, 32, 32)`` (stored transposed) with :data:`VARIANTS` (and,
    with ``forms``, :data:`FORMS` and :data:`SLASHES`) drawn on characters of those
    classes at random; ``labels: (n,)`` class indices."""
    out = images.copy()
    for char, bars in (VARIANTS | FORMS if forms else VARIANTS).items():
        for i in np.nonzero(labels == CLASSES.index(char))[0]:
            for where, width, probability in bars:
                if rng.random() < probability:
                    draw_bar(out[i].T, where, width, rng)  # .T: a view of the upright image
    for char, probability in (SLASHES if forms else {}).items():
        for i in np.nonzero(labels == CLASSES.index(char))[0]:
            if rng.random() < probability:
                draw_slash(out[i].T)
    return out


def blur(images, rng):
    """Each image blurred by a Gaussian of random sigma in ``0..BLUR`` px."""
    sigmas = rng.uniform(0, BLUR, len(images))
    return np.stack([ndi.gaussian_filter(image, sigma, mode="nearest") for image, sigma in zip(images, sigmas)])


def smooth_fields(n, rng, knots, low, high):
    """``(n, 32, 32)`` smooth random fields, values in ``low..high``, bilinear from a
    ``knots`` x ``knots`` grid of uniform values."""
    values = rng.uniform(low, high, size=(n, knots, knots))
    position = np.linspace(0, knots - 1, SIDE)
    weights = np.maximum(0, 1 - np.abs(position[:, None] - np.arange(knots)))  # (32, knots), rows sum to 1
    return np.einsum("yi,nij,xj->nyx", weights, values, weights, optimize=True)


def uneven_pressure(images, rng):
    """A share :data:`PRESSURE_SHARE` of the images get ink that fades over parts of
    the character: darkness times a smooth field whose lowest knot values reach
    ``1 - PRESSURE``."""
    chosen = np.flatnonzero(rng.random(len(images)) < PRESSURE_SHARE)
    fields = smooth_fields(len(chosen), rng, PRESSURE_KNOTS, 1 - PRESSURE, 1.0)
    firmest = np.where(images[chosen] < 0.5, fields, 0).max(axis=(1, 2), keepdims=True)
    fields = np.minimum(fields / np.maximum(firmest, 1e-6), 1.0)  # the firmest stroke stays full ink
    out = images.copy()
    out[chosen] = 1 - (1 - images[chosen]) * fields.astype(images.dtype)
    return out


def broken_strokes(images, rng):
    """A share :data:`GAPS` of the images get 1 to ``GAPS[1]`` round gaps of paper,
    each centred on a random ink pixel."""
    out = images.copy()
    yy, xx = np.mgrid[:SIDE, :SIDE]
    for i in np.flatnonzero(rng.random(len(images)) < GAPS[0]):
        ys, xs = np.nonzero(images[i] < 0.5)
        for k in rng.choice(len(ys), size=min(len(ys), rng.integers(1, GAPS[1] + 1)), replace=False):
            gap = (yy - ys[k]) ** 2 + (xx - xs[k]) ** 2 <= GAP_RADIUS ** 2
            out[i][gap] = 1.0
    return out


def neighbour_pieces(X, rng, share):
    """Copy of the rows ``X: (n, 1024)`` where a ``share`` of them have a piece of
    another row's character beside them, cut off at the crop's edge: what a crop from
    joined-up or crowded writing shows (otherpens36's scanned crops hold a neighbour's
    first or last stroke: a P beside a c reads as R). The character and the piece are
    fitted to the layout together, as the reading crop would fit them
    (:func:`ocr_cli.layout.place`)."""
    from ocr_cli.layout import place, tight

    out = X.copy()
    upright = 1.0 - X.reshape(-1, SIDE, SIDE).transpose(0, 2, 1)  # ink 1
    for i in np.flatnonzero(rng.random(len(X)) < share):
        own, other = tight(upright[i]), tight(upright[rng.integers(len(X))])
        cut = max(1, int(round(other.shape[1] * rng.uniform(*NEIGHBOUR_PIECE))))
        right = rng.random() < 0.5  # the neighbour on the right: its first columns show, else its last
        piece = other[:, :cut] if right else other[:, -cut:]
        gap = int(round(rng.uniform(*NEIGHBOUR_GAP) * own.shape[0]))
        height = max(own.shape[0], piece.shape[0])
        canvas = np.zeros((height, own.shape[1] + gap + cut), upright.dtype)
        lift = int(rng.integers(0, height - piece.shape[0] + 1))
        mine, theirs = (slice(0, own.shape[1]), slice(own.shape[1] + gap, None)) if right else \
                       (slice(cut + gap, None), slice(0, cut))
        canvas[(height - own.shape[0]) // 2:(height - own.shape[0]) // 2 + own.shape[0], mine] = own
        canvas[lift:lift + piece.shape[0], theirs] = np.maximum(canvas[lift:lift + piece.shape[0], theirs], piece)
        out[i] = (1.0 - np.clip(place(canvas), 0.0, 1.0)).T.reshape(-1)
    return out


def augment(X, rng, labels=None, forms=False):
    """A randomly varied copy of the batch ``X: (n, 1024)`` (rows of 32x32 images, paper
    1); with class indices ``labels: (n,)``, some characters get :data:`VARIANTS` (and
    with ``forms`` :data:`FORMS` and :data:`SLASHES`)."""
    images = X.reshape(-1, SIDE, SIDE)
    if labels is not None:
        images = letter_variants(images, labels, rng, forms)
    matrices, offsets = random_affines(len(images), rng)
    warped = warp(images, matrices, offsets, elastic_displacements(len(images), rng))
    varied = blur(broken_strokes(uneven_pressure(vary_strokes(warped, rng), rng), rng), rng)
    return np.clip(varied, 0.0, 1.0, out=varied).reshape(len(X), -1)  # bilinear rounding may step past 1
