r"""Scaling of the network inputs (n2p2's ``scale_symmetry_functions`` family).

Each symmetry function is mapped affinely, :math:`G_s = a\,G + b`, with
:math:`a, b` from statistics of the training set:

================  =========================================================================
mode              :math:`G_s`
================  =========================================================================
``none``          :math:`G`
``scale``         :math:`S_{min} + (S_{max}-S_{min})(G-G_{min})/(G_{max}-G_{min})`
``center``        :math:`G - \bar G`
``scale_center``  :math:`S_{min} + (S_{max}-S_{min})(G-\bar G)/(G_{max}-G_{min})` (default)
``scale_sigma``   :math:`S_{min} + (S_{max}-S_{min})(G-\bar G)/\sigma_G`
================  =========================================================================

The same formulas as n2p2's ``SymFnc::scale`` (``ST_SCALE`` … ``ST_SCALESIGMA``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import CalculationFailed, UnknownNameError
from .io.nnp_settings import SCALING_MODES
from .io.scaling import ScalingData


@dataclass
class InputScaling:
    """Statistics and mode that define the affine input map of each element.

    Attributes
    ----------
    statistics : ScalingData
        Per-element min, max, mean and sigma of the raw symmetry functions.
    mode : str
        One of ``none``, ``scale``, ``center``, ``scale_center``, ``scale_sigma``.
    scale_min, scale_max : float
        Target range S_min, S_max.
    """

    statistics: ScalingData
    mode: str = "scale_center"
    scale_min: float = 0.0
    scale_max: float = 1.0

    def __post_init__(self) -> None:
        if self.mode not in SCALING_MODES:
            raise UnknownNameError("scaling mode", self.mode, list(SCALING_MODES))

    def affine(self, element: str) -> tuple[np.ndarray, np.ndarray]:
        """Slope ``a`` and offset ``b`` (each of shape (n_sf,)) with ``G_s = a G + b``.

        Raises
        ------
        CalculationFailed
            If a function the mode divides by has zero range (or zero sigma).
        """
        st = self.statistics
        lo, hi, mean, sigma = st.minimum[element], st.maximum[element], st.mean[element], st.sigma[element]
        width = self.scale_max - self.scale_min
        if self.mode == "none":
            return np.ones_like(mean), np.zeros_like(mean)
        if self.mode == "center":
            return np.ones_like(mean), -mean
        denominator = sigma if self.mode == "scale_sigma" else hi - lo
        if not np.all(np.isfinite(denominator) & (denominator > 0)):
            bad = np.flatnonzero(~(np.isfinite(denominator) & (denominator > 0))) + 1
            raise CalculationFailed(
                f"{element}: symmetry functions {bad.tolist()} have zero range in the scaling "
                f"statistics, so mode {self.mode!r} cannot scale them"
            )
        a = width / denominator
        origin = lo if self.mode == "scale" else mean
        return a, self.scale_min - a * origin

    @classmethod
    def fit(
        cls,
        descriptors: dict[str, np.ndarray],
        *,
        mode: str = "scale_center",
        scale_min: float = 0.0,
        scale_max: float = 1.0,
    ) -> InputScaling:
        """Statistics of a set of raw symmetry functions (e.g. the training set).

        Parameters
        ----------
        descriptors : dict of str to ndarray of shape (n_atoms_of_element, n_sf)
            Raw symmetry functions of all atoms of each element.
        """
        stats = ScalingData(
            minimum={e: g.min(axis=0) for e, g in descriptors.items()},
            maximum={e: g.max(axis=0) for e, g in descriptors.items()},
            mean={e: g.mean(axis=0) for e, g in descriptors.items()},
            sigma={e: g.std(axis=0) for e, g in descriptors.items()},
        )
        return cls(stats, mode, scale_min, scale_max)
