r"""Predictions of drawn labels and their Jacobians with respect to the weights.

Training never recomputes second derivatives of a whole structure. The
symmetry functions :math:`G` of every structure are computed once and cached
(:class:`DescriptorCache`). Then

* an **energy label** needs only the networks: :math:`\hat E(w) = \sum_i E_i(G_i; w)`
  and :math:`\partial\hat E/\partial w` by one reverse pass;
* a **force label** :math:`F_c = -\partial E/\partial x_c` needs the
  derivative of the symmetry functions with respect to the drawn atoms only.
  With :math:`\nu_{is} = \partial E/\partial G_{is}` from the cached
  :math:`G` and the networks,

  .. math::

      F_c(w) = -\sum_{i,s} \nu_{is}(w)\, \frac{\partial G_{is}}{\partial x_c},

  i.e. one reverse pass through the symmetry functions with upstream
  :math:`\nu`, restricted to the pairs and triples that move with the drawn
  atoms (:meth:`~nnp_tutorial.descriptors.SymmetryFunctionSet.moving_inputs`,
  a few percent of the structure). The Jacobian of the ten components with
  respect to the weights differentiates that pass once more (reverse over
  reverse, vectorised over the ten rows).
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf
from ase import Atoms
from tqdm.auto import tqdm

from ..descriptors import DescriptorInputs
from ..dispatch import ShapeDispatch
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
    (n_atoms_of_element, n_functions).
    """

    def __init__(
        self, descriptor, structures: list[Atoms], *, progress: bool = True, lazy: bool = False
    ) -> None:
        self.descriptor = descriptor
        self.structures = structures
        self._values: dict[int, list[np.ndarray]] = {}
        if not lazy:
            for frame in tqdm(range(len(structures)), disable=not progress, desc="symmetry functions"):
                self[frame]

    def __getitem__(self, frame: int) -> list[np.ndarray]:
        if frame not in self._values:
            g = self.descriptor.compute(self.structures[frame])
            self._values[frame] = [g[e] for e in self.descriptor.elements]
        return self._values[frame]

    def __len__(self) -> int:
        return len(self.structures)

    def concatenated(self, frames) -> dict[str, np.ndarray]:
        """All rows of ``frames`` per element (e.g. to fit the input scaling)."""
        return {
            e: np.concatenate([self[f][k] for f in frames]) for k, e in enumerate(self.descriptor.elements)
        }

    @property
    def nbytes(self) -> int:
        """Memory held, bytes."""
        return sum(x.nbytes for v in self._values.values() for x in v)


def batch_inputs(
    labels: LabelFunctions, cache: DescriptorCache, schedule: BatchSchedule, step: int
) -> DescriptorInputs | None:
    """The numpy part of :func:`batch_errors`: the moving inputs of a force batch (None for energy)."""
    batch = schedule.draw(step)
    if batch.kind == "energy":
        return None
    return labels.moving_inputs(cache.structures[batch.frame], batch.components)


def batch_errors(
    labels: LabelFunctions,
    cache: DescriptorCache,
    schedule: BatchSchedule,
    step: int,
    moving: DescriptorInputs | None = None,
) -> tuple[Batch, np.ndarray, np.ndarray]:
    """The batch of ``step``, its scaled errors ξ (shape (m,)) and Jacobian ∂ξ/∂w (shape (m, n)).

    Labels are the reference energy per atom (eV/atom) and force components
    (eV/Å) attached to ``cache.structures``. ``moving`` is :func:`batch_inputs`
    of the same step, if already prepared.
    """
    batch = schedule.draw(step)
    atoms = cache.structures[batch.frame]
    if batch.kind == "energy":
        value, gradient = labels.energy(cache[batch.frame], len(atoms))
        prediction, label, jacobian = (
            np.array([value]),
            [atoms.get_potential_energy() / len(atoms)],
            gradient[None],
        )
    else:
        prediction, jacobian = labels.forces(cache[batch.frame], atoms, batch.components, moving)
        label = atoms.get_forces().ravel()[batch.components]
    scale = schedule.scale(batch)
    return batch, scaled_errors(prediction, label, scale), scale * jacobian


class LabelGraphs:
    """The compiled functions behind :class:`LabelFunctions`, one set per architecture.

    Made once per :class:`~nnp_tutorial.model.Architecture` (``architecture.companion(LabelGraphs)``)
    and shared by all its models: the weights and
    :class:`~nnp_tutorial.model.NetworkConstants` are arguments, so a second
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
            g = self.architecture.descriptor.call(vectors, rows, radial, angular_p, angular_q, n_rows)
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
    """Label predictions, Jacobians and L2 gradients of one model.

    Parameters
    ----------
    model : BehlerParrinelloNetwork
        Its compiled :class:`LabelGraphs` are shared with the other models of its architecture.
    """

    def __init__(self, model) -> None:
        self.model = model
        self.graphs = model.architecture.companion(LabelGraphs)

    # -- numpy front end -------------------------------------------------------------
    def energy(self, descriptors: list[np.ndarray], n_atoms: int) -> tuple[float, np.ndarray]:
        """Predicted energy per atom (eV/atom) and its gradient (n_weights,) for one structure."""
        value, gradient = self.graphs.energy(
            [tf.constant(g) for g in descriptors],
            self.model.weights,
            self.model.constants,
            tf.constant(float(n_atoms), tf.float64),
        )
        return float(value), gradient.numpy()

    def forces(
        self,
        descriptors: list[np.ndarray],
        atoms: Atoms,
        components: np.ndarray,
        moving: DescriptorInputs | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Predicted force components (eV/Å, shape (n,)) and their Jacobian (n, n_weights).

        Parameters
        ----------
        descriptors : list of ndarray
            Cached symmetry functions of the structure.
        atoms : ase.Atoms
            The structure.
        components : ndarray of shape (n,), int
            Flat indices ``3 * atom + axis``.
        moving : DescriptorInputs, optional
            :meth:`moving_inputs` of these components, if already prepared.
        """
        forces, jacobian = self.graphs.force(*self._force_arguments(descriptors, atoms, components, moving))
        return forces.numpy(), jacobian.numpy()

    def force_sign_gradient(
        self,
        descriptors: list[np.ndarray],
        atoms: Atoms,
        components: np.ndarray,
        labels: np.ndarray,
        moving: DescriptorInputs | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Predicted force components (n,) and Σ_c sign(F̂_c − F_c) ∂F̂_c/∂w (n_weights,).

        This is Jᵀ sign(ξ) of a force batch up to the batch's scale factor — the
        gradient of its L1 loss — at the cost of one reverse pass rather than
        the n rows of :meth:`forces`. Arguments as in :meth:`forces`;
        ``labels`` are the reference components (eV/Å).
        """
        arguments = self._force_arguments(descriptors, atoms, components, moving)
        forces, gradient = self.graphs.force_sign(*arguments, tf.constant(labels, tf.float64))
        return forces.numpy(), gradient.numpy()

    def moving_inputs(
        self, atoms: Atoms, components: np.ndarray, inputs: DescriptorInputs | None = None
    ) -> DescriptorInputs:
        """Padded descriptor inputs of the terms that move with the atoms of ``components``.

        ``inputs`` are the unpadded inputs of the whole structure
        (:meth:`~nnp_tutorial.descriptors.SymmetryFunctionSet.inputs`), if already known.
        """
        sfs = self.model.descriptor
        inputs = sfs.inputs(sfs.pairs(atoms)) if inputs is None else inputs
        return sfs.padded(sfs.moving_inputs(inputs, np.asarray(components) // 3), kind="moving")

    def reserve_force_shape(self, structures: list[Atoms], batches: list[Batch]) -> None:
        """Pad the moving inputs of all ``batches`` to one shape: their largest.

        The force functions are then compiled once (about 6 s and 0.2 GB per
        compiled shape) instead of once per bucket the batches fall into, at the
        cost of padding the smaller batches. Costs one neighbour list per drawn
        structure and the moving-term selection of every force batch beforehand.
        The shape is kept by the descriptor, so other trainers sharing it pad
        their force batches to it too (same numbers, more padded work).
        """
        sfs = self.model.descriptor
        by_frame: dict[int, list[np.ndarray]] = {}
        for batch in batches:
            if batch.kind == "force":
                by_frame.setdefault(batch.frame, []).append(batch.components)

        def moving():  # the moving-term inputs of every force batch, one structure at a time
            for frame, drawn in by_frame.items():
                inputs = sfs.inputs(sfs.pairs(structures[frame]))
                for components in drawn:
                    yield sfs.moving_inputs(inputs, components // 3)

        sfs.reserve(moving(), kind="moving")

    def _force_arguments(
        self, descriptors, atoms: Atoms, components: np.ndarray, moving: DescriptorInputs | None
    ) -> tuple:
        """Arguments of the compiled force functions for the drawn ``components``."""
        moving = self.moving_inputs(atoms, components) if moving is None else moving
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
