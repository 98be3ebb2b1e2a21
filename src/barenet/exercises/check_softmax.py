"""The check of exercise 7: Softmax.activate.

A hand-worked case, then rows of large and of very different logits in one batch (1000 and
-1000), compared with barenet's own Softmax: the row-max shift is what keeps them finite.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .. import activations as reference
from ..activations import Array
from .check_activations import LN2, LN4, LN5, OVERFLOW
from .kit import Fail, Variants, Workbook, expect_array, grid

# exp of the logits: 1, 2, 5 (sum 8) and 4, 2, 2 (sum 8)
SOFTMAX_Z = np.array([[0.0, LN2, LN5], [LN4, LN2, LN2]])
SOFTMAX_A = np.array([[0.125, 0.25, 0.625], [0.5, 0.25, 0.25]])
# both rows are [0, 1, 2] shifted, so both softmaxes are softmax([0, 1, 2])
SOFTMAX_EXTREME = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -999.0, -998.0]])

ROWS = "each row (one sample's k logits) must sum to 1 on its own: sum over axis=1"


def _softmax_variants(z: Array) -> Variants:
    with np.errstate(all="ignore"):
        e = np.exp(z)
        shifted = np.exp(z - z.max())
        rows = np.exp(z - z.max(axis=1, keepdims=True))
        columns = np.exp(z - z.max(axis=0, keepdims=True))
        return [
            *(
                (f"normalized over the wrong axis: {ROWS}", x / x.sum(axis=0, keepdims=True))
                for x in (columns, rows)
            ),
            *((f"normalized over the whole batch: {ROWS}", x / x.sum()) for x in (shifted, rows)),
            ("not normalized: divide each row's exp by that row's sum", e),
            (
                f"overflow: {OVERFLOW}. Subtract each row's max from its logits before exp: "
                "the softmax does not change",
                e / e.sum(axis=1, keepdims=True),
            ),
            (
                "subtract each row's own max (z.max(axis=1, keepdims=True)), not the largest "
                "logit of the whole batch: a row far below it underflows to 0 / 0",
                shifted / shifted.sum(axis=1, keepdims=True),
            ),
        ]


def check_softmax_activate(wb: Workbook) -> None:
    learner = wb.get("04_softmax.py", "Softmax")()
    for z, expected in ((SOFTMAX_Z, SOFTMAX_A), (SOFTMAX_EXTREME, None)):
        if expected is None:
            expected = reference.Softmax().activate(z)
        z_in = z.copy()
        got = learner.activate(z_in)
        if not np.array_equal(z_in, z):
            raise Fail(
                "Softmax.activate changed z in place: the network keeps z (the output delta "
                "reads it), so return a new array and leave z as it was"
            )
        expect_array(
            got,
            expected,
            "Softmax.activate(z)",
            variants=_softmax_variants(z),
            where=grid("z", z),
            nonfinite=f"{OVERFLOW}; subtract each row's max before exp",
        )


BROADCAST = (
    "A sum over axis=1 has shape (n,), which does not line up with (n, k): "
    "keepdims=True keeps it (n, 1), one number per row"
)


CHECKS: dict[str, Callable[[Workbook], None]] = {"softmax_activate": check_softmax_activate}
ERROR_HINTS: dict[str, dict[str, str]] = {"softmax_activate": {"broadcast": BROADCAST}}
