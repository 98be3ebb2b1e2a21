"""Shared fixtures. The real MNIST is used only by tests marked ``mnist``; `make test` fetches it
into the cache first, and CI sets BARENET_REQUIRE_MNIST=1 so a missing data set fails there
instead of skipping."""

import os

import pytest


@pytest.fixture(scope="session")
def mnist():
    """(X_train, y_train, X_test, y_test) of the real MNIST, from the cache or $BARENET_DATA."""
    from barenet.datasets import DataError, load_mnist

    try:
        return load_mnist(download=False)
    except DataError as err:
        if os.environ.get("BARENET_REQUIRE_MNIST") == "1":
            pytest.fail(f"MNIST is required (BARENET_REQUIRE_MNIST=1) but missing: {err}")
        pytest.skip(f"MNIST is not in the cache (run `make data`): {err}")
