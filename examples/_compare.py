"""Shared helper of the scikit-learn comparison examples (breast_cancer, multilabel, diabetes).

It builds barenet's ``DeepNeuralNetwork`` and scikit-learn's ``MLPClassifier`` /
``MLPRegressor`` from one ``Config``, trains both over several seeds, times the fits and
formats the test results side by side.

What "the same way" means, setting by setting:

- architecture: the same hidden sizes, ReLU hidden units, and the output scikit-learn picks
  (one sigmoid unit for binary, k sigmoid units for multilabel, identity for regression);
- initialization: scikit-learn's is fixed, Glorot uniform for every layer, so barenet's layers
  get ``init="glorot_uniform"`` too (``Config.init``; None gives barenet's default, He normal
  for ReLU layers). Biases still differ: scikit-learn draws them like the weights, barenet
  starts them at 0;
- optimizer: Adam with beta1=0.9, beta2=0.999, eps=1e-8 and the same learning rate;
- batches and epochs: the same batch size, reshuffled every epoch, and exactly ``epochs``
  passes. scikit-learn's own stopping rule is switched off (``tol=0`` and ``n_iter_no_change``
  past ``max_iter``), as is its ``early_stopping``; barenet gets no EarlyStopping callback;
- L2: none for either (``alpha=0``, ``weight_decay=0``). NOTE: the two are not the same knob.
  scikit-learn adds ``alpha / 2 * ||W||^2 / batch_size`` to the loss, so its L2 gradient goes
  through Adam's normalization; barenet's Adam decays the weights directly (AdamW,
  ``W -= lr * weight_decay * W``). No setting of one equals the other, so both stay off
  rather than pretend to a mapping.

What differs and does not matter here: the loss scale (scikit-learn halves the squared error
and sums the multilabel log-loss over labels; barenet's losses are means over all n * k
elements: Adam is invariant to a constant factor on the gradient) and the precision (barenet
float32, scikit-learn float64 for float64 input).

scikit-learn is imported lazily: it is a benchmark-only dependency, never the library's.
"""

from __future__ import annotations

import statistics
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

import barenet
from barenet import DeepNeuralNetwork, Layer
from barenet.reports import format_table

SYSTEMS = ("barenet", "scikit-learn")

#: metrics(y_test, y_pred) -> {name: value}: one run's scores on the test set
Metrics = Callable[[np.ndarray, np.ndarray], dict[str, float]]
#: fit(X_train, y_train): trains one model in place
Fit = Callable[[np.ndarray, np.ndarray], None]


@dataclass(frozen=True)
class Config:
    """Everything both systems share: the hidden layer sizes and how to train them."""

    hidden: tuple[int, ...]
    learning_rate: float
    batch_size: int
    epochs: int
    #: barenet's weight initializer for every layer (scikit-learn's); None: barenet's default
    init: str | None = "glorot_uniform"

    def replace(self, **changes: Any) -> Config:
        return Config(**{**asdict(self), **changes})


def barenet_model(
    config: Config, d: int, k: int, output: str | None, seed: int
) -> tuple[DeepNeuralNetwork, Fit]:
    """A DeepNeuralNetwork d -> hidden (ReLU) -> k (``output``), and a function that fits it."""
    hidden = [Layer(h, "relu", init=config.init) for h in config.hidden]
    model = DeepNeuralNetwork([Layer(d), *hidden, Layer(k, output, init=config.init)], seed=seed)

    def fit(X: np.ndarray, y: np.ndarray) -> None:
        model.fit(
            X,
            y,
            epochs=config.epochs,
            batch_size=config.batch_size,
            optimizer=barenet.optimizers.Adam(
                learning_rate=config.learning_rate, beta1=0.9, beta2=0.999, eps=1e-8
            ),
            shuffle=True,
            verbose=0,
        )

    return model, fit


def sklearn_model(config: Config, task: str, seed: int) -> tuple[Any, Fit]:
    """scikit-learn's MLPClassifier (task "classifier") or MLPRegressor ("regressor"),
    set up as ``barenet_model``, and a function that fits it."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    model = (MLPClassifier if task == "classifier" else MLPRegressor)(
        hidden_layer_sizes=config.hidden,
        activation="relu",
        solver="adam",
        alpha=0.0,
        batch_size=config.batch_size,
        learning_rate_init=config.learning_rate,
        max_iter=config.epochs,
        shuffle=True,
        random_state=seed,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        early_stopping=False,
        # NOTE: without these two, scikit-learn stops once the training loss improves by less
        # than 1e-4 for 10 epochs in a row, and trains fewer epochs than barenet
        tol=0.0,
        n_iter_no_change=config.epochs + 1,
    )

    def fit(X: np.ndarray, y: np.ndarray) -> None:
        with warnings.catch_warnings():
            # reaching max_iter is the plan here, not a failure to converge
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X, y)

    return model, fit


def compare(
    title: str,
    config: Config,
    seeds: Sequence[int],
    data: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    *,
    output: str | None,
    metrics: Metrics,
    to_original: Callable[[np.ndarray], np.ndarray] | None = None,
) -> dict[str, Any]:
    """Train and test both systems with every seed.

    ``data`` is (X_train, X_test, y_train, y_test). ``output`` is barenet's output activation:
    "sigmoid" for classifiers, None (identity) for regression. For regression on a scaled
    target, y_train is scaled, y_test is not, and ``to_original`` maps predictions back.

    Returns ``{"title", "config", "seeds", "barenet": ..., "scikit-learn": ...}``, where each
    system holds ``{metric: {"mean", "std", "values"}, "fit_seconds": {"median", "values"}}``;
    std is the population standard deviation over the seeds, values are per seed.
    """
    X_train, X_test, y_train, y_test = data
    k = 1 if y_train.ndim == 1 else y_train.shape[1]
    result: dict[str, Any] = {"title": title, "config": asdict(config), "seeds": list(seeds)}
    for system in SYSTEMS:
        scores: dict[str, list[float]] = {}
        seconds: list[float] = []
        for seed in seeds:
            if system == "barenet":
                model, fit = barenet_model(config, X_train.shape[1], k, output, seed)
            else:
                task = "regressor" if output is None else "classifier"
                model, fit = sklearn_model(config, task, seed)
            start = time.perf_counter()
            fit(X_train, y_train)
            seconds.append(time.perf_counter() - start)
            # barenet predicts (n, 1) for one output, scikit-learn (n,): make it y_test's shape
            y_pred = np.asarray(model.predict(X_test)).reshape(y_test.shape)
            if to_original is not None:
                y_pred = to_original(y_pred)
            for name, value in metrics(y_test, y_pred).items():
                scores.setdefault(name, []).append(float(value))
        summary: dict[str, Any] = {
            name: {"mean": float(np.mean(values)), "std": float(np.std(values)), "values": values}
            for name, values in scores.items()
        }
        summary["fit_seconds"] = {"median": float(statistics.median(seconds)), "values": seconds}
        result[system] = summary
    return result


def format_results(result: dict[str, Any], digits: int = 4) -> str:
    """What the examples print: a ``compare`` result's title, its shared configuration and
    the side-by-side table (one row per system: mean ± std of each metric, median fit time)."""
    names = [name for name in result[SYSTEMS[0]] if name != "fit_seconds"]
    rows = [
        [
            system,
            *(
                f"{result[system][n]['mean']:.{digits}f} ± {result[system][n]['std']:.{digits}f}"
                for n in names
            ),
            f"{result[system]['fit_seconds']['median']:.2f}",
        ]
        for system in SYSTEMS
    ]
    config = result["config"]
    header = (
        f"{result['title']}\n"
        f"hidden {'-'.join(map(str, config['hidden']))} (ReLU), "
        f"Adam lr={config['learning_rate']:g}, batch {config['batch_size']}, "
        f"{config['epochs']} epochs, no L2, barenet init {config['init'] or 'default (He)'}; "
        f"mean ± std over seeds {result['seeds']}"
    )
    return header + "\n" + format_table(["system", *names, "fit s (median)"], rows)
