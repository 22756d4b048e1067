"""Synthetic photos of hand-printed notes with exact boxes, for tests, benchmarks and
training data; the reading itself never uses it.

:mod:`ocr_synth.pages` composes pages of real NIST glyphs and photographs them;
:mod:`ocr_synth.stress` puts such a page in the scenes that trouble segmentation
(whiteboards, dark desks, clutter, shadows, faint pens, mixed sizes).
"""
