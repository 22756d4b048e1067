"""Model files: exact round trip, validation on load, atomic writes, no unpickling."""

import json
import os

import numpy as np
import pytest

from ocr_cli.errors import InputError, OcrError
from ocr_cli.net.model import FORMAT_VERSION, Model, load_model, new_metadata, read_npz, save_model
from ocr_cli.net.network import Network


@pytest.fixture
def model():
    net = Network.mlp([1024, 20, 10, 36], "relu", seed=3)
    return Model(net, new_metadata(net, training={"command": "test"}))


def arrays_of(path):
    with np.load(path) as npz:
        return {k: npz[k] for k in npz.files}


def test_round_trip_is_exact(tmp_path, model):
    save_model(tmp_path / "m.npz", model)
    loaded = load_model(tmp_path / "m.npz")
    assert loaded.metadata == model.metadata
    for a, b in zip(model.net.params, loaded.net.params):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    X = np.random.default_rng(0).random((5, 1024))
    assert np.array_equal(model.predict_proba(X), loaded.predict_proba(X))
    assert [l.activation for l in loaded.net.layers] == ["relu", "relu", "linear"]


def test_a_pickled_model_travels_as_its_weights_not_its_caches(model):
    import pickle

    X = np.random.default_rng(0).random((500, 1024))
    expected = model.predict_proba(X)  # leaves (500, ...) activations cached in the layers
    weights = sum(a.nbytes for a in model.arrays().values())
    data = pickle.dumps(model)
    assert len(data) < 1.2 * weights
    copy = pickle.loads(data)
    assert copy.metadata == model.metadata
    np.testing.assert_array_equal(copy.predict_proba(X), expected)


def test_saved_file_gets_normal_permissions(tmp_path, model):
    old = os.umask(0o022)
    try:
        save_model(tmp_path / "m.npz", model)
    finally:
        os.umask(old)
    assert (tmp_path / "m.npz").stat().st_mode & 0o777 == 0o644
    (tmp_path / "m.npz").chmod(0o640)
    save_model(tmp_path / "m.npz", model, force=True)
    assert (tmp_path / "m.npz").stat().st_mode & 0o777 == 0o640


def test_refuses_to_overwrite_without_force(tmp_path, model):
    path = tmp_path / "m.npz"
    path.write_bytes(b"precious")
    with pytest.raises(InputError, match="already exists; pass force=True to overwrite it"):
        save_model(path, model)
    assert path.read_bytes() == b"precious"
    save_model(path, model, force=True)
    assert load_model(path).metadata == model.metadata


def test_failed_write_leaves_existing_file_and_no_temp(tmp_path, model, monkeypatch):
    path = tmp_path / "m.npz"
    path.write_bytes(b"precious")

    def broken_savez(f, **arrays):
        f.write(b"PK half a zip")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.raises(OcrError, match=f"{path}: cannot write the model \\(disk full\\)"):
        save_model(path, model, force=True)
    assert path.read_bytes() == b"precious"
    assert os.listdir(tmp_path) == ["m.npz"]


def tampered(tmp_path, model, change):
    """Saves ``model``, lets ``change(arrays)`` edit the arrays, writes them back."""
    save_model(tmp_path / "good.npz", model)
    arrays = arrays_of(tmp_path / "good.npz")
    change(arrays)
    np.savez(tmp_path / "bad.npz", **arrays)
    return tmp_path / "bad.npz"


def with_metadata(**changes):
    def change(arrays):
        meta = json.loads(str(arrays["metadata"]))
        meta.update(changes)
        arrays["metadata"] = np.array(json.dumps(meta))
    return change


@pytest.mark.parametrize("change,message", [
    (lambda a: a.pop("b1"), "missing array 'b1'"),
    (lambda a: a.update(W0=a["W0"][:1023]), r"'W0' has shape \(1023, 20\); expected \(1024, 20\)"),
    (lambda a: a.update(W2=a["W2"][:, :35]), r"'W2' has shape \(10, 35\)"),
    (lambda a: a.update(b0=a["b0"].astype(np.int64)), "dtype int64; expected floats"),
    (lambda a: a.update(W1=np.full_like(a["W1"], np.inf)), "NaN or infinite"),
    (lambda a: a.update(W1=np.full(a["W1"].shape, np.longdouble("1e4000"))),  # finite, but inf as float32
     r"'W1' holds 1e\+4000, too large for the float32 a network computes in \(at most 3.4e\+38\)"),
    (lambda a: a.update(b1=np.full(a["b1"].shape, 1e300)), "'b1' holds 1e\\+300, too large for the float32"),
    (lambda a: a.update(extra=np.zeros(3)), "unexpected arrays: extra"),
    (lambda a: a.pop("metadata"), "no 'metadata'"),
    (lambda a: a.update(metadata=np.array("{not json")), "not valid JSON"),
    (with_metadata(version=FORMAT_VERSION + 1), "newer than this ocr reads"),
    (with_metadata(format="something-else"), "not an ocr-mlp model"),
    (with_metadata(layers=[{"in": 1024, "out": 20, "activation": "swish"}]), "layer 0 is malformed"),
    (with_metadata(classes="ABC"), "36 outputs but 3 classes"),
])
def test_tampered_models_are_refused(tmp_path, model, change, message):
    path = tampered(tmp_path, model, change)
    with pytest.raises(InputError, match=message) as info:
        load_model(path)
    assert str(info.value).startswith(str(path))


def test_convolutional_model_round_trip_and_refused_misfit(tmp_path):
    net = Network.create(1024, 36, hidden=[12], activation="relu", conv=[3, 4], kernel=5, dropout=0.2, seed=1)
    save_model(tmp_path / "cnn.npz", Model(net, new_metadata(net)))
    loaded = load_model(tmp_path / "cnn.npz")
    assert [l["type"] for l in loaded.metadata["layers"]] == [
        "reshape", "conv", "maxpool", "conv", "maxpool", "reshape", "dense", "dropout", "dense"]
    X = np.random.default_rng(0).random((4, 1024))
    np.testing.assert_array_equal(loaded.predict_proba(X), net.predict_proba(X))
    layers = loaded.metadata["layers"]
    layers[3] = {**layers[3], "channels": 5}  # the second convolution no longer fits the first one's output
    path = tampered(tmp_path, Model(net, new_metadata(net)), lambda a: a.update(
        metadata=np.array(json.dumps({**loaded.metadata, "layers": layers}))))
    with pytest.raises(InputError, match=r"metadata layer 3 is malformed or does not fit its input \(14, 14, 3\)"):
        load_model(path)


def test_contrast_and_batch_norm_layers_round_trip_with_their_running_averages(tmp_path):
    net = Network.create(1024, 36, hidden=[12], activation="relu", conv=[3], kernel=5, seed=1, contrast=True,
                         batch_norm=True)
    X = np.random.default_rng(0).random((64, 1024))
    net.forward(X, training=True)  # the running averages move off their start
    save_model(tmp_path / "bn.npz", Model(net, new_metadata(net)))
    assert {"mean4", "var4", "W4", "b4", "mean7", "var7"} <= set(arrays_of(tmp_path / "bn.npz"))
    loaded = load_model(tmp_path / "bn.npz")
    assert [layer["type"] for layer in loaded.metadata["layers"]] == [
        "contrast", "reshape", "conv", "maxpool", "batchnorm", "reshape", "dense", "batchnorm", "dense"]
    np.testing.assert_array_equal(loaded.predict_proba(X), net.predict_proba(X))
    # a batch-norm layer whose running variance is missing is refused, naming the array
    arrays = arrays_of(tmp_path / "bn.npz")
    del arrays["var4"]
    np.savez(tmp_path / "broken.npz", **arrays)
    with pytest.raises(InputError, match="missing array 'var4'"):
        load_model(tmp_path / "broken.npz")


class Trap:
    """Unpickling this would create a file: proof that loading never unpickles."""

    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return (open, (self.target, "w"))


def test_object_arrays_are_refused_never_unpickled(tmp_path, model):
    target = tmp_path / "pwned"
    path = tampered(tmp_path, model, lambda a: a.update(W0=np.array([Trap(str(target))], dtype=object)))
    with pytest.raises(InputError, match="object arrays; refusing to unpickle"):
        load_model(path)
    assert not target.exists()


def test_truncated_and_foreign_files(tmp_path, model):
    save_model(tmp_path / "good.npz", model)
    data = (tmp_path / "good.npz").read_bytes()
    (tmp_path / "cut.npz").write_bytes(data[: len(data) // 2])
    (tmp_path / "text.npz").write_text("hello")
    for name in ("cut.npz", "text.npz"):
        with pytest.raises(InputError, match="not a readable model file"):
            read_npz(tmp_path / name)
    with pytest.raises(InputError, match="missing.npz: no such file"):
        load_model(tmp_path / "missing.npz")
    with pytest.raises(InputError, match="is a directory, not a model file"):
        load_model(tmp_path)


def test_test_time_averaging_averages_the_shifted_copies(tiny_model, tmp_path):
    from ocr_cli.layout import shifted
    from ocr_cli.net.model import Model, save_model

    model = load_model(tiny_model)
    X = np.random.default_rng(0).random((5, 1024)).astype(np.float32)
    up = shifted(X, -1, 0).reshape(5, 32, 32).transpose(0, 2, 1)  # upright
    assert np.array_equal(up[:, :-1], X.reshape(5, 32, 32).transpose(0, 2, 1)[:, 1:]) and (up[:, -1] == 1).all()
    averaged = Model(model.net, dict(model.metadata, average_shifts=1))
    expected = np.mean([model.net.predict_proba(shifted(X, dy, dx))
                        for dy, dx in ((0, 0), (1, 0), (-1, 0), (0, 1), (0, -1))], axis=0)
    np.testing.assert_allclose(averaged.predict_proba(X), expected, rtol=1e-6)
    path = tmp_path / "tta.npz"
    save_model(path, averaged)
    np.testing.assert_allclose(load_model(path).predict_proba(X), expected, rtol=1e-6)
    save_model(path, Model(model.net, dict(model.metadata, average_shifts=9)), force=True)
    with pytest.raises(InputError, match="'average_shifts' is 9"):
        load_model(path)
