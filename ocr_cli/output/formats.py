"""Every output format of ``ocr read``, rendered from one record of a page
(:class:`ocr_cli.pipeline.records.Page`), and :data:`FORMATS`, their registry by name,
from which the command line takes its choices.

A format renders a run of pages as ``head(run)``, then ``page(page, run, file, number)``
for each, then ``tail(run)``: ``run`` (:class:`Run`) says what made the pages and how
sure a character must be not to be shown as ``?`` (one rule for every format:
:meth:`ocr_cli.pipeline.records.Character.shown`). XML formats are built with
``xml.etree``, never by pasting strings. A new format is a class here and an entry in
:data:`FORMATS`.

- text: one output line per written line, single spaces between words;
- json: the page as nested objects, with the file, the tool's version and the model;
- tsv: Tesseract's 12 columns (``level page_num block_num par_num line_num word_num left
  top width height conf text``), levels 1 page, 2 block, 3 paragraph, 4 line, 5 word and,
  beyond Tesseract, 6 character; numbers from 1, confidences 0-100;
- hocr: HTML with ``ocr_page``, ``ocr_line``, ``ocrx_word`` (bbox, x_wconf) and
  ``ocrx_cinfo`` per character;
- alto: ALTO v4 XML: Page, PrintSpace, TextBlock, TextLine, String (HPOS, VPOS, WIDTH,
  HEIGHT, WC) and SP between words.
"""

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass

TSV_COLUMNS = ("level", "page_num", "block_num", "par_num", "line_num", "word_num", "left", "top", "width",
               "height", "conf", "text")
ALTO_NS = "http://www.loc.gov/standards/alto/ns-v4#"
ALTO_SCHEMA = "http://www.loc.gov/standards/alto/v4/alto-4-4.xsd"


@dataclass(frozen=True)
class Run:
    """What made a run of pages: the tool's ``version``, the ``model`` (``{"name",
    "sha256"}``, None when nothing was read) and the confidence under which a
    character is shown as ``?``."""

    version: str
    model: object = None
    min_confidence: float = 0.0


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
    input's result) and ``help``; subclasses render ``page`` and may add a ``head``
    and a ``tail`` around a run's pages. A format that ``joins_files`` writes the
    results of several files as one (a table, a list): its head once, ``separator``
    between results, its tail at the end (``empty`` instead, if none came), and
    ``error(file, error)`` an entry for a file that failed (None: no entry)."""

    name = suffix = help = ""
    joins_files = False
    separator = ""
    empty = None

    def head(self, run):
        return ""

    def page(self, page, run, file, number):
        raise NotImplementedError

    def tail(self, run):
        return ""

    def error(self, file, error):
        return None

    def alone(self, page, run, file):
        """One file's result as a file of its own."""
        return "\n".join(part for part in (self.head(run), self.page(page, run, file, 1), self.tail(run)) if part)


class Text(Format):
    name, suffix, help = "text", ".txt", "the text"

    def page(self, page, run, file, number):
        return page.text(run.min_confidence)


def page_json(page, run):
    """The page as nested objects: ``size`` ``[height, width]``, ``text``, and ``lines``,
    each with ``box`` ``[y1, x1, y2, x2]``, ``confidence``, ``text`` and ``words``, each
    with the same and ``characters`` (``box``, ``label``, ``confidence``, ``top3``,
    ``flagged``)."""
    low = run.min_confidence

    def character(c):
        return {"box": corners(c.box), "label": c.shown(low), "confidence": c.confidence,
                "top3": [{"label": label, "p": p} for label, p in c.alternatives],
                "flagged": c.shown(low) != c.text}

    def part(item, text, inner, name):
        return {name: inner, "box": corners(item.box), "text": text, "confidence": item.confidence}

    return {"size": [page.size[1], page.size[0]], "text": page.text(low), "lines": [
        part(line, line.text(low), [part(word, word.text(low), [character(c) for c in word.characters], "characters")
                                    for word in line.words], "words") for line in page.lines]}


class Json(Format):
    """Several files: one list, a file that failed ``{"file", "error"}``."""

    name, suffix, help = "json", ".json", "lines, words and characters with boxes, confidences and top-3"
    joins_files, separator, empty = True, ",\n", "[]"

    def head(self, run):
        return "["

    def tail(self, run):
        return "\n]"

    def error(self, file, error):
        return json.dumps({"file": str(file), "error": str(error)}, indent=2)

    def alone(self, page, run, file):
        return self.page(page, run, file, 1)

    def page(self, page, run, file, number):
        return json.dumps({"version": run.version, "model": run.model, "file": str(file), **page_json(page, run)},
                          indent=2)


def percent(confidence):
    return -1 if confidence is None else round(100 * confidence, 2)


class Tsv(Format):
    """Tesseract's TSV; its header once, before the first page."""

    name, suffix, help = "tsv", ".tsv", "Tesseract's columns"
    joins_files = True

    def head(self, run):
        return "\t".join(TSV_COLUMNS)

    def page(self, page, run, file, number):
        width, height = page.size
        rows = []
        row = lambda level, line, word, box, conf, text: (level, number, 1, 1, line, word, *box, conf, text)
        rows.append(row(1, 0, 0, (0, 0, width, height), -1, ""))
        if page.lines:
            rows += [row(2, 0, 0, page.blocks[0].box, -1, ""), row(3, 0, 0, page.blocks[0].box, -1, "")]
        for n, line in enumerate(page.lines, 1):
            rows.append(row(4, n, 0, line.box, -1, ""))
            for m, word in enumerate(line.words, 1):
                rows.append(row(5, n, m, word.box, percent(word.confidence), word.text(run.min_confidence)))
                rows += [row(6, n, m, c.box, percent(c.confidence), c.shown(run.min_confidence))
                         for c in word.characters]
        return "\n".join("\t".join(map(str, r)) for r in rows)


def bbox(box):
    """hOCR's ``bbox x0 y0 x1 y1`` of ``(left, top, width, height)``."""
    left, top, width, height = box
    return f"bbox {left} {top} {left + width} {top + height}"


class Hocr(Format):
    name, suffix, help = "hocr", ".hocr", "hOCR, layout HTML for OCR tools"

    def page(self, page, run, file, number):
        """An hOCR 1.2 document (XHTML) of one page."""
        html = ET.Element("html", {"xmlns": "http://www.w3.org/1999/xhtml", "xml:lang": "en", "lang": "en"})
        head = ET.SubElement(html, "head")
        ET.SubElement(head, "title").text = printable(file)
        ET.SubElement(head, "meta", {"http-equiv": "Content-Type", "content": "text/html; charset=utf-8"})
        ET.SubElement(head, "meta", {"name": "ocr-system", "content": f"ocr {run.version}"})
        ET.SubElement(head, "meta", {"name": "ocr-capabilities",
                                     "content": "ocr_page ocr_carea ocr_line ocrx_word ocrx_cinfo"})
        body = ET.SubElement(html, "body")
        width, height = page.size
        element = ET.SubElement(body, "div", {"class": "ocr_page", "id": "page_1",
                                              "title": f'image "{printable(file)}"; bbox 0 0 {width} {height}; ppageno 0'})
        area = ET.SubElement(element, "div", {"class": "ocr_carea", "id": "block_1_1",
                                              "title": bbox(page.blocks[0].box if page.lines else (0, 0, width, height))})
        par = ET.SubElement(area, "p", {"class": "ocr_par", "id": "par_1_1", "title": area.get("title")})
        for n, line in enumerate(page.lines, 1):
            span = ET.SubElement(par, "span", {"class": "ocr_line", "id": f"line_1_{n}", "title": bbox(line.box)})
            for m, word in enumerate(line.words, 1):
                title = bbox(word.box) + ("" if word.confidence is None else f"; x_wconf {round(100 * word.confidence)}")
                word_element = ET.SubElement(span, "span", {"class": "ocrx_word", "id": f"word_1_{n}_{m}", "title": title})
                for c in word.characters:
                    conf = "" if c.confidence is None else f"; x_conf {percent(c.confidence)}"
                    ET.SubElement(word_element, "span", {"class": "ocrx_cinfo",
                                                         "title": bbox(c.box) + conf}).text = c.shown(run.min_confidence)
        ET.indent(html)
        for word in html.iter("span"):
            if word.get("class") == "ocrx_word":  # the word's text is its characters, with no layout whitespace
                word.text = None
                for c in word:
                    c.tail = None
        return ('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
                '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n' + ET.tostring(html, encoding="unicode"))


def position(box):
    """ALTO's HPOS, VPOS, WIDTH, HEIGHT of ``(left, top, width, height)``."""
    return dict(zip(("HPOS", "VPOS", "WIDTH", "HEIGHT"), map(str, box)))


class Alto(Format):
    name, suffix, help = "alto", ".xml", "ALTO v4 XML for OCR tools"

    def page(self, page, run, file, number):
        """An ALTO v4 document of one page (measurements in pixels)."""
        ET.register_namespace("", ALTO_NS)
        ET.register_namespace("xsi", "http://www.w3.org/2001/XMLSchema-instance")
        q = lambda tag: f"{{{ALTO_NS}}}{tag}"
        alto = ET.Element(q("alto"), {"{http://www.w3.org/2001/XMLSchema-instance}schemaLocation":
                                      f"{ALTO_NS} {ALTO_SCHEMA}"})
        description = ET.SubElement(alto, q("Description"))
        ET.SubElement(description, q("MeasurementUnit")).text = "pixel"
        info = ET.SubElement(description, q("sourceImageInformation"))
        ET.SubElement(info, q("fileName")).text = printable(file)
        processing = ET.SubElement(ET.SubElement(description, q("Processing"), {"ID": "OCR_0"}), q("processingSoftware"))
        ET.SubElement(processing, q("softwareName")).text = "ocr"
        ET.SubElement(processing, q("softwareVersion")).text = run.version
        width, height = page.size
        layout = ET.SubElement(alto, q("Layout"))
        element = ET.SubElement(layout, q("Page"), {"ID": "page_1", "PHYSICAL_IMG_NR": "1", "HEIGHT": str(height),
                                                    "WIDTH": str(width)})
        space = ET.SubElement(element, q("PrintSpace"), position((0, 0, width, height)))
        if page.lines:
            block = ET.SubElement(space, q("TextBlock"), {"ID": "block_1", **position(page.blocks[0].box)})
        for n, line in enumerate(page.lines, 1):
            text_line = ET.SubElement(block, q("TextLine"), {"ID": f"line_{n}", **position(line.box)})
            for m, word in enumerate(line.words, 1):
                if m > 1:
                    left, top, w, _ = line.words[m - 2].box
                    ET.SubElement(text_line, q("SP"), {"HPOS": str(left + w), "VPOS": str(top),
                                                       "WIDTH": str(max(word.box[0] - left - w, 0))})
                attributes = {"ID": f"string_{n}_{m}", **position(word.box), "CONTENT": word.text(run.min_confidence)}
                if word.confidence is not None:
                    attributes["WC"] = f"{word.confidence:.4f}"
                ET.SubElement(text_line, q("String"), attributes)
        ET.indent(alto)
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(alto, encoding="unicode")


# Every format by its name; the command line offers these.
FORMATS = {f.name: f for f in (Text(), Json(), Tsv(), Hocr(), Alto())}


def found_boxes(page):
    """``(box [y1, x1, y2, x2], line, word)`` of every character of ``page``, in reading order."""
    return [(corners(c.box), n, m) for n, line in enumerate(page.lines) for m, word in enumerate(line.words)
            for c in word.characters]


class Boxes(Format):
    """``ocr find-letters``: a line naming the file and counting characters and lines,
    then one line per character: ``y1 x1 y2 x2 line word``."""

    name, suffix, help = "text", ".txt", "the boxes, one per line"
    joins_files = True

    def page(self, page, run, file, number):
        found = found_boxes(page)
        rows = [f"{file}: {len(found)} characters, {len(page.lines)} lines (y1 x1 y2 x2 line word)"]
        rows += [f"{y1} {x1} {y2} {x2} {line} {word}" for (y1, x1, y2, x2), line, word in found]
        return "\n".join(rows)


class BoxesJson(Json):
    """``ocr find-letters --json``: per file its character height and the boxes."""

    def page(self, page, run, file, number):
        return json.dumps({"file": str(file), "char_height": round(page.char_height, 1),
                           "boxes": [{"box": box, "line": line, "word": word} for box, line, word in found_boxes(page)]},
                          indent=2)


# The formats of ``ocr find-letters``.
LETTER_FORMATS = {f.name: f for f in (Boxes(), BoxesJson())}
