"""The searchable PDF (``ocr read -f pdf``): each page's image with an invisible text
layer, each word set on its box, so that selecting and searching work in any viewer
(as Tesseract's and OCRmyPDF's PDFs do).

Written with PDFium (``pypdfium2``, the ``pdf`` extra, which also renders PDF inputs):
the page image is a JPEG (a JPEG input's own bytes when it needs no turning), the words
are text objects in PDF's standard Helvetica (not embedded: every reader has it) with
text render mode 3 (invisible), each scaled to fill its word's box. A page is as large
as its image at the resolution the file declares (300 dpi when it declares none).
"""

import ctypes
import io
from pathlib import Path

from ocr_cli.pipeline.documents import page_images
from ocr_cli.pipeline.images import file_kind, needs

# The resolution given to an image that declares none (or an implausible one).
DEFAULT_DPI = 300
LEAST_DPI = 50
JPEG_QUALITY = 90


class PdfDocument:
    """A searchable PDF being made: :meth:`add` the pages of each file, :meth:`finish`
    for its bytes (None when no page was added)."""

    def __init__(self):
        self.pdfium = needs("pdf")
        self.raw = self.pdfium.raw
        self.pdf = self.pdfium.PdfDocument.new()
        self.font = self.raw.FPDFText_LoadStandardFont(self.pdf, b"Helvetica")
        self.count = 0

    def add(self, pages, file):
        """The ``pages`` (:class:`~ocr_cli.pipeline.records.Page`) read from ``file``,
        each over its image, decoded again one page at a time."""
        whole = single_jpeg(file)
        for page, (image, dpi) in zip(pages, page_images(file)):
            self.page(page, image, dpi, whole)
            image.close()

    def page(self, page, image, dpi, jpeg=None):
        """One PDF page: ``image`` (PIL) at ``dpi`` (None: :data:`DEFAULT_DPI`) and the
        words of ``page`` on it; ``jpeg``: the image's own JPEG bytes, if they can be used."""
        raw = self.raw
        dpi = dpi if dpi and dpi >= LEAST_DPI else DEFAULT_DPI
        k = 72 / dpi  # points per pixel
        width, height = page.size
        pdf_page = self.pdf.new_page(width * k, height * k)
        picture = self.pdfium.PdfImage.new(self.pdf)
        picture.load_jpeg(io.BytesIO(jpeg if jpeg is not None else as_jpeg(image)), inline=True)
        picture.set_matrix(self.pdfium.PdfMatrix().scale(width * k, height * k))
        pdf_page.insert_obj(picture)
        for line in page.lines:
            for m, word in enumerate(line.words):
                text = word.text()
                if not text:
                    continue
                left, top, w, h = word.box
                obj = raw.FPDFPageObj_CreateTextObj(self.pdf, self.font, ctypes.c_float(max(h * k, 1.0)))
                set_text(raw, obj, text)
                x0, y0, x1, y1 = bounds(raw, obj)
                sx, sy = w * k / max(x1 - x0, 1e-3), h * k / max(y1 - y0, 1e-3)
                if m + 1 < len(line.words):  # a space after it, so that text extracted keeps the words apart
                    set_text(raw, obj, text + " ")
                raw.FPDFTextObj_SetTextRenderMode(obj, raw.FPDF_TEXTRENDERMODE_INVISIBLE)
                raw.FPDFPageObj_Transform(obj, sx, 0, 0, sy, left * k - x0 * sx, (height - top - h) * k - y0 * sy)
                raw.FPDFPage_InsertObject(pdf_page.raw, obj)
        pdf_page.gen_content()
        pdf_page.close()
        self.count += 1

    def finish(self):
        """The PDF's bytes (None without pages); the document is closed."""
        if not self.count:
            self.pdf.close()
            return None
        buffer = io.BytesIO()
        self.pdf.save(buffer)
        self.pdf.close()
        return buffer.getvalue()


def set_text(raw, obj, text):
    data = ctypes.create_string_buffer((text + "\0").encode("utf-16-le"))
    raw.FPDFText_SetText(obj, ctypes.cast(data, raw.FPDF_WIDESTRING))


def bounds(raw, obj):
    """A page object's ``(left, bottom, right, top)`` in points."""
    values = [ctypes.c_float() for _ in range(4)]
    raw.FPDFPageObj_GetBounds(obj, *(ctypes.byref(v) for v in values))
    return [v.value for v in values]


def as_jpeg(image):
    """A PIL image as JPEG bytes: grey stays grey, anything else RGB, transparency over white."""
    from PIL import Image

    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        image = Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba)
    image = image.convert("L" if image.mode in ("1", "L", "LA", "I", "I;16", "F") else "RGB")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=JPEG_QUALITY)
    return buffer.getvalue()


def single_jpeg(file):
    """The bytes of ``file`` if it is a one-page JPEG that needs no turning (EXIF
    orientation 1 or none), in RGB or grey: put in the PDF as they are; else None."""
    from PIL import Image

    if file_kind(file) is not None:
        return None
    try:
        with Image.open(file) as image:
            usable = image.format == "JPEG" and image.mode in ("L", "RGB") and \
                image.getexif().get(0x0112, 1) == 1
        return Path(file).read_bytes() if usable else None
    except Exception:  # decoded the long way, and any error said there
        return None
