"""Every output format of ``ocr read`` and ``ocr find-letters``, one function each.

All formats are drawn from one record of a page (:func:`page_record`): its size, its
lines, their words and their characters, each with a box ``[y1, x1, y2, x2]`` in photo
pixels and a confidence; characters read with less than ``min_confidence`` are shown as
``?`` everywhere (one rule for every format). XML formats are built with
``xml.etree``, never by pasting strings.

- text: one output line per written line, single spaces between words;
- json: the record, with the file, the tool's version and the model's name and checksum;
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

FORMATS = ("text", "json", "tsv", "hocr", "alto")
SUFFIXES = {"text": ".txt", "json": ".json", "tsv": ".tsv", "hocr": ".hocr", "alto": ".xml"}
TSV_COLUMNS = ("level", "page_num", "block_num", "par_num", "line_num", "word_num", "left", "top", "width",
               "height", "conf", "text")
ALTO_NS = "http://www.loc.gov/standards/alto/ns-v4#"
ALTO_SCHEMA = "http://www.loc.gov/standards/alto/v4/alto-4-4.xsd"
UNSURE = "?"


def union(boxes):
    """The box ``[y1, x1, y2, x2]`` around ``boxes``."""
    return [min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes)]


def page_record(reading, min_confidence=0.0):
    """The page as nested dicts: ``size`` ``[height, width]``, ``text``, and ``lines``,
    each with ``box``, ``confidence``, ``text`` and ``words``, each with the same and
    ``characters`` (``box``, ``label``, ``confidence``, ``top3``, ``flagged``). A
    reading that was not classified (find-letters) has no labels or confidences."""
    classified = bool(reading.classes)
    labels = reading.labels if classified else [""] * len(reading.letters)
    confidence = reading.confidence.tolist() if classified else [None] * len(reading.letters)
    top = reading.top(3) if classified else [[]] * len(reading.letters)
    letters, lines = reading.letters, []
    for k, box in enumerate(letters.boxes.tolist()):
        line, word = int(letters.line[k]), int(letters.word[k])
        if line == len(lines):
            lines.append({"words": []})
        words = lines[line]["words"]
        if word == len(words):
            words.append({"characters": []})
        flagged = classified and confidence[k] < min_confidence
        words[word]["characters"].append({
            "box": box, "label": UNSURE if flagged else labels[k], "confidence": confidence[k],
            "top3": [{"label": c, "p": p} for c, p in top[k]], "flagged": flagged})
    for line in lines:
        for word in line["words"]:
            summarise(word, word["characters"], "")
        summarise(line, line["words"], " ")
    return {"size": list(letters.size), "text": "\n".join(line["text"] for line in lines), "lines": lines}


def summarise(record, parts, separator):
    """Fills ``record``'s box (around its parts), text (joined by ``separator``) and
    confidence (its least sure part: a word is as sure as its least sure character)."""
    record["box"] = union([p["box"] for p in parts])
    record["text"] = separator.join(p.get("text", p.get("label")) for p in parts)
    known = [p["confidence"] for p in parts if p["confidence"] is not None]
    record["confidence"] = min(known) if known else None


def as_text(record):
    return record["text"]


def as_json(record, source):
    """``source``: ``{"file", "version", "model": {"name", "sha256"}}``."""
    return json.dumps({**source, **record}, indent=2)


def percent(confidence):
    return -1 if confidence is None else round(100 * confidence, 2)


def as_tsv(record, page_num=1, header=True):
    """Tesseract's TSV rows (tab-separated, one per page, block, paragraph, line, word
    and character), with the header line if ``header``."""
    height, width = record["size"]
    rows = [TSV_COLUMNS] if header else []
    row = lambda level, line, word, box, conf, text: (level, page_num, 1, 1, line, word, box[1], box[0],
                                                      box[3] - box[1], box[2] - box[0], conf, text)
    rows.append(row(1, 0, 0, [0, 0, height, width], -1, ""))
    if record["lines"]:
        around = union([line["box"] for line in record["lines"]])
        rows += [row(2, 0, 0, around, -1, ""), row(3, 0, 0, around, -1, "")]
    for n, line in enumerate(record["lines"], 1):
        rows.append(row(4, n, 0, line["box"], -1, ""))
        for m, word in enumerate(line["words"], 1):
            rows.append(row(5, n, m, word["box"], percent(word["confidence"]), word["text"]))
            rows += [row(6, n, m, c["box"], percent(c["confidence"]), c["label"]) for c in word["characters"]]
    return "\n".join("\t".join(map(str, r)) for r in rows)


def bbox(box):
    """hOCR's ``bbox x0 y0 x1 y1``."""
    return f"bbox {box[1]} {box[0]} {box[3]} {box[2]}"


def as_hocr(record, source):
    """An hOCR 1.2 document (XHTML) of one page."""
    html = ET.Element("html", {"xmlns": "http://www.w3.org/1999/xhtml", "xml:lang": "en", "lang": "en"})
    head = ET.SubElement(html, "head")
    ET.SubElement(head, "title").text = printable(source["file"])
    ET.SubElement(head, "meta", {"http-equiv": "Content-Type", "content": "text/html; charset=utf-8"})
    ET.SubElement(head, "meta", {"name": "ocr-system", "content": f"ocr {source['version']}"})
    ET.SubElement(head, "meta", {"name": "ocr-capabilities",
                                 "content": "ocr_page ocr_carea ocr_line ocrx_word ocrx_cinfo"})
    body = ET.SubElement(html, "body")
    height, width = record["size"]
    page = ET.SubElement(body, "div", {"class": "ocr_page", "id": "page_1",
                                       "title": f'image "{printable(source["file"])}"; bbox 0 0 {width} {height}; ppageno 0'})
    area = ET.SubElement(page, "div", {"class": "ocr_carea", "id": "block_1_1",
                                       "title": bbox(union([l["box"] for l in record["lines"]]) if record["lines"]
                                                     else [0, 0, height, width])})
    par = ET.SubElement(area, "p", {"class": "ocr_par", "id": "par_1_1", "title": area.get("title")})
    for n, line in enumerate(record["lines"], 1):
        span = ET.SubElement(par, "span", {"class": "ocr_line", "id": f"line_1_{n}", "title": bbox(line["box"])})
        for m, word in enumerate(line["words"], 1):
            title = bbox(word["box"]) + ("" if word["confidence"] is None else f"; x_wconf {round(100 * word['confidence'])}")
            element = ET.SubElement(span, "span", {"class": "ocrx_word", "id": f"word_1_{n}_{m}", "title": title})
            for c in word["characters"]:
                conf = "" if c["confidence"] is None else f"; x_conf {percent(c['confidence'])}"
                ET.SubElement(element, "span", {"class": "ocrx_cinfo", "title": bbox(c["box"]) + conf}).text = c["label"]
    ET.indent(html)
    for word in html.iter("span"):
        if word.get("class") == "ocrx_word":  # the word's text is its characters, with no layout whitespace
            word.text = None
            for c in word:
                c.tail = None
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
            '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n' + ET.tostring(html, encoding="unicode"))


def as_alto(record, source):
    """An ALTO v4 document of one page (measurements in pixels)."""
    ET.register_namespace("", ALTO_NS)
    ET.register_namespace("xsi", "http://www.w3.org/2001/XMLSchema-instance")
    q = lambda tag: f"{{{ALTO_NS}}}{tag}"
    alto = ET.Element(q("alto"), {"{http://www.w3.org/2001/XMLSchema-instance}schemaLocation":
                                  f"{ALTO_NS} {ALTO_SCHEMA}"})
    description = ET.SubElement(alto, q("Description"))
    ET.SubElement(description, q("MeasurementUnit")).text = "pixel"
    info = ET.SubElement(description, q("sourceImageInformation"))
    ET.SubElement(info, q("fileName")).text = printable(source["file"])
    processing = ET.SubElement(ET.SubElement(description, q("Processing"), {"ID": "OCR_0"}), q("processingSoftware"))
    ET.SubElement(processing, q("softwareName")).text = "ocr"
    ET.SubElement(processing, q("softwareVersion")).text = source["version"]
    height, width = record["size"]
    layout = ET.SubElement(alto, q("Layout"))
    page = ET.SubElement(layout, q("Page"), {"ID": "page_1", "PHYSICAL_IMG_NR": "1", "HEIGHT": str(height),
                                             "WIDTH": str(width)})
    space = ET.SubElement(page, q("PrintSpace"), position([0, 0, height, width]))
    if record["lines"]:
        block = ET.SubElement(space, q("TextBlock"),
                              {"ID": "block_1", **position(union([l["box"] for l in record["lines"]]))})
    for n, line in enumerate(record["lines"], 1):
        text_line = ET.SubElement(block, q("TextLine"), {"ID": f"line_{n}", **position(line["box"])})
        for m, word in enumerate(line["words"], 1):
            if m > 1:
                previous = line["words"][m - 2]["box"]
                ET.SubElement(text_line, q("SP"), {"HPOS": str(previous[3]), "VPOS": str(previous[0]),
                                                   "WIDTH": str(max(word["box"][1] - previous[3], 0))})
            attributes = {"ID": f"string_{n}_{m}", **position(word["box"]), "CONTENT": word["text"]}
            if word["confidence"] is not None:
                attributes["WC"] = f"{word['confidence']:.4f}"
            ET.SubElement(text_line, q("String"), attributes)
    ET.indent(alto)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(alto, encoding="unicode")


def position(box):
    """ALTO's HPOS, VPOS, WIDTH, HEIGHT of a box ``[y1, x1, y2, x2]``."""
    return {"HPOS": str(box[1]), "VPOS": str(box[0]), "WIDTH": str(box[3] - box[1]), "HEIGHT": str(box[2] - box[0])}


def printable(text):
    """``text`` with every character that is not printable (a newline, a tab, a
    terminal's escape) written as its escape, ``\\n``, ``\\x1b``: a file name shown in a
    header or an error stays on its one line and cannot drive the terminal."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))


def render(output, reading, source, min_confidence=0.0, first=True, page_num=1):
    """One page's result in ``output`` (one of :data:`FORMATS`); ``source`` names the
    file, the tool's version and the model; ``first``: whether this is the first page
    of the run (TSV prints its header once); ``page_num``: the page's number in the
    run (TSV's page_num, as Tesseract numbers the pages of one input)."""
    record = page_record(reading, min_confidence)
    if output == "text":
        return as_text(record)
    if output == "json":
        return as_json(record, source)
    if output == "tsv":
        return as_tsv(record, page_num, header=first)
    return (as_hocr if output == "hocr" else as_alto)(record, source)
