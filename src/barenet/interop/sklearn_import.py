"""A fitted scikit-learn MLP as a barenet network: ``barenet.from_sklearn(estimator)``.

scikit-learn's ``MLPClassifier`` and ``MLPRegressor`` compute what ``network.py`` computes:
``coefs_[l-1]`` is our ``W{l}`` (h_{l-1}, h_l), rows are samples as here, ``intercepts_[l-1]``
our ``b{l}``; ``activation`` is every hidden layer's function, ``out_activation_`` the output's:

    scikit-learn   "relu"  "tanh"  "logistic"  "identity"  "softmax"
    barenet        ReLU    Tanh    Sigmoid     Identity    Softmax

So a learner can open a scikit-learn model with ``explain``, the plots and the lab.
What the outputs mean:

- multiclass (softmax, k units): ``predict_proba`` is scikit-learn's; ``predict`` gives indices
  into ``estimator.classes_`` (``estimator.classes_[model.predict(X)]`` is scikit-learn's answer);
- binary (one logistic unit): scikit-learn's ``predict_proba`` is (n, 2), [P(classes_[0]),
  P(classes_[1])]; barenet's is (n, 1), the probability of ``classes_[1]``: its second column.
  ``predict`` gives 0/1, an index into ``classes_`` again;
- multilabel (k logistic units) and regression (identity): the same arrays as scikit-learn's.

The loss follows the output (cross-entropy, binary cross-entropy, squared error), the learning
rate is ``learning_rate_init``; the parameters are float64 unless ``dtype`` says otherwise.
scikit-learn is imported only here (extra ``barenet[sklearn]``).
Left out: a Pipeline's other steps (pass ``pipeline[-1]`` and transform X with ``pipeline[:-1]``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import DTypeLike

from .. import activations
from . import build_network

if TYPE_CHECKING:
    from ..network import DeepNeuralNetwork

#: scikit-learn's activation names -> barenet's activation classes
ACTIVATIONS: dict[str, type[activations.ActivationFunction]] = {
    "relu": activations.ReLU,
    "tanh": activations.Tanh,
    "logistic": activations.Sigmoid,
    "identity": activations.Identity,
    "softmax": activations.Softmax,
}


def _activation(name: Any, what: str) -> activations.ActivationFunction:
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ValueError(
            f"the estimator's {what} is {name!r}, which barenet does not have; "
            f"expected one of {sorted(ACTIVATIONS)}"
        )
    return ACTIVATIONS[name]()


def _check_estimator(estimator: Any) -> None:
    """A TypeError for what is not a scikit-learn MLP, a NotFittedError for an unfitted one."""
    try:
        from sklearn.exceptions import NotFittedError
        from sklearn.neural_network import MLPClassifier, MLPRegressor
        from sklearn.pipeline import Pipeline
    except ImportError as exc:
        raise ImportError(
            f"from_sklearn needs scikit-learn, which is not installed ({exc}); "
            "install it with: pip install 'barenet[sklearn]'"
        ) from exc
    if isinstance(estimator, Pipeline):
        raise TypeError(
            "from_sklearn takes the MLP itself, not a Pipeline: pass pipeline[-1] and apply "
            "pipeline[:-1].transform(X) to the data yourself"
        )
    if not isinstance(estimator, (MLPClassifier, MLPRegressor)):
        raise TypeError(
            f"from_sklearn reads a fitted MLPClassifier or MLPRegressor; received "
            f"{type(estimator).__module__}.{type(estimator).__name__}"
        )
    if not hasattr(estimator, "coefs_"):
        raise NotFittedError(
            f"this {type(estimator).__name__} is not fitted yet: call fit(X, y) before from_sklearn"
        )


def from_sklearn(estimator: Any, dtype: DTypeLike = np.float64) -> DeepNeuralNetwork:
    """The barenet network that computes what a fitted ``MLPClassifier``/``MLPRegressor`` does.

    Shapes: ``coefs_[l-1]`` (h_{l-1}, h_l) -> ``W{l}``; ``intercepts_[l-1]`` (h_l,) -> ``b{l}``.
    See the module docstring for how the outputs of the two libraries correspond.
    Raises TypeError (not an MLP, or a Pipeline), sklearn's NotFittedError (a ValueError) for an
    unfitted one, ValueError for an activation barenet does not have, or for weights that do not
    chain (``coefs_[l]`` of another width than layer l) or hold NaN or infinity (in ``dtype``).
    """
    from ..layers import Layer

    _check_estimator(estimator)
    coefs, intercepts = list(estimator.coefs_), list(estimator.intercepts_)
    hidden = _activation(estimator.activation, "hidden activation")
    output = _activation(estimator.out_activation_, "output activation (out_activation_)")
    layers = [Layer(coefs[0].shape[0])]
    for l, W in enumerate(coefs, start=1):
        layers.append(Layer(W.shape[1], output if l == len(coefs) else type(hidden)()))
    return build_network(
        layers,
        list(zip(coefs, intercepts, strict=True)),
        ValueError,
        f"this {type(estimator).__name__}",
        learning_rate=float(estimator.learning_rate_init),
        dtype=dtype,
    )
