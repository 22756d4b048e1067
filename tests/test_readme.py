"""The README's console examples print what the commands print.

Each ```python block of README.md followed by a ```text block runs, and prints that.

Each ```console block of README.md is a command (``$ ...``, ``\\`` continues it) and its
output. The commands run with bash in a scratch folder that holds ``sample_images`` and
``models`` as the repository has them and ``../shared`` as CI has it, at 80 columns;
a line of ``...`` cells in the README stands for any number of lines left out,
times (numbers with one decimal: seconds) may differ, and numbers of five decimals
and more (a confidence of the float32 network, 84.921149) agree to float32's precision
(another numpy or BLAS build sums in another order).
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHECKED = ("ocr read", "ocr find-letters", "ocr evaluate", "ocr confusion", "ocr train", "ocr autoencode")
SECONDS = re.compile(r"(?<![\d.])\d+\.\d(?![\d%])")  # 4.6, 30.1: a time; 0.5642, 72.94% are not
FINE = re.compile(r"(?<![\d.])\d+\.\d{5,}(?![\d%])")  # 84.921149: float32 arithmetic's, to ~7 digits
FLOAT32 = 1e-6  # relative: a few float32 roundings (its epsilon is 1.2e-7)


def console_blocks(text):
    """``(command, expected lines)`` of every console block of ``text``."""
    blocks = []
    for body in re.findall(r"```console\n(.*?)```", text, re.S):
        lines = body.rstrip("\n").split("\n")
        command = lines.pop(0)[2:]
        while command.endswith("\\"):
            command = command[:-1] + " " + lines.pop(0).strip()
        blocks.append((command, lines))
    return blocks


def elided(line):
    """Whether a README line stands for lines left out: only ``...`` between separators."""
    cells = [c.strip() for c in re.split(r"[│|]", line) if c.strip()]
    return bool(cells) and all(c == "..." for c in cells)


def matches(expected, actual):
    """Whether ``actual`` lines are ``expected`` with each elided line standing for any
    number of lines (at least one)."""
    fine = []  # the fine numbers of the expected lines, in order

    def literal(text):  # text as written, each fine number captured to be compared by value
        fine.extend(float(v) for v in FINE.findall(text))
        return r"(\d+\.\d+)".join(re.escape(part) for part in FINE.split(text))

    def line_pattern(line):  # the line as written, any time (padded to any width) in place of its times
        parts = SECONDS.split(line)
        if len(parts) > 1:  # the spaces around a time pad its column: they vary with its width
            parts = [parts[0].rstrip(" ")] + [p.strip(" ") for p in parts[1:-1]] + [parts[-1].lstrip(" ")]
        return r" *\d+\.\d *".join(literal(part) for part in parts) + r"\n"

    pattern = "".join(r"(?:[^\n]*\n)+?" if elided(line) else line_pattern(line) for line in expected)
    found = re.fullmatch(pattern, "".join(line + "\n" for line in actual))
    return found is not None and all(abs(float(a) - e) <= FLOAT32 * abs(e) for a, e in zip(found.groups(), fine))


def test_the_console_blocks_are_found():
    blocks = console_blocks((ROOT / "README.md").read_text())
    assert [c for c, _ in blocks if c.startswith(CHECKED)], "no console examples found"
    assert all(c.startswith("ocr ") for c, _ in blocks)


@pytest.mark.parametrize("command, expected", [b for b in console_blocks((ROOT / "README.md").read_text())
                                               if b[0].startswith(CHECKED)], ids=lambda v: str(v)[:40])
def test_a_readme_example_prints_what_the_readme_shows(command, expected, tmp_path):
    shared = ROOT.parent / "shared"
    if "../shared" in command and not (shared / "nist36" / "nist36_test.mat").is_file():
        pytest.skip("the example needs ../shared/nist36")
    work = tmp_path / "work"
    work.mkdir()
    (tmp_path / "shared").symlink_to(shared)
    (work / "sample_images").symlink_to(ROOT / "sample_images")
    shutil.copytree(ROOT / "models", work / "models")
    ocr = f"{sys.executable} -m ocr_cli"
    command = re.sub(r"(^|&& |\| )ocr ", lambda m: m.group(1) + ocr + " ", command)  # every ocr the line runs
    result = subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=work,
                            capture_output=True, text=True, env=dict(os.environ, COLUMNS="80"), timeout=300)
    actual = result.stdout.rstrip("\n").split("\n")
    assert matches(expected, actual), "README shows:\n" + "\n".join(expected) + "\n\nthe command prints:\n" + result.stdout


def python_blocks(text):
    """``(code, expected output)`` of every python block followed by a text block (what it prints)."""
    return re.findall(r"```python\n(.*?)```\n+```text\n(.*?)```", text, re.S)


@pytest.mark.parametrize("code, expected", python_blocks((ROOT / "README.md").read_text()), ids=lambda v: str(v)[:40])
def test_a_readme_python_example_prints_what_the_readme_shows(code, expected, tmp_path):
    (tmp_path / "sample_images").symlink_to(ROOT / "sample_images")
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                            env=dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))))
    assert result.returncode == 0, result.stderr
    assert result.stdout == expected, "README shows:\n" + expected + "\nthe code prints:\n" + result.stdout


def test_elided_lines_stand_for_one_or_more_lines():
    assert matches(["a", "│ ... │ ... │", "z"], ["a", "b", "c", "z"])
    assert not matches(["a", "│ ... │", "z"], ["a", "z"])
    assert not matches(["a", "b"], ["a", "c"])
    assert matches(["took 4.6 s, 72.94%"], ["took 12.3 s, 72.94%"])
    assert not matches(["took 4.6 s, 72.94%"], ["took 4.6 s, 72.95%"])
