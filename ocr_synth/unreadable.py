"""Pages the tool cannot read, for its "cannot read this" warning: lower-case words
(printed, or drawn by hand), cursive-like writing (connected smooth strokes), and a
photo of a scene without text (clutter only).

Each kind's function takes ``(lines, bank, rng, char_height)`` like the other stress
kinds (the lines give the words' lengths; ``bank`` is not used) and returns a
:class:`~ocr_synth.stress.StressPhoto` with no characters: ``text`` empty, no
boxes; its ``kind`` is the truth. The mask ``writing`` shows where the unreadable
writing is. Lengths are in character heights unless a share.
"""

import numpy as np
from scipy import ndimage

from ocr_synth.pages import (INK_LEVEL, LINE_PITCH, MARGIN, STROKE_SHARE, WORDS, Page, develop, light, paper_colour,
                             photograph)
from ocr_synth.printed import FONTS, print_line
from ocr_synth.stress import paste, room, stress_result

# Lower-case words.
PRINTED_SHARE = 0.5  # of lower-case pages are printed; the rest a hand's (a font bent and re-inked)
LOWER_CAP_HEIGHT = (0.8, 1.1)  # the font's capital height, in character heights: x-height about 0.55 of it
HAND_BEND = (0.04, 0.09)  # a hand's letters stray this far from the font's shapes ...
HAND_BEND_SCALE = 0.4  # ... changing over about this distance
HAND_STROKE = (-0.3, 0.5)  # ... and its pen is up to this share of a stroke thinner or thicker
# Cursive-like writing.
X_HEIGHT = (0.45, 0.6)  # the small letters' height, in character heights
LETTER_WIDTH = (0.35, 0.6)  # one letter's advance
LOOP_SHARE = 0.6  # of letters loop (e, l): the pen goes back before going on
TALL_SHARE = 0.25  # of letters rise to an ascender (l, h, k, b) ...
TALL_HEIGHT = (1.7, 2.3)  # ... this many x-heights tall
DEEP_SHARE = 0.15  # of letters drop to a descender (g, y, p) ...
DEEP_DEPTH = (0.6, 1.0)  # ... this many x-heights below the baseline
CURSIVE_STROKE = (0.5, 1.0)  # the pen's width as a share of a glyph's stroke
CURSIVE_SLANT = (0.0, 0.35)  # the writing leans right by this share of its height
WORD_SPACE = (0.6, 1.2)  # between words
STEPS_PER_LETTER = 40  # points of the pen's path per letter: smooth curves
# A scene without text.
SCENE_SIZE = (12.0, 24.0)  # the frame's sides, in character heights


def no_characters(rgb, masks):
    """A :class:`~ocr_synth.stress.StressPhoto` of ``rgb`` with nothing to read."""
    empty = Page(np.ones(rgb.shape[:2], np.float32), [], [], [], "")
    return stress_result(rgb, np.zeros((0, 4), np.int64), empty, masks, labels=np.zeros(rgb.shape[:2], np.int32))


def stack_lines(images, rng, char_height):
    """(H, W) float32 page (paper 1) with line ``images`` one under another,
    :data:`~ocr_synth.pages.LINE_PITCH` apart, inside :data:`~ocr_synth.pages.MARGIN`."""
    margins = np.round(rng.uniform(*MARGIN, size=4) * char_height).astype(int)
    blocks, top = [], margins[0]
    for image in images:
        blocks.append((image, top, margins[1]))
        top += max(image.shape[0], round(rng.uniform(*LINE_PITCH) * char_height))
    height = max(b.shape[0] + t for b, t, _ in blocks) + margins[2]
    return paste(blocks, height, max(b.shape[1] for b, _, _ in blocks) + margins[1] + margins[3])


def hand_bent(image, rng, char_height):
    """``image`` (paper 1) as a hand would write it: bent by a smooth random
    displacement of :data:`HAND_BEND` over :data:`HAND_BEND_SCALE`, strokes made
    thinner or thicker by :data:`HAND_STROKE`."""
    sigma = HAND_BEND_SCALE * char_height
    shift = [ndimage.gaussian_filter(rng.normal(0, 1, image.shape), sigma) for _ in range(2)]
    shift = [s / max(np.abs(s).max(), 1e-9) * rng.uniform(*HAND_BEND) * char_height for s in shift]
    yy, xx = np.mgrid[:image.shape[0], :image.shape[1]].astype(float)
    bent = ndimage.map_coordinates(image, [yy + shift[0], xx + shift[1]], order=1, cval=1.0)
    radius = rng.uniform(*HAND_STROKE) * STROKE_SHARE * char_height / 2
    size = 2 * int(round(abs(radius))) + 1
    change = ndimage.grey_erosion if radius > 0 else ndimage.grey_dilation  # erode paper: thicker ink
    return np.asarray(change(bent, size=(size, size)) if size > 1 else bent, np.float32)


def lower_words(line, rng):
    """``line``'s words in lower case, those with digits replaced by words of
    :data:`~ocr_synth.pages.WORDS` (digits would be readable)."""
    return " ".join(w.lower() if w.isalpha() else str(rng.choice(WORDS)).lower() for w in line.split())


def lowercase_photo(lines, bank, rng, char_height):
    """``lines`` in lower case: with :data:`PRINTED_SHARE` printed in a font of
    :data:`~ocr_synth.printed.FONTS`, else written by a hand (:func:`hand_bent`),
    capitals :data:`LOWER_CAP_HEIGHT` tall; photographed. No characters to read.
    Mask: ``writing``."""
    family, weight, style = FONTS[rng.integers(len(FONTS))]
    cap = rng.uniform(*LOWER_CAP_HEIGHT) * char_height
    images = [print_line(lower_words(line, rng), cap, family, weight, style).image for line in lines]
    if rng.random() >= PRINTED_SHARE:
        images = [hand_bent(np.pad(image, round(char_height / 4), constant_values=1.0), rng, char_height)
                  for image in images]
    page = stack_lines(images, rng, char_height)
    return no_characters(photograph(page, rng), {"writing": page < INK_LEVEL})


def cursive_word(letters, rng, char_height):
    """(N, 2) x, y of the pen drawing a cursive-like word of ``letters`` letters in one
    stroke, from x 0 on the baseline y 0 (y down): each letter an arch of
    :data:`X_HEIGHT`, some looping back (:data:`LOOP_SHARE`), rising to an ascender
    (:data:`TALL_SHARE`) or dropping to a descender (:data:`DEEP_SHARE`), joined
    smoothly, leaning by :data:`CURSIVE_SLANT`."""
    x_height = rng.uniform(*X_HEIGHT) * char_height
    t = np.linspace(0, letters, letters * STEPS_PER_LETTER + 1)
    advance = np.cumsum(rng.uniform(*LETTER_WIDTH, letters) * char_height)
    tops = np.where(rng.random(letters) < TALL_SHARE, rng.uniform(*TALL_HEIGHT, letters), 1.0) * x_height
    bottoms = np.where(rng.random(letters) < DEEP_SHARE, -rng.uniform(*DEEP_DEPTH, letters), 0.0) * x_height
    loops = (rng.random(letters) < LOOP_SHARE) * rng.uniform(0.15, 0.3, letters) * char_height
    i = np.minimum(t.astype(int), letters - 1)
    phase = 2 * np.pi * (t - i)
    x = np.interp(t, np.arange(letters + 1), np.concatenate([[0.0], advance])) - loops[i] * np.sin(phase)
    up = (1 - np.cos(phase)) / 2  # 0 on the baseline, 1 at the letter's top
    y = -(bottoms[i] + (tops[i] - bottoms[i]) * up)
    slant = rng.uniform(*CURSIVE_SLANT)
    return np.stack([x - slant * y, y], 1)


def cursive_photo(lines, bank, rng, char_height):
    """Each line's words written as cursive-like connected strokes
    (:func:`cursive_word`, one per word, as many letters), a pen of
    :data:`CURSIVE_STROKE`, :data:`WORD_SPACE` between words; photographed. No
    characters to read. Mask: ``writing``."""
    from PIL import Image, ImageDraw

    width = max(1, round(rng.uniform(*CURSIVE_STROKE) * STROKE_SHARE * char_height))
    images = []
    for line in lines:
        paths, x = [], 0.0
        for word in line.split():
            path = cursive_word(len(word), rng, char_height) + [x, 0.0]
            paths.append(path)
            x = path[:, 0].max() + rng.uniform(*WORD_SPACE) * char_height
        points = np.concatenate(paths)
        low = points.min(0) - width
        size = np.ceil(points.max(0) - low + width).astype(int)
        canvas = Image.new("L", tuple(size), 0)
        draw = ImageDraw.Draw(canvas)
        for path in paths:
            draw.line([tuple(p) for p in path - low], fill=255, width=width, joint="curve")
        images.append(1.0 - ndimage.gaussian_filter(np.asarray(canvas, np.float32) / 255, 0.5))
    page = stack_lines(images, rng, char_height)
    return no_characters(photograph(page, rng), {"writing": page < INK_LEVEL})


def no_text_photo(lines, bank, rng, char_height):
    """A cluttered room (:func:`~ocr_synth.stress.room`: cups, phones, cables, books,
    fabric) filling a frame of :data:`SCENE_SIZE`, and no text; ``lines`` are not
    used. Mask: ``clutter``."""
    shape = tuple(np.round(rng.uniform(*SCENE_SIZE, size=2) * char_height).astype(int))
    paper = paper_colour(rng)
    rgb, objects = room(shape, rng, paper, char_height, np.zeros(shape, bool))
    return no_characters(develop(light(rgb, rng), rng), {"clutter": objects})
