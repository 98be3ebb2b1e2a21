"""scikit-learn, imported once for the estimators: an ImportError naming the extra if it is missing.

Every module of ``barenet.estimators`` takes its scikit-learn names from here, so a missing (or
too old: ``validate_data`` is new in 1.6) scikit-learn is one message, whichever module is read
first. It holds nothing but those imports; ``import barenet`` never reads it.
"""

from __future__ import annotations

try:
    from sklearn import exceptions as sklearn_exceptions
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
    from sklearn.exceptions import DataConversionWarning
    from sklearn.metrics import accuracy_score, r2_score
    from sklearn.utils import check_array, check_random_state
    from sklearn.utils.multiclass import check_classification_targets, type_of_target
    from sklearn.utils.validation import check_is_fitted, validate_data
except ImportError as err:  # NOTE: validate_data is new in scikit-learn 1.6
    raise ImportError(
        "barenet.estimators needs scikit-learn >= 1.6, which is not installed "
        f"({err}); install it with: pip install 'barenet[sklearn]'"
    ) from err

__all__ = [
    "BaseEstimator",
    "ClassifierMixin",
    "DataConversionWarning",
    "RegressorMixin",
    "accuracy_score",
    "check_array",
    "check_classification_targets",
    "check_is_fitted",
    "check_random_state",
    "r2_score",
    "sklearn_exceptions",
    "type_of_target",
    "validate_data",
]
