"""Work that could grow without bound stays bounded: each case runs ``ocr`` in a
subprocess under an address-space limit, so that a regression fails fast instead of
eating the machine."""

import os
import resource
import subprocess
import sys

import numpy as np
from PIL import Image

GB = 1024 ** 3


def run_limited(args, limit, timeout=120):
    """``python -m ocr_cli ARGS`` with at most ``limit`` bytes of address space."""
    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")  # each BLAS thread reserves its own buffers
    return subprocess.run([sys.executable, "-m", "ocr_cli", *map(str, args)], capture_output=True, text=True,
                          preexec_fn=cap, env=env, timeout=timeout)


def test_a_page_of_seventeen_thousand_dots_reads_no_text_in_bounded_memory(tmp_path):
    rng = np.random.default_rng(0)
    image = np.full((4000, 4000), 255, np.uint8)
    for y, x in rng.integers(0, 3994, (17_700, 2)):
        image[y:y + 6, x:x + 6] = 0
    Image.fromarray(image).save(tmp_path / "dots.png", optimize=True)  # about 90 KB
    result = run_limited(["read", tmp_path / "dots.png"], 2 * GB)
    assert result.stdout == "" and "Traceback" not in result.stderr
    if result.returncode:  # refused as a whole, or read as what it is: no text
        assert result.returncode == 2 and result.stderr.count("\n") == 1
        assert result.stderr.startswith(f"ocr: error: {tmp_path / 'dots.png'}: not a page of text: ")
        assert result.stderr.rstrip().endswith("marks are solid dots")
