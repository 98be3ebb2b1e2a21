"""Adam: a step size of its own for every parameter (guide, section 7).

Adam (Kingma & Ba, 2015) keeps two running averages per parameter, of its gradient g and of
g**2, and divides the first by the square root of the second: parameters whose gradients are
large and noisy take smaller steps.
"""

import numpy as np

from barenet.activations import Array


def adam_step(
    params: dict[str, Array],
    grads: dict[str, Array],
    m: dict[str, Array],
    v: dict[str, Array],
    t: int,
    learning_rate: float,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
) -> None:
    """Adam's step number t (1 for the first step), in place.

    For every key, with g = grads[key]:

        m = beta1 * m + (1 - beta1) * g          (the running mean of g)
        v = beta2 * v + (1 - beta2) * g**2       (the running mean of g**2)

    Both start at zero, so in the first steps they are too small: correct that bias for step
    t, then move the parameter a step of learning_rate * m_hat / (sqrt(v_hat) + eps) downhill,
    where m_hat and v_hat are the bias-corrected averages. m and v hold the running averages
    for every key (zeros before the first step); keep the new ones in them for the next step.

    Shapes: params[key], grads[key], m[key] and v[key] alike, for every key
    """
    # >>> adam_step
    for key, p in params.items():
        g = grads[key]
        m[key] = beta1 * m[key] + (1 - beta1) * g
        v[key] = beta2 * v[key] + (1 - beta2) * g**2
        m_hat = m[key] / (1 - beta1**t)
        v_hat = v[key] / (1 - beta2**t)
        p -= learning_rate * m_hat / (np.sqrt(v_hat) + eps)
    # <<<
