r"""Predictions of drawn labels and their derivatives with respect to the weights.

Training never recomputes second derivatives of a whole structure. The
symmetry functions :math:`G` of every structure are computed once and cached
(:class:`DescriptorCache`). Then

* an **energy label** needs only the networks: :math:`\hat E(w) = \sum_i E_i(G_i; w)`
  and :math:`\partial\hat E/\partial w` by one reverse pass;
* a **force label** :math:`F_c = -\partial E/\partial x_c` needs the derivatives
  :math:`\partial G_i/\partial x_c` of the centres that move with the drawn atom only,

  .. math::

      F_c(w) = -\sum_{i} \nabla_G E_i(G_i; w) \cdot \frac{\partial G_i}{\partial x_c},

  a directional derivative of each network, and its weight derivatives.

Which path runs where
---------------------
``engine="closed-form"`` (the default: training, the Fisher spectrum): the
derivatives :math:`\partial G_i/\partial x_c` by compiled loops for the drawn atoms
(:mod:`nnp_tutorial.descriptors.derivatives`; weight-independent, so
:func:`batch_inputs` prepares them ahead in a thread), the networks' forward-mode
tangents and their weight derivatives written out layer by layer in NumPy
(:mod:`nnp_tutorial.network_derivatives`). Adam takes :math:`2J^\top\xi` as one
vector–Jacobian product without forming :math:`J`. No XLA compilation per structure
size, no memory that grows with the shapes seen.

``engine="graph"`` (the test oracle): the same numbers through the TensorFlow graph
of the symmetry functions (:class:`LabelGraphs`), differentiated by reverse over
reverse mode, XLA-compiled once per padded shape (about 6 s and 0.2 GB each).
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf
from ase import Atoms
from tqdm.auto import tqdm

from ..descriptors import DescriptorInputs
from ..descriptors.derivatives import DrawnAtomDerivatives, DrawnDerivatives
from ..descriptors.neighbors import CompactPairs, PairList
from ..dispatch import ShapeDispatch
from ..errors import UnknownNameError
from ..network_derivatives import NetworkDerivatives
from .schedule import Batch, BatchSchedule, scaled_errors


class DescriptorCache:
    """Raw symmetry functions of a list of structures, each computed once.

    Parameters
    ----------
    descriptor : SymmetryFunctionSet
    structures : list of ase.Atoms
    progress : bool, default True
        Progress bar while computing all structures up front.
    lazy : bool, default False
        Compute a structure's functions only when first asked for (e.g. when a
        few hundred drawn batches need a few hundred structures).

    ``cache[frame]`` is a list over elements of arrays of shape
    (n_atoms_of_element, n_functions). The neighbour list of each structure is searched
    once, for its functions, and kept for :meth:`pairs` (about 11 bytes per pair, 0.2 MB
    for a 192-atom water frame: a search, 5 ms, costs more than a force label).
    """

    def __init__(
        self, descriptor, structures: list[Atoms], *, progress: bool = True, lazy: bool = False
    ) -> None:
        self.descriptor = descriptor
        self.structures = structures
        self._values: dict[int, list[np.ndarray]] = {}
        self._pairs: dict[int, CompactPairs] = {}
        self._references: dict[int, tuple[float, np.ndarray]] = {}
        if not lazy:
            for frame in tqdm(range(len(structures)), disable=not progress, desc="symmetry functions"):
                self[frame]

    def __getitem__(self, frame: int) -> list[np.ndarray]:
        if frame not in self._values:
            g = self.descriptor.compute(self.structures[frame], self.pairs(frame))
            self._values[frame] = [g[e] for e in self.descriptor.elements]
        return self._values[frame]

    def __len__(self) -> int:
        return len(self.structures)

    def reference(self, frame: int) -> tuple[float, np.ndarray]:
        """The reference labels of structure ``frame``: energy per atom (eV/atom) and the forces
        as one flat array of components ``3 * atom + axis`` (eV/Å), read once and kept (ASE's
        ``get_forces`` compares the structure with the calculator's at each call)."""
        if frame not in self._references:
            atoms = self.structures[frame]
            self._references[frame] = (atoms.get_potential_energy() / len(atoms), atoms.get_forces().ravel())
        return self._references[frame]

    def pairs(self, frame: int) -> PairList:
        """The neighbour list of structure ``frame`` (searched once, then kept compactly)."""
        atoms = self.structures[frame]
        if frame not in self._pairs:
            pairs = self.descriptor.pairs(atoms)
            self._pairs[frame] = pairs.compact()
            return pairs
        return self._pairs[frame].expand(atoms.positions, atoms.cell.array)

    def concatenated(self, frames) -> dict[str, np.ndarray]:
        """All rows of ``frames`` per element (e.g. to fit the input scaling)."""
        return {
            e: np.concatenate([self[f][k] for f in frames]) for k, e in enumerate(self.descriptor.elements)
        }

    @property
    def nbytes(self) -> int:
        """Memory held, bytes."""
        values = sum(x.nbytes for v in self._values.values() for x in v)
        return values + sum(p.nbytes for p in self._pairs.values())


#: What a force batch needs from its structure alone (weight-independent, prepared ahead).
Prepared = DrawnDerivatives | DescriptorInputs | None

ENGINES = ("closed-form", "graph")


def batch_inputs(
    labels: LabelFunctions, cache: DescriptorCache, schedule: BatchSchedule, step: int
) -> Prepared:
    """The weight-independent part of :func:`batch_errors` for a force batch (None for energy)."""
    batch = schedule.draw(step)
    if batch.kind == "energy":
        return None
    return labels.prepare(cache.structures[batch.frame], batch.components, cache.pairs(batch.frame))


class DenseLinearization:
    """Predicted labels (m,) with their Jacobian (m, n) already formed (energy labels, the graph engine)."""

    def __init__(self, values: np.ndarray, jacobian: np.ndarray) -> None:
        self.values, self._jacobian = values, jacobian

    def jacobian(self) -> np.ndarray:
        return self._jacobian

    def vjp(self, cotangent: np.ndarray) -> np.ndarray:
        return self._jacobian.T @ cotangent


class BatchErrors:
    """The scaled errors ξ = √(c/m)(ŷ − y) (m,) of one batch and their weight derivatives.

    :meth:`jacobian` forms J = ∂ξ/∂w (m, n), which the Kalman filter needs;
    :meth:`l2_gradient` gives ∂(ξᵀξ)/∂w = 2 Jᵀ ξ (n,) as one vector–Jacobian
    product, which is all Adam needs.
    """

    def __init__(self, batch: Batch, xi: np.ndarray, scale: float, linearization) -> None:
        self.batch, self.xi, self.scale = batch, xi, scale
        self._linearization = linearization

    def jacobian(self) -> np.ndarray:
        return self.scale * self._linearization.jacobian()

    def l2_gradient(self) -> np.ndarray:
        return self._linearization.vjp(2.0 * self.scale * self.xi)


def batch_errors(
    labels: LabelFunctions,
    cache: DescriptorCache,
    schedule: BatchSchedule,
    step: int,
    prepared: Prepared = None,
) -> BatchErrors:
    """The batch of ``step`` with its scaled errors and their derivatives (:class:`BatchErrors`).

    Labels are the reference energy per atom (eV/atom) and force components
    (eV/Å) attached to ``cache.structures``. ``prepared`` is :func:`batch_inputs`
    of the same step, if already computed.
    """
    batch = schedule.draw(step)
    atoms = cache.structures[batch.frame]
    energy, forces = cache.reference(batch.frame)
    if batch.kind == "energy":
        value, gradient = labels.energy(cache[batch.frame], len(atoms))
        linearization = DenseLinearization(np.array([value]), gradient[None])
    else:
        if prepared is None:
            prepared = labels.prepare(atoms, batch.components, cache.pairs(batch.frame))
        linearization = labels.force_linearization(cache[batch.frame], atoms, batch.components, prepared)
    scale = schedule.scale(batch)
    xi = scaled_errors(linearization.values, batch.labels(energy, forces), scale)
    return BatchErrors(batch, xi, scale, linearization)


class LabelGraphs:
    """The compiled functions behind :class:`LabelFunctions`, one set per architecture.

    Made once per :class:`~nnp_tutorial.architecture.Architecture` (``architecture.companion(LabelGraphs)``)
    and shared by all its models: the weights and
    :class:`~nnp_tutorial.architecture.NetworkConstants` are arguments, so a second
    training run of the same network shape on the same descriptor compiles nothing.
    """

    def __init__(self, architecture) -> None:
        self.architecture = architecture
        self.energy = ShapeDispatch(tf.function(self._energy_jacobian, jit_compile=True))
        self.force = tf.function(self._force_jacobian, jit_compile=True)
        # one trace for all bucket shapes (XLA still compiles each shape once)
        self.force_sign = tf.function(self._force_sign_gradient, jit_compile=True, reduce_retracing=True)

    def _energy_jacobian(self, descriptors, weights, constants, n_atoms):
        with tf.GradientTape() as tape:
            tape.watch(weights)
            energies = self.architecture.atomic_energies(descriptors, weights, constants)
            per_atom = tf.add_n([tf.reduce_sum(e) for e in energies]) / n_atoms
        return per_atom, tape.gradient(per_atom, weights)

    def _selected_forces(
        self, descriptors, vectors, rows, centers, neighbors, radial, angular_p, angular_q, index, weights,
        constants, n_rows, n_atoms,
    ):  # fmt: skip
        """The drawn force components (n,), differentiable with respect to ``weights``."""
        _, nu = self.architecture.network_gradient(descriptors, weights, constants)  # dE/dG, (rows, n_sf)
        with tf.GradientTape() as geometry:
            geometry.watch(vectors)
            g = self.architecture.descriptor.graph.call(vectors, rows, radial, angular_p, angular_q, n_rows)
            projected = tf.add_n([tf.reduce_sum(n * x) for n, x in zip(nu, g)])
        grad = geometry.gradient(projected, vectors)  # (pairs, 3), complete for moving pairs
        forces = tf.math.unsorted_segment_sum(grad, centers, n_atoms) - tf.math.unsorted_segment_sum(
            grad, neighbors, n_atoms
        )  # (atoms, 3)
        return tf.gather_nd(forces, index)  # (n,)

    def _force_jacobian(self, *inputs):
        weights = inputs[-4]
        with tf.GradientTape() as outer:
            outer.watch(weights)
            selected = self._selected_forces(*inputs)
        return selected, outer.jacobian(selected, weights, experimental_use_pfor=True)

    def _force_sign_gradient(self, *inputs_and_labels):
        """Σ_c sign(F̂_c − F_c) ∂F̂_c/∂w: one reverse pass instead of the (n, n_weights) Jacobian."""
        *inputs, labels = inputs_and_labels
        weights = inputs[-4]
        with tf.GradientTape() as outer:
            outer.watch(weights)
            selected = self._selected_forces(*inputs)
            signed = tf.reduce_sum(tf.stop_gradient(tf.sign(selected - labels)) * selected)
        return selected, outer.gradient(signed, weights)


class LabelFunctions:
    """Label predictions and their weight derivatives for one model.

    Parameters
    ----------
    model : BehlerParrinelloNetwork
    engine : {"closed-form", "graph"}, default "closed-form"
        See the module docstring; the graph's compiled functions (:class:`LabelGraphs`)
        are shared with the other models of the model's architecture.
    """

    def __init__(self, model, engine: str = "closed-form") -> None:
        if engine not in ENGINES:
            raise UnknownNameError("label engine", engine, list(ENGINES))
        self.model = model
        self.engine = engine
        if engine == "graph":
            self.graphs = model.architecture.companion(LabelGraphs)
        else:
            self.networks = NetworkDerivatives(model)
            self.derivatives = DrawnAtomDerivatives(model.descriptor.loops)

    # -- numpy front end -------------------------------------------------------------
    def energy(self, descriptors: list[np.ndarray], n_atoms: int) -> tuple[float, np.ndarray]:
        """Predicted energy per atom (eV/atom) and its gradient (n_weights,) for one structure."""
        if self.engine == "closed-form":
            return self.networks.energy(descriptors, n_atoms)
        value, gradient = self.graphs.energy(
            [tf.constant(g) for g in descriptors],
            self.model.weights,
            self.model.constants,
            tf.constant(float(n_atoms), tf.float64),
        )
        return float(value), gradient.numpy()

    def prepare(
        self, atoms: Atoms, components: np.ndarray, pairs: PairList | None = None
    ) -> DrawnDerivatives | DescriptorInputs:
        """What the force labels of ``components`` need from the structure alone (no weights).

        Closed form: ∂G/∂x of the drawn components
        (:class:`~nnp_tutorial.descriptors.derivatives.DrawnDerivatives`);
        graph: the padded inputs of the terms that move with them. ``pairs``: the
        structure's neighbour list, if known.
        """
        sfs = self.model.descriptor
        pairs = sfs.pairs(atoms) if pairs is None else pairs
        if self.engine == "closed-form":
            return self.derivatives(pairs, components)
        return sfs.graph.padded(
            sfs.graph.moving_inputs(sfs.graph.inputs(pairs), np.asarray(components) // 3), kind="moving"
        )

    def force_linearization(
        self, descriptors: list[np.ndarray], atoms: Atoms, components: np.ndarray, prepared: Prepared = None
    ):
        """Predicted force components (eV/Å) with ``jacobian()`` (n, n_weights) and ``vjp(ζ)`` (n_weights,).

        Parameters
        ----------
        descriptors : list of ndarray
            Cached symmetry functions of the structure.
        atoms : ase.Atoms
            The structure.
        components : ndarray of shape (n,), int
            Flat indices ``3 * atom + axis``.
        prepared : optional
            :meth:`prepare` of these components, if already computed.
        """
        prepared = self.prepare(atoms, components) if prepared is None else prepared
        if self.engine == "closed-form":
            return self.networks.force_linearization(descriptors, prepared, components)
        forces, jacobian = self.graphs.force(*self._force_arguments(descriptors, atoms, components, prepared))
        return DenseLinearization(forces.numpy(), jacobian.numpy())

    def forces(
        self, descriptors: list[np.ndarray], atoms: Atoms, components: np.ndarray, prepared: Prepared = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Predicted force components (eV/Å, shape (n,)) and their Jacobian (n, n_weights).

        Arguments as in :meth:`force_linearization`.
        """
        linearization = self.force_linearization(descriptors, atoms, components, prepared)
        return linearization.values, linearization.jacobian()

    def force_sign_gradient(
        self,
        descriptors: list[np.ndarray],
        atoms: Atoms,
        components: np.ndarray,
        labels: np.ndarray,
        prepared: Prepared = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Predicted force components (n,) and Σ_c sign(F̂_c − F_c) ∂F̂_c/∂w (n_weights,).

        This is Jᵀ sign(ξ) of a force batch up to the batch's scale factor — the
        gradient of its L1 loss — as one vector–Jacobian product rather than the
        n rows of :meth:`forces`. Arguments as in :meth:`force_linearization`;
        ``labels`` are the reference components (eV/Å).
        """
        if self.engine == "graph":
            prepared = self.prepare(atoms, components) if prepared is None else prepared
            arguments = self._force_arguments(descriptors, atoms, components, prepared)
            forces, gradient = self.graphs.force_sign(*arguments, tf.constant(labels, tf.float64))
            return forces.numpy(), gradient.numpy()
        linearization = self.force_linearization(descriptors, atoms, components, prepared)
        return linearization.values, linearization.vjp(np.sign(linearization.values - labels))

    def _force_arguments(
        self, descriptors, atoms: Atoms, components: np.ndarray, moving: DescriptorInputs
    ) -> tuple:
        """Arguments of the compiled force functions of the graph engine for the drawn ``components``."""
        components = np.asarray(components)
        index = tf.constant(np.stack([components // 3, components % 3], axis=1), tf.int32)
        return (
            [tf.constant(g) for g in descriptors],
            *moving.tensors(),
            index,
            self.model.weights,
            self.model.constants,
            moving.n_rows,
            len(atoms),
        )
