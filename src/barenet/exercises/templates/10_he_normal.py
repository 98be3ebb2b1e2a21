"""The first weights: He initialization (guide, section 8).

Random weights break the symmetry between the units of a layer, and their scale keeps the
activations from growing or shrinking layer after layer. He et al. (2015) worked out the scale
for ReLU layers.
"""

from typing import Any

import numpy as np
from numpy.typing import NDArray


def he_normal(fan_in: int, fan_out: int, rng: np.random.Generator) -> NDArray[Any]:
    """A weight matrix drawn from the normal distribution of mean 0 and variance 2 / fan_in.

    fan_in is the previous layer's size, fan_out this layer's. Draw from rng, a NumPy random
    Generator, so that the same seed always gives the same weights.

    Shapes: -> W (fan_in, fan_out)
    """
    # >>> he_normal
    return rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_in, fan_out))
    # <<<
