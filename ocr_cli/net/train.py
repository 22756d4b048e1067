"""Training: the one epoch loop (shared by the classifier and the autoencoder), the
classifier's configuration and run record.

The loop runs in float32, gathers the epoch's rows once into contiguous arrays (each
mini-batch is then a view), and runs on a fixed number of threads (one by default),
recorded in the model: the layers and Adam cut each batch's work into one part per
thread (:mod:`ocr_cli.net.workers`, BLAS on one thread inside each part), and how
they cut it decides the order in which some sums add up, so the same command and seed
give the same weights on the same threads, whatever the machine's load, and one
thread gives the weights it gave before there were parts. The workers wait
on locks where OpenBLAS's own threads spun: beside another busy process those made
training 20 to 30 times slower (measured: 6,400 rows of the conv model in 7.7 s with
one BLAS thread, 166 s with two, beside a second training on 2 cores); BLAS now
always runs on one thread. ``threads`` 0 asks for the cores other processes left
idle, measured every epoch (:class:`ocr_cli.cores.IdleCores`): fast whatever the
load, but its weights depend on that load.
"""

import math
import time
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from ocr_cli import layout
from ocr_cli.errors import InputError, OcrError
from ocr_cli.net.checkpoint import Progress
from ocr_cli.net.data import provenance
from ocr_cli.net.layers import BatchNorm, Contrast
from ocr_cli.net.metrics import evaluate
from ocr_cli.net.model import Model, load_model, new_metadata
from ocr_cli.net.network import Network, batch_rows, plan, plan_layers
from ocr_cli.net.nn import smooth_labels, softmax_cross_entropy
from ocr_cli.net.optim import OPTIMIZERS, check_hyperparameters, make_optimizer, step_decay


@dataclass
class TrainConfig:
    """Everything that decides a training run; stored in the model's metadata.

    The defaults are the course network: one hidden layer of 64 sigmoid units,
    plain mini-batch SGD on the summed cross-entropy.
    """

    hidden: list = field(default_factory=lambda: [64])
    activation: str = "sigmoid"
    conv: list = field(default_factory=list)  # filters of each convolution + pooling block
    kernel: int = 5
    layers: list = field(default_factory=list)  # the hidden layers one by one (replaces hidden, conv, kernel, dropout)
    epochs: int = 50
    batch_size: int = 32
    lr: float = 3e-3
    optimizer: str = "sgd"
    momentum: float = 0.0
    seed: int = 0
    augment: bool = False
    balance: bool = False  # each epoch, at most the median class count of rows per class
    lr_step: int = 0  # every lr_step epochs the learning rate is multiplied by lr_factor (0: never)
    lr_factor: float = 0.5
    dropout: float = 0.0
    weight_decay: float = 0.0  # decoupled: every step W -= lr * weight_decay * W
    label_smoothing: float = 0.0
    patience: int = 0  # stop after this many epochs without a better valid accuracy, keep the best (0: never)
    init: str = ""  # a model file whose network (layers and weights) training starts from
    threads: int = 1  # threads, fixed: the weights depend on them; 0: the idle cores, every epoch (not reproducible)
    average_shifts: int = 0  # the saved model averages over copies moved this many px (0: off)
    contrast: bool = False  # the network stretches each image's contrast first (layers.Contrast)
    batch_norm: bool = False  # batch normalisation after every hidden layer (layers.BatchNorm)
    hold_out_writers: bool = False  # rows of held-out writers (net.selection) left out of training
    drop: str = ""  # a list of rows left out of training (net.selection), e.g. mislabelled ones
    pens: float = 0.0  # share of the image rows redrawn each epoch with another pen (pens.redraw_images)
    forms: bool = False  # letter forms NIST lacks: slashed zeros, barred Js (augment.FORMS), alone without augment
    neighbours: float = 0.0  # share of the rows given a piece of a neighbouring character (augment.neighbour_pieces)


def check_config(config, n_classes=36):
    """Refuses (an :class:`~ocr_cli.errors.InputError` naming the parameter) a config
    that cannot train, before any data is read: unusable optimiser settings
    (:func:`ocr_cli.net.optim.check_hyperparameters`), a negative seed, convolution blocks that leave no
    image, layers too large to hold."""
    from ocr_cli.net.network import check_size

    check_hyperparameters(config.lr, config.momentum, config.weight_decay, config.lr_factor)
    check_seed(config.seed)
    specs, option = layer_specs(config, n_classes), layer_option(config)
    check_size(specs, option)
    if not config.init:  # (a model to start from is checked once it is loaded)
        batch_rows(specs, np.dtype(np.float32).itemsize, config.batch_size, training=True, where=option)


def layer_option(config):
    """The parameter that gave ``config``'s layers, for errors about them."""
    return "layers" if config.layers else "hidden/conv" if config.conv else "hidden"


def check_seed(seed):
    """Refuses a ``seed`` numpy's generators do not take (a negative or fractional number)."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError("seed", f"must be a whole number of at least 0, got {seed!r}")


def layer_specs(config, n_classes):
    """The layers ``config`` asks for, for ``n_classes`` outputs: given one by one
    (``layers``, after a contrast layer with ``contrast``; batch normalisation is then
    a layer of the list, ``batchnorm``, where it is wanted) or by the course's options
    (``hidden``, ``conv``, ...)."""
    if config.layers:
        if config.batch_norm:
            raise InputError("batch_norm", "normalises the layers of hidden and conv; with layers given one by "
                                           "one, add 'batchnorm' layers where they are wanted")
        return plan_layers(["contrast"] * config.contrast + list(config.layers), n_classes, config.activation)
    return plan(n_classes, config.hidden, config.activation, config.conv, config.kernel, config.dropout,
                contrast=config.contrast, batch_norm=config.batch_norm)


@dataclass
class Run:
    """One training run: the model (with metadata), its per-epoch history, the epoch
    whose weights the model holds (the last, or the best on valid with early stopping)
    and the first-layer weights at initialisation (for the weights figure)."""

    config: TrainConfig
    model: Model
    history: list
    kept_epoch: int
    initial_weights: np.ndarray

    @property
    def final(self):
        """The history record of the epoch whose weights were kept."""
        return self.history[self.kept_epoch - 1]


def balanced_order(labels, rng, cap=None):
    """Row indices for one epoch in random order, at most ``cap`` rows of each class
    (default: the median class count), drawn anew each epoch so that every row is
    seen over the epochs; ``labels: (N,)`` class indices."""
    members = [np.flatnonzero(labels == c) for c in np.unique(labels)]
    cap = cap or int(np.median([len(m) for m in members]))
    chosen = np.concatenate([rng.permutation(m)[:cap] for m in members])
    return chosen[rng.permutation(len(chosen))]


def descend(net, optimizer, inputs, targets, loss):
    """One gradient step on a batch: forward, ``loss(outputs, targets) -> (value,
    doutputs)``, backward, update. Returns the loss value and the outputs."""
    outputs = net.forward(inputs, training=True)
    value, doutputs = loss(outputs, targets)
    net.backward(doutputs)
    optimizer.step(net.params, net.grads)
    return value, outputs


@dataclass
class Loop:
    """How :func:`run_epochs` trains: ``epochs`` passes of ``batch_size`` rows, the
    learning rate times ``lr_factor`` every ``lr_step`` epochs, and optional parts:
    ``order(rng) -> row indices`` for an epoch (default: every row, shuffled),
    ``draw(inputs, order, epoch)``, which may redraw the epoch's rows in place (pen
    strokes, :mod:`ocr_cli.net.pens`), ``vary(inputs, targets, rng) -> inputs``
    (augmentation), ``correct(outputs, targets) -> int`` (train accuracy), ``validate() -> dict`` (figures recorded
    after each epoch) and, with ``patience``, early stopping on ``validate()[monitor]``
    (higher is better), keeping the best epoch's weights. ``threads``: the threads
    the work is shared out to (:mod:`ocr_cli.net.workers`; 0: as many as
    :class:`ocr_cli.cores.IdleCores` finds, every epoch, whose weights then depend on
    the machine's load). ``guess_loss``: the loss per
    row of guessing (uniform class probabilities: log of the class count); a batch
    :data:`BLOWUP` times worse means training diverged, and so does an epoch worse than
    guessing after a first batch better than half of it (0: only a loss or weights
    that are not finite do). A diverged run raises :class:`Diverged`."""

    epochs: int
    batch_size: int
    lr_step: int = 0
    lr_factor: float = 0.5
    order: object = None
    draw: object = None
    vary: object = None
    correct: object = None
    validate: object = None
    patience: int = 0
    monitor: str = "valid_acc"
    threads: int = 1
    guess_loss: float = 0.0


BLOWUP = 10  # a batch loss per row this many times that of guessing: training diverged


class Diverged(OcrError):
    """Training diverged (the loss or the weights stopped being finite numbers, or the
    loss exploded); nothing is saved. Exit code 1."""

    def __init__(self, lr, epoch, batch, batches, reason):
        self.lr, self.epoch, self.reason = lr, epoch, reason
        where = f"epoch {epoch}, batch {batch} of {batches}" if batch else f"epoch {epoch}"
        super().__init__(f"lr {lr:g}: training diverged in {where}: {reason}; nothing was saved "
                         f"(a smaller learning rate may help)")


def divergence(value, rows, guess_loss):
    """Why a batch's summed loss ``value`` over ``rows`` rows means training diverged,
    or None."""
    if math.isnan(value):
        return "the loss became NaN"
    if math.isinf(value):
        return "the loss became infinite"
    if guess_loss and value > BLOWUP * guess_loss * rows:
        return (f"the loss exploded to {value / rows:.3g} per row, over {BLOWUP} times that of guessing "
                f"({guess_loss:.3g})")
    return None


def collapse(net, first_loss, epoch_loss, guess_loss):
    """Why the end of an epoch means training diverged, or None: weights that are no
    longer finite, or a network that started well (the first batch's loss per row
    under half that of guessing) and now does worse than guessing over the epoch."""
    if not all(np.isfinite(p).all() for p in net.params):
        return "the weights are no longer finite numbers"
    if guess_loss and first_loss is not None and first_loss < guess_loss / 2 and epoch_loss > guess_loss:
        return (f"the loss per row rose from {first_loss:.3g} (first batch) to {epoch_loss:.3g} over the epoch, "
                f"worse than guessing ({guess_loss:.3g})")
    return None


def run_epochs(net, optimizer, X, T, loss, loop, rng, on_epoch=None, progress=None):
    """The training loop: trains ``net`` in place on inputs ``X: (N, D)`` and targets
    ``T: (N, K)`` with ``loss(outputs, targets) -> (summed value, doutputs)``, as
    :class:`Loop` says. Returns the history (per epoch: ``epoch``, ``lr``,
    ``train_loss`` per row, ``train_acc`` with ``loop.correct``, the figures of
    ``loop.validate``, ``seconds`` so far) and the number of the epoch whose weights
    ``net`` holds. ``progress`` (:class:`Progress`, updated after every epoch, before
    ``on_epoch(record)`` is called) goes on from a checkpoint: with ``net``,
    ``optimizer`` and ``rng`` restored too, the run ends as if never stopped."""
    from threadpoolctl import threadpool_limits

    from ocr_cli.cores import IdleCores
    from ocr_cli.net.workers import working

    progress = progress if progress is not None else Progress()
    # Rows contiguous (a .mat file holds its arrays column-major: gathering rows from
    # one is three times slower).
    X, T = np.ascontiguousarray(X, dtype=net.dtype), np.ascontiguousarray(T, dtype=net.dtype)
    first_lr = progress.history[0]["lr"] if progress.history else optimizer.lr
    before = progress.history[-1]["seconds"] if progress.history else 0.0
    start = time.perf_counter()
    idle_cores = IdleCores() if not loop.threads else None
    for epoch in range(progress.epoch + 1, loop.epochs + 1 if not progress.stopped else 0):
        threads = loop.threads or idle_cores()
        step_decay(optimizer, epoch, loop.lr_step, loop.lr_factor)
        order = loop.order(rng) if loop.order else rng.permutation(len(X))
        inputs, targets = X[order], T[order]  # one gather per epoch; batches are views
        if loop.draw:
            loop.draw(inputs, order, epoch)
        total, correct, first_loss = 0.0, 0, progress.first_loss
        with threadpool_limits(limits=1, user_api="blas"), working(threads):
            for i in range(0, len(order), loop.batch_size):
                batch, batch_targets = inputs[i:i + loop.batch_size], targets[i:i + loop.batch_size]
                if loop.vary:
                    batch = loop.vary(batch, batch_targets, rng)
                value, outputs = descend(net, optimizer, batch, batch_targets, loss)
                reason = divergence(value, len(batch), loop.guess_loss)
                if reason:
                    raise Diverged(first_lr, epoch, i // loop.batch_size + 1, -(-len(order) // loop.batch_size), reason)
                first_loss = value / len(batch) if first_loss is None else first_loss
                total += value
                correct += loop.correct(outputs, batch_targets) if loop.correct else 0
            reason = collapse(net, first_loss, total / len(order), loop.guess_loss)
            if reason:
                raise Diverged(first_lr, epoch, 0, 0, reason)
            record = {"epoch": epoch, "lr": optimizer.lr, "train_loss": total / len(order)}
            if loop.correct:
                record["train_acc"] = correct / len(order)
            record.update(loop.validate() if loop.validate else {})
        record["seconds"] = before + time.perf_counter() - start
        record["threads"] = threads
        progress.history.append(record)
        progress.epoch, progress.first_loss = epoch, first_loss
        if loop.patience:
            if progress.best is None or record[loop.monitor] > progress.best[0]:
                progress.best = (record[loop.monitor], epoch, net.copy_params())
            progress.stopped = epoch - progress.best[1] >= loop.patience
        if on_epoch:
            on_epoch(record)
        if progress.stopped:
            break
    if progress.best is None:
        return progress.history, len(progress.history)
    net.set_params(progress.best[2])
    return progress.history, progress.best[1]


def classification_loss(label_smoothing):
    """Softmax cross-entropy against ``(1 - label_smoothing) * one-hot + ...`` targets."""
    def loss(logits, y):
        value, _, dlogits = softmax_cross_entropy(logits, smooth_labels(y, label_smoothing))
        return value, dlogits
    return loss


def augmentation(config):
    """``vary(inputs, targets, rng)`` for :class:`Loop`: every batch augmented
    (``config.augment``, with more letter forms with ``config.forms``) after a share
    ``config.neighbours`` of its rows got a piece of a neighbour (imported only when
    asked for: it needs scipy.ndimage). Without ``config.augment``, ``config.forms``
    draws the letter forms alone: training on strokes and pens needs the forms NIST
    lacks without the heavy distortion that held a run's fit down (train 92.7%, valid
    92.0%)."""
    from ocr_cli.net.augment import SIDE, augment, letter_variants, neighbour_pieces

    def vary(X, Y, rng):
        if config.neighbours:
            X = neighbour_pieces(X, rng, config.neighbours)
        if config.augment:
            return augment(X, rng, Y.argmax(1), config.forms)
        if config.forms:
            return letter_variants(X.reshape(-1, SIDE, SIDE), Y.argmax(1), rng, forms=True).reshape(len(X), -1)
        return X
    return vary


PEN_STREAM = 1  # pens are drawn from the generator (seed, epoch, PEN_STREAM): a resumed run draws the same
IMAGE_PEN_STREAM = 2  # ... and image rows' pens from (seed, epoch, IMAGE_PEN_STREAM)


def pen_drawing(drawn, seed, share=0.0):
    """``draw(inputs, order, epoch)`` for :class:`Loop`: the epoch's rows that are pen
    strokes (``drawn``: a :class:`~ocr_cli.net.data.Dataset`'s ``(first row, strokes)``
    pairs) are drawn with new pens (:func:`ocr_cli.net.pens.render`), and a ``share``
    of the others (images) redrawn with another pen
    (:func:`ocr_cli.net.pens.redraw_images`), from generators of the seed and the
    epoch alone (not the training generator, whose draws would then depend on how many
    rows are strokes), so that a run resumed from a checkpoint draws what the run never
    stopped would have."""
    from ocr_cli.net.pens import redraw_images, render

    def draw(inputs, order, epoch):
        rng = np.random.default_rng((seed, epoch, PEN_STREAM))
        images = np.ones(len(order), bool)
        for start, strokes in drawn:
            at = np.flatnonzero((order >= start) & (order < start + len(strokes)))
            inputs[at] = render(strokes, order[at] - start, rng)
            images[at] = False
        if share:
            rng = np.random.default_rng((seed, epoch, IMAGE_PEN_STREAM))
            at = np.flatnonzero(images & (rng.random(len(order)) < share))
            inputs[at] = redraw_images(inputs[at], rng)
    return draw


def count_correct(logits, y):
    return int((logits.argmax(1) == y.argmax(1)).sum())


# Training holds its rows twice: as loaded, and each epoch's shuffled copy (run_epochs).
TRAINING_COPIES = 2


def check_holding(train_set, valid_set, itemsize=4):
    """Refuses training rows that, held :data:`TRAINING_COPIES` times beside the
    validation rows, would take more than the memory budget (a 2 MB file of 262,144
    zero rows loads in 1.1 GB, but would train in 2.5 GB; the shipped model's 160,000
    rows take 1.3 GB)."""
    from ocr_cli.memory import budget, budget_words, readable

    need = (TRAINING_COPIES * train_set.X.size + valid_set.X.size) * itemsize
    if need > budget():
        where = train_set.paths[0] if len(train_set.paths) == 1 else "training data"
        raise InputError(where, f"training on {len(train_set.X):,} rows holds them twice (as loaded and each epoch "
                                f"shuffled): with the validation rows {readable(need)}, over {budget_words()}")


def fit(net, train_set, valid_set, config, on_epoch=None, checkpoint=None, resume=None):
    """Trains the classifier ``net`` in place on ``train_set`` for ``config.epochs``
    (fewer with early stopping, which leaves the best epoch's weights in ``net``),
    measuring ``valid_set`` after each epoch. Returns the history (train/valid loss
    averaged over rows, accuracy, seconds so far) and the number of the kept epoch.
    ``checkpoint(net, optimizer, rng, progress)`` is called after every epoch (to save
    the run); ``resume`` (a :class:`ocr_cli.net.checkpoint.Checkpoint`) goes on from one."""
    check_holding(train_set, valid_set, net.dtype.itemsize)
    optimizer = make_optimizer(config.optimizer, config.lr, config.momentum, config.weight_decay)
    rng, progress = np.random.default_rng(config.seed), Progress()
    if resume is not None:
        resume.restore(net, optimizer, rng, progress)
    valid_X = np.ascontiguousarray(valid_set.X, dtype=net.dtype)

    def validate():
        valid = evaluate(net, valid_X, valid_set.Y)
        return {"valid_loss": valid.loss, "valid_acc": valid.accuracy}

    labels = train_set.Y.argmax(1)
    loop = Loop(config.epochs, config.batch_size, config.lr_step, config.lr_factor,
                order=(lambda rng: balanced_order(labels, rng)) if config.balance else None,
                draw=pen_drawing(train_set.drawn, config.seed, config.pens) if train_set.drawn or config.pens else None,
                vary=augmentation(config) if config.augment or config.forms or config.neighbours else None,
                correct=count_correct, validate=validate, patience=config.patience, threads=config.threads,
                guess_loss=math.log(train_set.Y.shape[1]))
    def after_epoch(record):
        if checkpoint is not None:
            checkpoint(net, optimizer, rng, progress)
        if on_epoch:
            on_epoch(record)

    return run_epochs(net, optimizer, train_set.X, train_set.Y, classification_loss(config.label_smoothing),
                      loop, rng, after_epoch, progress)


ARCHITECTURE = ("hidden", "activation", "conv", "kernel", "dropout", "layers")  # the TrainConfig fields a network's layers fix


def start_network(config, classes):
    """The float32 network a run starts from, the run's config and the classes of its
    outputs, for data of ``classes``: a fresh network of ``config``'s layers, or, with
    ``config.init``, that model's network to go on training (fine-tuning), whose
    recorded layer options then replace ``config``'s. The model's classes keep their
    outputs; classes of the data it lacks get new outputs after them.
    ``config.contrast`` puts a :class:`~ocr_cli.net.layers.Contrast` layer in front of
    a model that lacks one (it has no weights to learn); the run's config then says
    whether the network has contrast and batch normalisation layers."""
    if not config.init:
        return Network.from_specs(layer_specs(config, len(classes)), config.seed, np.float32), config, classes
    start = load_model(config.init)
    has_contrast = isinstance(start.net.layers[0], Contrast)
    if config.contrast and not has_contrast:
        start.net.layers.insert(0, Contrast())
    start.net.seed_dropout(config.seed)  # a loaded network's dropout draws from this run's seed
    new = "".join(c for c in classes if c not in start.classes)
    widen_output(start.net, len(new))
    start.net.astype(np.float32)
    recorded = start.metadata.get("training", {}).get("config", {})
    layers = replace(config, **{name: recorded[name] for name in ARCHITECTURE if name in recorded})
    return (start.net, replace(layers, contrast=config.contrast or has_contrast,
                               batch_norm=any(isinstance(layer, BatchNorm) for layer in start.net.layers)),
            start.classes + new)


FINE_TUNING = ("adam", 1e-4)  # for a model that records no usable optimiser: what made the default


def fine_tuning_optimizer(metadata, optimizer=None):
    """The optimiser and learning rate to go on training a model with (``--init``
    without ``--lr``): the optimiser and starting rate its metadata records, else Adam
    at 1e-4. Given ``optimizer``: the recorded rate if the model was trained with
    that optimiser, else the from-scratch default. (The from-scratch default, SGD at
    0.003 on the summed loss, suits the course's 64 sigmoid units, not a relu network
    trained with Adam at 1e-4: on the shipped model it makes the loss explode within
    a few batches.)"""
    recorded = metadata.get("training", {}).get("config", {})
    name, lr = recorded.get("optimizer"), recorded.get("lr")
    try:
        check_hyperparameters(lr)
    except InputError:
        name = None
    if name not in OPTIMIZERS:
        name, lr = FINE_TUNING
    if optimizer is None or optimizer == name:
        return name, lr
    return optimizer, TrainConfig.lr


def widen_output(net, count=1):
    """Gives ``net``'s output layer ``count`` more classes, which start at zero weights
    and bias, so that fine-tuning starts from the same scores for the others."""
    last = net.layers[-1]
    last.W = np.pad(last.W, ((0, 0), (0, count)))
    last.b = np.pad(last.b, (0, count))


def train(train_set, valid_set, config=None, on_epoch=None, command=None, checkpoint=None, resume=None):
    """Trains a network (fresh, or ``config.init``'s) on ``train_set``
    (:class:`ocr_cli.net.data.Dataset`), watching ``valid_set``; returns a :class:`Run`
    whose model carries its metadata. ``command``: the command line that started the
    run, as its user typed it, recorded in the metadata. ``checkpoint``: a file the
    run is written to after every epoch (:mod:`ocr_cli.net.checkpoint`); ``resume``: a
    checkpoint of this same run (configuration and data) to go on from."""
    from ocr_cli.net.checkpoint import load_checkpoint, save_checkpoint

    config = config or TrainConfig()
    data = provenance(train=train_set.paths, valid=valid_set.paths, init=[config.init] if config.init else [])
    record = {"config": asdict(config), "data": data}
    saved = load_checkpoint(resume) if resume is not None else None
    if saved is not None:
        saved.check(record)  # before the network is made: the same run or none
    net, config, classes = start_network(config, train_set.named().classes)
    batch_rows(net.specs, net.dtype.itemsize, config.batch_size, training=True, where=config.init or layer_option(config))
    train_set, valid_set = train_set.aligned(classes)[0], valid_set.aligned(classes)[0]
    initial_weights = net.params[0].copy()
    save = None if checkpoint is None else (
        lambda net, optimizer, rng, progress: save_checkpoint(checkpoint, net, optimizer, rng, progress, record,
                                                              initial_weights))
    if saved is not None:
        initial_weights = saved.arrays["initial"]
    history, kept_epoch = fit(net, train_set, valid_set, config, on_epoch, save, saved)
    final = history[kept_epoch - 1]
    images = ~train_set.drawn_rows()  # how wide classes are drawn: rows of pen strokes are paper until drawn
    metadata = new_metadata(
        net, classes=classes,
        training={"command": command, "config": asdict(config),
                  "seconds": round(history[-1]["seconds"], 2), "epochs_run": len(history),
                  "kept_epoch": kept_epoch},
        metrics={"valid": {"accuracy": final["valid_acc"], "loss": final["valid_loss"]},
                 "train": {"accuracy": final["train_acc"], "loss": final["train_loss"]}},
        data=data,
        widest=layout.widest(train_set.X[images], train_set.Y[images].argmax(1), classes),
        **({"average_shifts": config.average_shifts} if config.average_shifts else {}),
    )
    return Run(config, Model(net, metadata), history, kept_epoch, initial_weights)
