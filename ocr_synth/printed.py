"""Printed text with exact boxes: lines set in the fonts matplotlib ships (DejaVu, STIX,
Computer Modern), found offline with ``matplotlib.font_manager`` and drawn with PIL.

:func:`print_line` returns a :class:`~ocr_synth.pages.Page` like a composed line of
handwriting: each non-space character's tight ink box and its labelled ink.
"""

import numpy as np

from ocr_synth.pages import Page, ink_box, paint

PRINT_PAD = 2  # pixels of paper around a printed line: room for anti-aliased edges
FONTS = (("DejaVu Sans", "normal", "normal"), ("DejaVu Sans", "bold", "normal"), ("DejaVu Serif", "normal", "normal"),
         ("DejaVu Sans Mono", "normal", "normal"), ("DejaVu Sans", "normal", "oblique"),
         ("STIXGeneral", "normal", "normal"))  # the faces a form or a printed page may use


def font_file(family="DejaVu Sans", weight="normal", style="normal"):
    """The path of a font matplotlib ships (no network, no system fonts needed)."""
    from matplotlib import font_manager

    return font_manager.findfont(font_manager.FontProperties(family=family, weight=weight, style=style),
                                 fallback_to_default=True)


def print_line(text, cap_height, family="DejaVu Sans", weight="normal", style="normal"):
    """``text`` (one line) printed so its capitals are ``cap_height`` pixels tall.

    Returns
    -------
    :class:`~ocr_synth.pages.Page`: the image (H, W) float32 (paper 1, ink 0,
    anti-aliased), one box per non-space character (tight, of its own ink), its
    ``labels``, line 0, words split at spaces.
    """
    from PIL import Image, ImageDraw, ImageFont

    path = font_file(family, weight, style)
    probe = ImageFont.truetype(path, 100)
    cap = -probe.getbbox("H", anchor="ls")[1] / 100  # the face's capital height per unit of size
    font = ImageFont.truetype(path, max(4, round(cap_height / cap)))
    ascent, descent = font.getmetrics()
    size = (int(np.ceil(font.getlength(text))) + 2 * PRINT_PAD, ascent + descent + 2 * PRINT_PAD)
    image = np.ones(size[::-1], np.float32)
    labels = np.zeros(size[::-1], np.int32)
    boxes, word_index, word = [], [], 0
    for i, char in enumerate(text):
        if char == " ":
            word += 1
            continue
        canvas = Image.new("L", size, 0)
        ImageDraw.Draw(canvas).text((PRINT_PAD + font.getlength(text[:i]), PRINT_PAD + ascent), char, font=font,
                                    fill=255, anchor="ls")
        patch = 1.0 - np.asarray(canvas, np.float32) / 255.0
        paint(image, patch, 0, 0, labels, len(boxes) + 1)
        boxes.append([int(v) for v in ink_box(patch)])
        word_index.append(word)
    return Page(image, boxes, [0] * len(boxes), word_index, " ".join(text.split()), labels)
