"""Views of structures and MD results in Jupyter: 3D (nglview) and a density explorer (ipywidgets).

:func:`show_structure` shows one structure, :func:`show_trajectory` a sequence of frames
with nglview's player (play button and frame slider). Both draw ball-and-stick atoms in
element colours (O red, H white) and the edges of the periodic cell. Atoms are wrapped
into the cell (``Atoms.wrap``), so a molecule crossing a face shows its parts on both
sides, as in most periodic viewers. :class:`DensityExplorer` shows the density trace of
MD runs with its block average for an equilibration cut chosen with a slider.

nglview comes in two halves: this Python package and a JupyterLab extension (JavaScript)
that draws in the browser. The widget asks the browser for its JavaScript model by name
and version; when the installed extension has another version, JupyterLab shows
"Failed to load model class 'NGLModel'" instead of the molecule. nglview 4.0.1 on PyPI is
such a pair (Python asks for 4.0, the bundled extension is 3.1.5); the project pins
nglview 4.0, whose halves are both 3.1.5, and ``tests/test_nglview_versions.py`` checks
the pair that is installed.

Example
-------
>>> from nnp_tutorial.tutorial.views import show_structure             # doctest: +SKIP
>>> show_structure(atoms)  # last expression of a cell: the view         # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import ipywidgets as widgets
import nglview
import pandas as pd
from ase import Atoms

from ..md.analysis import mean_density
from ..md.equilibration import average_verdict, window
from ..md.plots import plot_density
from .png import figure_png

#: Rotation of a spinning view: axis (screen y) and angle per animation frame, radians.
SPIN_AXIS, SPIN_RADIANS_PER_FRAME = (0.0, 1.0, 0.0), 0.01


def wrapped(atoms: Atoms) -> Atoms:
    """Copy of ``atoms`` with positions wrapped into the cell, without calculator or momenta."""
    shown = Atoms(atoms.numbers, positions=atoms.positions, cell=atoms.cell, pbc=atoms.pbc)
    if shown.pbc.any():
        shown.wrap()
    return shown


def _draw(view: nglview.NGLWidget) -> nglview.NGLWidget:
    """Ball-and-stick atoms and, for a periodic structure, the cell edges."""
    view.add_ball_and_stick(colorScheme="element")
    view.add_unitcell()
    view.center()
    return view


def show_structure(atoms: Atoms, *, spin: bool = True) -> nglview.NGLWidget:
    """Interactive 3D view of one structure (drag to rotate, scroll to zoom).

    Parameters
    ----------
    atoms : Atoms
        Any structure; periodic ones show their cell.
    spin : bool, default True
        Keep the view rotating about the vertical screen axis
        (:data:`SPIN_RADIANS_PER_FRAME`); a mouse drag takes over.

    Returns
    -------
    nglview.NGLWidget
        Display it as the last expression of a cell.
    """
    view = _draw(nglview.NGLWidget(nglview.ASEStructure(wrapped(atoms)), default_representation=False))
    if spin:
        view._set_spin(list(SPIN_AXIS), SPIN_RADIANS_PER_FRAME)  # NGL's Stage.setSpin; no public wrapper
    return view


def show_trajectory(frames: Sequence[Atoms]) -> nglview.NGLWidget:
    """Animated 3D view of MD frames with nglview's player.

    Parameters
    ----------
    frames : sequence of Atoms
        The same atoms in the same order in every frame, e.g. a list of frames or an
        open ``ase.io.Trajectory``. The cell drawn is that of the first frame.

    Returns
    -------
    nglview.NGLWidget
        ``view.max_frame == len(frames) - 1``.
    """
    if len(frames) == 0:
        raise ValueError("show_trajectory needs at least one frame")
    shown = [wrapped(frame) for frame in frames]
    return _draw(nglview.NGLWidget(nglview.ASETrajectory(shown), default_representation=False))


class DensityExplorer(widgets.VBox):
    """Density trace of an MD run with its verdict, for a chosen equilibration cut.

    A menu picks the run, one slider the fraction of the run discarded as equilibration,
    another the number of blocks of :func:`~nnp_tutorial.md.analysis.mean_density`. The
    window after the cut is tested for drift (:func:`~nnp_tutorial.md.equilibration.average_verdict`):
    the readout gives the mean density ± its standard error (g/ml) only when the window is
    stationary, else the drift per ps; the figure shows the trace, the discarded part shaded,
    and the mean band only for a stationary window.

    Parameters
    ----------
    runs : mapping of str to DataFrame
        Run label → thermo table (columns ``time_ps`` and ``density_g_per_ml``, as
        :func:`~nnp_tutorial.md.thermo.read_thermo` gives).
    discard_fraction : float, default 0.5
    n_blocks : int, default 5
    """

    def __init__(
        self, runs: Mapping[str, pd.DataFrame], *, discard_fraction: float = 0.5, n_blocks: int = 5
    ) -> None:
        if not runs:
            raise ValueError("DensityExplorer needs at least one run")
        self.runs = dict(runs)
        self.run = widgets.Dropdown(options=list(self.runs), description="run")
        self.discard = widgets.FloatSlider(
            value=discard_fraction,
            min=0.0,
            max=0.9,
            step=0.05,
            description="discard",
            readout_format=".0%",
            continuous_update=False,
        )
        self.blocks = widgets.IntSlider(
            value=n_blocks, min=2, max=20, description="blocks", continuous_update=False
        )
        self.readout = widgets.HTML()
        self.image = widgets.Image(format="png")
        for control in (self.run, self.discard, self.blocks):
            control.observe(self.update, names="value")
        super().__init__([widgets.HBox([self.run, self.discard, self.blocks]), self.readout, self.image])
        self.update()

    def update(self, _change=None) -> None:
        """Recompute the average for the current controls and redraw."""
        thermo = self.runs[self.run.value]
        verdict = None
        try:
            average = mean_density(thermo, discard_fraction=self.discard.value, n_blocks=self.blocks.value)
        except ValueError as error:  # too few rows after the cut for that many blocks
            self.readout.value = f"{self.run.value}: {error}"
        else:
            rows = window(thermo, self.discard.value)
            verdict = average_verdict(rows["time_ps"], rows["density_g_per_ml"], n_blocks=self.blocks.value)
            if verdict.status == "stable":
                self.readout.value = (
                    f"{self.run.value}: density {average} g/ml "
                    f"({average.n_blocks} blocks of {average.block_length} rows), no significant drift"
                )
            else:
                self.readout.value = f"{self.run.value}: no stable density, {verdict} (g/ml)"
        figure = plot_density(thermo, verdict=verdict, label=self.run.value)
        cut = self.discard.value * float(thermo["time_ps"].iloc[-1])
        figure.axes[0].axvspan(float(thermo["time_ps"].iloc[0]), cut, color="0.85", zorder=0)
        self.image.value = figure_png(figure)
