r"""Read a PiNN Behler–Parrinello potential: ``params.yml`` and a TensorFlow checkpoint.

`PiNN <https://github.com/Teoroo-CMC/PiNN>`_ (Shao et al., J. Chem. Inf. Model.
60, 1184 (2020)) stores a trained ``BPNN`` as a ``params.yml`` (network and
model parameters) next to a TensorFlow checkpoint (``checkpoint``,
``model.ckpt-N.index``, ``model.ckpt-N.data-*``). This module maps it exactly
onto a :class:`~nnp_tutorial.model.BehlerParrinelloNetwork`; PiNN itself is
not needed, the checkpoint is read with ``tf.train.load_checkpoint``.

PiNN's definitions and their counterparts here
----------------------------------------------
From ``pinn/layers.py`` (``CutoffFunc``), ``pinn/networks/bpnn.py`` and
``pinn/models/potential.py``. Lengths are in the unit of the training
coordinates (PiNN has no unit field; Å for the models registered here).

===================  ==========================================================  =====================
PiNN                 definition                                                  here
===================  ==========================================================  =====================
``cutoff_type: f1``  :math:`\tfrac12[\cos(\pi r/r_c)+1]`                         cutoff code 1
``cutoff_type: f2``  :math:`[\tanh(1-r/r_c)/\tanh 1]^3`                          cutoff code 3
``G2`` (i, j)        :math:`\sum_j e^{-\eta(r_{ij}-R_s)^2} f_c(r_{ij})`          :class:`RadialG2`
``G4`` (i, j, k)     :math:`2^{1-\zeta}\sum_{j\ne k}(1+\lambda\cos\theta_{ijk})^\zeta
                     e^{-\eta(r_{ij}^2+r_{ik}^2)} f_c(r_{ij}) f_c(r_{ik})`       :class:`AngularG9`
``G3`` (i, j, k)     as ``G4`` with :math:`r_{jk}^2` in the exponent and         :class:`AngularG3`
                     :math:`f_c(r_{jk})`
===================  ==========================================================  =====================

``i`` is the central element, ``j`` and ``k`` the neighbour elements (atomic
numbers); angular functions have :math:`r_s = 0`.

Differences to this package's functions, handled here:

- PiNN's angular sum runs over *ordered* pairs of different neighbour entries
  (``_form_triplet``): a pair ``{j, k}`` of neighbours of elements ``j`` and
  ``k`` is counted once when the two elements differ but twice when they are
  the same, whereas types 3 and 9 count every unordered pair once. PiNN's
  value is therefore :math:`m\,G` with :math:`m = 2` for same-element angular
  functions and 1 otherwise. The factor is the input map
  :math:`G_s = m\,G`, written as n2p2 ``scale`` mode with
  :math:`G_{min} = 0`, :math:`G_{max} = 1/m`, :math:`[S_{min}, S_{max}] = [0, 1]`
  (exact in floating point for m = 1, 2), so the checkpoint's weights are
  used unchanged.
- PiNN feeds each element's functions in ``sf_spec`` order; here they are
  sorted in n2p2's order, so the rows of the first kernel are permuted.
- The output layer has no bias (``Dense(1, use_bias=False)``); its bias here is 0.

Network: per element (``nn_spec`` order) ``Dense(n, tanh)`` hidden layers
and the linear output, named ``dense``, ``dense_1``, … in creation order
(kernels ``(n_in, n_out)``, float32 in the checkpoint, used as float64).
Energy (``potential_model``, predict mode), with network outputs :math:`y_i`:

.. math::

    E = e_\mathrm{unit}\Big[\sum_i y_i / e_\mathrm{scale} + \sum_i e_\mathrm{dress}(Z_i)\Big],

``e_dress`` in the label unit and :math:`E` in eV (PiNN's ASE calculator passes
it on unchanged): energy scale :math:`e_\mathrm{unit}/e_\mathrm{scale}` eV per
output unit and reference energies :math:`e_\mathrm{unit}\,e_\mathrm{dress}` eV.
Not supported (an :class:`~nnp_tutorial.errors.InputError` says so):
``fp_scale: true``, ``ALL`` element wildcards, activations other than tanh,
other cutoff types, ``out_units`` other than 1.

Example
-------
>>> from nnp_tutorial import datasets
>>> model = load_pinn_potential(datasets.fetch("pinn-blyp-adam"))  # doctest: +SKIP
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tensorflow as tf
import yaml
from ase.data import chemical_symbols

from ..descriptors import SymmetryFunctionSet
from ..descriptors.functions import AngularG3, AngularG9, RadialG2, SymmetryFunction
from ..errors import InputError
from ..model import BehlerParrinelloNetwork
from ..scaling import InputScaling
from .scaling import ScalingData

#: PiNN ``cutoff_type`` → cutoff code of :mod:`nnp_tutorial.descriptors.cutoffs`.
CUTOFF_CODES = {"f1": 1, "f2": 3}
#: PiNN ``act`` → activation code of :mod:`nnp_tutorial.model`.
ACTIVATION_CODES = {"tanh": "t"}
_KERNEL = re.compile(r"(?:^|/)dense(?:_(\d+))?/kernel$")


@dataclass
class PiNNPotential:
    """A PiNN BPNN in the package's units, functions and weights in PiNN's order.

    Attributes
    ----------
    functions : dict of str to list of SymmetryFunction
        Per element (symbol), its functions in PiNN's input order (Å, 1/Å²).
    input_factors : dict of str to ndarray of shape (n_functions,)
        m with PiNN's input = m × the package's value (2 for same-element angular functions).
    cutoff_type : int
        Cutoff code (:func:`~nnp_tutorial.descriptors.cutoffs.get_cutoff`).
    layers : dict of str to list of (ndarray, ndarray)
        Per element, ``(kernel (n_in, n_out), bias (n_out,))`` of each layer,
        float64; first kernel rows in PiNN's input order, output bias zero.
    activation : str
        Activation code of the hidden layers (:data:`ACTIVATION_CODES`).
    energy_scale : float
        eV per unit of network output.
    reference_energies : dict of str to float
        Energy added per atom of each element, eV.
    """

    functions: dict[str, list[SymmetryFunction]]
    input_factors: dict[str, np.ndarray]
    cutoff_type: int
    layers: dict[str, list[tuple[np.ndarray, np.ndarray]]]
    activation: str
    energy_scale: float
    reference_energies: dict[str, float]


def read_pinn(directory: str | Path) -> PiNNPotential:
    """Read ``params.yml`` and the latest checkpoint of a PiNN ``BPNN`` model directory.

    Raises
    ------
    InputError
        Missing files, another network than ``BPNN``, unsupported options, or
        checkpoint arrays that do not match ``nn_spec`` and ``sf_spec``.
    """
    path = Path(directory) / "params.yml"
    if not path.is_file():
        raise InputError("no params.yml in the PiNN model directory", path=directory)
    params = yaml.safe_load(path.read_text())
    if params.get("network") != "BPNN":
        raise InputError(f"network {params.get('network')!r} is not supported, only BPNN", path=path)
    net = params.get("network_params", {})
    act = net.get("act", "tanh")
    _require(act in ACTIVATION_CODES, f"act {act!r} (only {', '.join(ACTIVATION_CODES)})", path)
    _require(not net.get("fp_scale", False), "fp_scale: true", path)
    _require(net.get("out_units", 1) == 1, f"out_units {net.get('out_units')}", path)
    cutoff = net.get("cutoff_type", "f1")
    _require(cutoff in CUTOFF_CODES, f"cutoff_type {cutoff!r} (only {', '.join(CUTOFF_CODES)})", path)
    functions, factors = _symmetry_functions(net["sf_spec"], float(net.get("rc", 5.0)), path)
    nn_spec = {_symbol(z, path): list(nodes) for z, nodes in net["nn_spec"].items()}
    if set(functions) != set(nn_spec):
        centres = f"sf_spec centres {sorted(functions)} differ from nn_spec elements {sorted(nn_spec)}"
        raise InputError(centres, path=path)
    layers = _read_layers(Path(directory), nn_spec, {e: len(f) for e, f in functions.items()})
    model = params.get("model_params", {})
    e_unit, e_scale = float(model.get("e_unit", 1.0)), float(model.get("e_scale", 1.0))
    dress = {_symbol(z, path): e_unit * float(v) for z, v in (model.get("e_dress") or {}).items()}
    return PiNNPotential(
        functions=functions,
        input_factors=factors,
        cutoff_type=CUTOFF_CODES[cutoff],
        layers=layers,
        activation=ACTIVATION_CODES[act],
        energy_scale=e_unit / e_scale,
        reference_energies={e: dress.get(e, 0.0) for e in nn_spec},
    )


def load_pinn_potential(directory: str | Path) -> BehlerParrinelloNetwork:
    """A PiNN ``BPNN`` model directory as a :class:`~nnp_tutorial.model.BehlerParrinelloNetwork` (Å, eV).

    See the module docstring for how PiNN's functions, input order and energy
    map onto the package's.
    """
    pinn = read_pinn(directory)
    descriptor = SymmetryFunctionSet(pinn.functions, cutoff_type=pinn.cutoff_type)
    blocks, lower, upper = [], {}, {}
    for e in descriptor.elements:
        column = {sf: c for c, sf in enumerate(descriptor.functions[e])}  # package column of each function
        if len(column) != len(pinn.functions[e]):
            raise InputError(f"{e}: sf_spec defines a symmetry function twice", path=directory)
        order = np.array([column[sf] for sf in pinn.functions[e]])  # PiNN column → package column
        lower[e] = np.zeros(len(order))
        upper[e] = np.empty(len(order))
        upper[e][order] = 1.0 / pinn.input_factors[e]
        (first, bias), *rest = pinn.layers[e]
        kernel = np.empty_like(first)
        kernel[order] = first  # (n_sf, n_hidden) rows in the package's order
        blocks += [part for k, b in [(kernel, bias), *rest] for part in (k.ravel(), b)]
    mean = {e: np.zeros(len(v)) for e, v in lower.items()}  # mean and sigma: not used by "scale"
    sigma = {e: np.full(len(v), np.nan) for e, v in lower.items()}
    model = BehlerParrinelloNetwork(
        descriptor,
        InputScaling(ScalingData(lower, upper, mean, sigma), "scale", 0.0, 1.0),
        hidden_nodes={e: [b.size for _, b in layers[:-1]] for e, layers in pinn.layers.items()},
        activations=[pinn.activation] * (len(next(iter(pinn.layers.values()))) - 1),
        energy_scale=pinn.energy_scale,
        reference_energies=pinn.reference_energies,
    )
    model.set_weights(np.concatenate(blocks))
    return model


def _require(condition: bool, what: str, path: Path) -> None:
    if not condition:
        raise InputError(f"{what} is not supported", path=path)


def _symbol(z: object, path: Path) -> str:
    if not isinstance(z, int) or not 0 < z < len(chemical_symbols):
        raise InputError(f"element {z!r} is not an atomic number (ALL is not supported)", path=path)
    return chemical_symbols[z]


def _symmetry_functions(
    sf_spec: list[dict], rc: float, path: Path
) -> tuple[dict[str, list[SymmetryFunction]], dict[str, np.ndarray]]:
    """Records and input factors m per element, in PiNN's input order (spec order, then list order)."""
    functions: dict[str, list[SymmetryFunction]] = {}
    factors: dict[str, list[float]] = {}
    for spec in sf_spec:
        kind = spec.get("type")
        center = _symbol(spec.get("i"), path)
        if kind == "G2":
            j = _symbol(spec.get("j"), path)
            new = [RadialG2(center, j, float(eta), float(rs), rc) for rs, eta in zip(spec["Rs"], spec["eta"])]
            m = 1.0
        elif kind in ("G3", "G4"):
            j, k = _symbol(spec.get("j"), path), _symbol(spec.get("k"), path)
            record = AngularG3 if kind == "G3" else AngularG9
            values = zip(spec["eta"], spec["lambd"], spec["zeta"])
            new = [record(center, j, k, float(eta), float(lam), float(zeta), rc) for eta, lam, zeta in values]
            m = 2.0 if j == k else 1.0  # ordered pairs: same-element pairs counted twice
        else:
            raise InputError(f"symmetry function type {kind!r} is not supported (G2, G3, G4)", path=path)
        functions.setdefault(center, []).extend(new)
        factors.setdefault(center, []).extend([m] * len(new))
    return functions, {e: np.array(f) for e, f in factors.items()}


def _read_layers(
    directory: Path, nn_spec: dict[str, list[int]], n_inputs: dict[str, int]
) -> dict[str, list[tuple[np.ndarray, np.ndarray]]]:
    """Kernels and biases of every element network from the latest checkpoint, checked against the specs."""
    prefix = tf.train.latest_checkpoint(str(directory))
    if prefix is None:
        raise InputError("no TensorFlow checkpoint (file 'checkpoint') found", path=directory)
    reader = tf.train.load_checkpoint(prefix)
    names = {int(m.group(1) or 0): n for n in reader.get_variable_to_shape_map() if (m := _KERNEL.search(n))}
    kernels = iter(names[k] for k in sorted(names))  # dense, dense_1, ... in creation order
    if len(names) != sum(len(nodes) + 1 for nodes in nn_spec.values()):
        raise InputError(f"{len(names)} dense layers in the checkpoint do not match nn_spec", path=prefix)
    layers = {}
    for e, nodes in nn_spec.items():  # PiNN creates the element networks in nn_spec order
        sizes = [n_inputs.get(e, 0), *nodes, 1]
        layers[e] = []
        for layer, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            name = next(kernels)
            kernel = reader.get_tensor(name).astype(np.float64)
            if kernel.shape != (n_in, n_out):
                raise InputError(f"{name} has shape {kernel.shape}, {e} needs {(n_in, n_out)}", path=prefix)
            bias_name = name[: -len("kernel")] + "bias"
            if reader.has_tensor(bias_name):
                bias = reader.get_tensor(bias_name).astype(np.float64)
            elif layer < len(nodes):
                raise InputError(f"hidden layer {name} has no bias", path=prefix)
            else:
                bias = np.zeros(n_out)  # PiNN's output layer: Dense(1, use_bias=False)
            layers[e].append((kernel, bias))
    return layers


__all__ = ["PiNNPotential", "load_pinn_potential", "read_pinn"]
