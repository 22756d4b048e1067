"""Reading any image file into one greyscale float array (paper light, ink dark).

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


def load_image(path):
    """``path`` -> ``(H, W)`` float32 in 0..1, upright per EXIF, white where transparent."""
    return decode(path)[0]


@contextmanager
def opened(path):
    """``path`` opened by PIL (its header read, nothing decoded yet) after checking its
    size against :data:`MAX_PIXELS`; PIL's errors, also while decoding in the body,
    become :class:`~ocr_cli.errors.InputError` naming the file."""
    from PIL import Image, UnidentifiedImageError

    path = existing_file(path, "an image")
    too_big = f"the most ocr reads is {MAX_PIXELS // 1_000_000} megapixels"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # the size is checked here
            with Image.open(path) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise InputError(path, f"image is {width}x{height} pixels; {too_big}")
                yield image
    except Image.DecompressionBombError:  # PIL refuses twice its own limit while opening
        raise InputError(path, f"image is larger than PIL opens safely; {too_big}") from None
    except UnidentifiedImageError:
        raise InputError(path, "not an image file (unknown or damaged format)") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise InputError(path, f"cannot decode image ({exc})") from None


def image_size(path):
    """``(width, height)`` of the image at ``path``, from its header."""
    with opened(path) as image:
        return image.size


def decode(path, reduce=1):
    """``path`` decoded at about ``1 / reduce`` of its size where the format can do so
    for free (a JPEG's DCT scaling: 1/2, 1/4, 1/8), else whole: ``(gray, factor)`` with
    ``factor`` the original pixels per decoded pixel along each side (1 if whole)."""
    from PIL import ImageOps

    with opened(path) as image:
        width, height = image.size
        if reduce > 1 and image.format == "JPEG":
            image.draft("L", (width // reduce, height // reduce))  # PIL picks the largest scale that still covers this
        factor = width / image.size[0]
        return to_gray(pil_to_array(ImageOps.exif_transpose(image))), factor


def pil_to_array(image):
    """A PIL image as one grey channel, converted by PIL (fast, 8 bits) or kept at
    16 bits; transparency is composited over white first."""
    from PIL import Image

    if image.mode.startswith("I;16"):
        return np.asarray(image.convert("I"))
    if image.mode in ("I", "F"):
        return np.asarray(image)
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        white = Image.new("RGBA", image.size, "white")
        image = Image.alpha_composite(white, image.convert("RGBA"))
    return np.asarray(image.convert("L"))


def to_gray(array):
    """Any image array -> ``(H, W)`` float32 in 0..1.

    ``array``: ``(H, W)`` grey, ``(H, W, 3)`` RGB or ``(H, W, 4)`` RGBA (alpha composited
    over white); integers are scaled by their type's range (or 65535 for 16-bit data
    held in wider integers), floats are taken as 0..1.
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
    if array.dtype not in (np.uint8, np.uint16, bool):  # wider integers and floats may stray outside 0..1
        values = np.nan_to_num(np.clip(values, 0.0, 1.0, out=values), nan=1.0, copy=False)
    if values.ndim == 2:
        return values
    grey = values[:, :, :3] @ np.array([0.2125, 0.7154, 0.0721], dtype=np.float32)  # ITU-R BT.709 luma
    if values.shape[2] == 4:
        alpha = values[:, :, 3]
        grey = grey * alpha + (1.0 - alpha)
    return grey.astype(np.float32)


# A photo is decoded at least this many times the working resolution: the last resize,
# to the working height, still averages over 1.5 pixels, as an area resize should.
DECODE_MARGIN = 1.5


class Page(NamedTuple):
    """A photo decoded for reading: ``gray: (h, w)``, ``factor`` photo pixels per pixel
    of it, and its character height in photo pixels if already measured (else None).
    ``find_letters(*page)`` reads it."""

    gray: np.ndarray
    factor: float
    char_height: Optional[float]


def load_page(path):
    """The photo at ``path`` decoded at the resolution reading needs, as a :class:`Page`.
    A large JPEG is first decoded small (still about
    :data:`ocr_cli.segment.SURVEY_PIXELS`) to measure its characters, then at the
    smallest size that keeps them :data:`DECODE_MARGIN` times
    :data:`ocr_cli.segment.WORKING_HEIGHT` tall, so that a 48 megapixel photo of a
    note is never decoded whole."""
    from ocr_cli.segment import SURVEY_PIXELS, WORKING_HEIGHT, survey

    width, height = image_size(path)
    preview = max((r for r in (1, 2, 4, 8) if width * height / r ** 2 >= SURVEY_PIXELS), default=1)
    gray, factor = decode(path, preview)
    if factor == 1:
        return Page(gray, factor, None)
    char_height = survey(gray) * factor
    reduce = max((r for r in (1, 2, 4, 8) if char_height / r >= DECODE_MARGIN * WORKING_HEIGHT), default=1)
    return Page(*(decode(path, reduce) if reduce != preview else (gray, factor)), char_height)
