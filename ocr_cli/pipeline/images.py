"""Reading any image file into one greyscale float array (paper light, ink dark).

The pages of a multi-page file: :mod:`ocr_cli.pipeline.documents`.

Handles RGB, RGBA/LA and palettes with transparency (composited over white), grey,
16-bit, and EXIF orientation. The header is checked before decoding so that an image
too large for memory is refused rather than half-decoded. :func:`load_page` decodes a
photo at the resolution reading needs.
"""

import warnings
from contextlib import contextmanager
from typing import NamedTuple, Optional

import numpy as np

from ocr_cli.errors import InputError, existing_file

# About 1.5 GB of float32 working copies; a 48-megapixel photo is well inside this, and
# PIL itself refuses images over 179 megapixels as possible decompression bombs.
MAX_PIXELS = 150_000_000
# The most bytes an image may take decoded, as its header declares it (width x height x
# bands x bytes per band): 150 megapixels of 8-bit RGB. A small compressed file can
# declare far more (a 580 KB PNG of 12000x12000 RGBA is 576 MB decoded), and reading
# costs a fixed multiple of it, so it is refused before anything is decoded.
MAX_DECODED_BYTES = 450_000_000
# The longest side of an image may be at most this many times its shortest: a page, a
# receipt or one line of writing is well inside it; a 1 x 100 million pixel strip is not
# a photo, and its working copies would not fit in memory.
MAX_ASPECT = 100


# The first bytes of a HEIF file: a box of type 'ftyp' whose major brand is one of these.
HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
# What each extra adds, for messages naming the one to install.
EXTRAS = {"pdf": ("pypdfium2", "reading or writing PDF"), "heic": ("pillow_heif", "reading HEIC/HEIF photos")}


def needs(extra):
    """The module the ``extra`` brings (imported), or an error naming the extra to install."""
    from importlib import import_module

    module, what = EXTRAS[extra]
    try:
        return import_module(module)
    except ImportError:
        raise MissingExtra(extra, what) from None


class MissingExtra(InputError):
    """A capability whose optional dependency is not installed (exit code 2)."""

    def __init__(self, extra, what, path=None):
        self.extra, self.what = extra, what
        super().__init__(path or extra, f"{what} needs the '{extra}' extra: pip install 'ocr-cli[{extra}]'")

    def __reduce__(self):
        return type(self), (self.extra, self.what, self.path)


def file_kind(path):
    """What the first bytes of ``path`` say it is: ``"pdf"``, ``"heif"`` or None (an image
    for PIL to judge)."""
    try:
        with open(path, "rb") as f:
            head = f.read(1024)
    except OSError:
        return None
    if b"%PDF-" in head:  # PDF readers look for the header within the first 1024 bytes
        return "pdf"
    if head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS:
        return "heif"
    return None


_heif_registered = []


def heif_opener(path):
    """Teaches PIL to open HEIC/HEIF (once per process), or names the extra it needs."""
    if not _heif_registered:
        try:
            needs("heic").register_heif_opener()
        except MissingExtra as missing:
            raise MissingExtra("heic", missing.what, path) from None
        _heif_registered.append(True)


def load_image(path):
    """``path`` -> ``(H, W)`` float32 in 0..1, upright per EXIF, white where transparent."""
    return decode(path)[0]


@contextmanager
def opened(path):
    """``path`` opened by PIL (its header read, nothing decoded yet) after checking its
    size against :data:`MAX_PIXELS`; PIL's errors, also while decoding in the body,
    become :class:`~ocr_cli.errors.InputError` naming the file. A HEIC/HEIF photo opens
    through the ``heic`` extra (:func:`heif_opener`)."""
    from PIL import Image

    path = existing_file(path, "an image")
    kind = file_kind(path)
    if kind == "heif":
        heif_opener(path)
    with decoding(path, kind):
        with Image.open(path) as image:
            check_image(path, image)
            yield image


def check_image(path, image):
    """Refuses an opened PIL ``image`` (or the frame it is at) whose header declares too
    many pixels (:data:`MAX_PIXELS`), an absurd shape or too many bytes."""
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise InputError(path, f"image is {width}x{height} pixels; the most ocr reads is {MAX_PIXELS // 1_000_000} megapixels")
    check_shape(path, width, height, image.mode)


@contextmanager
def decoding(path, kind=None):
    """PIL's errors in the body as :class:`~ocr_cli.errors.InputError` naming ``path``,
    libraries' warnings kept off stderr (an image that decodes is read; one that does
    not is an error). ``kind``: what the file's first bytes say it is
    (:func:`file_kind`), named when PIL does not know it."""
    from PIL import Image, UnidentifiedImageError

    too_big = f"the most ocr reads is {MAX_PIXELS // 1_000_000} megapixels"
    try:
        with warnings.catch_warnings(record=True):
            warnings.simplefilter("always")
            yield
    except Image.DecompressionBombError:  # PIL refuses twice its own limit while opening
        raise InputError(path, f"image is larger than PIL opens safely; {too_big}") from None
    except UnidentifiedImageError:
        what = {"pdf": "a PDF read as an image", "heif": "a HEIC/HEIF photo that cannot be decoded"}.get(kind)
        raise InputError(path, f"not an image file ({what or 'unknown or damaged format'})") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise InputError(path, f"cannot decode image ({exc})") from None


def check_shape(path, width, height, mode):
    """Refuses, from the header, an image of absurd shape (:data:`MAX_ASPECT`) or too
    many decoded bytes (:data:`MAX_DECODED_BYTES`) for ``mode`` (a PIL mode)."""
    from PIL import Image, ImageMode

    if min(width, height) < 1:
        raise InputError(path, f"image is {width}x{height} pixels; it has no pixels")
    if max(width, height) > MAX_ASPECT * min(width, height):
        raise InputError(path, f"image is {width}x{height} pixels, {max(width, height) / min(width, height):.0f} times "
                               f"as {'wide' if width > height else 'tall'} as it is "
                               f"{'tall' if width > height else 'wide'}; the most ocr reads is {MAX_ASPECT} times")
    try:
        band_bytes = np.dtype(ImageMode.getmode(mode).typestr).itemsize
        bands = Image.getmodebands(mode)
    except (KeyError, TypeError, ValueError):
        band_bytes, bands = 4, 4  # an unusual mode: assume the widest
    decoded = width * height * bands * band_bytes
    if decoded > MAX_DECODED_BYTES:
        raise InputError(path, f"image is {width}x{height} pixels of {mode}, {decoded / 1e6:,.0f} MB decoded; "
                               f"the most ocr decodes is {MAX_DECODED_BYTES / 1e6:,.0f} MB")


def image_size(path):
    """``(width, height)`` of the image at ``path``, from its header."""
    with opened(path) as image:
        return image.size


# The colours of a photo are kept at this size (its long side, pixels): the colour of
# sheets, notes and boards changes over many characters, not within one.
COLOUR_SIDE = 384


def decode(path, reduce=1):
    """``path`` decoded at about ``1 / reduce`` of its size where the format can do so
    for free (a JPEG's DCT scaling: 1/2, 1/4, 1/8), else whole: ``(gray, factor,
    colour)`` with ``factor`` the original pixels per decoded pixel along each side (1
    if whole) and ``colour`` a small RGB copy (:data:`COLOUR_SIDE`; None for a grey
    image)."""
    from PIL import ImageOps

    with opened(path) as image:
        width, height = image.size
        coloured = image.mode not in GREY_MODES
        jpeg = image.format == "JPEG"
        if reduce > 1 and jpeg:
            image.draft("L", (width // reduce, height // reduce))  # PIL picks the largest scale that still covers this
        factor = width / image.size[0]
        ImageOps.exif_transpose(image, in_place=True)  # no copy when upright already
        colour = small_colour(image) if coloured and not jpeg else None
        array = pil_to_array(image)
    if coloured and jpeg:  # decoded again, an eighth of its size: a JPEG's colour costs little that way
        with opened(path) as image:
            image.draft("RGB", (max(1, width // 8), max(1, height // 8)))
            ImageOps.exif_transpose(image, in_place=True)
            colour = small_colour(image)
    return to_gray(array), factor, colour  # the decoded image is closed (freed) by now


GREY_MODES = ("1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "I;16N", "F")


def small_colour(image):
    """A PIL image as ``(h, w, 3)`` float32 RGB 0..1, its long side at most
    :data:`COLOUR_SIDE` (transparency over white)."""
    from PIL import Image

    rgb = image.convert("RGBA") if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info else image
    small = rgb.copy()
    small.thumbnail((COLOUR_SIDE, COLOUR_SIDE), Image.BOX)
    if small.mode == "RGBA":
        white = Image.new("RGBA", small.size, (255, 255, 255, 255))
        small = Image.alpha_composite(white, small)
    return np.asarray(small.convert("RGB"), np.float32) / 255


def pil_to_array(image):
    """A PIL image as one grey channel, converted by PIL (fast, 8 bits) or kept at
    16 bits; transparency is composited over white first."""
    if image.mode.startswith("I;16"):
        return np.asarray(image.convert("I"))
    if image.mode in ("I", "F"):
        return np.asarray(image)
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        # Composited over white as 8-bit grey (grey * alpha + white * (1 - alpha)), one
        # band at a time: the same as compositing the colours first (luma is linear),
        # without two more full RGBA copies.
        image = image if image.mode in ("RGBA", "LA") else image.convert("RGBA")
        alpha = np.asarray(image.getchannel("A")).astype(np.uint16)
        grey = np.asarray(image.convert("L")).astype(np.uint16)
        grey *= alpha
        alpha = 255 - alpha
        alpha *= 255
        grey += alpha
        del alpha
        grey += 127
        grey //= 255
        return grey.astype(np.uint8)
    return np.asarray(image.convert("L"))


def to_gray(array):
    """Any image array -> ``(H, W)`` float32 in 0..1.

    ``array``: ``(H, W)`` grey, ``(H, W, 3)`` RGB or ``(H, W, 4)`` RGBA (alpha composited
    over white); integers are scaled by their type's range (or 65535 for 16-bit data
    held in wider integers), floats are taken as 0..1 unless their finite values go
    beyond :data:`FLOAT_SCALE_ABOVE` (a float TIFF of 0..255 pixels): then they are
    scaled by 255 or 65535 if they fit in that range, else from their span to 0..1.
    """
    array = np.asarray(array)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise InputError("image", f"array of shape {array.shape} is not a grey, RGB or RGBA image")
    if array.size == 0:
        raise InputError("image", "image has no pixels")
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise InputError("image", f"pixels of dtype {array.dtype} are not numbers")
    values = array.astype(np.float32)
    if np.issubdtype(array.dtype, np.integer):
        values *= np.float32(1 / (np.iinfo(array.dtype).max if array.dtype.itemsize <= 2 else 65535))
    if np.issubdtype(array.dtype, np.floating):
        scale_floats(values)
    if array.dtype not in (np.uint8, np.uint16, bool):  # wider integers and floats may stray outside 0..1
        values = np.nan_to_num(np.clip(values, 0.0, 1.0, out=values), nan=1.0, copy=False)
    if values.ndim == 2:
        return values
    grey = values[:, :, :3] @ np.array([0.2125, 0.7154, 0.0721], dtype=np.float32)  # ITU-R BT.709 luma
    if values.shape[2] == 4:
        alpha = values[:, :, 3]
        grey = grey * alpha + (1.0 - alpha)
    return grey.astype(np.float32)


def to_rgb(array):
    """An ``(H, W, 3)`` or ``(H, W, 4)`` image array -> ``(H, W, 3)`` float32 0..1
    (scaled as :func:`to_gray` scales, alpha over white)."""
    values = np.asarray(array)
    if np.issubdtype(values.dtype, np.integer):
        values = values.astype(np.float32) / (np.iinfo(values.dtype).max if values.dtype.itemsize <= 2 else 65535)
    else:
        values = np.nan_to_num(values.astype(np.float32), nan=1.0)
        scale_floats(values)
    values = np.clip(values, 0.0, 1.0)
    if values.shape[2] == 4:
        alpha = values[:, :, 3:]
        return values[:, :, :3] * alpha + (1.0 - alpha)
    return values


# Float pixels are taken as 0..1, and small excursions are clipped; beyond this the image
# is on another scale (0..255, 0..65535 or its own) and is scaled instead.
FLOAT_SCALE_ABOVE = 2.0


def scale_floats(values):
    """Scales float pixels ``values`` (float32, in place) to about 0..1 when their finite
    values go beyond :data:`FLOAT_SCALE_ABOVE`: by 255 or 65535 when they lie in that
    range, else from their own span (lowest to highest finite value)."""
    finite = np.isfinite(values)
    low = float(values.min(where=finite, initial=np.inf))
    high = float(values.max(where=finite, initial=-np.inf))
    del finite
    if not np.isfinite(high) or (high <= FLOAT_SCALE_ABOVE and low >= -FLOAT_SCALE_ABOVE):
        return
    if low >= 0 and high <= 65535:
        values *= np.float32(1 / (255 if high <= 255 else 65535))
    else:  # divided first, so that no step overflows float32
        values *= np.float32(1 / (high - low))
        values -= np.float32(low / (high - low))


# A photo is decoded at least this many times the working resolution: the last resize,
# to the working height, still averages over 1.5 pixels, as an area resize should.
DECODE_MARGIN = 1.5


class Photo(NamedTuple):
    """A photo decoded for reading: ``gray: (h, w)`` float32 0..1, ``factor`` photo
    pixels per pixel of it, its :class:`~ocr_cli.pipeline.ink.Survey` in photo pixels
    if already made (else None), the photo's ``size`` ``(width, height)`` and the
    ``angle`` (degrees, counter-clockwise) that turns it upright
    (:mod:`ocr_cli.pipeline.orient`)."""

    gray: np.ndarray
    factor: float
    survey: Optional[object]
    size: tuple
    angle: float = 0.0
    colour: Optional[np.ndarray] = None

    @classmethod
    def of(cls, image, factor=1.0):
        """An image array (any that :func:`to_gray` takes) as a photo, each of its
        pixels ``factor`` photo pixels wide."""
        gray = to_gray(image)
        colour = None
        array = np.asarray(image)
        if array.ndim == 3 and array.shape[2] in (3, 4) and gray.size:
            from PIL import Image

            rgb = to_rgb(array)
            colour = small_colour(Image.fromarray((rgb * 255).astype(np.uint8)))
        return cls(gray, factor, None, (round(gray.shape[1] * factor), round(gray.shape[0] * factor)), colour=colour)

    def surveyed(self):
        """The photo with its survey made (once)."""
        from ocr_cli.pipeline.ink import survey

        return self if self.survey is not None else self._replace(survey=survey(self.gray).scaled(self.factor))


def photo_of_pil(image):
    """A decoded PIL image (any mode) as a whole :class:`Photo`: grey as
    :func:`pil_to_array` makes it, and its small colour copy."""
    gray = to_gray(pil_to_array(image))
    colour = small_colour(image) if image.mode not in GREY_MODES else None
    return Photo(gray, 1.0, None, image.size, colour=colour)


def load_photo(path):
    """The photo at ``path`` decoded at the resolution reading needs, as a :class:`Photo`.
    A large JPEG is first decoded small (still about :data:`~ocr_cli.pipeline.ink.SURVEY_PIXELS`)
    to measure its characters, then at the smallest size that keeps them
    :data:`DECODE_MARGIN` times :data:`~ocr_cli.pipeline.ink.WORKING_HEIGHT` tall, so that a
    48 megapixel photo of a note is never decoded whole."""
    from ocr_cli.pipeline.ink import SURVEY_PIXELS, WORKING_HEIGHT, survey

    width, height = image_size(path)
    preview = max((r for r in (1, 2, 4, 8) if width * height / r ** 2 >= SURVEY_PIXELS), default=1)
    gray, factor, colour = decode(path, preview)
    first = None
    if factor != 1:
        first = survey(gray).scaled(factor)
        reduce = max((r for r in (1, 2, 4, 8) if first.height / r >= DECODE_MARGIN * WORKING_HEIGHT), default=1)
        if reduce != preview:
            gray, factor, _ = decode(path, reduce)
    # The size as decoded (after EXIF orientation), in the photo's pixels.
    return Photo(gray, factor, first, (round(gray.shape[1] * factor), round(gray.shape[0] * factor)), colour=colour)
