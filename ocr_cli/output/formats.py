"""Every output format of ``ocr read``, rendered from the records of pages
(:class:`ocr_cli.pipeline.records.Page`), and :data:`FORMATS`, their registry by name,
from which the command line takes its choices.

A run writes ``head(run, file)`` before its first result, then for each input file
``pages(pages, run, file, first)`` (its pages, numbered in the run from ``first``), and
``tail(run)`` at the end: one document for the whole run, one page per image or per
page of a multi-page file. ``run`` (:class:`Run`) says what made the pages and how sure
a character must be not to be shown as ``?`` (one rule for every format:
:meth:`ocr_cli.pipeline.records.Character.shown`). XML formats are built with
``xml.etree``, never by pasting strings. A new format is a class here and an entry in
:data:`FORMATS`.

- text: one output line per written line, single spaces between words, a blank line
  between blocks; each page of a multi-page file ends with a form feed, as
  Tesseract's do;
- json: per file its pages, each with blocks of lines of words of characters (boxes
  ``[left, top, width, height]``, confidences, the three likeliest classes), the file,
  the tool's version and the model;
- tsv: Tesseract's 12 columns (``level page_num block_num par_num line_num word_num left
  top width height conf text``), levels 1 page, 2 block, 3 paragraph, 4 line, 5 word,
  numbered as Tesseract numbers them (and characters as level 6 when asked for);
- hocr: one XHTML document, ``ocr_page`` per page, ``ocr_carea`` and ``ocr_par`` per
  block, ``ocr_line``, ``ocrx_word`` (bbox, x_wconf) and ``ocrx_cinfo`` per character;
- alto: one ALTO v4 document, ``Page`` per page, ``TextBlock``, ``TextLine``, ``String``
  (HPOS, VPOS, WIDTH, HEIGHT, WC) and ``SP`` between words;
- pdf: a searchable PDF, each page's image with an invisible text layer on the words'
  boxes (binary: :mod:`ocr_cli.output.pdf`).
"""

import json
from dataclasses import dataclass

TSV_COLUMNS = ("level", "page_num", "block_num", "par_num", "line_num", "word_num", "left", "top", "width",
               "height", "conf", "text")
ALTO_NS = "http://www.loc.gov/standards/alto/ns-v4#"
ALTO_SCHEMA = "http://www.loc.gov/standards/alto/v4/alto-4-4.xsd"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XHTML = "http://www.w3.org/1999/xhtml"
FORM_FEED = "\f"


@dataclass(frozen=True)
class Run:
    """What made a run of pages: the tool's ``version``, the ``model`` (``{"name",
    "sha256"}``, None when nothing was read), the confidence under which a word is
    flagged (its characters shown as ``?``; with ``per_character``, each character read
    with less), whether TSV adds a row per character (level 6), and the ``characters``
    the pages may hold (the model's classes and the punctuation read)."""

    version: str
    model: object = None
    min_confidence: float = 0.0
    character_rows: bool = False
    characters: str = ""
    per_character: bool = False

    @property
    def rule(self):
        """How sure a word must be not to be flagged, and whether the rule is applied to
        each character instead (:meth:`ocr_cli.pipeline.records.Word.shown_characters`)."""
        return self.min_confidence, self.per_character


def printable(text):
    """``text`` with every character that is not printable (a newline, a tab, a
    terminal's escape) written as its escape, ``\\n``, ``\\x1b``: a file name shown in a
    header or an error stays on its one line and cannot drive the terminal."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))


def corners(box):
    """``(left, top, width, height)`` -> ``[y1, x1, y2, x2]``."""
    left, top, width, height = box
    return [top, left, top + height, left + width]


class Format:
    """A format: ``name`` (the ``--format`` value), ``suffix`` (of a file holding one
    input's result) and ``help``; subclasses render a file's ``pages`` and may add a
    ``head`` and a ``tail`` around a run. A format that ``joins_files`` writes the
    results of several files as one (a document, a table, a list): no ``==> FILE <==``
    headers, ``separator`` between files, ``empty`` for a run with no result, and
    ``error(file, error)`` an entry for a file that failed (None: no entry)."""

    name = suffix = help = ""
    joins_files = False
    binary = False
    separator = ""
    empty = None

    def head(self, run, file):
        return ""

    def pages(self, pages, run, file, first):
        raise NotImplementedError

    def tail(self, run):
        return ""

    def error(self, file, error):
        return None

    def alone(self, pages, run, file):
        """One file's result as a file of its own."""
        parts = (self.head(run, file), self.pages(pages, run, file, 1), self.tail(run))
        return "\n".join(part for part in parts if part)


class Text(Format):
    name, suffix, help = "text", ".txt", "the text"

    def pages(self, pages, run, file, first):
        texts = [page.text(*run.rule) for page in pages]
        if len(texts) == 1:
            return texts[0]
        return "".join(f"{text}\n{FORM_FEED}" if text else FORM_FEED for text in texts)


def page_json(page, number, run):
    """A page as nested objects: its ``number`` in its file, ``size`` ``[width,
    height]``, ``text``, ``warning`` (why it is not to be trusted, or null), and
    ``blocks`` of ``lines`` of ``words`` of ``characters``,
    each with its ``box`` ``[left, top, width, height]``, ``text`` and ``confidence``;
    lines with ``printed`` (a line of print, such as a form's label, not handwriting);
    words and characters with ``flagged``; characters with ``top3``. A word's
    confidence is the probability of the word as finally read (word context and
    lexicon included); a character's the network's probability of it."""

    def character(c, shown):
        return {"box": list(c.box), "text": shown, "confidence": c.confidence,
                "top3": [{"text": label, "p": p} for label, p in c.alternatives], "flagged": shown != c.text}

    def part(item, inner, name):
        return {"box": list(item.box), "text": item.text(*run.rule), "confidence": getattr(item, "confidence", None),
                name: inner}

    def word_part(word):
        shown = word.shown_characters(*run.rule)
        return {**part(word, [character(c, t) for c, t in zip(word.characters, shown)], "characters"),
                "flagged": shown != [c.text for c in word.characters]}

    blocks = [part(block, [{**part(line, [word_part(word) for word in line.words], "words"), "printed": line.printed}
                           for line in block.lines], "lines") for block in page.blocks]
    return {"number": number, "size": list(page.size), "text": page.text(*run.rule), "warning": page.warning,
            "blocks": blocks}


class Json(Format):
    """Per file ``{"version", "model", "characters", "file", "text", "pages"}``
    (``characters``: those the pages may hold; ``text`` as the text format prints the
    file); several files: one list, a file that failed ``{"file", "error"}``."""

    name, suffix, help = "json", ".json", "pages, blocks, lines, words and characters with boxes, confidences and top-3"
    joins_files, separator, empty = True, ",\n", "[]"

    def head(self, run, file):
        return "["

    def tail(self, run):
        return "\n]"

    def error(self, file, error):
        return json.dumps({"file": str(file), "error": str(error)}, indent=2)

    def pages(self, pages, run, file, first):
        return json.dumps({"version": run.version, "model": run.model, "characters": run.characters,
                           "file": str(file), "text": Text().pages(pages, run, file, first),
                           "pages": [page_json(page, n, run) for n, page in enumerate(pages, 1)]}, indent=2)

    def alone(self, pages, run, file):
        return self.pages(pages, run, file, 1)


def percent(confidence):
    return -1 if confidence is None else round(100 * confidence, 6)


class Tsv(Format):
    """Tesseract's TSV: its header once, then per page a page row, per block a block row
    and a paragraph row, per line a line row and per word a word row (and with
    ``character_rows``, per character a level-6 row)."""

    name, suffix, help = "tsv", ".tsv", "Tesseract's columns"
    joins_files = True

    def head(self, run, file):
        return "\t".join(TSV_COLUMNS)

    def pages(self, pages, run, file, first):
        rows = []
        for number, page in enumerate(pages, first):
            rows.append((1, number, 0, 0, 0, 0, 0, 0, *page.size, -1, ""))
            for b, block in enumerate(page.blocks, 1):
                rows += [(2, number, b, 0, 0, 0, *block.box, -1, ""), (3, number, b, 1, 0, 0, *block.box, -1, "")]
                for n, line in enumerate(block.lines, 1):
                    rows.append((4, number, b, 1, n, 0, *line.box, -1, ""))
                    for m, word in enumerate(line.words, 1):
                        rows.append((5, number, b, 1, n, m, *word.box, percent(word.confidence),
                                     word.text(*run.rule)))
                        if run.character_rows:
                            rows += [(6, number, b, 1, n, m, *c.box, percent(c.confidence), shown)
                                     for c, shown in zip(word.characters, word.shown_characters(*run.rule))]
        return "\n".join("\t".join(map(str, r)) for r in rows)


def bbox(box):
    """hOCR's ``bbox x0 y0 x1 y1`` of ``(left, top, width, height)``."""
    left, top, width, height = box
    return f"bbox {left} {top} {left + width} {top + height}"


def warning_property(page):
    """An ``ocr_page``'s ``x_warning "..."`` property when the page is not to be trusted
    (hOCR's ``x_`` properties are an engine's own)."""
    return "" if page.warning is None else '; x_warning "' + page.warning.replace('"', "'") + '"'


class Hocr(Format):
    """One hOCR 1.2 document (XHTML): a head, then one ``ocr_page`` per page."""

    name, suffix, help = "hocr", ".hocr", "hOCR: layout HTML for OCR tools, one document"
    joins_files = True

    def head(self, run, file):
        import xml.etree.ElementTree as ET  # (only these formats need it: not loaded at every start)

        html = ET.Element("html", {"xmlns": XHTML, "xml:lang": "en", "lang": "en"})
        head = ET.SubElement(html, "head")
        ET.SubElement(head, "title").text = printable(file)
        ET.SubElement(head, "meta", {"http-equiv": "Content-Type", "content": "text/html; charset=utf-8"})
        ET.SubElement(head, "meta", {"name": "ocr-system", "content": f"ocr {run.version}"})
        ET.SubElement(head, "meta", {"name": "ocr-capabilities",
                                     "content": "ocr_page ocr_carea ocr_par ocr_line ocrx_word ocrx_cinfo"})
        if run.characters:  # what the pages may hold (hOCR has no property for it: ocr's own)
            ET.SubElement(head, "meta", {"name": "ocr-characters", "content": run.characters})
        ET.SubElement(html, "body").text = "\n"
        ET.indent(html)
        document = ET.tostring(html, encoding="unicode")
        return ('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
                '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n' + document.rsplit("</body>", 1)[0].rstrip())

    def tail(self, run):
        return "</body>\n</html>"

    def pages(self, pages, run, file, first):
        return "\n".join(self.page(page, run, file, number) for number, page in enumerate(pages, first))

    def page(self, page, run, file, number):
        import xml.etree.ElementTree as ET

        width, height = page.size
        element = ET.Element("div", {"class": "ocr_page", "id": f"page_{number}",
                                     "title": f'image "{printable(file)}"; bbox 0 0 {width} {height}; '
                                              f"ppageno {number - 1}" + warning_property(page)})
        line_id = word_id = 0
        for b, block in enumerate(page.blocks, 1):
            area = ET.SubElement(element, "div", {"class": "ocr_carea", "id": f"block_{number}_{b}",
                                                  "title": bbox(block.box)})
            par = ET.SubElement(area, "p", {"class": "ocr_par", "id": f"par_{number}_{b}", "title": bbox(block.box)})
            for line in block.lines:
                line_id += 1
                span = ET.SubElement(par, "span", {"class": "ocr_line", "id": f"line_{number}_{line_id}",
                                                   "title": bbox(line.box)})
                for word in line.words:
                    word_id += 1
                    title = bbox(word.box) + ("" if word.confidence is None else
                                              f"; x_wconf {round(100 * word.confidence)}")
                    word_element = ET.SubElement(span, "span", {"class": "ocrx_word", "id": f"word_{number}_{word_id}",
                                                                "title": title})
                    for c, shown in zip(word.characters, word.shown_characters(*run.rule)):
                        conf = "" if c.confidence is None else f"; x_conf {round(100 * c.confidence, 2)}"
                        ET.SubElement(word_element, "span", {"class": "ocrx_cinfo",
                                                             "title": bbox(c.box) + conf}).text = shown
        ET.indent(element, level=1)
        for word in element.iter("span"):
            if word.get("class") == "ocrx_word":  # the word's text is its characters, with no layout whitespace
                word.text = None
                for c in word:
                    c.tail = None
        return "  " + ET.tostring(element, encoding="unicode").rstrip()


def position(box):
    """ALTO's HPOS, VPOS, WIDTH, HEIGHT of ``(left, top, width, height)``."""
    return dict(zip(("HPOS", "VPOS", "WIDTH", "HEIGHT"), map(str, box)))


def alto_tag(tag):
    return f"{{{ALTO_NS}}}{tag}"


class Alto(Format):
    """One ALTO v4 document (measurements in pixels): a description, then one ``Page``
    per page."""

    name, suffix, help = "alto", ".xml", "ALTO v4 XML for OCR tools, one document"
    joins_files = True

    def head(self, run, file):
        import xml.etree.ElementTree as ET

        ET.register_namespace("", ALTO_NS)
        ET.register_namespace("xsi", XSI)
        alto = ET.Element(alto_tag("alto"), {f"{{{XSI}}}schemaLocation": f"{ALTO_NS} {ALTO_SCHEMA}"})
        description = ET.SubElement(alto, alto_tag("Description"))
        ET.SubElement(description, alto_tag("MeasurementUnit")).text = "pixel"
        info = ET.SubElement(description, alto_tag("sourceImageInformation"))
        ET.SubElement(info, alto_tag("fileName")).text = printable(file)
        step = ET.SubElement(description, alto_tag("Processing"), {"ID": "OCR_0"})
        if run.characters:  # what the pages may hold
            ET.SubElement(step, alto_tag("processingStepSettings")).text = f"characters: {run.characters}"
        processing = ET.SubElement(step, alto_tag("processingSoftware"))
        ET.SubElement(processing, alto_tag("softwareName")).text = "ocr"
        ET.SubElement(processing, alto_tag("softwareVersion")).text = run.version
        ET.SubElement(alto, alto_tag("Layout")).text = "\n"
        ET.indent(alto)
        document = ET.tostring(alto, encoding="unicode")
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + document.rsplit("</Layout>", 1)[0].rstrip()

    def tail(self, run):
        return "  </Layout>\n</alto>"

    def pages(self, pages, run, file, first):
        return "\n".join(self.page(page, run, number) for number, page in enumerate(pages, first))

    def page(self, page, run, number):
        import xml.etree.ElementTree as ET

        ET.register_namespace("", ALTO_NS)
        width, height = page.size
        attributes = {"ID": f"page_{number}", "PHYSICAL_IMG_NR": str(number), "HEIGHT": str(height), "WIDTH": str(width)}
        if page.warning is not None:  # ALTO's free account of a page's quality
            attributes["QUALITY_DETAIL"] = page.warning
        element = ET.Element(alto_tag("Page"), attributes)
        space = ET.SubElement(element, alto_tag("PrintSpace"), position((0, 0, width, height)))
        line_id = string_id = 0
        for b, block in enumerate(page.blocks, 1):
            text_block = ET.SubElement(space, alto_tag("TextBlock"), {"ID": f"block_{number}_{b}", **position(block.box)})
            for line in block.lines:
                line_id += 1
                text_line = ET.SubElement(text_block, alto_tag("TextLine"),
                                          {"ID": f"line_{number}_{line_id}", **position(line.box)})
                for m, word in enumerate(line.words):
                    if m:
                        left, top, w, _ = line.words[m - 1].box
                        ET.SubElement(text_line, alto_tag("SP"), {"WIDTH": str(max(word.box[0] - left - w, 0)),
                                                                  "VPOS": str(top), "HPOS": str(left + w)})
                    string_id += 1
                    attributes = {"ID": f"string_{number}_{string_id}", **position(word.box),
                                  "CONTENT": word.text(*run.rule)}
                    if word.confidence is not None:
                        attributes["WC"] = f"{word.confidence:.4f}"
                    ET.SubElement(text_line, alto_tag("String"), attributes)
        ET.indent(element, level=2)
        return "    " + ET.tostring(element, encoding="unicode").rstrip()


class Pdf(Format):
    """A searchable PDF: binary, one document for the run (:meth:`document`), a page per
    page read."""

    name, suffix, help = "pdf", ".pdf", "a searchable PDF (the image, an invisible text layer on the words)"
    joins_files = binary = True

    def document(self, run):
        """A new :class:`ocr_cli.output.pdf.PdfDocument` (the ``pdf`` extra)."""
        from ocr_cli.output.pdf import PdfDocument

        return PdfDocument()

    def alone(self, pages, run, file):
        document = self.document(run)
        document.add(pages, file)
        return document.finish()


# Every format by its name; the command line offers these.
FORMATS = {f.name: f for f in (Text(), Json(), Tsv(), Hocr(), Alto(), Pdf())}


def found_boxes(page):
    """``(box [y1, x1, y2, x2], line, word)`` of every character of ``page``, in reading order."""
    return [(corners(c.box), n, m) for n, line in enumerate(page.lines) for m, word in enumerate(line.words)
            for c in word.characters]


class Boxes(Format):
    """``ocr find-letters``: per page a line naming the file and counting characters and
    lines, then one line per character: ``y1 x1 y2 x2 line word``."""

    name, suffix, help = "text", ".txt", "the boxes, one per line"
    joins_files = True

    def pages(self, pages, run, file, first):
        rows = []
        for number, page in enumerate(pages, 1):
            found = found_boxes(page)
            where = f"{file}" + (f" page {number}" if len(pages) > 1 else "")
            rows.append(f"{where}: {len(found)} characters, {len(page.lines)} lines (y1 x1 y2 x2 line word)")
            rows += [f"{y1} {x1} {y2} {x2} {line} {word}" for (y1, x1, y2, x2), line, word in found]
        return "\n".join(rows)


class BoxesJson(Json):
    """``ocr find-letters --json``: per file, per page its character height and the boxes."""

    def pages(self, pages, run, file, first):
        return json.dumps({"file": str(file), "pages": [
            {"number": n, "char_height": round(page.char_height, 1),
             "boxes": [{"box": box, "line": line, "word": word} for box, line, word in found_boxes(page)]}
            for n, page in enumerate(pages, 1)]}, indent=2)


# The formats of ``ocr find-letters``.
LETTER_FORMATS = {f.name: f for f in (Boxes(), BoxesJson())}
