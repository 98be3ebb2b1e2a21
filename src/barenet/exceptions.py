"""The warnings barenet emits; the errors live beside the code that raises them.

Both are ``UserWarning``s, so Python shows each once per place by default, and
``warnings.simplefilter("error", barenet.DataWarning)`` turns one into an exception.
"""


class DataWarning(UserWarning):
    """Data that will train badly or was not what it claimed: unscaled pixels, a cached file
    that had to be fetched again."""


class ConvergenceWarning(UserWarning):
    """Training stopped because its epochs ran out while the loss was still improving
    (scikit-learn's meaning: raise ``epochs`` or ``max_iter``)."""
