r"""Energy and force labels of a BPNN and their weight derivatives in closed form (NumPy).

For one element network with scaled inputs :math:`h_0 = g`, layers
:math:`z_l = c_l (h_{l-1} W_l + b_l)`, :math:`h_l = \sigma_l(z_l)` (:math:`c_l = 1/n_{l-1}`
with n2p2's ``normalize_nodes``, else 1) and output :math:`E_i = s\,z_{L+1} + e_Z`:

* **energy label**: :math:`\hat E = \sum_i E_i` and :math:`\partial\hat E/\partial w` by one
  reverse pass (backpropagation written out);
* **force label** of a component :math:`c` (atom :math:`a`, axis :math:`d`):
  :math:`F_c = -\sum_i \dot E_{ic}` with the directional derivative along
  :math:`v_{ic} = \mathrm{scale} \odot \partial G_i/\partial x_c`
  (:mod:`nnp_tutorial.descriptors.derivatives`), by forward mode:
  :math:`\dot h_0 = v`, :math:`\dot z_l = c_l \dot h_{l-1} W_l`, :math:`\dot h_l = \sigma_l'(z_l)\,\dot z_l`,
  :math:`\dot E = s\,c_{L+1} \dot h_L W_{L+1}`.
  Its weight derivatives come from a reverse pass over the pair (primal, tangent): with
  adjoints :math:`u_l = \partial\dot E/\partial\dot h_l` and :math:`\rho_l = \partial\dot E/\partial h_l`
  (:math:`u_L = s\,c_{L+1} W_{L+1}`, :math:`\rho_L = 0`),

  .. math::

      \bar{\dot z}_l = u_l \sigma_l', \quad \bar z_l = \rho_l \sigma_l' + u_l \sigma_l'' \dot z_l, \quad
      \frac{\partial\dot E}{\partial W_l} = c_l(\dot h_{l-1}^\top \bar{\dot z}_l + h_{l-1}^\top \bar z_l),
      \quad
      \frac{\partial\dot E}{\partial b_l} = c_l \bar z_l,

  :math:`u_{l-1} = c_l \bar{\dot z}_l W_l^\top`, :math:`\rho_{l-1} = c_l \bar z_l W_l^\top`, and
  :math:`\partial\dot E/\partial W_{L+1} = s\,c_{L+1}\dot h_L`. These are batched over all
  (centre, component) rows as a few small matrix products per layer.

Because :math:`\dot E` is linear in :math:`v`, a vector–Jacobian product
:math:`J^\top\zeta` (Adam's gradient :math:`2J^\top\xi`, the Fisher analysis'
:math:`J^\top\mathrm{sign}\,\xi`)
is the same reverse pass with each row's tangent scaled by its component's
:math:`\zeta_c` and all rows summed at once, cheaper than forming :math:`J`.
The TensorFlow graph (:class:`~nnp_tutorial.training.labels.LabelGraphs`) computes the
same numbers by automatic differentiation; the tests compare the two.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .activations import ACTIVATIONS
from .descriptors.derivatives import DrawnDerivatives
from .descriptors.neighbors import element_rows


@dataclass
class _Layers:
    """One element network's numbers: kernels W (n_in, n_out), biases, factors c_l, activations."""

    kernels: list[np.ndarray]
    biases: list[np.ndarray]
    factors: list[float]
    activations: list[str]


@dataclass
class _Primal:
    """Per atom of one element: h_l (l = 0..L) and σ', σ'' at z_l (l = 1..L)."""

    h: list[np.ndarray]
    slope: list[np.ndarray]
    curvature: list[np.ndarray]


class NetworkDerivatives:
    """Closed-form label values and weight derivatives of one model (see the module docstring).

    Parameters
    ----------
    model : BehlerParrinelloNetwork
        Weights are read from ``model.weights`` at each call.
    """

    def __init__(self, model) -> None:
        self.model = model
        self.affine = [model.scaling.affine(e) for e in model.elements]
        self.references = np.array([model.reference_energies[e] for e in model.elements])

    def _layers(self, weights: np.ndarray) -> list[_Layers]:
        """Each element's network from the flat weight vector (n2p2 order: W row by row, then b)."""
        model, out = self.model, []
        for e in model.elements:
            w = weights[model.element_slice(e)]
            sizes, offset = model.sizes[e], 0
            kernels, biases, factors = [], [], []
            for n_in, n_out in zip(sizes[:-1], sizes[1:]):
                kernels.append(w[offset : offset + n_in * n_out].reshape(n_in, n_out))
                biases.append(w[offset + n_in * n_out : offset + (n_in + 1) * n_out])
                factors.append(1.0 / n_in if model.normalize_nodes else 1.0)
                offset += (n_in + 1) * n_out
            out.append(_Layers(kernels, biases, factors, list(model.activations)))
        return out

    def _primal(self, k: int, layers: _Layers, g: np.ndarray) -> _Primal:
        scale, shift = self.affine[k]
        h, slope, curvature = [g * scale + shift], [], []
        for W, b, c, code in zip(layers.kernels, layers.biases, layers.factors, layers.activations):
            y, d1, d2 = ACTIVATIONS[code].derivatives(c * (h[-1] @ W + b), np)
            h.append(y)
            slope.append(d1)
            curvature.append(d2)
        return _Primal(h, slope, curvature)

    def energy(self, descriptors: list[np.ndarray], n_atoms: int) -> tuple[float, np.ndarray]:
        """Predicted energy per atom (eV/atom) and its gradient (n_weights,)."""
        weights = self.model.get_weights()
        gradient = np.zeros_like(weights)
        energy = 0.0
        s = self.model.energy_scale
        for k, (layers, g) in enumerate(zip(self._layers(weights), descriptors)):
            if len(g) == 0:
                continue
            primal = self._primal(k, layers, g)
            c_out, W_out = layers.factors[-1], layers.kernels[-1]
            energy += s * c_out * float(np.sum(primal.h[-1] @ W_out[:, 0] + layers.biases[-1][0]))
            energy += len(g) * self.references[k]
            parts = [(s * c_out * primal.h[-1].sum(axis=0), np.array([s * c_out * len(g)]))]
            upstream = np.broadcast_to(s * c_out * W_out[:, 0], primal.h[-1].shape)
            for layer in range(len(layers.kernels) - 2, -1, -1):
                delta = upstream * primal.slope[layer]
                c = layers.factors[layer]
                parts.append((c * primal.h[layer].T @ delta, c * delta.sum(axis=0)))
                upstream = c * delta @ layers.kernels[layer].T
            gradient[self.model.element_slice(self.model.elements[k])] = _flat(parts[::-1])
        return energy / n_atoms, gradient / n_atoms

    def force_linearization(
        self, descriptors: list[np.ndarray], derivatives: DrawnDerivatives, components: np.ndarray
    ) -> ForceLinearization:
        """Predicted force components and what their Jacobian needs (:class:`ForceLinearization`).

        Parameters
        ----------
        descriptors : list of ndarray
            Raw symmetry functions of the structure, per element (n_atoms_of_element, n_functions).
        derivatives : DrawnDerivatives
            ∂G/∂x of the drawn components (which include ``components``).
        components : ndarray of shape (n,), int
            Flat indices ``3 * atom + axis``.
        """
        weights = self.model.get_weights()
        components = np.asarray(components)
        drawn = np.searchsorted(derivatives.components, components)
        rows = element_rows(derivatives.species, len(self.model.elements))
        forces = np.zeros(len(components))
        blocks = []
        s = self.model.energy_scale
        for k, (layers, g) in enumerate(zip(self._layers(weights), descriptors)):
            moving = (derivatives.row_of[drawn] >= 0) & (derivatives.species == k)  # (n, atoms)
            component, atom = np.nonzero(moving)
            if len(atom) == 0:
                blocks.append(None)
                continue
            count = np.bincount(component, minlength=len(components))
            position = np.arange(len(atom)) - np.repeat(np.cumsum(count) - count, count)
            index = np.zeros((len(components), count.max()), np.int64)  # element row of each centre, 0 pads
            index[component, position] = rows[atom]
            n_in = layers.kernels[0].shape[0]
            tangent = np.zeros((len(components), count.max(), n_in))
            values = derivatives.values[derivatives.row_of[drawn[component], atom], :n_in]
            tangent[component, position] = values * self.affine[k][0]
            primal = self._primal(k, layers, g)
            # per row: the centre's h_{l-1}, σ'(z_l), σ''(z_l) of each hidden layer l
            rows_of = [
                (h[index], d1[index], d2[index])
                for h, d1, d2 in zip(primal.h, primal.slope, primal.curvature)
            ]
            batch, most = index.shape
            tangents, pre = [tangent], []
            for (W, c), (_, slope, _) in zip(zip(layers.kernels[:-1], layers.factors[:-1]), rows_of):
                pre.append((c * tangents[-1].reshape(batch * most, -1) @ W).reshape(batch, most, -1))
                tangents.append(slope * pre[-1])
            e_dot = s * layers.factors[-1] * (tangents[-1] @ layers.kernels[-1][:, 0])  # (n, rows)
            forces -= e_dot.sum(axis=1)
            blocks.append((layers, rows_of, tangents, pre))
        return ForceLinearization(self.model, forces, blocks)


class ForceLinearization:
    """Force components F (n,) of one batch with the forward-mode tangents that give ∂F/∂w."""

    def __init__(self, model, values: np.ndarray, blocks: list) -> None:
        self.model = model
        self.values = values
        self._blocks = blocks

    def jacobian(self) -> np.ndarray:
        """∂F_c/∂w, shape (n, n_weights), eV/Å per unit weight."""
        out = np.zeros((len(self.values), self.model.n_weights))
        for e, block in zip(self.model.elements, self._blocks):
            if block is not None:
                out[:, self.model.element_slice(e)] = -_flat(self._reverse(*block), batched=True)
        return out

    def vjp(self, cotangent: np.ndarray) -> np.ndarray:
        """Σ_c ζ_c ∂F_c/∂w for ``cotangent`` ζ (n,): shape (n_weights,), without forming the Jacobian."""
        out = np.zeros(self.model.n_weights)
        zeta = np.asarray(cotangent, dtype=np.float64)[:, None, None]
        for e, block in zip(self.model.elements, self._blocks):
            if block is None:
                continue
            layers, rows_of, tangents, pre = block

            def flat(x):  # all rows as one batch
                return x.reshape(1, -1, x.shape[-1])

            rows = [tuple(flat(x) for x in layer) for layer in rows_of]
            parts = self._reverse(
                layers, rows, [flat(zeta * t) for t in tangents], [flat(zeta * p) for p in pre]
            )
            out[self.model.element_slice(e)] = -_flat(parts, batched=True)[0]
        return out

    def _reverse(self, layers, rows_of, tangents, pre) -> list[tuple[np.ndarray, np.ndarray]]:
        """(∂Ė/∂W_l, ∂Ė/∂b_l) summed over each batch row's centres, layer by layer from the first."""
        s = self.model.energy_scale
        c_out, W_out = layers.factors[-1], layers.kernels[-1]
        batch = tangents[0].shape[0]
        parts = [(s * c_out * tangents[-1].sum(axis=1), np.zeros((batch, 1)))]
        u = s * c_out * W_out[:, 0]  # adjoint of the last hidden tangent (broadcast over rows)
        rho = None  # adjoint of the last hidden primal: zero
        for layer in range(len(layers.kernels) - 2, -1, -1):
            h_prev, slope, curvature = rows_of[layer]
            c = layers.factors[layer]
            u_z = u * slope
            z_bar = u * curvature * pre[layer]
            if rho is not None:
                z_bar += rho * slope
            inputs = np.concatenate([tangents[layer], h_prev], axis=1)  # (batch, 2 rows, n_in)
            adjoints = np.concatenate([u_z, z_bar], axis=1)  # (batch, 2 rows, n_out)
            kernel = c * np.matmul(inputs.transpose(0, 2, 1), adjoints)
            parts.append((kernel.reshape(batch, -1), c * z_bar.sum(axis=1)))
            if layer:
                W = layers.kernels[layer]
                u, rho = c * u_z @ W.T, c * z_bar @ W.T
        return parts[::-1]


def _flat(parts: list[tuple[np.ndarray, np.ndarray]], batched: bool = False) -> np.ndarray:
    """Concatenate (kernel, bias) derivatives of the layers in n2p2's weight order."""
    if batched:
        return np.concatenate([x for kernel, bias in parts for x in (kernel, bias)], axis=1)
    return np.concatenate([x for kernel, bias in parts for x in (kernel.ravel(), bias)])
