"""Adds the "not a character" output (``~``) to a trained classifier without changing
what it reads of characters.

    python models/add_junk_output.py MODEL JUNK.mat [JUNK.mat ...] --out OUT.npz
        [--data ../shared/nist36] [--l2 0.001] [--force]

Every layer of MODEL stays as it is, and so does each character's output: one output
is added to its last layer, a weight per unit of the layer before and a bias, fitted so
that the softmax over the 37 outputs gives the crops of JUNK.mat (``make_junk_crops.py``:
what the reading pipeline cuts from photos, labelled by their overlap with the true
characters) their labels. Since the 36 outputs are unchanged, a character's
probabilities keep their order and ratios; they only shrink by the share the new output
takes. (Fine-tuning the whole network with the junk crops, as ``ocr train --init`` does,
moved what it reads of faint and thin real characters: models/README.md.)

The fit is a weighted logistic regression on the frozen features (the last layer's
input): for a crop with features ``h`` and character outputs ``z``, the new output
``h . w + c`` against ``logsumexp(z)``, junk and characters weighted to equal shares,
with an L2 penalty ``--l2`` on ``w``; solved by L-BFGS from zero, so the same files
give the same weights on any machine load. The characters are the JUNK files' own
(characters cut from the same photos) and nist36_train's, so that clean glyphs keep
their place. A tenth of the rows (every tenth) is held out and measured.
"""

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np
from scipy.optimize import minimize
from scipy.special import logsumexp

from ocr_cli.layout import NOT_A_CHARACTER
from ocr_cli.net.data import load_dataset, sha256
from ocr_cli.net.model import build_model, load_model, save_model

STROKES = "1I"  # the classes a lone straight stroke is read as
HOLD_OUT = 10  # every HOLD_OUT-th row is measured, not fitted
BATCH = 512


def features(net, X):
    """The input of ``net``'s last layer for ``X`` (inference: dropout off), float64."""
    out = []
    for i in range(0, len(X), BATCH):
        h = X[i:i + BATCH].astype(net.dtype)
        for layer in net.layers[:-1]:
            h = layer.forward(h, False)
        out.append(h.astype(np.float64))
    return np.concatenate(out) if out else np.zeros((0, net.layers[-1].W.shape[0]))


def fit(H, offset, junk, weight, l2):
    """``(w, c)`` minimising the weighted logistic loss of ``H @ w + c - offset`` against
    ``junk`` (bool) plus ``l2 / 2 |w|^2``."""
    sign = np.where(junk, 1.0, -1.0)

    def loss(theta):
        w, c = theta[:-1], theta[-1]
        margin = sign * (H @ w + c - offset)
        value = weight @ np.logaddexp(0.0, -margin) + 0.5 * l2 * w @ w
        slope = -sign * weight / (1.0 + np.exp(margin))
        return value, np.append(H.T @ slope + l2 * w, slope.sum())

    result = minimize(loss, np.zeros(H.shape[1] + 1), jac=True, method="L-BFGS-B",
                      options={"maxiter": 2000, "gtol": 1e-8})
    return result.x[:-1], float(result.x[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("junk", type=Path, nargs="+", help="crops with a '~' column (make_junk_crops.py)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("OCR_DATA", "../shared/nist36")))
    parser.add_argument("--l2", type=float, default=1e-3)
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args()

    model = load_model(args.model)
    if NOT_A_CHARACTER in model.classes:
        raise SystemExit(f"{args.model}: already has the '{NOT_A_CHARACTER}' output")
    net = model.net
    last = net.layers[-1]
    crops = [load_dataset(f) for f in args.junk]
    X = np.concatenate([d.X for d in crops])
    junk = np.concatenate([d.Y.argmax(1) == d.named().classes.find(NOT_A_CHARACTER) for d in crops])
    clean = load_dataset(args.data / "nist36_train.mat")
    X = np.concatenate([X, clean.X])
    junk = np.concatenate([junk, np.zeros(len(clean.X), bool)])
    print(f"{len(X)} crops: {junk.sum()} not characters, {(~junk).sum()} characters", file=sys.stderr)

    H = features(net, X)
    z = H.astype(net.dtype) @ last.W + last.b
    offset = logsumexp(z.astype(np.float64), axis=1)
    # A straight stroke is a 1 or an I whatever it belongs to (a box's side, a table's
    # edge, a comb's tick): junk read as one of those is left out, or the output would
    # call every 1 junk (only its place tells them apart, which the lattice weighs).
    stroke = junk & np.isin(z.argmax(1), [model.classes.find(c) for c in STROKES if c in model.classes])
    print(f"{stroke.sum()} not characters read as {' or '.join(STROKES)} left out", file=sys.stderr)
    X, H, offset, junk = X[~stroke], H[~stroke], offset[~stroke], junk[~stroke]
    weight = np.where(junk, 0.5 / junk.sum(), 0.5 / (~junk).sum())
    held = np.arange(len(X)) % HOLD_OUT == 0
    w, c = fit(H[~held], offset[~held], junk[~held], weight[~held] / weight[~held].sum(), args.l2)

    p_junk = 1.0 / (1.0 + np.exp(-(H[held] @ w + c - offset[held])))
    said = p_junk > 0.5
    is_clean = np.arange(len(X)) >= len(X) - len(clean.X)  # the nist36_train rows
    truth = junk[held]
    figures = {
        "held_out_rows": int(held.sum()),
        "junk_recall": float(said[truth].mean()),
        "characters_called_junk": float(said[~truth].mean()),
        "clean_called_junk": float(said[is_clean[held]].mean()),
    }
    print(json.dumps(figures), file=sys.stderr)

    arrays = dict(model.arrays())
    i = len(net.layers) - 1
    arrays[f"W{i}"] = np.concatenate([last.W, w[:, None].astype(last.W.dtype)], 1)
    arrays[f"b{i}"] = np.append(last.b, np.asarray(c, last.b.dtype))
    metadata = json.loads(str(arrays["metadata"]))
    metadata["classes"] += NOT_A_CHARACTER
    metadata["layers"][-1]["out"] += 1
    metadata["not_a_character"] = {
        "command": "python models/add_junk_output.py " + " ".join(sys.argv[1:]),
        "data": [{"file": f.name, "sha256": sha256(f)} for f in [*args.junk, args.data / "nist36_train.mat"]],
        "l2": args.l2, **figures,
    }
    arrays["metadata"] = np.array(json.dumps(metadata))
    save_model(args.out, build_model(arrays, args.out), force=args.force)


if __name__ == "__main__":
    main()
