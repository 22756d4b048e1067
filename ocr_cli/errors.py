"""The project's own exceptions: each carries the exit code the CLI returns for it."""


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
