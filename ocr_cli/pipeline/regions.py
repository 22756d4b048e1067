"""Regions before lines: the surfaces of a photo that carry writing each on its own (a
sheet, each sticky note of a wall, a board), told apart by their colour.

    1. each surface's colour, ink removed: a median over about a character and a half
       of the photo's small colour copy (:attr:`ocr_cli.pipeline.images.Photo.colour`)
    2. its chromaticity (the share of red and of green in the light): a shadow or a
       lamp's fall-off darkens a surface but keeps its chromaticity, a note of another
       colour does not
    3. borders where the chromaticity changes by more than HUE_STEP; the surfaces
       between them, those smaller than a few characters joined to their neighbours

Marks on different surfaces never share a line or a block, and blocks are read surface
by surface (:mod:`ocr_cli.pipeline.lines`). A photo without colour, or of one colour, is
one region.
"""

import numpy as np
from . import ndi

from ocr_cli.pipeline.ink import resize

# A surface's colour is measured over a square this many character heights wide: wider
# than a stroke's neighbourhood, so that ink drops out of the median.
PAPER_WINDOW = 1.5
# Chromaticities (r / (r + g + b), g / (r + g + b)) this far apart are surfaces of two
# colours: white paper and a yellow note differ by 0.07, a shadow on paper by under 0.01
# (measured on the development photos), camera noise by less after the median.
HUE_STEP = 0.025
# Surfaces are told apart on a copy where characters are at most this many pixels tall:
# a surface is many characters wide, and the median over PAPER_WINDOW costs the square
# of the window (on a whiteboard of 450 px letters, 10 s at the colour copy's scale; a
# sheet of 1 MP, 0.12 s at 8 px, 0.03 s at 5, every development photo and stress page
# read the same at both).
COARSE_HEIGHT = 5
# A region of fewer than this many square character heights is no surface of its own (a
# border's strip, a coloured mark): it joins the region beside it.
SMALLEST = 4.0


def regions(colour, height):
    """Region labels ``(h, w)`` (1, 2, ...) of ``colour`` ``(h, w, 3)`` whose characters
    are ``height`` of its pixels tall: see the module's docstring."""
    if height > COARSE_HEIGHT:  # surfaces are large: measured where characters are COARSE_HEIGHT px tall
        factor = COARSE_HEIGHT / height
        colour = np.stack([resize(np.ascontiguousarray(colour[:, :, c], np.float32), factor) for c in range(3)], -1)
        height = COARSE_HEIGHT
    size = max(3, int(round(PAPER_WINDOW * height)) | 1)
    if size >= min(colour.shape[:2]) / 2:  # characters half the photo's size: one surface
        return np.ones(colour.shape[:2], np.int32)
    paper = np.stack([ndi.median_filter(colour[:, :, c], size=size, mode="nearest") for c in range(3)], -1)
    total = np.maximum(paper.sum(-1), 1e-3)
    hue = paper[:, :, :2] / total[:, :, None]
    # Borders: the chromaticity changes by more than HUE_STEP between pixels two apart.
    step = np.zeros(hue.shape[:2])
    step[1:-1] = np.maximum(step[1:-1], np.abs(hue[2:] - hue[:-2]).max(-1))
    step[:, 1:-1] = np.maximum(step[:, 1:-1], np.abs(hue[:, 2:] - hue[:, :-2]).max(-1))
    border = step > HUE_STEP
    labels, count = ndi.label(~border)
    if count <= 1:
        return np.ones(colour.shape[:2], np.int32)
    areas = np.bincount(labels.ravel(), minlength=count + 1)
    small = areas < SMALLEST * height * height
    small[0] = True  # the borders themselves
    labels[small[labels]] = 0
    if not labels.any():
        return np.ones(colour.shape[:2], np.int32)
    # Borders and small regions take the nearest region's label.
    nearest = ndi.distance_transform_edt(labels == 0, return_distances=False, return_indices=True)
    filled = labels[tuple(nearest)]
    return np.unique(filled, return_inverse=True)[1].reshape(filled.shape).astype(np.int32) + 1


def region_of(labels, boxes, shape):
    """The region of each box ``(n, 4)`` ``[y1, x1, y2, x2]`` of an image of ``shape``
    ``(h, w)``: the label at its centre, ``labels`` being the regions of a smaller copy
    of it."""
    if labels is None or not len(boxes):
        return np.ones(len(boxes), np.int64)
    cy = (boxes[:, 0] + boxes[:, 2]) / 2 * labels.shape[0] / shape[0]
    cx = (boxes[:, 1] + boxes[:, 3]) / 2 * labels.shape[1] / shape[1]
    rows = np.clip(cy.astype(int), 0, labels.shape[0] - 1)
    cols = np.clip(cx.astype(int), 0, labels.shape[1] - 1)
    return labels[rows, cols].astype(np.int64)


def region_boxes(labels, shape):
    """``{region: [y1, x1, y2, x2]}`` of each region of ``labels`` (regions of a smaller
    copy of an image of ``shape``), in that image's pixels."""
    sy, sx = shape[0] / labels.shape[0], shape[1] / labels.shape[1]
    out = {}
    for k, where in enumerate(ndi.find_objects(labels), 1):
        if where is not None:
            out[k] = [where[0].start * sy, where[1].start * sx, where[0].stop * sy, where[1].stop * sx]
    return out
