"""The project's own exceptions: each carries the exit code the CLI returns for it."""

from pathlib import Path


class OcrError(Exception):
    """A failure while processing (exit code 1)."""

    exit_code = 1


class InputError(OcrError):
    """Bad usage or unreadable/invalid input (exit code 2).

    The message names the file and the problem, e.g. ``"data.mat: no '*_labels' key"``.
    """

    exit_code = 2

    def __init__(self, path, problem: str):
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}")

    def __reduce__(self):  # travels back from worker processes
        return type(self), (self.path, self.problem)


def existing_file(path, kind):
    """``path`` as a :class:`~pathlib.Path` if it is a file, else an :class:`InputError`
    saying it is missing or a directory (not ``kind``, e.g. ``"an image"``)."""
    path = Path(path)
    if path.is_dir():
        raise InputError(path, f"is a directory, not {kind}")
    if not path.is_file():
        raise InputError(path, "no such file")
    return path
