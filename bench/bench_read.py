"""Reading accuracy and speed on a folder of photos with transcripts.

    python bench/bench_read.py DIR [--model PATH] [--runs 3] [--no-lexicon]

For every NAME.jpg (or .png) in DIR with a NAME.txt beside it, prints the character
accuracy (1 - edit distance / length, on A-Z0-9 only, whitespace ignored), the
order-free character F1 (the characters read and the true ones as multisets: right
characters in a wrong order, as when blocks are read in another order, still count),
the layout accuracy (the same on the whole text, where line breaks and single spaces
count), the characters found vs. expected, and seconds per image (median of --runs
reads, model loaded once); then the means. --no-lexicon reads without the English word
list.
"""

import argparse
import re
from collections import Counter
import statistics
import time
from pathlib import Path

from ocr_cli.pipeline.lexicon import Lexicon, english
from ocr_cli.net.model import load_model
from ocr_cli.pipeline.reader import read_image


def edit_distance(a, b):
    """Levenshtein distance between two strings."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def accuracy(predicted, truth):
    return max(0.0, 1.0 - edit_distance(predicted, truth) / max(len(truth), 1))


def characters(text):
    return re.sub(r"[^A-Z0-9]", "", text.upper())


def char_f1(predicted, truth):
    """F1 of the characters of ``predicted`` against those of ``truth`` as multisets
    (order ignored): 1 when both are empty, 0 when only one is."""
    common = sum((Counter(predicted) & Counter(truth)).values())
    if not predicted or not truth:
        return float(predicted == truth)
    return 2 * common / (len(predicted) + len(truth))


def layout(text):
    """Lines with single spaces, no blank lines: the form `ocr read` prints."""
    return "\n".join(" ".join(line.split()) for line in text.strip().splitlines() if line.strip())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-lexicon", action="store_true", help="read words without a word list")
    args = parser.parse_args()
    model = load_model(args.model)
    lexicon = Lexicon([], model.classes) if args.no_lexicon else english(model.classes)
    photos = sorted(p for p in args.folder.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png") and p.with_suffix(".txt").is_file())
    print(f"{'image':<24} {'chars':>7} {'F1':>7} {'layout':>7} {'found/expected':>15} {'s/image':>8}")
    rows = []
    for photo in photos:
        truth = photo.with_suffix(".txt").read_text()
        seconds = []
        for _ in range(args.runs):
            start = time.perf_counter()
            text = read_image(photo, model, lexicon).text()
            seconds.append(time.perf_counter() - start)
        row = (accuracy(characters(text), characters(truth)), char_f1(characters(text), characters(truth)),
               accuracy(layout(text), layout(truth)), statistics.median(seconds))
        rows.append(row)
        found = f"{len(characters(text))}/{len(characters(truth))}"
        print(f"{photo.name:<24} {row[0]:>7.2%} {row[1]:>7.2%} {row[2]:>7.2%} {found:>15} {row[3]:>8.3f}")
    if rows:
        means = [statistics.mean(column) for column in zip(*rows)]
        print(f"{'mean':<24} {means[0]:>7.2%} {means[1]:>7.2%} {means[2]:>7.2%} {'':>15} {means[3]:>8.3f}")


if __name__ == "__main__":
    main()
