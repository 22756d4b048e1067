"""Outputs (--out, --plot, --crops, -o) never replace an input, a device, a pipe or an
existing file without --force, and every problem with one (or with drawing a figure)
is one line, exit 2, found before any work starts."""

import hashlib
import os
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from ocr_cli.output import figures, plots
from ocr_cli.cli import app
from ocr_cli.errors import InputError

runner = CliRunner()
QUICK = ["--hidden", "16", "--epochs", "1", "--batch-size", "32"]


def run(*args):
    return runner.invoke(app, [str(a) for a in args], env={"OCR_DATA": None})


def fails_with(result, line):
    """Exit 2 and exactly ``ocr: error: LINE`` on stderr, no traceback, no training."""
    assert result.exit_code == 2, result.output
    assert result.stderr.strip().splitlines() == [f"ocr: error: {line}"], result.stderr
    assert "Traceback" not in result.output and "epoch" not in result.stderr


def digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture
def scan(tmp_path):
    """A small photo of five dark blocks on paper (find-letters finds them)."""
    image = np.full((80, 200), 235, np.uint8)
    for k in range(5):
        image[20:60, 15 + 36 * k:40 + 36 * k] = 20
    path = tmp_path / "scan.png"
    Image.fromarray(image).save(path)
    return path


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "pipe.png"
    os.mkfifo(path)
    return path


# ------------------------------------------------------------ never onto an input


@pytest.mark.parametrize("option", ["--plot", "--crops"])
def test_find_letters_figures_never_replace_the_photo(scan, tiny_model, option):
    before = digest(scan)
    for force in ([], ["--force"]):
        fails_with(run("find-letters", scan, option, scan, "--model", tiny_model, *force),
                   f"{scan}: is one of the inputs; refusing to overwrite it")
    assert digest(scan) == before


def test_read_plot_never_replaces_the_photo_or_the_model(scan, tiny_model):
    before = digest(scan)
    fails_with(run("read", scan, "--model", tiny_model, "--plot", scan, "--force"),
               f"{scan}: is one of the inputs; refusing to overwrite it")
    assert digest(scan) == before
    model_png = tiny_model.parent / "model.png"  # the same file under another name
    os.link(tiny_model, model_png)
    try:
        fails_with(run("read", scan, "--model", tiny_model, "--plot", model_png, "--force"),
                   f"{model_png}: is one of the inputs; refusing to overwrite it")
    finally:
        model_png.unlink()


def test_confusion_plot_never_replaces_the_model_or_the_test_file(tiny_model, nist_dir):
    test = nist_dir / "nist36_test.mat"
    before = digest(test), digest(tiny_model)
    for target in (tiny_model, test):
        fails_with(run("confusion", "--model", tiny_model, "--test", test, "--plot", target, "--force"),
                   f"{target}: is one of the inputs; refusing to overwrite it")
    assert (digest(test), digest(tiny_model)) == before


def test_train_and_autoencode_never_write_the_model_over_their_data(nist_dir):
    data = nist_dir / "nist36_train.mat"
    before = digest(data)
    fails_with(run("train", "--train", data, "--valid", nist_dir / "nist36_valid.mat", *QUICK, "--out", data, "--force"),
               f"{data}: is one of the inputs; refusing to overwrite it")
    fails_with(run("autoencode", "--data", nist_dir, "--epochs", "1", "--out", data, "--force"),
               f"{data}: is one of the inputs; refusing to overwrite it")
    assert digest(data) == before


# ------------------------------------------------------------ never onto a device or a pipe


@pytest.mark.parametrize("command", [["train", *QUICK], ["autoencode", "--epochs", "1"]])
def test_models_are_never_written_over_a_pipe_or_a_device(command, nist_dir, fifo):
    fails_with(run(*command, "--data", nist_dir, "--out", fifo, "--force"),
               f"{fifo}: is a named pipe (FIFO), not a regular file; refusing to replace it")
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    fails_with(run(*command, "--data", nist_dir, "--out", "/dev/null", "--force"),
               "/dev/null: is a device, not a regular file; refusing to replace it")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_figures_are_never_written_over_a_pipe_or_a_device(scan, fifo, tiny_model, nist_dir):
    fails_with(run("find-letters", scan, "--crops", fifo, "--force", "--model", tiny_model),
               f"{fifo}: is a named pipe (FIFO), not a regular file; refusing to replace it")
    fails_with(run("confusion", "--model", tiny_model, "--data", nist_dir, "--plot", fifo, "--force"),
               f"{fifo}: is a named pipe (FIFO), not a regular file; refusing to replace it")
    fails_with(run("find-letters", scan, "--plot", "/dev/null"), "/dev/null: is a device, not a folder")
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_read_results_are_never_written_over_a_pipe(scan, tiny_model, tmp_path):
    folder = tmp_path / "results"
    folder.mkdir()
    os.mkfifo(folder / "scan.txt")
    fails_with(run("read", scan, "--model", tiny_model, "-o", folder, "--force"),
               f"{folder / 'scan.txt'}: is a named pipe (FIFO), not a regular file; refusing to replace it")


# ------------------------------------------------------------ existing files need --force


def test_find_letters_replaces_an_existing_figure_only_with_force(scan, tmp_path):
    boxes = tmp_path / "boxes.png"
    boxes.write_bytes(b"keep me")
    fails_with(run("find-letters", scan, "--plot", boxes), f"{boxes}: already exists; pass --force to overwrite it")
    assert boxes.read_bytes() == b"keep me"
    result = run("find-letters", scan, "--plot", boxes, "--force")
    assert result.exit_code == 0, result.output
    assert boxes.read_bytes().startswith(b"\x89PNG")


def test_read_and_find_letters_check_every_figure_in_a_folder(scan, tiny_model, tmp_path):
    figures = tmp_path / "figures"
    figures.mkdir()
    (figures / "scan_read.png").write_bytes(b"keep me")
    fails_with(run("read", scan, "--model", tiny_model, "--plot", figures),
               f"{figures / 'scan_read.png'}: already exists; pass --force to overwrite it")
    assert (figures / "scan_read.png").read_bytes() == b"keep me"


def test_confusion_replaces_only_with_force_and_names_the_file_it_wrote(tiny_model, nist_dir, tmp_path):
    figure = tmp_path / "matrix"  # no extension: written as matrix.png, and said so
    result = run("confusion", "--model", tiny_model, "--data", nist_dir, "--plot", figure)
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [f"wrote {figure}.png"] and not figure.exists()
    fails_with(run("confusion", "--model", tiny_model, "--data", nist_dir, "--plot", figure),
               f"{figure}.png: already exists; pass --force to overwrite it")
    again = run("confusion", "--model", tiny_model, "--data", nist_dir, "--plot", figure, "--force")
    assert again.exit_code == 0 and again.stderr.splitlines() == [f"wrote {figure}.png"]
    fails_with(run("confusion", "--model", tiny_model, "--data", nist_dir, "--plot", tmp_path),
               f"{tmp_path}: is a directory; give a file name for the figure")


def test_training_figures_are_checked_before_training(nist_dir, tmp_path):
    figures, out = tmp_path / "figures", tmp_path / "m.npz"
    figures.mkdir()
    (figures / "loss.png").write_bytes(b"keep me")
    fails_with(run("train", "--data", nist_dir, *QUICK, "--out", out, "--plot", figures),
               f"{figures / 'loss.png'}: already exists; pass --force to overwrite it")
    (figures / "ae_loss.png").write_bytes(b"keep me")
    fails_with(run("autoencode", "--data", nist_dir, "--epochs", "1", "--out", out, "--plot", figures),
               f"{figures / 'ae_loss.png'}: already exists; pass --force to overwrite it")
    assert not out.exists() and (figures / "loss.png").read_bytes() == b"keep me"


# ------------------------------------------------------------ bad places for a figure


def test_a_figure_in_a_missing_folder_or_under_a_file(scan, tiny_model, nist_dir, tmp_path):
    missing = tmp_path / "no" / "boxes.png"
    fails_with(run("find-letters", scan, "--plot", missing), f"{missing}: folder '{missing.parent}' does not exist")
    fails_with(run("confusion", "--model", tiny_model, "--data", nist_dir, "--plot", missing),
               f"{missing}: folder '{missing.parent}' does not exist")
    under_a_file = scan / "boxes.png"
    fails_with(run("read", scan, "--model", tiny_model, "--plot", under_a_file),
               f"{under_a_file}: '{scan}' is not a folder")
    fails_with(run("train", "--data", nist_dir, *QUICK, "--out", tmp_path / "m.npz", "--plot", scan),
               f"{scan}: not a folder")
    fails_with(run("autoencode", "--data", nist_dir, "--epochs", "1", "--plot", scan), f"{scan}: not a folder")
    assert not missing.parent.exists() and not (tmp_path / "m.npz").exists()


def test_a_figure_needs_an_extension_matplotlib_writes(scan, tiny_model, nist_dir, tmp_path):
    text = tmp_path / "c.txt"
    problem = ("cannot write a figure as '.txt'; "
               "name a png, pdf, svg, svgz, jpg, jpeg, tif, tiff, webp, eps, ps file")
    fails_with(run("confusion", "--model", tiny_model, "--data", nist_dir, "--plot", text), f"{text}: {problem}")
    fails_with(run("find-letters", scan, "--crops", text, "--model", tiny_model), f"{text}: {problem}")
    assert not text.exists()
    result = run("find-letters", scan, "--plot", tmp_path / "boxes.svg")
    assert result.exit_code == 0 and (tmp_path / "boxes.svg").read_text().lstrip().startswith("<?xml")


def test_figures_in_a_read_only_folder(scan, tiny_model, nist_dir, read_only_folder, tmp_path):
    figure = read_only_folder / "boxes.png"
    fails_with(run("find-letters", scan, "--plot", figure),
               f"{figure}: folder '{read_only_folder}' is not writable (Permission denied)")
    fails_with(run("confusion", "--model", tiny_model, "--data", nist_dir, "--plot", figure),
               f"{figure}: folder '{read_only_folder}' is not writable (Permission denied)")
    result = run("train", "--data", nist_dir, *QUICK, "--out", tmp_path / "m.npz", "--plot", read_only_folder / "figs")
    assert result.exit_code == 2 and result.stderr.startswith(f"ocr: error: {read_only_folder / 'figs'}: cannot create")
    assert len(result.stderr.strip().splitlines()) == 1 and "epoch" not in result.stderr
    assert not (tmp_path / "m.npz").exists()


def test_one_figure_file_is_for_one_image_and_one_folder_name_for_one_image(scan, tmp_path):
    fails_with(run("find-letters", scan, scan, "--plot", tmp_path / "boxes.png"),
               f"{tmp_path / 'boxes.png'}: names one figure but 2 images are read; give a folder")
    other = tmp_path / "other" / "scan.png"
    other.parent.mkdir()
    other.write_bytes(scan.read_bytes())
    fails_with(run("find-letters", scan, other, "--plot", tmp_path / "figs"),
               f"{tmp_path / 'figs' / 'scan_boxes.png'}: would hold the figures of both '{scan}' and '{other}'")


# ------------------------------------------------------------ matplotlib cannot draw


def ocr(*args, env):
    return subprocess.run([sys.executable, "-m", "ocr_cli", *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, "OCR_DATA": "", **env}, timeout=120)


def test_a_bad_matplotlib_backend_is_one_line_before_any_work(scan, nist_dir, tiny_model, tmp_path):
    env = {"MPLBACKEND": "NoSuchBackend"}
    problem = "cannot draw figures: matplotlib rejects MPLBACKEND='NoSuchBackend' (unset it or set it to Agg)"
    for args, path in ((["train", "--data", nist_dir, *QUICK, "--out", tmp_path / "m.npz", "--plot", tmp_path / "f"],
                        tmp_path / "f"),
                       (["confusion", "--model", tiny_model, "--data", nist_dir, "--plot", tmp_path / "c.png"],
                        tmp_path / "c.png")):
        process = ocr(*args, env=env)
        assert process.returncode == 2, process.stderr
        assert process.stderr.splitlines() == [f"ocr: error: {path}: {problem}"]
    assert sorted(os.listdir(tmp_path)) == ["scan.png"]


def test_saving_a_figure_fails_as_one_input_error_and_leaves_no_file(tmp_path):
    plt = plots.pyplot()
    fig, _ = plt.subplots()
    with pytest.raises(InputError) as missing:
        plots.save(fig, tmp_path / "no" / "x.png")
    assert str(missing.value) == f"{tmp_path / 'no' / 'x.png'}: folder '{tmp_path / 'no'}' does not exist"
    other, _ = plt.subplots()
    with pytest.raises(InputError) as unknown:
        plots.save(other, tmp_path / "x.unknown")
    assert "cannot write the figure (ValueError: Format 'unknown' is not supported" in str(unknown.value)
    assert os.listdir(tmp_path) == [] and not {fig.number, other.number} & set(plt.get_fignums())  # closed


def test_every_figure_extension_accepted_is_one_matplotlib_writes():
    from matplotlib.backend_bases import FigureCanvasBase

    supported = FigureCanvasBase.get_supported_filetypes()
    assert all(suffix[1:] in supported for suffix in figures.FIGURE_SUFFIXES)


# ------------------------------------------------------------ never through a link, never torn, never another output

def test_an_output_that_is_a_symbolic_link_is_refused_even_with_force_and_its_target_untouched(tmp_path, scan):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "scan.txt").symlink_to("../victim.txt")
    fails_with(run("read", scan, "-o", out, "--force"),
               f"{out / 'scan.txt'}: is a symbolic link (to '../victim.txt'); refusing to write through it")
    assert victim.read_text() == "keep me\n" and (out / "scan.txt").is_symlink()
    figure = tmp_path / "fig.png"
    figure.symlink_to(victim)
    fails_with(run("find-letters", scan, "--plot", figure, "--force"),
               f"{figure}: is a symbolic link (to '{victim}'); refusing to write through it")
    assert victim.read_text() == "keep me\n"


def test_a_broken_link_among_the_outputs_creates_nothing_outside_the_folder(tmp_path, scan):
    out = tmp_path / "out"
    out.mkdir()
    (out / "scan.txt").symlink_to(tmp_path / "elsewhere" / "planted.txt")
    (tmp_path / "elsewhere").mkdir()
    fails_with(run("read", scan, "-o", out),
               f"{out / 'scan.txt'}: is a symbolic link (to '{tmp_path / 'elsewhere' / 'planted.txt'}'); "
               "refusing to write through it")
    assert os.listdir(tmp_path / "elsewhere") == []


def test_two_outputs_of_one_command_may_not_be_one_file(tmp_path, scan, nist_dir):
    same = tmp_path / "same.png"
    fails_with(run("find-letters", scan, "--plot", same, "--crops", same),
               f"{same}: is also another output of this command; give each output its own name")
    figs = tmp_path / "figs"
    figs.mkdir()
    fails_with(run("train", "--data", nist_dir, *QUICK, "--out", figs / "loss.png", "--plot", figs),
               f"{figs / 'loss.png'}: is also another output of this command; give each output its own name")
    fails_with(run("autoencode", "--data", nist_dir, "--epochs", "1", "--out", figs / "ae_loss.png", "--plot", figs),
               f"{figs / 'ae_loss.png'}: is also another output of this command; give each output its own name")
    fails_with(run("train", "--data", nist_dir, *QUICK, "--out", tmp_path / "q", "--plot", tmp_path / "q"),
               f"{tmp_path / 'q'}: is also another output of this command; give each output its own name")
    assert sorted(os.listdir(tmp_path)) == ["figs", "scan.png"] and os.listdir(figs) == []


def test_a_file_another_run_wrote_meanwhile_is_never_replaced_and_no_temporary_file_stays(tmp_path):
    from ocr_cli import files
    from ocr_cli.errors import OcrError

    new, old = tmp_path / "new.txt", tmp_path / "old.txt"
    old.write_text("the old one\n")
    files.check_file(new)
    files.check_file(old, force=True)
    new.write_text("the other run's\n")  # another run, between the checks and the writes
    old.unlink()
    old.write_text("another file now\n")
    for path, theirs in ((new, "the other run's\n"), (old, "another file now\n")):
        with pytest.raises(OcrError, match="changed while this command ran"):
            files.write_whole(path, lambda f: f.write(b"mine\n"))
        assert path.read_text() == theirs
    assert sorted(os.listdir(tmp_path)) == ["new.txt", "old.txt"]


@pytest.mark.parametrize("failure", [KeyboardInterrupt, OSError(28, "No space left on device")])
def test_a_write_cut_short_leaves_the_destination_as_it_was(tmp_path, failure):
    from ocr_cli import files
    from ocr_cli.errors import OcrError

    path = tmp_path / "result.json"
    path.write_text("whole\n")
    files.check_file(path, force=True)

    def half(f):
        f.write(b"{\"half\": ")
        raise failure

    with pytest.raises(OcrError if isinstance(failure, OSError) else KeyboardInterrupt) as caught:
        files.write_whole(path, half, "result")
    if isinstance(failure, OSError):
        assert str(caught.value) == f"{path}: cannot write the result (no space left on device)"
    assert path.read_text() == "whole\n" and os.listdir(tmp_path) == ["result.json"]
    files.write_whole(path, lambda f: f.write(b"new\n"), "result")  # --force: the file checked is replaced
    assert path.read_text() == "new\n" and oct(path.stat().st_mode & 0o777) == oct(0o666 & ~current_umask())


def current_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_read_on_a_full_disk_says_so_exits_1_and_leaves_no_torn_result(tmp_path, scan, monkeypatch):
    def full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    out = tmp_path / "out"
    result = run("read", scan, "-o", out, "--format", "json")
    assert result.exit_code == 1, result.output
    assert result.stderr.strip().splitlines()[-1] == \
        f"ocr: error: {out / 'scan.json'}: cannot write the result (no space left on device)"
    assert not out.exists()  # no torn result in it, and the folder it made for them, empty, taken away


def test_save_model_never_replaces_a_model_another_run_wrote_after_the_check(tmp_path, tiny_model):
    from ocr_cli import files
    from ocr_cli.errors import OcrError
    from ocr_cli.net.model import load_model, save_model

    path = tmp_path / "m.npz"
    path.write_bytes(tiny_model.read_bytes())
    with files.one_run():  # as ocr train does: a check before training, save_model's own after
        files.check_file(path, force=True)
        path.unlink()
        path.write_bytes(b"the other run's model")  # another run, meanwhile
        with pytest.raises(OcrError, match="changed while this command ran"):
            save_model(path, load_model(tiny_model), force=True)
    assert path.read_bytes() == b"the other run's model" and os.listdir(tmp_path) == ["m.npz"]


def test_a_folder_gone_before_the_write_is_named_not_its_temporary_file(tmp_path):
    import shutil

    from ocr_cli import files
    from ocr_cli.errors import OcrError

    path = tmp_path / "gone" / "x.txt"
    path.parent.mkdir()
    files.check_file(path)
    shutil.rmtree(path.parent)
    with pytest.raises(OcrError) as caught:
        files.write_whole(path, lambda f: f.write(b"x"), "result")
    assert str(caught.value) == f"{path}: cannot write the result (no such file or directory)"


def test_a_command_that_fails_takes_away_the_empty_folders_it_made_for_its_outputs(tmp_path, scan):
    result = run("read", tmp_path / "missing.jpg", "-o", tmp_path / "new" / "results")
    assert result.exit_code == 2 and not (tmp_path / "new").exists()
    kept = tmp_path / "kept"
    kept.mkdir()
    assert run("read", tmp_path / "missing.jpg", "-o", kept).exit_code == 2 and kept.is_dir()  # not made by it
    assert run("read", scan, "-o", tmp_path / "made").exit_code == 0
    assert os.listdir(tmp_path / "made") == ["scan.txt"]
