r"""The architecture of a BPNN: its TensorFlow graphs as functions of the weights.

A Behler–Parrinello network without its numbers — symmetry functions, layer sizes,
activations, node normalisation — and the graphs that evaluate it
(:class:`Architecture`): atomic energies, their gradient with respect to the symmetry
functions, and the energy, forces and virial of a structure. The weights and the other
numbers (:class:`NetworkConstants`) are arguments, so that every model of one shape on one
descriptor shares one set of XLA-compiled functions. :class:`~nnp_tutorial.model.BehlerParrinelloNetwork`
is the model with its numbers.
"""

from __future__ import annotations

import weakref
from types import SimpleNamespace
from typing import NamedTuple, TypeVar

import numpy as np
import tensorflow as tf

from .activations import ACTIVATIONS
from .descriptors import SymmetryFunctionSet
from .dispatch import ShapeDispatch

#: The array namespace in which the TensorFlow graph evaluates the activations.
_TF = SimpleNamespace(
    tanh=tf.tanh, exp=tf.exp, cos=tf.cos, sin=tf.sin, maximum=tf.maximum, log1p=tf.math.log1p, abs=tf.abs
)


class NetworkConstants(NamedTuple):
    """The numbers of a BPNN besides its weights, as tensors (arguments of the compiled graphs).

    Attributes
    ----------
    input_scale, input_shift : tuple of tf.Tensor
        Per element, the input scaling ``G * a + b`` (each of shape (n_functions,)).
    energy_scale : tf.Tensor
        s, eV per unit of network output (scalar).
    reference_energies : tf.Tensor of shape (n_elements,)
        e_Z, eV per atom, elements in atomic-number order.
    """

    input_scale: tuple[tf.Tensor, ...]
    input_shift: tuple[tf.Tensor, ...]
    energy_scale: tf.Tensor
    reference_energies: tf.Tensor


Companion = TypeVar("Companion")


class Architecture:
    """A BPNN without its numbers: symmetry functions, layer sizes, activations.

    Holds the TensorFlow graphs of the potential as functions of the weights and
    the :class:`NetworkConstants`. Models with equal layer sizes, activations and
    node normalisation on the *same* :class:`~nnp_tutorial.descriptors.SymmetryFunctionSet`
    object share one instance (:meth:`shared`) and therefore one set of compiled
    functions: a second model of the same shape (another seed, optimiser or
    learning rate) starts without XLA compilations, which take seconds each and
    hold ~0.2 GB. Compiled functions built elsewhere on the architecture (e.g.
    the label Jacobians of training) are attached with :meth:`companion`.

    Parameters
    ----------
    descriptor : SymmetryFunctionSet
    sizes : dict of str to tuple of int
        Layer sizes per element, input first and the single output last.
    activations : tuple of str
        n2p2 activation code of each hidden layer.
    normalize_nodes : bool
        Divide each neuron's input by its fan-in.
    """

    _instances: weakref.WeakValueDictionary = weakref.WeakValueDictionary()

    def __init__(
        self,
        descriptor: SymmetryFunctionSet,
        sizes: dict[str, tuple[int, ...]],
        activations: tuple[str, ...],
        normalize_nodes: bool,
    ) -> None:
        self.descriptor = descriptor
        self.elements = descriptor.elements
        self.sizes = sizes
        self.activations = activations
        self.normalize_nodes = normalize_nodes
        offsets = np.cumsum([0] + [n_connections(sizes[e]) for e in self.elements])
        self.n_weights = int(offsets[-1])
        self.slices = {e: slice(int(a), int(b)) for e, a, b in zip(self.elements, offsets[:-1], offsets[1:])}
        self.compiled_evaluation = ShapeDispatch(tf.function(self.evaluation_graph, jit_compile=True))
        self.compiled_network_gradient = ShapeDispatch(tf.function(self.network_gradient, jit_compile=True))
        self.loops = descriptor.loops
        self._companions: dict[type, object] = {}

    @classmethod
    def shared(
        cls,
        descriptor: SymmetryFunctionSet,
        sizes: dict[str, list[int]],
        activations: list[str],
        normalize_nodes: bool,
    ) -> Architecture:
        """The live instance with these parts, or a new one (kept while a model uses it)."""
        sizes = {e: tuple(s) for e, s in sizes.items()}
        # the descriptor by identity: its shape buckets decide which shapes are compiled
        key = (id(descriptor), tuple(sizes.items()), tuple(activations), bool(normalize_nodes))
        architecture = cls._instances.get(key)
        if architecture is None:
            architecture = cls(descriptor, sizes, tuple(activations), bool(normalize_nodes))
            cls._instances[key] = architecture
        return architecture

    def companion(self, kind: type[Companion]) -> Companion:
        """The one ``kind(self)`` of this architecture, made on first request."""
        if kind not in self._companions:
            self._companions[kind] = kind(self)
        return self._companions[kind]

    def atomic_energies(
        self, descriptors: list[tf.Tensor], weights: tf.Tensor, constants: NetworkConstants
    ) -> list[tf.Tensor]:
        """Atomic energies from raw symmetry functions (differentiable).

        Parameters
        ----------
        descriptors : list of tf.Tensor
            Per element, shape (n_rows, n_functions); the networks run in their
            float type (float64, or float32 for fast MD).
        weights : tf.Tensor of shape (n_weights,)
        constants : NetworkConstants

        Returns
        -------
        list of tf.Tensor
            Per element, shape (n_rows,), eV, float64 (the reference energies are
            added in float64 whatever the type of the networks).
        """
        out = []
        for k, (e, g) in enumerate(zip(self.elements, descriptors)):
            x = g * tf.cast(constants.input_scale[k], g.dtype) + tf.cast(constants.input_shift[k], g.dtype)
            w = tf.cast(weights[self.slices[e]], g.dtype)
            offset = 0
            sizes = self.sizes[e]
            for layer, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
                kernel = tf.reshape(w[offset : offset + n_in * n_out], (n_in, n_out))
                bias = w[offset + n_in * n_out : offset + (n_in + 1) * n_out]
                offset += (n_in + 1) * n_out
                x = tf.matmul(x, kernel) + bias  # (rows, n_out)
                if self.normalize_nodes:
                    x = x / n_in
                if layer < len(sizes) - 2:
                    x = ACTIVATIONS[self.activations[layer]].value(x, _TF)
            energy = tf.cast(tf.cast(constants.energy_scale, g.dtype) * x[:, 0], tf.float64)
            out.append(energy + constants.reference_energies[k])
        return out

    def network_gradient(
        self, descriptors: list[tf.Tensor], weights: tf.Tensor, constants: NetworkConstants
    ) -> tuple[list[tf.Tensor], list[tf.Tensor]]:
        """Atomic energies (eV, per element (n_rows,)) and ∂E/∂G (per element, shape of ``descriptors``).

        :attr:`compiled_network_gradient` is this function compiled with XLA.
        """
        with tf.GradientTape() as tape:
            tape.watch(descriptors)
            energies = self.atomic_energies(descriptors, weights, constants)
            energy = tf.add_n([tf.reduce_sum(e) for e in energies])
        return energies, tape.gradient(energy, descriptors)

    def evaluation_graph(
        self, vectors, rows, centers, neighbors, radial, angular_p, angular_q, weights, constants, n_rows,
        n_atoms,
    ):  # fmt: skip
        """Energy (eV), forces (n_atoms, 3), ∂E/∂ε (3, 3) and atomic energies per element.

        Arguments: :meth:`~nnp_tutorial.descriptors.DescriptorInputs.tensors`, the
        weights, the :class:`NetworkConstants`, ``n_rows`` (static) and the number of atoms.
        :attr:`compiled_evaluation` is this function compiled with XLA.
        """
        with tf.GradientTape() as tape:
            tape.watch(vectors)
            g = self.descriptor.graph.call(vectors, rows, radial, angular_p, angular_q, n_rows)
            energies = self.atomic_energies(g, weights, constants)
            energy = tf.add_n([tf.reduce_sum(x) for x in energies])
        # (pairs, 3) dE/dD_p; summed in float64 so that the net force vanishes to round-off
        # even when the symmetry functions and networks run in float32
        grad = tf.cast(tape.gradient(energy, vectors), tf.float64)
        forces = tf.math.unsorted_segment_sum(grad, centers, n_atoms) - tf.math.unsorted_segment_sum(
            grad, neighbors, n_atoms
        )  # (atoms, 3)
        virial = tf.matmul(tf.cast(vectors, tf.float64), grad, transpose_a=True)  # (3, 3) sum_p D_p ⊗ g_p
        return energy, forces, virial, energies

    def __repr__(self) -> str:
        arch = "; ".join(f"{e}: {'-'.join(map(str, s))}" for e, s in self.sizes.items())
        return f"Architecture({arch}; {self.descriptor!r})"


def layer_sizes(n_inputs: int, hidden: list[int]) -> list[int]:
    """Neurons per layer, input first and the single output last."""
    return [n_inputs, *hidden, 1]


def n_connections(sizes: list[int]) -> int:
    """Number of weights and biases of a fully connected network."""
    return sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))
