"""What notebooks display besides figures: source code side by side, tables of symmetry functions.

Example
-------
>>> from nnp_tutorial.descriptors.functions import AngularG3, RadialG2
>>> radial = RadialG2("O", "H", eta=0.5, rs=0.0, rc=6.35)  # η in 1/Å², r_s and r_c in Å
>>> angular = AngularG3("O", "H", "H", eta=0.1, lambda_=-1, zeta=4, rc=6.35)
>>> symmetry_function_table([radial, angular])
   type neighbours  η (1/Å²)  r_s (Å)  r_c (Å)    λ    ζ
0     2          H       0.5      0.0     6.35  NaN  NaN
1     3        H–H       0.1      0.0     6.35 -1.0  4.0
"""

from __future__ import annotations

import html
import inspect
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import pandas as pd
from IPython.display import HTML

if TYPE_CHECKING:
    from ..descriptors.functions import SymmetryFunction


def source_columns(*functions: Callable) -> HTML:
    """The source code of ``functions`` side by side: one column each of an HTML table.

    Each cell holds ``inspect.getsource`` of one function, HTML-escaped, as preformatted
    text in an 11 px font, so that two methods of ~40 lines fit the width of a notebook.
    Display it with ``IPython.display.display``.
    """
    cells = "".join(
        f"<td style='vertical-align:top; text-align:left'><pre style='font-size:11px'>"
        f"{html.escape(inspect.getsource(function))}</pre></td>"
        for function in functions
    )
    return HTML(f"<table><tr>{cells}</tr></table>")


def symmetry_function_table(functions: Sequence[SymmetryFunction]) -> pd.DataFrame:
    """One row per symmetry function, in the order given (e.g. ``descriptor.functions["O"]``).

    Columns: ``type`` (n2p2 code 2, 3 or 9), ``neighbours`` (elements joined by "–"),
    ``η (1/Å²)``, ``r_s (Å)``, ``r_c (Å)``, and for angular functions ``λ`` (±1) and ``ζ``
    (NaN in the rows of radial functions).
    """
    rows = []
    for sf in functions:
        row = {
            "type": sf.type,
            "neighbours": "–".join(sf.neighbors),
            "η (1/Å²)": sf.eta,
            "r_s (Å)": sf.rs,
            "r_c (Å)": sf.rc,
        }
        if sf.type != 2:
            row.update({"λ": sf.lambda_, "ζ": sf.zeta})
        rows.append(row)
    return pd.DataFrame(rows)
