"""On-the-fly augmentation of training batches: small random affine changes (rotation,
scale, shear, shift) and stroke thickening or thinning, so that the network meets
characters written a little differently from the training set, as photos are."""

import numpy as np
from scipy import ndimage as ndi

SIDE = 32
ROTATION = np.deg2rad(12)  # handwriting leans by up to about 10 degrees
SCALE = 0.12  # character size varies by +-12% (the data's long side spans 19-31 px)
SHEAR = 0.2  # slanted strokes
SHIFT = 2.0  # centring is off by a pixel or two


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


def warp(images, matrices, offsets):
    """``images: (n, 32, 32)`` resampled through the affines (bilinear), paper (1)
    filling what comes from outside the frame."""
    n = len(images)
    grid = np.stack(np.meshgrid(np.arange(SIDE), np.arange(SIDE), indexing="ij"), -1).reshape(-1, 2)
    source = np.einsum("nij,pj->npi", matrices, grid) + offsets[:, None, :]
    batch = np.repeat(np.arange(n), SIDE * SIDE)
    coordinates = np.stack([batch, source[..., 0].ravel(), source[..., 1].ravel()])
    return ndi.map_coordinates(images, coordinates, order=1, cval=1.0).reshape(n, SIDE, SIDE)


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


def augment(X, rng):
    """A randomly varied copy of the batch ``X: (n, 1024)`` (rows of 32x32 images, paper 1)."""
    images = X.reshape(-1, SIDE, SIDE)
    matrices, offsets = random_affines(len(images), rng)
    varied = vary_strokes(warp(images, matrices, offsets), rng)
    return np.clip(varied, 0.0, 1.0, out=varied).reshape(len(X), -1)  # bilinear rounding may step past 1
