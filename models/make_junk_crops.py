"""Training crops for the "not a character" output, cut by the reading pipeline itself.

    python models/make_junk_crops.py OUT.mat [--data ../shared/nist36] [--pages 1500] [--seed 0]
                                     [--scenes 0.5]

Composes pages from nist36_train and nist36_extra glyphs (never valid or test), writes
them with random pens, and draws on them what a photo holds besides characters: a box
around a word, an underline, scribbles and specks, a hard shadow, a table edge, a dark
desk around the sheet. Each page is photographed (ocr_synth/pages.py), found and cropped
exactly as ``ocr read`` does, and every crop is labelled by its overlap with the true
character boxes: a crop that covers one character (intersection over union >= 0.5)
keeps that character's class; a crop that barely touches any character (under a fifth
of its area: a box line, an underline, a scribble, a speck, an edge, a shadow) is "not
a character"; the rest (a fragment of a character, two letters together) is left out,
since a fragment can look just like an I or a 1, and telling those apart is the work
of the recognition-driven segmentation, not of this class. With ``--scenes``, that share
of the pages are the stress scenes of ``ocr_synth/stress.py`` (clutter, shadows, a
diagram's boxes and arrows, a form's combs, notes, erased writing, scenes with no text)
written with the same glyphs, labelled the same way. Writes ``junk_data`` (N, 1024) and ``junk_labels``
(N, 37) in the nist36 layout (the 37th column: not a character), and prints the counts.
"""

import argparse
import os
import sys
from pathlib import Path

import numpy as np
from scipy import ndimage
from scipy.io import savemat

from ocr_cli.errors import InputError
from ocr_cli.layout import CLASSES
from ocr_cli.net.data import concatenate, load_dataset
from ocr_cli.pipeline.images import to_gray
from ocr_cli.pipeline.reader import cut
from ocr_synth.pages import (
    FAINT_INK,
    INK_DARKNESS,
    STROKE_SHARE,
    GlyphBank,
    broken_pen,
    compose_page,
    fine_dry_pen,
    photograph,
    random_text,
    thin_pen,
)

PENS = (None, None, thin_pen, broken_pen, fine_dry_pen)
MATCH = 0.5  # intersection over union for a crop to count as the character it covers
APART = 0.2  # at most this share of a crop's area on characters: it is not one


def overlaps(a, b):
    """For boxes ``a: (n, 4)`` and ``b: (m, 4)``: intersection over union, and the
    intersection as a share of ``a``'s area, both ``(n, m)``."""
    a, b = np.asarray(a, float)[:, None], np.asarray(b, float)[None]
    h = np.clip(np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0, None)
    w = np.clip(np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0, None)
    area_a = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
    area_b = (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
    return h * w / (area_a + area_b - h * w), h * w / np.maximum(area_a, 1)


def stroke(image, rng, points, width):
    """Draws a polyline through ``points: (k, 2)`` (y, x) of ``width`` px as ink."""
    yy, xx = np.mgrid[:image.shape[0], :image.shape[1]]
    for (y1, x1), (y2, x2) in zip(points[:-1], points[1:]):
        length = max(np.hypot(y2 - y1, x2 - x1), 1)
        for t in np.linspace(0, 1, int(length) + 1):
            cy, cx = y1 + t * (y2 - y1), x1 + t * (x2 - x1)
            y0, x0 = int(cy), int(cx)
            window = (slice(max(y0 - width, 0), y0 + width + 1), slice(max(x0 - width, 0), x0 + width + 1))
            near = (yy[window] - cy) ** 2 + (xx[window] - cx) ** 2 <= (width / 2) ** 2
            image[window][near] = 0.0


def marks(page, rng, height):
    """Non-characters drawn on the clean page: a box around a word, an underline,
    scribbles, specks. Returns the page image with them."""
    image = page.image.copy()
    width = max(1, int(STROKE_SHARE * height))
    boxes = np.array(page.boxes)
    words = {}
    for k, key in enumerate(zip(page.line_index, page.word_index)):
        words.setdefault(key, []).append(k)
    keys = list(words)
    chosen = [words[keys[i]] for i in rng.permutation(len(keys))[:2]]
    for n, members in enumerate(chosen):
        y1, x1 = boxes[members, 0].min(), boxes[members, 1].min()
        y2, x2 = boxes[members, 2].max(), boxes[members, 3].max()
        pad = rng.uniform(0.1, 0.35) * height
        if n == 0 and rng.random() < 0.6:  # a box around the word, a little wobbly
            corners = np.array([[y1 - pad, x1 - pad], [y1 - pad, x2 + pad], [y2 + pad, x2 + pad],
                                [y2 + pad, x1 - pad], [y1 - pad, x1 - pad]])
            stroke(image, rng, corners + rng.normal(0, 0.05 * height, corners.shape), width)
        else:  # an underline
            stroke(image, rng, np.array([[y2 + pad, x1], [y2 + pad + rng.normal(0, 0.05 * height), x2]]), width)
    for _ in range(rng.integers(0, 4)):  # scribbles: bent strokes of 3 to 5 points
        y, x = rng.uniform(0, image.shape[0]), rng.uniform(0, image.shape[1])
        points = np.cumsum(rng.normal(0, 0.3 * height, (rng.integers(3, 6), 2)), 0) + [y, x]
        stroke(image, rng, np.clip(points, 0, np.array(image.shape) - 1), width)
    for _ in range(rng.integers(0, 6)):  # specks
        y, x = rng.integers(0, image.shape[0]), rng.integers(0, image.shape[1])
        r = int(rng.uniform(0.05, 0.2) * height)
        image[y:y + r + 1, x:x + r + 1] = 0.0
    return image


def scene(grey, rng, height):
    """A hard shadow, a table edge and a dark desk around the photographed page, each
    at random; returns the grey image and the offset of the page inside it."""
    out = grey.copy()
    if rng.random() < 0.4:  # a hard shadow over part of the page
        yy, xx = np.mgrid[:out.shape[0], :out.shape[1]]
        a, b = rng.normal(size=2)
        line = a * (yy - rng.uniform(0, out.shape[0])) + b * (xx - rng.uniform(0, out.shape[1]))
        inside = ndimage.gaussian_filter((line > 0).astype(np.float32), rng.uniform(0.5, 3))
        out *= 1 - rng.uniform(0.3, 0.6) * inside
    if rng.random() < 0.3:  # a table edge along one side of the frame
        band = int(rng.uniform(0.3, 1.5) * height)
        side = rng.integers(4)
        region = [np.s_[:band, :], np.s_[-band:, :], np.s_[:, :band], np.s_[:, -band:]][side]
        out[region] *= rng.uniform(0.2, 0.6)
    offset = (0, 0)
    if rng.random() < 0.3:  # a dark desk around the sheet
        pad = rng.integers(int(0.5 * height), int(2 * height), 4)
        out = np.pad(out, ((pad[0], pad[1]), (pad[2], pad[3])), constant_values=rng.uniform(0.05, 0.3))
        out = np.clip(out + rng.normal(0, 0.02, out.shape), 0, 1).astype(np.float32)
        offset = (pad[0], pad[2])
    return out, offset


def page_crops(bank, rng):
    """Crops ``(n, 1024)`` of one composed, marked, photographed page and their class
    indices ``(n,)`` (36: not a character); fragments and merges are left out."""
    height = int(rng.uniform(40, 90))
    page = compose_page(random_text(rng), bank, rng, char_height=height, pen=PENS[rng.integers(len(PENS))])
    ink = FAINT_INK if rng.random() < 0.2 else INK_DARKNESS
    grey, offset = scene(to_gray(photograph(marks(page, rng, height), rng, ink=ink)), rng, height)
    boxes, crops = cut(grey)
    if not len(boxes):
        return np.zeros((0, 1024), np.float32), np.zeros(0, int)
    truth = np.array(page.boxes) + [offset[0], offset[1], offset[0], offset[1]]
    return labelled(boxes, crops, truth, page.chars)


def labelled(boxes, crops, truth, chars, others=np.zeros((0, 4))):
    """The ``crops`` (cut at ``boxes``) that cover one true character (``truth`` boxes of
    ``chars``: intersection over union >= MATCH), with its class index, and those that
    barely touch any character or any of the ``others`` boxes (under APART of their
    area), as not characters (36); the rest (fragments, merges, a character of none of
    the classes, such as a punctuation mark) left out."""
    covered = overlaps(boxes, np.concatenate([truth, others]))[1].max(1) if len(truth) + len(others) \
        else np.zeros(len(boxes))
    labels, matched = np.full(len(boxes), len(CLASSES)), np.zeros(len(boxes), bool)
    if len(truth):
        iou = overlaps(boxes, truth)[0]
        matched = iou.max(1) >= MATCH
        labels = np.where(matched, [CLASSES.find(chars[b]) for b in iou.argmax(1)], len(CLASSES))
    kept = (matched & (labels >= 0)) | (~matched & (covered < APART))
    return crops[kept], labels[kept]


# Scenes of ``ocr_synth/stress.py`` whose clutter, shadows, drawn structure and erased
# writing are junk to learn (pages of lower-case or cursive writing are left out: their
# letters are characters of another alphabet, not junk).
SCENES = ("cluttered", "shadow", "deep_shadow", "dark_surround", "whiteboard", "erased_bridges", "diagram",
          "form", "notes", "thin_faint", "faint_gradient", "no_text")


def scene_crops(bank, rng):
    """Crops and class indices, as :func:`page_crops`, of one stress scene of a random
    kind of :data:`SCENES` written with ``bank``'s glyphs: crops on a character keep
    its class, those barely touching any character or mark (printed labels included)
    are not characters, and the rest (fragments, merges, marks) are left out."""
    from ocr_synth.stress import stress_photo, stress_text

    kind = SCENES[rng.integers(len(SCENES))]
    photo = stress_photo(kind, stress_text(kind, rng), bank, rng)
    try:
        boxes, crops = cut(to_gray(photo.rgb))
    except InputError:  # a scene the reader refuses whole (not a page of text): nothing is cut
        return np.zeros((0, 1024), np.float32), np.zeros(0, int)
    chars = "".join(photo.text.split())
    truth = np.asarray(photo.boxes, float).reshape(-1, 4)
    assert len(chars) == len(truth), (kind, len(chars), len(truth))
    printed = np.asarray(photo.printed_boxes if photo.printed_boxes is not None else np.zeros((0, 4)),
                         float).reshape(-1, 4)
    if not len(boxes):
        return np.zeros((0, 1024), np.float32), np.zeros(0, int)
    return labelled(boxes, crops, truth, chars, printed)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("OCR_DATA", "../shared/nist36")))
    parser.add_argument("--pages", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scenes", type=float, default=0.0,
                        help="share of the pages that are stress scenes (ocr_synth/stress.py) instead of marked pages")
    args = parser.parse_args()
    if args.out.exists():
        raise SystemExit(f"{args.out}: already exists")
    data = concatenate([load_dataset(args.data / f"nist36_{split}.mat") for split in ("train", "extra")])
    bank, rng = GlyphBank(data.X, data.Y), np.random.default_rng(args.seed)
    crops, labels = [], []
    for page in range(args.pages):
        made = (scene_crops if rng.random() < args.scenes else page_crops)(bank, rng)
        crops.append(made[0])
        labels.append(made[1])
        if (page + 1) % 50 == 0:
            print(f"{page + 1} pages: {sum(map(len, labels))} crops", file=sys.stderr, flush=True)
    X, y = np.concatenate(crops), np.concatenate(labels)
    savemat(args.out, {"junk_data": X, "junk_labels": np.eye(len(CLASSES) + 1, dtype=np.uint8)[y]},
            do_compression=True)
    print(f"{args.out}: {len(X)} crops from {args.pages} pages: {int((y == len(CLASSES)).sum())} not characters, "
          f"{int((y < len(CLASSES)).sum())} characters")


if __name__ == "__main__":
    main()
