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
    """``path`` decoded at about ``1 / reduce`` of its size: a JPEG by its DCT scaling
    (1/2, 1/4, 1/8; PIL picks the largest that still covers the size), any other image
    decoded whole and averaged over ``reduce`` x ``reduce`` boxes as it is converted
    (:func:`gray_of`). ``(gray, factor, colour)`` with ``factor`` the original pixels per
    decoded pixel along each side (1 if whole) and ``colour`` a small RGB copy
    (:data:`COLOUR_SIDE`; None for a grey image)."""
    from PIL import ImageOps

    with opened(path) as image:
        width, height = image.size
        coloured = image.mode not in GREY_MODES
        jpeg = image.format == "JPEG"
        if reduce > 1 and jpeg:
            image.draft("L", (width // reduce, height // reduce))
        boxes = 1 if jpeg else reduce
        factor = width / -(-image.size[0] // boxes)  # a box at the edge holds what is left
        ImageOps.exif_transpose(image, in_place=True)  # no copy when upright already
        colour = small_colour(image) if coloured and not jpeg else None
        gray = gray_of(image, boxes)
    if coloured and jpeg:  # decoded again, an eighth of its size: a JPEG's colour costs little that way
        with opened(path) as image:
            image.draft("RGB", (max(1, width // 8), max(1, height // 8)))
            ImageOps.exif_transpose(image, in_place=True)
            colour = small_colour(image)
    return gray, factor, colour


# An image is made grey this many pixels at a time (a strip of whole rows): the strip's
# copies in wider types (RGBA, 16 or 32 bits, float32) cost tens of MB, and the only
# full-size array is the result, never a chain of full-size copies of a 150-megapixel
# image in int32 and float32.
STRIP_PIXELS = 2_000_000


def fixed_scale(dtype):
    """Whether pixels of ``dtype`` are scaled by their type's range (8 and 16-bit unsigned,
    either byte order), not by the image's own values."""
    return dtype.kind == "u" and dtype.itemsize <= 2


def gray_of(image, reduce=1):
    """An opened, upright PIL ``image`` (any mode) as ``(h, w)`` float32 grey 0..1, as
    :func:`to_gray` makes :func:`pil_to_array`'s array of it, made a strip of rows at a
    time (:data:`STRIP_PIXELS`); with ``reduce`` > 1 each strip is averaged over
    ``reduce`` x ``reduce`` boxes (PIL's reduce; a box at an edge over what is left). The
    span of images scaled by their own values (32-bit, float, signed) is the whole
    image's (:func:`image_span`), not each strip's."""
    from PIL import Image

    width, height = image.size
    probe = pil_to_array(image.crop((0, 0, width, 1)))  # the type its pixels decode to
    span = image_span(image) if not (fixed_scale(probe.dtype) or probe.dtype == bool) else None
    rows = -(-max(1, STRIP_PIXELS // width) // reduce) * reduce
    gray = np.empty((-(-height // reduce), -(-width // reduce)), np.float32)
    for top in range(0, height, rows):
        strip = to_gray(pil_to_array(image.crop((0, top, width, min(height, top + rows)))), span)
        if reduce > 1:
            strip = np.asarray(Image.fromarray(strip, "F").reduce(reduce))
        gray[top // reduce:top // reduce + len(strip)] = strip
    return gray


def image_span(image):
    """:func:`value_span` of a PIL ``image`` of 32-bit integers or floats, from every
    k-th row and column of each strip (no full-size copy)."""
    width, height = image.size
    step = max(1, int(np.ceil(np.sqrt(width * height / SPAN_SAMPLES))))
    rows = max(step, STRIP_PIXELS // width // step * step)
    sample = np.concatenate([np.asarray(image.crop((0, top, width, min(height, top + rows))))[::step, ::step].ravel()
                             for top in range(0, height, rows)])
    return value_span(sample[:, None])


GREY_MODES = ("1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "I;16N", "F")


def small_colour(image):
    """A PIL image as ``(h, w, 3)`` float32 RGB 0..1, its long side at most
    :data:`COLOUR_SIDE` (transparency over white)."""
    from PIL import Image

    transparent = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    if image.width * image.height > COLOUR_WHOLE_PIXELS:
        image = shrunk_colour(image, "RGBA" if transparent else "RGB")
    rgb = image.convert("RGBA") if transparent else image
    small = rgb.copy()
    small.thumbnail((COLOUR_SIDE, COLOUR_SIDE), Image.BOX)
    if small.mode == "RGBA":
        white = Image.new("RGBA", small.size, (255, 255, 255, 255))
        small = Image.alpha_composite(white, small)
    return np.asarray(small.convert("RGB"), np.float32) / 255


# A colour image larger than this (pixels) is first shrunk a strip at a time
# (:func:`shrunk_colour`): its RGBA copy (4 bytes a pixel) and the copy thumbnail()
# shrinks would otherwise cost 1.2 GB for a 144-megapixel palette PNG.
COLOUR_WHOLE_PIXELS = 16_000_000


def shrunk_colour(image, mode):
    """A PIL ``image`` in ``mode`` (RGB or RGBA), shrunk by a whole factor (box averages)
    to a long side of still at least twice :data:`COLOUR_SIDE`, converted a strip of
    rows at a time (:data:`STRIP_PIXELS`)."""
    from PIL import Image

    width, height = image.size
    factor = max(1, max(width, height) // (2 * COLOUR_SIDE))
    rows = -(-max(1, STRIP_PIXELS // width) // factor) * factor
    strips = [image.crop((0, top, width, min(height, top + rows))).convert(mode).reduce(factor)
              for top in range(0, height, rows)]
    shrunk = Image.new(mode, (strips[0].width, sum(strip.height for strip in strips)))
    top = 0
    for strip in strips:
        shrunk.paste(strip, (0, top))
        top += strip.height
    return shrunk


def pil_to_array(image):
    """A PIL image as one grey channel, converted by PIL (fast, 8 bits) or kept at
    16 bits (or as its 32-bit integers or floats); transparency is composited over white
    first."""
    if image.mode.startswith("I;16"):
        return np.asarray(image)  # uint16 (numpy reads PIL's 16-bit modes as they are): no int32 copy
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


def to_gray(array, span=None):
    """Any image array -> ``(H, W)`` float32 in 0..1.

    ``array``: ``(H, W)`` grey, ``(H, W, 3)`` RGB or ``(H, W, 4)`` RGBA (alpha composited
    over white); 8- and 16-bit integers are scaled by their type's range; floats and
    wider integers are on the scale their values show (:func:`rescale`), from ``span``
    if given (``(low, high)``: the whole image's, when ``array`` is a strip of it), else
    from their own :func:`value_span`.
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
    if fixed_scale(array.dtype):
        values *= np.float32(1 / np.iinfo(array.dtype).max)
    elif array.dtype != bool:  # floats, signed and wider integers may stray outside 0..1
        rescale(values, value_span(values) if span is None else span)
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
    if fixed_scale(values.dtype):
        values = values.astype(np.float32) / np.iinfo(values.dtype).max
    else:
        values = values.astype(np.float32)
        rescale(values, value_span(values))
        values = np.nan_to_num(values, nan=1.0)
    values = np.clip(values, 0.0, 1.0)
    if values.shape[2] == 4:
        alpha = values[:, :, 3:]
        return values[:, :, :3] * alpha + (1.0 - alpha)
    return values


# Float pixels are taken as 0..1, and small excursions are clipped; beyond this the image
# is on another scale (0..255, 0..65535 or its own) and is scaled instead.
FLOAT_SCALE_ABOVE = 2.0
# An image's span is read between these percentiles of its finite values, not from its
# extremes: one hot pixel (3e38 in a float TIFF, a sensor's stuck 2^31) would otherwise
# squeeze every other value to one end, and a page read as blank. Ink covers far more
# than the top or bottom 0.01% of any page.
SPAN_PERCENTILES = (0.01, 99.99)
# ... measured on at most about this many values (every k-th row and column): percentiles
# of a whole 150-megapixel image would cost copies of it.
SPAN_SAMPLES = 1_000_000


def value_span(values):
    """``(low, high)``: the span of the finite values of an image array (float or integer),
    between :data:`SPAN_PERCENTILES` of at most about :data:`SPAN_SAMPLES` of them
    (``(0, 1)`` if none is finite)."""
    step = max(1, int(np.ceil(np.sqrt(values.shape[0] * values.shape[1] / SPAN_SAMPLES))))
    sample = np.asarray(values[::step, ::step], np.float64).ravel()
    sample = sample[np.isfinite(sample)]
    if not sample.size:
        return 0.0, 1.0
    low, high = np.percentile(sample, SPAN_PERCENTILES)
    if high <= low:  # ink on under 0.01% of the page: its whole range
        low, high = sample.min(), sample.max()
    return float(low), float(high)


def rescale(values, span):
    """Scales float pixels ``values`` (float32, in place) to about 0..1 when their span
    (``(low, high)``, :func:`value_span`) goes beyond :data:`FLOAT_SCALE_ABOVE`: by 255
    or 65535 when it lies in that range, else from the span itself (values beyond it
    are left for the caller to clip); a page of one value is made paper."""
    low, high = span
    if high <= FLOAT_SCALE_ABOVE and low >= -FLOAT_SCALE_ABOVE:
        return
    if high <= low:  # one value over the whole page (beyond 0..1): blank paper
        values[...] = 1.0
        return
    if low >= 0 and high <= 65535:
        values *= np.float32(1 / (255 if high <= 255 else 65535))
    else:  # divided first, so that no step overflows float32
        with np.errstate(over="ignore", invalid="ignore"):  # a hot pixel beyond float32 goes to inf, then clipped
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
    :func:`gray_of` makes it, and its small colour copy."""
    gray = gray_of(image)
    colour = small_colour(image) if image.mode not in GREY_MODES else None
    return Photo(gray, 1.0, None, image.size, colour=colour)


def load_photo(path):
    """The photo at ``path`` decoded at the resolution reading needs, as a :class:`Photo`.
    A large image is first decoded small (still about :data:`~ocr_cli.pipeline.ink.SURVEY_PIXELS`)
    to measure its characters, then at the smallest size that keeps them
    :data:`DECODE_MARGIN` times :data:`~ocr_cli.pipeline.ink.WORKING_HEIGHT` tall, so that a
    48 megapixel photo of a note is never decoded whole (a JPEG), or never kept whole in
    float32 (any other format, whose characters, if they need the whole image, are
    measured again on it as on any image decoded whole)."""
    from ocr_cli.pipeline.ink import SURVEY_PIXELS, WORKING_HEIGHT, survey

    with opened(path) as image:
        (width, height), jpeg = image.size, image.format == "JPEG"
    preview = max((r for r in (1, 2, 4, 8) if width * height / r ** 2 >= SURVEY_PIXELS), default=1)
    gray, factor, colour = decode(path, preview)
    first = None
    if factor != 1:
        first = survey(gray).scaled(factor)
        reduce = max((r for r in (1, 2, 4, 8) if first.height / r >= DECODE_MARGIN * WORKING_HEIGHT), default=1)
        if reduce != preview:
            del gray  # (the preview's memory, before the image is decoded again)
            gray, factor, _ = decode(path, reduce)
        if reduce == 1 and not jpeg:
            first = None
    # The size as decoded (after EXIF orientation), in the photo's pixels.
    return Photo(gray, factor, first, (round(gray.shape[1] * factor), round(gray.shape[0] * factor)), colour=colour)
