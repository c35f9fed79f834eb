r"""Behler–Parrinello neural network potential (BPNN) in TensorFlow.

.. math::

    E = \sum_i \left[ s\, \mathrm{NN}_{Z_i}\!\big(a_{Z_i} G_i + b_{Z_i}\big) + e_{Z_i} \right],
    \qquad \mathbf F_a = -\frac{\partial E}{\partial \mathbf r_a},
    \qquad \sigma = \frac{1}{V}\frac{\partial E}{\partial \varepsilon}

with one feed-forward network :math:`\mathrm{NN}_Z` per element (default
inputs → 25 tanh → 25 tanh → 1 linear), the input scaling :math:`(a_Z, b_Z)` of
:mod:`nnp_tutorial.scaling`, an output unit :math:`s` (eV) and per-element
reference energies :math:`e_Z` (eV).

Because the symmetry functions depend on the pair vectors
:math:`\mathbf D_p = \mathbf r_{j} - \mathbf r_{i}` only, one reverse-mode
gradient :math:`\mathbf g_p = \partial E/\partial \mathbf D_p` gives both

* forces, :math:`\mathbf F_a = \sum_{p:\,i_p=a} \mathbf g_p - \sum_{p:\,j_p=a} \mathbf g_p`, and
* the strain derivative, :math:`\partial E/\partial\varepsilon = \sum_p \mathbf D_p \otimes \mathbf g_p`
  (a homogeneous strain maps every :math:`\mathbf D_p` to :math:`\mathbf D_p(1+\varepsilon)`).

Weights
-------
All connections live in one flat float64 vector (:attr:`BehlerParrinelloNetwork.weights`),
element blocks in atomic-number order, each in n2p2's order (per layer:
weights ``W[input, output]`` row by row, then biases). Optimisers and the
Fisher analysis work in this space; :meth:`~BehlerParrinelloNetwork.element_slice`
gives an element's block.

n2p2 files
----------
:meth:`BehlerParrinelloNetwork.from_n2p2` loads ``input.nn``, ``scaling.data``
and ``weights.XXX.data`` (published RuNNer/n2p2 potentials);
:meth:`~BehlerParrinelloNetwork.write_n2p2` writes them, so models trained here
run in n2p2 and LAMMPS.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tensorflow as tf
from ase import Atoms

from .activations import ACTIVATIONS
from .architecture import Architecture, NetworkConstants, layer_sizes, n_connections
from .descriptors import SymmetryFunctionSet
from .descriptors.neighbors import MIN_PAIR_DISTANCE_A, NeighborSearch, PairList, closest_pair
from .errors import InputError, UnknownNameError
from .io import (
    NNPSettings,
    Normalization,
    read_input_nn,
    read_scaling,
    read_weights,
    write_input_nn,
    write_scaling,
    write_weights,
)
from .scaling import InputScaling
from .units import BOHR_TO_ANGSTROM, HARTREE_TO_EV

INITIALIZATIONS = ("xavier", "nguyen-widrow")


@dataclass
class Evaluation:
    """Energy, forces and stress of one structure (eV, eV/Å, eV/Å³).

    Attributes
    ----------
    energy : float
    forces : ndarray of shape (n_atoms, 3)
    atomic_energies : ndarray of shape (n_atoms,)
    virial : ndarray of shape (3, 3)
        :math:`\\partial E/\\partial\\varepsilon`, eV (symmetrised).
    stress : ndarray of shape (3, 3) or None
        ``virial / volume`` for periodic cells, else None.
    """

    energy: float
    forces: np.ndarray
    atomic_energies: np.ndarray
    virial: np.ndarray
    stress: np.ndarray | None


class BehlerParrinelloNetwork:
    """A BPNN potential: symmetry functions, input scaling, element networks.

    Parameters
    ----------
    descriptor : SymmetryFunctionSet
        The symmetry functions of every element.
    scaling : InputScaling
        Input scaling statistics and mode.
    hidden_nodes : list of int or dict of str to list of int, default [25, 25]
        Neurons per hidden layer (per element if a dict).
    activations : list of str, default ["t", "t"]
        n2p2 activation code of each hidden layer; the output is linear.
    energy_scale : float, default 1.0
        s, eV per unit of network output.
    reference_energies : dict of str to float, optional
        e_Z, eV per atom of each element (0 by default).
    normalize_nodes : bool, default False
        Divide each neuron's input by its fan-in (n2p2 ``normalize_nodes``).
    initialization : {"xavier", "nguyen-widrow"}, default "xavier"
        Weight initialisation (:meth:`initialize`).
    seed : int, default 0
        Seed of the initialisation.

    Attributes
    ----------
    elements : list of str
    weights : tf.Variable of shape (n_weights,)
        All connections, float64.
    sizes : dict of str to list of int
        Layer sizes per element.
    architecture : Architecture
        The compiled graphs, shared with other models of the same shape on the same descriptor.
    constants : NetworkConstants
        Input scaling, energy unit and reference energies as tensors (set at construction).
    """

    def __init__(
        self,
        descriptor: SymmetryFunctionSet,
        scaling: InputScaling,
        *,
        hidden_nodes: list[int] | dict[str, list[int]] = (25, 25),
        activations: list[str] | tuple[str, ...] = ("t", "t"),
        energy_scale: float = 1.0,
        reference_energies: dict[str, float] | None = None,
        normalize_nodes: bool = False,
        initialization: str = "xavier",
        seed: int = 0,
    ) -> None:
        self.descriptor = descriptor
        self.elements = descriptor.elements
        self.scaling = scaling
        self.activations = list(activations)
        for code in self.activations:
            if code not in ACTIVATIONS:
                raise UnknownNameError("activation", code, list(ACTIVATIONS))
        if not isinstance(hidden_nodes, dict):
            hidden_nodes = {e: list(hidden_nodes) for e in self.elements}
        self.sizes = {e: layer_sizes(descriptor.n_functions[e], list(hidden_nodes[e])) for e in self.elements}
        for e, sizes in self.sizes.items():
            if len(sizes) - 2 != len(self.activations):
                raise ValueError(
                    f"{e}: {len(sizes) - 2} hidden layers but {len(self.activations)} activations"
                )
        self.energy_scale = float(energy_scale)
        self.reference_energies = {e: 0.0 for e in self.elements}
        self.reference_energies.update(reference_energies or {})
        self.normalize_nodes = normalize_nodes
        self.n2p2_normalization: Normalization | None = None
        self.architecture = Architecture.shared(descriptor, self.sizes, self.activations, normalize_nodes)
        self.weights = tf.Variable(np.zeros(self.architecture.n_weights), dtype=tf.float64, name="weights")
        self.initialize(initialization, seed=seed)
        affine = [scaling.affine(e) for e in self.elements]
        self.constants = NetworkConstants(
            tuple(tf.constant(a, tf.float64) for a, _ in affine),
            tuple(tf.constant(b, tf.float64) for _, b in affine),
            tf.constant(self.energy_scale, tf.float64),
            tf.constant([self.reference_energies[e] for e in self.elements], tf.float64),
        )

    # -- parameters -----------------------------------------------------------------
    @property
    def n_weights(self) -> int:
        """Total number of connections."""
        return int(self.weights.shape[0])

    def element_slice(self, element: str) -> slice:
        """The block of ``element``'s network in the flat weight vector."""
        return self.architecture.slices[element]

    def get_weights(self) -> np.ndarray:
        """Copy of the flat weight vector."""
        return self.weights.numpy().copy()

    def set_weights(self, w: np.ndarray) -> None:
        """Replace the flat weight vector (shape (n_weights,))."""
        self.weights.assign(np.asarray(w, dtype=np.float64).reshape(self.n_weights))

    def initialize(self, method: str = "xavier", *, seed: int = 0) -> None:
        """Draw new weights.

        ``xavier``: Glorot-uniform weights, ``U(±sqrt(6/(n_in + n_out)))``, zero
        biases (Keras' default, PiNN's choice).
        ``nguyen-widrow``: uniform [-1, 1], then each hidden neuron's incoming
        weights rescaled to norm β = 0.7 n^(1/n_in) (×2 for tanh, as n2p2's
        ``MS_NGUYENWIDROW``) with its bias ×β, and output weights ×0.5 (RuNNer's choice).
        """
        if method not in INITIALIZATIONS:
            raise UnknownNameError("initialization", method, list(INITIALIZATIONS))
        rng = np.random.default_rng(seed)
        blocks = []
        for e in self.elements:
            sizes = self.sizes[e]
            parts = []
            for layer, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
                hidden = layer < len(sizes) - 1
                if method == "xavier":
                    limit = np.sqrt(6.0 / (n_in + n_out))
                    w, b = rng.uniform(-limit, limit, (n_in, n_out)), np.zeros(n_out)
                else:
                    w, b = rng.uniform(-1, 1, (n_in, n_out)), rng.uniform(-1, 1, n_out)
                    if hidden:
                        beta = 0.7 * n_out ** (1.0 / n_in)
                        factor = 2.0 if self.activations[layer - 1] == "t" else 1.0
                        w *= factor * beta / np.linalg.norm(w, axis=0)
                        b *= factor * beta
                    else:
                        w *= 0.5
                parts += [w.ravel(), b]
            blocks.append(np.concatenate(parts))
        self.set_weights(np.concatenate(blocks))

    # -- TensorFlow -----------------------------------------------------------------
    def atomic_energies(self, descriptors: list[tf.Tensor], weights: tf.Tensor) -> list[tf.Tensor]:
        """Atomic energies (eV, per element shape (n_rows,)) from raw symmetry functions.

        See :meth:`Architecture.atomic_energies`; this model's :attr:`constants` are used.
        """
        return self.architecture.atomic_energies(descriptors, weights, self.constants)

    def compiled_graph(self, tensors: tuple, n_rows: tuple[int, ...], n_atoms: int) -> tuple:
        """Energy, forces, ∂E/∂ε and per-element atomic energies as tensors, from index arrays.

        ``tensors`` are :meth:`~nnp_tutorial.descriptors.DescriptorInputs.tensors` of padded
        inputs with ``n_rows`` rows per element; runs :attr:`Architecture.compiled_evaluation`.
        """
        return self.architecture.compiled_evaluation(*tensors, self.weights, self.constants, n_rows, n_atoms)

    # -- numpy front end ------------------------------------------------------------
    def evaluate(
        self,
        atoms: Atoms,
        *,
        dtype: str = "float64",
        engine: str | None = None,
        max_triples: int = 2_000_000,
        neighbor_search: NeighborSearch | None = None,
    ) -> Evaluation:
        """Energy, forces, atomic energies and stress of one structure.

        Two engines give the same numbers (to round-off):

        * ``"loops"`` (the default in float64): symmetry functions and their gradient
          as compiled loops over the central atoms
          (:class:`~nnp_tutorial.descriptors.loops.DescriptorLoops`), the networks and
          their gradient in TensorFlow; about twice as fast for one structure, and it
          keeps only three int32 indices per triple, so it needs no chunks;
        * ``"graph"``: one XLA-compiled TensorFlow graph (the one the training
          Jacobians differentiate). ``dtype="float32"`` runs it in single precision
          (forces to ~1e-5 relative, energies summed in float64) — for MD, not for
          training or finite-difference tests. Large structures are processed in
          chunks of central atoms with at most about ``max_triples`` angular
          triples each, which bounds the memory.

        ``neighbor_search`` is a :class:`~nnp_tutorial.descriptors.neighbors.NeighborSearch`
        kept from one MD step to the next (its Verlet cache saves most of the
        neighbour search); the results are the same with or without it.
        """
        engine = engine or ("loops" if dtype == "float64" else "graph")
        if engine not in ("loops", "graph"):
            raise UnknownNameError("engine", engine, ["loops", "graph"])
        if engine == "loops" and dtype != "float64":
            raise ValueError(f"the loops engine runs in float64 only, not {dtype}; use engine='graph'")
        pairs = self.descriptor.pairs(atoms, neighbor_search)
        i, j, r = closest_pair(pairs)
        if r < MIN_PAIR_DISTANCE_A:
            symbols = atoms.get_chemical_symbols()
            raise InputError(
                f"atoms {i} ({symbols[i]}) and {j} ({symbols[j]}) are {r:.3f} Å apart, closer than "
                f"{MIN_PAIR_DISTANCE_A} Å: atoms on top of each other, not a structure to evaluate"
            )
        if engine == "loops":
            return self._evaluate_loops(atoms, pairs)
        return self._evaluate_graph(atoms, pairs, dtype, max_triples)

    def _evaluate_graph(self, atoms: Atoms, pairs: PairList, dtype: str, max_triples: int) -> Evaluation:
        """:meth:`evaluate` with the compiled graph, in chunks of at most ~``max_triples`` triples."""
        n_atoms = len(atoms)
        species = pairs.species
        chunks = _center_chunks(pairs, max_triples)
        energy = 0.0
        forces = np.zeros((n_atoms, 3))
        virial = np.zeros((3, 3))
        atomic = np.zeros(n_atoms)
        members = [np.flatnonzero(species == k) for k in range(len(self.elements))]  # atoms per element
        for mask in chunks:
            inputs = self.descriptor.graph.padded(self.descriptor.graph.inputs(pairs, mask))
            chunk = [m[mask[m]] for m in members]  # the chunk's atoms of each element, in row order
            e, f, v, per_element = self.compiled_graph(
                inputs.tensors(tf.as_dtype(dtype)), inputs.n_rows, n_atoms
            )
            energy += float(e)
            forces += f.numpy()
            virial += v.numpy()
            for m, x in zip(chunk, per_element):
                atomic[m] = x.numpy()
        return _evaluation(atoms, energy, forces, atomic, virial)

    def _evaluate_loops(self, atoms: Atoms, pairs: PairList) -> Evaluation:
        """:meth:`evaluate` with the symmetry functions as compiled loops."""
        loops = self.architecture.loops
        g, state = loops.forward(pairs)
        energies, nu = self.architecture.compiled_network_gradient(
            [tf.constant(x) for x in g], self.weights, self.constants
        )
        forces, virial = loops.forces_and_virial(pairs, loops.backward(state, [x.numpy() for x in nu]))
        atomic = np.zeros(len(atoms))
        for k, e in enumerate(energies):
            atomic[pairs.species == k] = e.numpy()
        energy = float(sum(np.sum(e) for e in energies))
        return _evaluation(atoms, energy, forces, atomic, virial)

    # -- n2p2 files -----------------------------------------------------------------
    @classmethod
    def from_n2p2(cls, directory: str | Path) -> BehlerParrinelloNetwork:
        """Load a RuNNer/n2p2 potential (``input.nn``, ``scaling.data``, ``weights.XXX.data``).

        The network output is converted to eV: without n2p2's normalisation
        block it is in Hartree; with it, ``E = E_n / conv_energy + N mean_energy``.
        ``atom_energy`` lines add per-element reference energies. Models whose files
        name the same symmetry functions share one descriptor (:meth:`SymmetryFunctionSet.shared`).
        """
        directory = Path(directory)
        settings = read_input_nn(directory / "input.nn")
        descriptor = SymmetryFunctionSet.shared(
            settings.symmetry_functions, cutoff_type=settings.cutoff_type, cutoff_alpha=settings.cutoff_alpha
        )
        stats = read_scaling(directory / "scaling.data", descriptor.n_functions)
        scaling = InputScaling(stats, settings.scaling, settings.scale_min, settings.scale_max)
        norm = settings.normalization
        scale = HARTREE_TO_EV if norm is None else 1.0 / norm.conv_energy
        shift = 0.0 if norm is None else norm.mean_energy
        references = {e: shift + settings.atom_energies.get(e, 0.0) for e in settings.elements}
        model = cls(
            descriptor,
            scaling,
            hidden_nodes=settings.hidden_nodes,
            activations=settings.activations,
            energy_scale=scale,
            reference_energies=references,
            normalize_nodes=settings.normalize_nodes,
        )
        model.n2p2_normalization = norm
        from ase.data import atomic_numbers

        blocks = [
            read_weights(directory / f"weights.{atomic_numbers[e]:03d}.data", n_connections(model.sizes[e]))
            for e in model.elements
        ]
        model.set_weights(np.concatenate(blocks))
        return model

    def n2p2_settings(self) -> NNPSettings:
        """The model's settings as an :class:`~nnp_tutorial.io.NNPSettings` for ``input.nn``."""
        norm = self.n2p2_normalization
        if norm is None and not np.isclose(self.energy_scale, HARTREE_TO_EV, rtol=1e-15, atol=0):
            norm = Normalization(0.0, 1.0 / self.energy_scale, 1.0 / BOHR_TO_ANGSTROM)
        shift = 0.0 if norm is None else norm.mean_energy
        atom_energies = {e: v - shift for e, v in self.reference_energies.items()}
        if not any(atom_energies.values()):
            atom_energies = {}
        return NNPSettings(
            elements=list(self.elements),
            symmetry_functions=self.descriptor.functions,
            cutoff_type=self.descriptor.cutoff_type,
            cutoff_alpha=self.descriptor.cutoff_alpha,
            scaling=self.scaling.mode,
            scale_min=self.scaling.scale_min,
            scale_max=self.scaling.scale_max,
            hidden_nodes={e: s[1:-1] for e, s in self.sizes.items()},
            activations=self.activations,
            normalize_nodes=self.normalize_nodes,
            normalization=norm,
            atom_energies=atom_energies,
        )

    def write_n2p2(self, directory: str | Path) -> None:
        """Write ``input.nn``, ``scaling.data`` and ``weights.XXX.data`` into ``directory``.

        Refuses (ValueError, before any file is written) weights that are not all finite.
        """
        from ase.data import atomic_numbers

        w = self.get_weights()
        if not np.all(np.isfinite(w)):
            bad = int(np.sum(~np.isfinite(w)))
            raise ValueError(f"refusing to write {directory}: {bad} weights are not finite")
        directory = Path(directory)
        write_input_nn(self.n2p2_settings(), directory / "input.nn")
        write_scaling(self.scaling.statistics, directory / "scaling.data")
        for e in self.elements:
            write_weights(
                w[self.element_slice(e)], self.sizes[e], directory / f"weights.{atomic_numbers[e]:03d}.data"
            )

    def __repr__(self) -> str:
        arch = "; ".join(f"{e}: {'-'.join(map(str, s))}" for e, s in self.sizes.items())
        return f"BehlerParrinelloNetwork({arch}; {self.n_weights} weights; {self.descriptor!r})"


def _evaluation(
    atoms: Atoms, energy: float, forces: np.ndarray, atomic: np.ndarray, virial: np.ndarray
) -> Evaluation:
    """The :class:`Evaluation` of ``atoms`` with the virial symmetrised and, if periodic, the stress."""
    virial = 0.5 * (virial + virial.T)
    stress = virial / atoms.get_volume() if atoms.pbc.all() else None
    return Evaluation(energy, forces, atomic, virial, stress)


def _center_chunks(pairs, max_triples: int) -> list[np.ndarray]:
    """Boolean masks over atoms splitting the centres into chunks of bounded triple count."""
    n_atoms = len(pairs.species)
    per_atom = pairs.block_count.sum(axis=1).astype(np.float64)
    estimate = 0.5 * per_atom**2  # upper bound of the triples of each centre
    total = estimate.sum()
    if total <= max_triples:
        return [np.ones(n_atoms, dtype=bool)]
    n_chunks = int(np.ceil(total / max_triples))
    bounds = np.searchsorted(np.cumsum(estimate), np.linspace(0, total, n_chunks + 1)[1:-1])
    labels = np.zeros(n_atoms, dtype=np.int64)
    for b in bounds:
        labels[b:] += 1
    # a centre with more candidates than max_triples takes several bounds: no empty chunks
    return [labels == k for k in np.unique(labels)]
