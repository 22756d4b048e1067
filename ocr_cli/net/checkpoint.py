"""Checkpoints: a training run written after every epoch, so that a stop loses nothing.

A checkpoint is an ``.npz`` holding what a model file holds (the weights ``W{i}``,
``b{i}``, batch normalisation's ``mean{i}``, ``var{i}``, and the ``metadata`` JSON that
describes the network) and the rest of the run:
the optimiser's state (``opt{k}``), the first layer's weights at the start
(``initial``), the best epoch's weights with early stopping (``best{k}``) and, as the
JSON string ``checkpoint``, the run's configuration and data checksums, its progress
(epochs done and their history) and the states of its random generators. The same
``ocr train`` command with ``--resume PATH`` goes on from it, and ends with the same
weights as a run that was never stopped. Never pickled.
"""

import json
import re
from dataclasses import dataclass, field

import numpy as np

from ocr_cli.errors import InputError
from ocr_cli.net.layers import PARAM_NAMES, Dropout
from ocr_cli.net.model import Model, build_model, new_metadata, read_npz, write_npz

MAX_STATE_CHARS = 10_000_000  # the run's JSON: a history of thousands of epochs fits many times over


@dataclass
class Progress:
    """Where a run stands after its last whole epoch, all that a checkpoint holds
    besides the weights, the optimiser's state and the random generators: the epochs
    done, their ``history``, the ``best`` ``(value, epoch, weights)`` seen with
    ``patience``, the first batch's loss per row (for :func:`collapse`) and whether
    early stopping ended the run."""

    epoch: int = 0
    history: list = field(default_factory=list)
    best: object = None
    first_loss: object = None
    stopped: bool = False


def save_checkpoint(path, net, optimizer, rng, progress, run, initial):
    """Writes the run so far to ``path`` (atomically): ``net``, ``optimizer`` and the
    training generator ``rng`` as they are after the epoch ``progress``
    (:class:`Progress`) records; ``run``: the configuration and data
    (JSON-able), which :meth:`Checkpoint.check` compares on resuming; ``initial``: the
    first layer's weights before training."""
    arrays = Model(net, new_metadata(net)).arrays()
    numbers, state = optimizer.state()
    arrays.update({f"opt{k}": a for k, a in enumerate(state)})
    arrays.update({f"best{k}": a for k, a in enumerate(progress.best[2] if progress.best else [])})
    arrays["initial"] = initial
    arrays["checkpoint"] = np.array(json.dumps({
        "run": run, "optimizer": numbers, "epoch": progress.epoch, "history": progress.history,
        "first_loss": progress.first_loss, "stopped": progress.stopped,
        "best": list(progress.best[:2]) if progress.best else None,
        # Generators' states hold 128-bit integers: as strings, which any JSON reader keeps exact.
        "rng": json.dumps(rng.bit_generator.state),
        "dropout": [json.dumps(layer.rng.bit_generator.state) for layer in net.layers if isinstance(layer, Dropout)],
    }))
    write_npz(path, arrays, "checkpoint")


@dataclass
class Checkpoint:
    """A checkpoint read back: the ``model`` (network and metadata), the run's
    ``state`` (the JSON of :func:`save_checkpoint`) and its named ``arrays``."""

    path: object
    model: Model
    state: dict
    arrays: dict

    def check(self, run):
        """Refuses to go on with another run than the one saved: ``run`` (the
        configuration and data of this command) must be the checkpoint's."""
        saved = self.state.get("run")
        if saved != json.loads(json.dumps(run)):
            differs = sorted(k for k in set(saved or {}) | set(run) if (saved or {}).get(k) != run.get(k))
            detail = ", ".join(differs) if differs else "its record"
            raise InputError(self.path, f"was saved by another training run (its {detail} differ); resume it "
                                        "with the command that made it")

    def restore(self, net, optimizer, rng, progress):
        """Puts the run back: weights into ``net``, the optimiser's state, the
        generators' states (training and dropout) and ``progress``."""
        net.set_params(self.model.net.params)
        count = sum(1 for name in self.arrays if name.startswith("opt"))
        optimizer.restore(self.state["optimizer"], [self.arrays[f"opt{k}"] for k in range(count)])
        rng.bit_generator.state = json.loads(self.state["rng"])
        dropouts = [layer for layer in net.layers if isinstance(layer, Dropout)]
        for layer, state in zip(dropouts, self.state["dropout"]):
            layer.rng.bit_generator.state = json.loads(state)
        best = self.state["best"]
        weights = [self.arrays[f"best{k}"] for k in range(len(net.params))] if best else None
        vars(progress).update(vars(Progress(self.state["epoch"], self.state["history"],
                                            (best[0], best[1], weights) if best else None,
                                            self.state["first_loss"], self.state["stopped"])))


def load_checkpoint(path):
    """Reads a checkpoint (see :func:`save_checkpoint`), checked as a model file is,
    never unpickled."""
    arrays = read_npz(path)
    if "checkpoint" not in arrays:
        raise InputError(path, "is not a checkpoint of ocr train (no 'checkpoint' record)")
    text = str(arrays["checkpoint"])
    if len(text) > MAX_STATE_CHARS:
        raise InputError(path, f"its 'checkpoint' record is {len(text)} characters long; at most {MAX_STATE_CHARS}")
    try:
        state = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise InputError(path, f"its 'checkpoint' record is not valid JSON ({exc})") from None
    weight = re.compile(rf"({'|'.join(PARAM_NAMES)})\d+")
    model_names = {name for name in arrays if name == "metadata" or weight.fullmatch(name)}
    model = build_model({name: arrays[name] for name in model_names}, path)
    rest = {name: arrays[name] for name in arrays if name not in model_names and name != "checkpoint"}
    expected = {"optimizer", "epoch", "history", "first_loss", "stopped", "best", "rng", "dropout", "run"}
    if not isinstance(state, dict) or not expected <= set(state) or "initial" not in rest:
        raise InputError(path, "is not a checkpoint of ocr train (its record is incomplete)")
    return Checkpoint(path, model, state, rest)
