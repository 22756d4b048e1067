"""Synthetic photos of hand-printed notes with exact boxes, for tests, benchmarks and
training data; the reading itself never uses it.

:mod:`ocr_synth.pages` composes pages of real NIST glyphs and photographs them;
:mod:`ocr_synth.stress` puts such a page in the scenes that trouble segmentation
(whiteboards, dark desks, clutter, shadows, faint pens, mixed sizes) and is where every
kind is asked for (:func:`~ocr_synth.stress.stress_photo`); :mod:`ocr_synth.writing`
turns and crowds the writing itself (rotated pages, a diagonal number, touching digits,
wide spacing, punctuation); :mod:`ocr_synth.scenes` writes text in blocks (whiteboard
diagrams, sticky-note walls, forms); :mod:`ocr_synth.unreadable` makes pages with
nothing to read (lower case, cursive, clutter); :mod:`ocr_synth.printed` sets printed
text with exact boxes.
"""
