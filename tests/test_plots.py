"""Plots: each figure renders to a PNG of figsize * DPI pixels; matplotlib stays optional."""

import os
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("matplotlib")
os.environ.setdefault("MPLBACKEND", "Agg")  # NOTE: before anything imports matplotlib.pyplot

import matplotlib.image
from matplotlib.colors import to_hex

from barenet import DeepNeuralNetwork, Layer, plots
from barenet.callbacks import History


def assert_png(path, fig):
    """path is a PNG of the figure's size in inches times plots.DPI."""
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = fig.get_size_inches() * plots.DPI
    assert matplotlib.image.imread(path).shape[:2] == (round(height), round(width))


def history(n=3, validation=True):
    h = History()
    for epoch in range(n):
        logs = {"loss": 1.0 / (epoch + 1), "accuracy": 0.5 + 0.1 * epoch}
        if validation:
            logs.update(val_loss=1.2 / (epoch + 1), val_accuracy=0.45 + 0.1 * epoch)
        h.append(epoch, logs)
    return h


@pytest.fixture(scope="module")
def trained():
    """A 784-9-10 network trained for 2 epochs on random "images", with its history."""
    rng = np.random.default_rng(0)
    X = rng.random((120, 784), dtype=np.float32)
    y = rng.integers(0, 10, size=120)
    model = DeepNeuralNetwork([Layer(784), Layer(9, "relu"), Layer(10, "softmax")], seed=0)
    h = model.fit(X, y, epochs=2, batch_size=32, validation_split=0.25, verbose=0)
    return model, h, X, y


def test_import_barenet_does_not_import_matplotlib():
    code = "import barenet, barenet.plots, sys; assert 'matplotlib' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_missing_matplotlib_names_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)  # makes the import fail
    with pytest.raises(ImportError, match=r"pip install 'barenet\[plot\]'"):
        plots.training_curves(history(), tmp_path / "curves.png")
    assert not (tmp_path / "curves.png").exists()


@pytest.mark.parametrize("validation", [True, False])
def test_training_curves(tmp_path, validation):
    h = history(validation=validation)
    path = tmp_path / "curves.png"
    fig = plots.training_curves(h.history if validation else h, path)
    assert_png(path, fig)
    assert [ax.get_title() for ax in fig.axes] == ["Loss", "Accuracy"]
    labels = ["train", "validation"] if validation else ["train"]
    for ax in fig.axes:
        assert [line.get_label() for line in ax.get_lines()] == labels
    np.testing.assert_allclose(
        fig.axes[0].get_lines()[0].get_xydata(), [[1, 1], [2, 0.5], [3, 1 / 3]]
    )


def test_training_curves_count_what_the_history_counts():
    h = history()
    assert {ax.get_xlabel() for ax in plots.training_curves(h).axes} == {"epoch"}
    h.unit = "iteration"  # as train_model's History
    assert {ax.get_xlabel() for ax in plots.training_curves(h).axes} == {"iteration"}


def test_training_curves_names_the_validation_data():
    fig = plots.training_curves(history(), validation_label="test (reported only)")
    for ax in fig.axes:
        assert [line.get_label() for line in ax.get_lines()] == ["train", "test (reported only)"]
        assert [t.get_text() for t in ax.get_legend().get_texts()] == [
            "train",
            "test (reported only)",
        ]


def test_training_curves_refuses_an_empty_history():
    with pytest.raises(ValueError, match="no epochs"):
        plots.training_curves(History())


def test_confusion_matrix_writes_the_counts(tmp_path):
    cm = np.array([[5, 1, 0], [2, 7, 1], [0, 0, 9]])
    path = tmp_path / "cm.png"
    fig = plots.confusion_matrix(cm, path, class_names=["cat", "dog", "emu"])
    assert_png(path, fig)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.texts] == [str(c) for c in cm.ravel()]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["cat", "dog", "emu"]
    assert "84.0%" in ax.get_title()  # (5 + 7 + 9) / 25 = 21 / 25 right
    with pytest.raises(ValueError, match="2 names"):
        plots.confusion_matrix(cm, class_names=["a", "b"])


def test_misclassified_shows_only_the_mistakes(tmp_path):
    X = np.arange(6 * 16, dtype=float).reshape(6, 16)
    y_true = np.array([0, 1, 2, 3, 4, 5])
    y_pred = np.array([0, 7, 2, 3, 9, 5])  # rows 1 and 4 are wrong
    path = tmp_path / "wrong.png"
    fig = plots.misclassified(X, y_true, y_pred, path, image_shape=(4, 4))
    assert_png(path, fig)
    assert [ax.get_title() for ax in fig.axes if ax.images] == ["1 → 7", "4 → 9"]
    np.testing.assert_array_equal(fig.axes[1].images[0].get_array(), X[4].reshape(4, 4))
    capped = plots.misclassified(X, y_true, y_pred, max_images=1, image_shape=(4, 4))
    assert sum(bool(ax.images) for ax in capped.axes) == 1


def test_misclassified_with_no_mistakes_says_so(tmp_path):
    y = np.array([1, 2, 3])
    fig = plots.misclassified(np.zeros((3, 784)), y, y, tmp_path / "none.png")
    assert_png(tmp_path / "none.png", fig)
    assert "all 3 are right" in fig.axes[0].texts[0].get_text()


def test_misclassified_refuses_a_non_image_width():
    with pytest.raises(ValueError, match=r"image_shape=\(28, 28\) needs 784"):
        plots.misclassified(np.zeros((2, 10)), [0, 1], [1, 0])


def test_first_layer_weights_uses_a_scale_symmetric_around_zero(tmp_path):
    W1 = np.zeros((16, 5))
    W1[3, 2], W1[7, 4] = 0.5, -2.0
    path = tmp_path / "w.png"
    fig = plots.first_layer_weights(W1, path, max_units=4, image_shape=(4, 4))
    assert_png(path, fig)
    images = [ax.images[0] for ax in fig.axes if ax.images]
    assert len(images) == 4  # max_units caps the 5 units
    assert all(im.get_clim() == (-0.5, 0.5) for im in images)  # unit 4 (-2.0) is not drawn
    np.testing.assert_array_equal(images[2].get_array(), W1[:, 2].reshape(4, 4))


def test_probabilities_highlights_the_winner(tmp_path):
    proba = np.array([0.1, 0.05, 0.7, 0.15])
    path = tmp_path / "p.png"
    fig = plots.probabilities(proba, path, image=np.ones(9))
    assert_png(path, fig)
    image_ax, bar_ax = fig.axes
    assert image_ax.images[0].get_array().shape == (3, 3)
    colors = [to_hex(bar.get_facecolor()) for bar in bar_ax.patches]
    assert colors[2] != colors[0] and len(set(colors)) == 2
    assert bar_ax.get_title() == "predicted 2 (p = 0.7000)"  # the decimals `barenet predict` prints
    assert [t.get_text() for t in bar_ax.texts] == ["0.1000", "0.0500", "0.7000", "0.1500"]
    assert len(plots.probabilities(proba[None, :]).axes) == 1


def test_save_all_writes_the_five_pngs(tmp_path, trained):
    model, h, X, y = trained
    paths = plots.save_all(model, h, X[:12], y[:12], tmp_path / "plots")
    names = [
        "training_curves.png",
        "confusion_matrix.png",
        "misclassified.png",
        "first_layer_weights.png",
        "probabilities.png",
    ]
    assert paths == [tmp_path / "plots" / name for name in names]
    for path in paths:
        assert matplotlib.image.imread(path).ndim == 3
    assert sorted(os.listdir(tmp_path / "plots")) == sorted(names)  # no temporary files left


def test_save_all_passes_on_what_the_validation_data_is(tmp_path, trained, monkeypatch):
    model, h, X, y = trained
    labels = []
    original = plots.training_curves

    def spy(history, path=None, validation_label="validation"):
        fig = original(history, path, validation_label=validation_label)
        labels.append([line.get_label() for line in fig.axes[0].get_lines()])
        return fig

    monkeypatch.setattr(plots, "training_curves", spy)
    plots.save_all(model, h, X[:12], y[:12], tmp_path, validation_label="test (reported only)")
    assert labels == [["train", "test (reported only)"]]


def test_save_all_skips_the_image_plots_for_other_inputs(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(int)
    model = DeepNeuralNetwork([Layer(3), Layer(4, "tanh"), Layer(1, "sigmoid")], seed=0)
    h = model.fit(X, y, epochs=1, verbose=0)
    paths = plots.save_all(model, h, X, y, tmp_path)
    assert [p.name for p in paths] == [
        "training_curves.png",
        "confusion_matrix.png",
        "probabilities.png",
    ]
    assert all(p.exists() for p in paths)


# ------------------------------------------------------------------------ decision_boundary


def half_plane_classifier(sigmoid=False):
    """class 0 where x1 > 0, class 1 where x1 < 0 (z = [x1, -x1]), or one sigmoid unit."""
    if sigmoid:  # P(class 1) = sigmoid(-4 x1)
        model = DeepNeuralNetwork([Layer(2), Layer(1, "sigmoid")], seed=0)
        model.params["W1"][:] = [[-4.0], [0.0]]
    else:
        model = DeepNeuralNetwork([Layer(2), Layer(2, "softmax")], seed=0)
        model.params["W1"][:] = [[4.0, -4.0], [0.0, 0.0]]
    model.params["b1"][:] = 0
    return model


@pytest.mark.parametrize("sigmoid", [False, True])
def test_decision_boundary_colours_each_side_by_its_class(tmp_path, sigmoid):
    X = np.array([[-1.0, -1.0], [1.0, 1.0], [-1.0, 1.0], [1.0, -1.0]])
    y = np.array([1, 0, 1, 0])
    fig = plots.decision_boundary(half_plane_classifier(sigmoid), X, y, path=tmp_path / "db.png")
    assert_png(tmp_path / "db.png", fig)
    ax = fig.axes[0]
    image = np.asarray(ax.images[0].get_array())  # (rows = x2, columns = x1, rgb), origin lower
    blue, orange = (np.array(matplotlib.colors.to_rgb(c)) for c in ("tab:blue", "tab:orange"))

    def hue(rgb):  # which class colour, mixed with white, makes this pixel
        return min(("blue", blue), ("orange", orange), key=lambda c: _unmix_error(rgb, c[1]))[0]

    assert hue(image[100, 180]) == "blue" and hue(image[100, 20]) == "orange"
    # paler at the boundary, where the network cannot tell the classes apart
    assert image[100, 100].mean() > image[100, 180].mean()
    assert "accuracy 100.0%" in ax.get_title()
    points = {to_hex(c) for col in ax.collections for c in col.get_facecolors()}
    assert points == {to_hex("tab:blue"), to_hex("tab:orange")}


def _unmix_error(rgb, colour):
    """How far rgb is from white + s * (colour - white) for the best s."""
    direction = colour - 1.0
    s = np.dot(rgb - 1.0, direction) / np.dot(direction, direction)
    return float(np.linalg.norm(rgb - 1.0 - s * direction))


def test_decision_boundary_draws_on_the_given_axes():
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.subplots()
    X = np.array([[-1.0, 0.0], [1.0, 0.0]])
    assert plots.decision_boundary(half_plane_classifier(), X, [1, 0], ax=ax) is fig
    assert len(ax.images) == 1 and len(fig.axes) == 1


def test_decision_boundary_of_a_regression_is_the_fitted_curve(tmp_path):
    model = DeepNeuralNetwork([Layer(1), Layer(4, "tanh"), Layer(1)], seed=0)
    X = np.linspace(-3, 3, 20)[:, None]
    y = np.sin(X[:, 0])
    fig = plots.decision_boundary(model, X, y, path=tmp_path / "fit.png", resolution=50)
    assert_png(tmp_path / "fit.png", fig)
    (line,) = fig.axes[0].get_lines()
    xs, ys = line.get_data()
    assert len(xs) == 50 and xs[0] < X.min() and xs[-1] > X.max()
    np.testing.assert_allclose(ys, model.predict(np.asarray(xs)[:, None]), rtol=1e-6)
    assert fig.axes[0].get_title().startswith("Fitted curve")


@pytest.mark.parametrize(
    ("layers", "X", "message"),
    [
        ([Layer(2), Layer(2, "softmax")], np.zeros((3, 3)), r"X must be \(n, 2\)"),
        ([Layer(3), Layer(2, "softmax")], np.zeros((3, 3)), r"classifiers of 2 inputs"),
        ([Layer(2), Layer(1)], np.zeros((3, 2)), r"1 input and 1 output; this one maps 2 -> 1"),
    ],
)
def test_decision_boundary_refuses_what_it_cannot_draw(layers, X, message):
    model = DeepNeuralNetwork(layers, seed=0)
    with pytest.raises(ValueError, match=message):
        plots.decision_boundary(model, X, np.zeros(len(X)))
