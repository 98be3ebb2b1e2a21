"""scikit-learn estimators around barenet's network: ``BareNetClassifier``, ``BareNetRegressor``.

They follow the scikit-learn contract, so they work in ``Pipeline``, ``cross_val_score``,
``GridSearchCV`` and with ``pickle`` (scikit-learn's convention for estimators; barenet's own
model files, ``DeepNeuralNetwork.save``, stay pickle-free)::

    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from barenet.estimators import BareNetClassifier
    model = make_pipeline(StandardScaler(), BareNetClassifier(hidden_layer_sizes=(64,)))
    model.fit(X, y).score(X_test, y_test)

scikit-learn (>= 1.6) is an optional dependency (``pip install 'barenet[sklearn]'``); it is
imported by this package only (in ``_sklearn``, which names the extra when it is missing), never
by ``import barenet``.

Choices, stated once:

- The network is ``Layer(n_features)``, then ``Layer(h, activation, dropout=dropout)`` per hidden
  size, then the output layer: one sigmoid unit for binary targets, softmax for multiclass,
  one sigmoid per label for multilabel (2-D 0/1) targets, identity units for regression.
- Nothing is standardized implicitly: put a ``StandardScaler`` in front (a ``Pipeline``).
  ``fit`` warns ``barenet.DataWarning`` when X looks unscaled (whole numbers reaching 16 or
  more, such as raw 0..255 pixels), as barenet's own ``fit`` does.
- The network's dtype follows X, as in scikit-learn's ``MLPClassifier``: float32 X trains a
  float32 network (barenet's fast default), any other X is converted to float64 (the
  estimator checks ask predictions on a subset to match those on the whole set to 1e-7,
  which float32 matrix products do not give). Outputs are float64.
- ``random_state`` (None, an int or a ``RandomState``) gives, through
  ``check_random_state``, the seed that draws the weights and shuffles the batches; an int
  makes ``fit`` reproducible.
- Convergence, as scikit-learn's ``MLPClassifier`` decides it (same ``tol=1e-4`` and
  ``n_iter_no_change=10``): ``fit`` stops when the training loss has not improved on its best
  by at least ``tol`` for more than ``n_iter_no_change`` epochs in a row (scikit-learn's code
  counts ``> n_iter_no_change``; we count the same way, so the same settings stop at the same
  epoch). When ``epochs`` run out first, ``fit`` emits one ``ConvergenceWarning``, which is
  both ``barenet.ConvergenceWarning`` and scikit-learn's, so a filter for either silences it.
  With the default ``epochs=20`` the rule rarely fires: expect the warning, or raise epochs.
- ``early_stopping`` holds out a random ``validation_fraction`` of the samples and applies the
  same rule to the validation score (accuracy, or R^2 of all outputs pooled) instead, needing
  an improvement of ``tol`` on the best score; at the end the network goes back to the
  weights of its best-scoring epoch. ``partial_fit`` runs one epoch: it never stops or warns.
- Inference (``predict``, ``predict_proba``, ``score``) runs in batches (``batch_size=``,
  default by bytes as ``DeepNeuralNetwork.forward``): a NumPy array or memmap is checked and
  converted batch by batch, so a large uint8 memmap is never copied whole; other inputs
  (lists, DataFrames) are converted whole first, as ``check_array`` does.
- ``warm_start=True``: ``fit`` continues from the current weights (and optimizer state, unless
  ``optimizer``, ``learning_rate`` or ``weight_decay`` changed) for ``epochs`` more epochs;
  ``n_iter_`` and ``loss_curve_`` accumulate. ``partial_fit`` runs one epoch per call and
  always continues. Changing the architecture or the classes of a fitted model raises.
- ``optimizer`` is a name (``"adam"``, ``"adamw"``, ``"sgd"``, ``"rmsprop"``); ``weight_decay``
  goes to it (decoupled for Adam, L2 for SGD and RMSprop).

``sklearn.utils.estimator_checks.parametrize_with_checks`` passes for both estimators with no
expected failures (see ``tests/test_estimators.py``; the test instances use a small network
and enough epochs to learn the checks' toy problems). Not supported: sparse X, sample weights.

The package: ``base`` (the parameters, their checks, the network and the training loop that both
share), ``convergence`` (scikit-learn's stopping rule and its warning), ``classifier`` and
``regressor`` (targets, outputs and scores of each).
"""

from __future__ import annotations

from .classifier import BareNetClassifier
from .convergence import ConvergenceWarning  # noqa: F401 (importable from here, as before)
from .regressor import BareNetRegressor

__all__ = ["BareNetClassifier", "BareNetRegressor"]
