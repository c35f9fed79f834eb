"""Numbers read from files: finite, or refused.

No file of a potential or of a data set holds a meaningful NaN or infinity; a model read
with one would predict NaN without saying why. The readers parse every number with
:func:`finite_float` and report a refused one with its file and line.
"""

from __future__ import annotations

import math


def finite_float(text: str) -> float:
    """``float(text)``; raises ValueError for text that is not a number and for nan and ±inf."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text!r} is not a finite number")
    return value
