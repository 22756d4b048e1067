"""How well --min-confidence points at the words read wrong.

    python bench/bench_confidence.py [DIR] [--thresholds 0.3,0.5,0.7] [--model PATH]

Reads every NAME.jpg in DIR (default: sample_images) that has a NAME.txt beside it,
pairs the words read with the transcript's line by line (in order, by difflib where a
line's word counts differ) and, per threshold, counts the words flagged (their
confidence, the probability of the word as finally read, under the threshold), how
many of those are wrong, and the wrong words not flagged; beside it the same for
characters flagged by the network's probability before word context (the rule before
word confidences, --flag-characters).
"""

import argparse
import difflib
from pathlib import Path

from ocr_cli.pipeline.reader import PageReader


def paired_words(page, truth):
    """``[(word record or None, true word or None)]`` line by line."""
    pairs = []
    read_lines, true_lines = page.lines, [line.split() for line in truth.strip().split("\n") if line.strip()]
    for n in range(max(len(read_lines), len(true_lines))):
        words = read_lines[n].words if n < len(read_lines) else []
        true = true_lines[n] if n < len(true_lines) else []
        if len(words) == len(true):
            pairs += list(zip(words, true))
            continue
        matcher = difflib.SequenceMatcher(a=[w.text() for w in words], b=true, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            a, b = list(words[i1:i2]), true[j1:j2]
            pairs += [(a[k] if k < len(a) else None, b[k] if k < len(b) else None) for k in range(max(len(a), len(b)))]
    return pairs


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", nargs="?", default=str(Path(__file__).resolve().parents[1] / "sample_images"))
    parser.add_argument("--thresholds", default="0.3,0.5,0.7")
    parser.add_argument("--model")
    args = parser.parse_args()
    reader = PageReader(args.model)
    pairs, characters = [], []
    for image in sorted(Path(args.folder).glob("*.jpg")):
        truth = image.with_suffix(".txt")
        if not truth.is_file():
            continue
        [page] = reader(image)
        for word, true in paired_words(page, truth.read_text()):
            pairs.append((word, true))
            if word is not None:  # a character is wrong when its word is (characters paired by position)
                text = true or ""
                characters += [(c.confidence, k >= len(text) or c.text != text[k]) for k, c in enumerate(word.characters)]
    wrong = [(w, t) for w, t in pairs if w is not None and w.text() != t]
    missing = sum(w is None for w, _ in pairs)
    print(f"{len([p for p in pairs if p[0] is not None])} words read, {len(wrong)} wrong, {missing} not read "
          f"({sum(bad for _, bad in characters)} of {len(characters)} characters wrong)")
    print("threshold  words flagged  of them wrong  wrong not flagged | chars flagged  of them wrong  wrong not flagged")
    for threshold in map(float, args.thresholds.split(",")):
        flagged = [(w, t) for w, t in pairs if w is not None and w.confidence < threshold]
        bad = sum(w.text() != t for w, t in flagged)
        chars = [bad_c for conf, bad_c in characters if conf < threshold]
        print(f"{threshold:9.2f}  {len(flagged):13d}  {bad:13d}  {len(wrong) - bad:17d} | {len(chars):13d}  "
              f"{sum(chars):13d}  {sum(bad for _, bad in characters) - sum(chars):17d}")
    for word, true in wrong:
        print(f"  wrong: {word.text()!r} for {true!r}, confidence {word.confidence:.3f}")


if __name__ == "__main__":
    main()
