"""Every exercise's check, by key, and the one function that runs a check and gives its verdict.

A check is a function of the learner's ``Workbook`` that returns when the exercise is right and
raises ``Fail(hint)`` when it is not. ``run_check`` turns anything else the learner's code does
(raising, calling ``sys.exit``) into a FAIL with a hint too, so grading never crashes.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np

from . import (
    check_activations,
    check_adam,
    check_backward,
    check_forward,
    check_he_normal,
    check_optimizers,
    check_softmax,
)
from .kit import Fail, Workbook, describe_exception

_MODULES = (
    check_activations,
    check_softmax,
    check_forward,
    check_backward,
    check_optimizers,
    check_adam,
    check_he_normal,
)
CHECKS: dict[str, Callable[[Workbook], None]] = {
    key: check for module in _MODULES for key, check in module.CHECKS.items()
}
#: per exercise: a piece of an exception's text -> a tip for it
ERROR_HINTS: dict[str, dict[str, str]] = {
    key: hints for module in _MODULES for key, hints in getattr(module, "ERROR_HINTS", {}).items()
}


def run_check(workbook: Workbook, key: str) -> tuple[bool, str]:
    """(passed, hint) for one exercise; the hint is "" when it passed."""
    try:
        # NOTE: overflow warnings from the learner's code are noise here: the checks look at
        # the values, and a NaN or inf gets a hint of its own
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            CHECKS[key](workbook)
    except Fail as fail:
        return False, str(fail)
    except (Exception, SystemExit) as err:
        return False, describe_exception(err, workbook.directory, ERROR_HINTS.get(key, {}))
    return True, ""
