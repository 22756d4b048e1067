"""Synthetic photos of hand-printed notes, composed from NIST glyphs, with exact boxes.

:func:`compose_page` lays real handwritten characters out as lines and words on a clean
page (paper 1, ink 0) and records each character's ink box, line and word;
:func:`photograph` turns such a page into what a phone camera would see: tinted paper,
uneven light, a slight tilt, softness and noise. :func:`random_text` writes note-like
lines to compose. Sizes and spacings are fractions of the character height.
"""

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from ocr_cli.layout import CLASSES
from ocr_cli.layout import SIDE as IMAGE_SIDE
from ocr_cli.net.data import load_dataset

INK_LEVEL = 0.5  # darker than mid-grey counts as ink, as in the box definition
MIN_CHAR_HEIGHT = 8  # pixels: smaller, and thin strokes blur away below the ink level
MIN_INK_HEIGHT = 0.375  # of the 32 px frame: flatter samples (mostly squashed Ms) would be
# blown up into thick-stroked blobs when scaled to the line's height

# Page layout, in units of the character height.
HEIGHT_JITTER = 0.10  # writers vary letter height by about a tenth
BASELINE_JITTER = 0.04  # letters wander a few percent above and below the line
LETTER_GAP = (0.15, 0.45)  # ink-to-ink space between letters of a word
WORD_GAP = (0.9, 1.6)  # ink-to-ink space between words: clearly wider than any letter gap
LINE_PITCH = (1.6, 2.0)  # baseline to baseline, per line
MARGIN = (1.0, 2.0)  # blank paper around the text, per side
INDENT = 0.3  # lines start up to this far right of the margin: hand-written, not typeset

# Photo effects.
PAPER_GREY = (0.80, 0.93)  # paper brightness: never pure white under room light
PAPER_WARMTH = (0.0, 0.06)  # red above blue by up to this much: a warm or neutral cast
INK_DARKNESS = (0.55, 0.9)  # share of the light the ink absorbs: pencil to pen
FAINT_INK = (0.18, 0.35)  # a hard pencil or a drying felt pen: strokes barely darker than paper
STROKE_SHARE = 3.5 / 25  # NIST strokes are about 3.5 px for a 25 px character: a 60 px glyph has 8 px strokes
THIN_STROKE = (0.25, 0.45)  # a fine pen's stroke, as a share of the glyph's own stroke width
GAP_COUNT = (1, 3)  # a dry pen skips 1 to 3 times per character ...
GAP_SIZE = 0.7  # ... over about 0.7 of a stroke width
PRESSURE_VARIATION = 0.15  # the ink lightens by up to this share where the hand pressed less
PRESSURE_CELLS = 6  # pressure changes over about a sixth of the page
SHADOW_DEPTH = (0.20, 0.35)  # the darkest part of the page loses this share of the light
VIGNETTE_SHARE = 0.5  # weight of the lamp's fall-off next to the straight gradient
BLUR_SIGMA = (0.5, 1.1)  # camera softness, about a pixel
NOISE_SIGMA = (0.006, 0.015)  # sensor noise: a couple of grey levels, kept low so JPEGs stay small
NOISE_GRAIN = 0.7  # noise is smoothed over about a pixel, as a phone's demosaicing does


class GlyphBank:
    """Upright handwritten character images grouped by class.

    Parameters
    ----------
    X : (N, 1024) rows of 32x32 images stored transposed, paper 1, ink 0.
    Y : (N, 36) one-hot labels in :data:`ocr_cli.CLASSES` order.

    Samples whose ink is flatter than ``MIN_INK_HEIGHT`` of the frame are left out.
    """

    def __init__(self, X, Y):
        images = np.asarray(X, dtype=np.float64).reshape(-1, IMAGE_SIDE, IMAGE_SIDE).transpose(0, 2, 1)
        labels = np.asarray(Y).argmax(1)
        tall = (images < INK_LEVEL).any(2).sum(1) >= MIN_INK_HEIGHT * IMAGE_SIDE
        self.images = images[tall]
        self.by_char = {c: np.flatnonzero(labels[tall] == i) for i, c in enumerate(CLASSES)}

    @classmethod
    def from_file(cls, path):
        """A bank of every sample in a nist36-layout ``.mat`` file."""
        data = load_dataset(path)
        return cls(data.X, data.Y)

    def glyph(self, char, rng):
        """A random sample of ``char``: (32, 32) float64, upright, paper 1, ink dark."""
        choices = self.by_char.get(char)
        if choices is None or len(choices) == 0:
            raise ValueError(f"no glyphs for {char!r}")
        return self.images[rng.choice(choices)]


class RecordingBank(GlyphBank):
    """A glyph bank that remembers the class and image of every glyph it hands out,
    in order (a page's reading order), in ``used``."""

    def __init__(self, X, Y):
        super().__init__(X, Y)
        self.used = []

    def glyph(self, char, rng):
        image = super().glyph(char, rng)
        self.used.append((CLASSES.index(char), image))
        return image


@dataclass
class Page:
    """A composed page before photo effects.

    ``image``: (H, W) float32, paper 1, ink dark. ``boxes``: one ``[y1, x1, y2, x2]``
    per character in reading order (top-left inclusive, bottom-right exclusive), the
    tight box of its pixels darker than mid-grey. ``line_index`` and ``word_index``
    (counted within the line) per character. ``text``: lines joined by newlines,
    words by single spaces. ``labels``: (H, W) int32, ``k + 1`` on the ink of character
    ``k`` (where glyphs overlap, the darker one's), else 0; None where not recorded.
    """

    image: np.ndarray
    boxes: list
    line_index: list
    word_index: list
    text: str
    labels: np.ndarray = None

    @property
    def chars(self):
        """The characters of ``boxes``, in the same order."""
        return "".join(self.text.split())


@dataclass
class Placed:
    """A glyph patch ``patch: (h, w)`` at ``top``, ``left`` relative to its line (x from
    the line's start, y from its baseline), with the ink box inside the patch."""

    patch: np.ndarray
    top: int
    left: int
    ink: tuple
    word: int


def ink_box(image):
    """``(y1, x1, y2, x2)`` of the pixels of ``image: (h, w)`` darker than mid-grey."""
    rows = np.flatnonzero((image < INK_LEVEL).any(1))
    cols = np.flatnonzero((image < INK_LEVEL).any(0))
    return rows[0], cols[0], rows[-1] + 1, cols[-1] + 1


def crop_to_ink(glyph):
    """``glyph: (h, w)`` cut to its ink plus one pixel of paper, which keeps the
    anti-aliased edge."""
    padded = np.pad(glyph, 1, constant_values=1.0)
    y1, x1, y2, x2 = ink_box(padded)
    return padded[y1 - 1:y2 + 1, x1 - 1:x2 + 1]


def scale_glyph(glyph, ink_height):
    """``glyph: (h, w)`` cropped by :func:`crop_to_ink`, resized (aspect kept) so its ink
    is ``ink_height`` pixels tall; float32 in 0..1, the page's type, so the ink box
    measured on it is the one on the page."""
    from PIL import Image

    factor = ink_height / (glyph.shape[0] - 2)
    size = (max(1, round(glyph.shape[1] * factor)), max(1, round(glyph.shape[0] * factor)))
    resized = Image.fromarray(glyph.astype(np.float32)).resize(size, Image.BICUBIC)
    return np.clip(np.asarray(resized, dtype=np.float32), 0.0, 1.0)


def parse_lines(lines, marks=""):
    """Each line as a list of words; rejects empty lines, spaces that are not single
    spaces between words, and characters outside the 36 classes and ``marks``."""
    parsed = []
    for line in lines:
        words = line.split(" ")
        if not all(words):
            raise ValueError(f"{line!r}: empty, or spaces other than one between words")
        bad = set("".join(words)) - set(CLASSES) - set(marks)
        if bad:
            raise ValueError(f"characters outside A-Z0-9{marks and ' and ' + marks}: {''.join(sorted(bad))!r}")
        parsed.append(words)
    return parsed


def thin_pen(patch, rng, char_height):
    """A fine pen: the strokes of ``patch`` (paper 1) eroded to :data:`THIN_STROKE` of
    their width (a grey dilation of the paper by a disk)."""
    stroke = STROKE_SHARE * char_height
    radius = stroke * (1 - rng.uniform(*THIN_STROKE)) / 2
    r = int(np.ceil(radius))
    disk = np.add.outer(np.arange(-r, r + 1) ** 2, np.arange(-r, r + 1) ** 2) <= radius ** 2
    thinner = ndimage.grey_dilation(patch, footprint=disk)
    return thinner if (thinner < INK_LEVEL).sum() >= 0.15 * (patch < INK_LEVEL).sum() else patch


def broken_pen(patch, rng, char_height):
    """A pen that skips: :data:`GAP_COUNT` round gaps of paper on random stroke pixels."""
    out, (ys, xs) = patch.copy(), np.nonzero(patch < INK_LEVEL)
    radius = GAP_SIZE * STROKE_SHARE * char_height / 2
    yy, xx = np.mgrid[:patch.shape[0], :patch.shape[1]]
    for k in rng.choice(len(ys), size=min(len(ys), rng.integers(GAP_COUNT[0], GAP_COUNT[1] + 1)), replace=False):
        out[(yy - ys[k]) ** 2 + (xx - xs[k]) ** 2 <= radius ** 2] = 1.0
    return out


def fine_dry_pen(patch, rng, char_height):
    """A fine pen that skips: :func:`thin_pen`, then :func:`broken_pen`."""
    return broken_pen(thin_pen(patch, rng, char_height), rng, char_height)


def note_gaps(previous, char, new_word):
    """The ink gap before ``char`` (after ``previous``), in character heights, on a
    note: :data:`WORD_GAP` between words, :data:`LETTER_GAP` inside them."""
    return WORD_GAP if new_word else LETTER_GAP


def lay_out_line(words, bank, rng, char_height, pen=None, gaps=note_gaps, draw=None):
    """The glyphs of one line, left to right: a list of :class:`Placed`, with ink gaps
    drawn from ``gaps(previous, char, new_word) -> (low, high)`` (character heights;
    default :func:`note_gaps`); ``pen(patch, rng, char_height) -> patch`` changes each
    glyph's strokes (e.g. :func:`thin_pen`); ``draw(char, rng, char_height) -> (patch,
    lift)`` draws the characters outside the 36 classes (punctuation), their ink's
    bottom ``lift`` pixels above the baseline. Glyphs stand on the baseline."""
    placed, x = [], 0.0
    for w, word in enumerate(words):
        for c, char in enumerate(word):
            if c or w:
                x += rng.uniform(*gaps(word[c - 1] if c else words[w - 1][-1], char, not c)) * char_height
            if char in CLASSES:
                height = char_height * rng.uniform(1 - HEIGHT_JITTER, 1 + HEIGHT_JITTER)
                patch, lift = scale_glyph(crop_to_ink(bank.glyph(char, rng)), height), 0.0
            else:
                patch, lift = draw(char, rng, char_height)
            patch = pen(patch, rng, char_height) if pen else patch
            ink = ink_box(patch)
            drop = rng.uniform(-BASELINE_JITTER, BASELINE_JITTER) * char_height - lift
            left = round(x) - ink[1]
            placed.append(Placed(patch, round(drop) - ink[2], left, ink, w))
            x = left + ink[3]
    return placed


def paint(image, patch, top, left, labels=None, label=0):
    """Draws ``patch`` (paper 1) on ``image`` at ``top``, ``left``, the darker pixel
    winning; marks ``label`` in ``labels`` where the patch's ink is the darker."""
    window = image[top:top + patch.shape[0], left:left + patch.shape[1]]
    if labels is not None:
        mine = (patch < INK_LEVEL) & (patch <= window)
        labels[top:top + patch.shape[0], left:left + patch.shape[1]][mine] = label
    np.minimum(window, patch, out=window)


def compose_page(lines, bank, rng, char_height=60, width=None, height=None, pen=None, layout=lay_out_line,
                 marks=""):
    """Writes ``lines`` with glyphs from ``bank`` onto a clean page.

    Parameters
    ----------
    lines : strings of A-Z, 0-9 (and ``marks``) and spaces, one per written line.
    bank : :class:`GlyphBank`.
    rng : ``numpy.random.Generator``.
    char_height : typical ink height of a character, pixels.
    width, height : page size in pixels; the page grows where the text needs more
        room. The text starts at the top left, as on a note.
    pen : ``pen(patch, rng, char_height) -> patch`` applied to every glyph, e.g.
        :func:`thin_pen`; None writes the glyphs as scanned.
    layout : ``layout(words, bank, rng, char_height, pen) -> [Placed]``, one line's
        glyphs (default :func:`lay_out_line`: note spacing).
    marks : characters besides the 36 classes that ``layout`` draws (punctuation).

    Returns
    -------
    :class:`Page`, the image (H, W) float32, with ``labels``.
    """
    if char_height < MIN_CHAR_HEIGHT:
        raise ValueError(f"char_height {char_height} is below {MIN_CHAR_HEIGHT} pixels")
    words = parse_lines(lines, marks)
    margins = rng.uniform(*MARGIN, size=4) * char_height  # top, left, bottom, right
    rows, baseline = [], None
    for line in words:
        placed = layout(line, bank, rng, char_height, pen)
        top = -min(p.top for p in placed)
        baseline = margins[0] + top if baseline is None else baseline + rng.uniform(*LINE_PITCH) * char_height
        indent = margins[1] + rng.uniform(0, INDENT) * char_height
        rows.append([(p, round(baseline) + p.top, round(indent) + p.left) for p in placed])
    bottom = max(t + p.patch.shape[0] for p, t, _ in rows[-1]) + round(margins[2])
    right = max(l + p.patch.shape[1] for row in rows for p, _, l in row) + round(margins[3])
    image = np.ones((max(bottom, height or 0), max(right, width or 0)), dtype=np.float32)
    labels = np.zeros(image.shape, np.int32)
    boxes, line_index, word_index = [], [], []
    for i, row in enumerate(rows):
        for p, t, l in row:
            paint(image, p.patch, t, l, labels, len(boxes) + 1)
            y1, x1, y2, x2 = p.ink
            boxes.append([int(t + y1), int(l + x1), int(t + y2), int(l + x2)])
            line_index.append(i)
            word_index.append(p.word)
    text = "\n".join(" ".join(line) for line in words)
    return Page(image, boxes, line_index, word_index, text, labels)


def smooth_field(shape, rng, cells):
    """(H, W) smooth random values in 0..1, varying over about ``1 / cells`` of the
    image."""
    from PIL import Image

    coarse = rng.random((cells + 1, cells + 1)).astype(np.float32)
    field = np.asarray(Image.fromarray(coarse).resize(shape[::-1], Image.BICUBIC))
    return (field - field.min()) / max(np.ptp(field), 1e-6)


def lighting(shape, rng, depth=SHADOW_DEPTH):
    """(H, W) brightness factor: 1 where the page is best lit, falling smoothly (a
    straight gradient plus a lamp's fall-off) to ``1 - depth`` at the darkest point,
    ``depth`` drawn from the range given (default :data:`SHADOW_DEPTH`)."""
    y, x = np.mgrid[0:1:shape[0] * 1j, 0:1:shape[1] * 1j]
    angle = rng.uniform(0, 2 * np.pi)
    gradient = x * np.cos(angle) + y * np.sin(angle)
    lamp_y, lamp_x = rng.uniform(0.2, 0.8, size=2)  # the brightest spot, away from the edges
    falloff = (x - lamp_x) ** 2 + (y - lamp_y) ** 2
    shade = (gradient - gradient.min()) / np.ptp(gradient) + VIGNETTE_SHARE * falloff / falloff.max()
    shade = (shade - shade.min()) / np.ptp(shade)
    return 1.0 - rng.uniform(*depth) * shade


def paper_colour(rng):
    """(3,) RGB of the paper in 0..1: light grey with a slight warm cast."""
    grey = rng.uniform(*PAPER_GREY)
    warmth = rng.uniform(*PAPER_WARMTH)
    return grey + np.array([warmth / 2, 0.0, -warmth / 2])


def rotate(image, degrees):
    """``image: (H, W)`` turned counter-clockwise by ``degrees``; the canvas grows to
    hold it and the new corners are paper (1)."""
    if degrees == 0:
        return image
    return np.clip(ndimage.rotate(image, degrees, reshape=True, order=1, cval=1.0), 0.0, 1.0)


def ink_reflectance(image, rng, ink=INK_DARKNESS):
    """``image: (H, W)`` paper 1 / ink 0 turned into the share of light each pixel
    reflects: ink keeps part of the light, unevenly, like pencil or pen; ``ink``: the
    range of the share of light it absorbs."""
    darkness = rng.uniform(*ink)
    pressure = 1.0 - PRESSURE_VARIATION * smooth_field(image.shape, rng, PRESSURE_CELLS)
    return 1.0 - darkness * pressure * (1.0 - image)


def camera_noise(shape, rng):
    """(H, W, 1) grain, shared by the three channels as after a phone's processing."""
    sigma = rng.uniform(*NOISE_SIGMA)
    grain = ndimage.gaussian_filter(rng.normal(0.0, 1.0, shape), NOISE_GRAIN)
    return (sigma / grain.std() * grain)[..., None]


def photograph(image, rng, rotation_deg=0.0, ink=INK_DARKNESS, depth=SHADOW_DEPTH):
    """A phone-photo look for a composed page.

    Parameters
    ----------
    image : (H, W) floats, paper 1, ink 0 (e.g. :attr:`Page.image`).
    rng : ``numpy.random.Generator``.
    rotation_deg : counter-clockwise tilt; the canvas grows to hold the turned page.
    ink : range of the share of light the ink absorbs (:data:`FAINT_INK` for a faint pen).
    depth : range of the share of light the room's uneven light takes (:func:`lighting`).

    Returns
    -------
    (H', W', 3) uint8 RGB; ``(H', W') == (H, W)`` when ``rotation_deg`` is 0.
    """
    grey = ink_reflectance(rotate(np.asarray(image, dtype=np.float64), rotation_deg), rng, ink)
    return develop(light(grey[..., None] * paper_colour(rng), rng, depth), rng)


def light(rgb, rng, depth=SHADOW_DEPTH):
    """``rgb: (H, W, 3)`` reflectance under the room's uneven light (:func:`lighting`)."""
    return rgb * lighting(rgb.shape[:2], rng, depth)[..., None]


def develop(rgb, rng):
    """``rgb: (H, W, 3)`` light reaching the camera -> (H, W, 3) uint8: the lens's
    softness (:data:`BLUR_SIGMA`), sensor grain and 8-bit rounding."""
    sigma = rng.uniform(*BLUR_SIGMA)
    rgb = ndimage.gaussian_filter(rgb, (sigma, sigma, 0)) + camera_noise(rgb.shape[:2], rng)
    return np.clip(np.round(rgb * 255), 0, 255).astype(np.uint8)


def save_jpeg(rgb, path, quality=85):
    """Writes ``rgb: (H, W, 3)`` uint8 as a JPEG."""
    from PIL import Image

    Image.fromarray(rgb).save(path, quality=quality)


WORDS = (
    "MEET CALL PARK BUY SHOP BANK ROOM DESK NOTE LIST MILK EGGS BREAD RICE SOUP TEA "
    "CAKE FISH BEEF CORN JAM JUICE PIZZA APPLE LUNCH DINNER PAY RENT BILL TAX FIX "
    "BIKE CAR VAN TAXI TRAIN BUS GATE DOOR KEYS BOX MAIL SEND POST WRITE READ BOOK "
    "QUIZ TEST EXAM CLASS HOME WORK TEAM PLAN IDEA ASK JOHN MARY ZOE MAX VICKY KIM "
    "JUNE JULY MAY MONDAY FRIDAY WEEK TODAY NOON AT TO ON IN BY THE AND FOR WITH "
    "FROM NEW OLD BIG RED BLUE GREEN BLACK WHITE QUICK LAZY JUMP WALK DOG ZOO GYM "
    "VISIT DOCTOR CHECK OFF DONE WAIT SOON BACK ORDER PRINT COPY SIGN FORM PHONE"
).split()
NUMBER_RANGES = ((1, 10), (10, 100), (100, 1000), (1990, 2031))  # counts, prices, rooms, years
CODE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I or O: codes avoid letters that read as digits
WORD_SHARE, NUMBER_SHARE = 0.7, 0.2  # of tokens; the rest are codes: notes are mostly words


def random_token(rng):
    """A word (mostly), a number, or a short code such as ``B7``."""
    kind = rng.random()
    if kind < WORD_SHARE:
        return str(rng.choice(WORDS))
    if kind < WORD_SHARE + NUMBER_SHARE:
        low, high = NUMBER_RANGES[rng.integers(len(NUMBER_RANGES))]
        return str(rng.integers(low, high))
    return str(rng.choice(list(CODE_LETTERS))) + str(rng.integers(1, 100))


def random_line(rng, max_chars=20):
    """One note line: a word and up to 3 more tokens in random order, at most
    ``max_chars`` characters with spaces."""
    tokens = [str(rng.choice(WORDS))]
    for _ in range(rng.integers(0, 4)):
        token = random_token(rng)
        if len(" ".join(tokens + [token])) <= max_chars:
            tokens.append(token)
    return " ".join(rng.permutation(tokens))


def random_text(rng, n_lines=None):
    """``n_lines`` (default: 3 to 6, at random) note-like lines of capitals and
    digits."""
    if n_lines is None:
        n_lines = rng.integers(3, 7)
    return [random_line(rng) for _ in range(n_lines)]


def random_strings(rng, n_lines=None):
    """``n_lines`` (default: 3 to 6) lines of 1 to 3 strings of 1 to 6 characters drawn
    uniformly from the 36 classes: text in which no word is known and no class is
    rarer than another."""
    if n_lines is None:
        n_lines = rng.integers(3, 7)
    return [" ".join("".join(rng.choice(list(CLASSES), rng.integers(1, 7))) for _ in range(rng.integers(1, 4)))
            for _ in range(n_lines)]
