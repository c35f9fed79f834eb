"""Figures as images for widgets (no TensorFlow, no training code: the views import it)."""

from __future__ import annotations

import io

from matplotlib.figure import Figure


def figure_png(figure: Figure, dpi: int = 90) -> bytes:
    """The figure as PNG bytes (for an :class:`ipywidgets.Image`)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()
