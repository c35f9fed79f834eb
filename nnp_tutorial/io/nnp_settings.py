"""What an n2p2 ``input.nn`` file says, as data (Å and eV): :class:`NNPSettings`.

Read and written by :mod:`nnp_tutorial.io.input_nn`; the model is built from it
(:meth:`~nnp_tutorial.model.BehlerParrinelloNetwork.from_n2p2`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..descriptors.functions import SymmetryFunction

#: Scaling modes and the n2p2 formula for the scaled input G_s.
SCALING_MODES = {
    "none": "G_s = G",
    "scale": "G_s = S_min + (S_max - S_min) (G - G_min) / (G_max - G_min)",
    "center": "G_s = G - G_mean",
    "scale_center": "G_s = S_min + (S_max - S_min) (G - G_mean) / (G_max - G_min)",
    "scale_sigma": "G_s = S_min + (S_max - S_min) (G - G_mean) / G_sigma",
}

#: n2p2 activation codes of hidden layers.
ACTIVATION_CODES = ("l", "t", "s", "p", "r", "g", "c", "S", "e", "h")


@dataclass(frozen=True)
class Normalization:
    """n2p2's data-set normalisation block, converted to eV and Å.

    n2p2 trains in normalised units, ``E_n = (E - N * mean_energy) * conv_energy``
    and ``r_n = r * conv_length``; the network's output therefore has to be
    divided by ``conv_energy`` and shifted by ``N * mean_energy``.

    Attributes
    ----------
    mean_energy : float
        Mean energy per atom, eV.
    conv_energy : float
        Normalised energy units per eV.
    conv_length : float
        Normalised length units per Å.
    """

    mean_energy: float
    conv_energy: float
    conv_length: float


@dataclass
class NNPSettings:
    """The content of an ``input.nn`` file, in Å and eV.

    Attributes
    ----------
    elements : list of str
        Element symbols ordered by atomic number (n2p2's element order).
    symmetry_functions : dict of str to list
        Per element, its symmetry functions in n2p2's sorted order
        (:func:`~nnp_tutorial.descriptors.functions.n2p2_sort_key`).
    cutoff_type : int
        n2p2 cutoff code.
    cutoff_alpha : float
        Inner cutoff as a fraction of r_c (cutoff type 1 only).
    scaling : str
        One of :data:`SCALING_MODES`.
    scale_min, scale_max : float
        Target range S_min, S_max of the scaled inputs.
    hidden_nodes : dict of str to list of int
        Per element, the number of neurons in each hidden layer.
    activations : list of str
        n2p2 activation code of each hidden layer (the output is linear).
    normalize_nodes : bool
        Whether each neuron's input is divided by its fan-in.
    normalization : Normalization or None
        n2p2 normalisation block, if present.
    atom_energies : dict of str to float
        Per-element reference energies, eV (empty if the file has none).
    extra : list of str
        Lines with other keywords, kept verbatim.
    """

    elements: list[str]
    symmetry_functions: dict[str, list[SymmetryFunction]]
    cutoff_type: int = 2
    cutoff_alpha: float = 0.0
    scaling: str = "scale_center"
    scale_min: float = 0.0
    scale_max: float = 1.0
    hidden_nodes: dict[str, list[int]] = field(default_factory=dict)
    activations: list[str] = field(default_factory=lambda: ["t", "t"])
    normalize_nodes: bool = False
    normalization: Normalization | None = None
    atom_energies: dict[str, float] = field(default_factory=dict)
    extra: list[str] = field(default_factory=list)
