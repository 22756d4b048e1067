"""The pages of one input file, decoded one at a time.

A file may hold many pages: a multi-page TIFF, the frames of an animated GIF or APNG,
the pages of a PDF (rendered with PDFium, the ``pdf`` extra, at the resolution of the
page's images, else :data:`PDF_DPI`), a HEIC/HEIF photo (``heic`` extra). :func:`photos`
yields them as :class:`~ocr_cli.pipeline.images.Photo` one by one, each decoded only
when the one before has been read, so that memory is bounded by one page whatever the
number of pages; :func:`page_images` yields the same pages as PIL images (upright, as
read) for the searchable PDF (:mod:`ocr_cli.output.pdf`).
"""

from ocr_cli.errors import InputError, existing_file
from ocr_cli.pipeline.images import MissingExtra, file_kind, heif_opener, needs

# A PDF page without images is rendered at this many dots per inch (Tesseract's and
# OCRmyPDF's default for scans); one with images at theirs, within these bounds.
PDF_DPI = 300
PDF_DPI_RANGE = (100, 600)


def frame_count(path):
    """How many pages (frames) the image at ``path`` holds (1 for most images)."""
    from ocr_cli.pipeline.images import opened

    with opened(path) as image:
        return max(1, getattr(image, "n_frames", 1))


def page_count(path):
    """How many pages the file at ``path`` holds, from its header (nothing decoded)."""
    if file_kind(existing_file(path, "an image")) != "pdf":
        return frame_count(path)
    pdfium = needs("pdf")
    try:
        document = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        raise InputError(path, f"cannot read PDF ({str(exc).rstrip('.').lower()})") from None
    try:
        return len(document)
    finally:
        document.close()


def photos(path):
    """Every page of the file at ``path`` as a :class:`~ocr_cli.pipeline.images.Photo`, one
    at a time (a generator): a single image decoded at the scale reading needs
    (:func:`~ocr_cli.pipeline.images.load_photo`), each frame of a multi-page image or
    each page of a PDF whole."""
    from ocr_cli.pipeline.images import load_photo, photo_of_pil

    path = existing_file(path, "an image")
    if file_kind(path) != "pdf" and frame_count(path) == 1:
        yield load_photo(path)
        return
    for image, _ in page_images(path):
        photo = photo_of_pil(image)
        image.close()
        del image
        yield photo


def page_images(path):
    """``(PIL image, dpi)`` of every page of the file at ``path``, one at a time,
    upright (EXIF orientation applied), in its own mode; ``dpi`` as the file
    declares it (None when it does not)."""
    if file_kind(path) == "pdf":
        yield from pdf_pages(path)
        return
    from PIL import Image, ImageOps

    from ocr_cli.pipeline.images import check_image, decoding

    path = existing_file(path, "an image")
    if file_kind(path) == "heif":
        heif_opener(path)
    with decoding(path):
        image = Image.open(path)
    try:  # open between pages (not inside a context that spans them): one frame decoded at a time
        with decoding(path):
            count = max(1, getattr(image, "n_frames", 1))
        for index in range(count):
            with decoding(path):
                image.seek(index)
                check_image(path, image)
                frame = ImageOps.exif_transpose(image)  # a decoded copy, upright
                dpi = image.info.get("dpi", (None,))[0]
                dpi = round(float(dpi), 1) if dpi and dpi >= 1 else None
            yield frame, dpi
            del frame
    finally:
        image.close()


def pdf_dpi(page, pdfium):
    """The resolution to render a PDF ``page`` at: its largest image's, within
    :data:`PDF_DPI_RANGE`, else :data:`PDF_DPI`."""
    best, dpi = 0, PDF_DPI
    for obj in page.get_objects(filter=[pdfium.raw.FPDF_PAGEOBJ_IMAGE], max_depth=2):
        try:
            meta = obj.get_metadata()
        except Exception:  # an image PDFium cannot describe: the default
            continue
        if meta.width * meta.height > best and meta.horizontal_dpi > 0:
            best, dpi = meta.width * meta.height, meta.horizontal_dpi
    return min(max(dpi, PDF_DPI_RANGE[0]), PDF_DPI_RANGE[1])


def pdf_pages(path):
    """``(PIL image, dpi)`` of every page of the PDF at ``path``, rendered one at a time."""
    from ocr_cli.pipeline.images import MAX_PIXELS, check_shape

    try:
        pdfium = needs("pdf")
    except MissingExtra:
        raise MissingExtra("pdf", "reading a PDF", path) from None
    try:
        document = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        raise InputError(path, f"cannot read PDF ({str(exc).rstrip('.').lower()})") from None
    try:
        if len(document) == 0:
            raise InputError(path, "PDF has no pages")
        for index in range(len(document)):
            page = document[index]
            try:
                dpi = pdf_dpi(page, pdfium)
                width, height = page.get_size()
                scale = dpi / 72
                if width * height * scale ** 2 > MAX_PIXELS:  # a poster: rendered at the most ocr reads
                    scale = (MAX_PIXELS / (width * height)) ** 0.5
                    dpi = 72 * scale
                size = (max(1, round(width * scale)), max(1, round(height * scale)))
                check_shape(path, *size, "RGB")
                bitmap = page.render(scale=scale)
                # PDFium rounds the bitmap's size up: a page a hair over a pixel (its size
                # in points stored as float32) gains a row of nothing; cropped away, a
                # page made from an image renders at that image's exact size.
                image = bitmap.to_pil().convert("RGB").crop((0, 0, *size))
                bitmap.close()
            except pdfium.PdfiumError as exc:
                raise InputError(path, f"page {index + 1}: cannot render it ({exc})") from None
            finally:
                page.close()
            yield image, round(dpi, 1)
    finally:
        document.close()
