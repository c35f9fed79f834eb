"""Behler–Parrinello symmetry functions: definitions, neighbours, and the engines that compute them.

One concept per module:

================  ===========================================================================
module            content
================  ===========================================================================
``functions``     the function records :class:`RadialG2`, :class:`AngularG3`, :class:`AngularG9`
                  (n2p2 types 2, 3, 9) and n2p2's order of them
``cutoffs``       the cutoff functions f_c by n2p2 code (:func:`get_cutoff`, a registry)
``neighbors``     neighbour pairs (:func:`neighbor_pairs`, vesin), their compact storage, triples
``terms``         :class:`TermGroup`: the one description of the functions every engine reads
``set``           :class:`SymmetryFunctionSet`: the functions of a potential, grouped, with its
                  engines
``loops``         :class:`DescriptorLoops`: values and gradient by compiled loops (numba; MD,
                  training data); kernels in ``loop_kernels``
``derivatives``   :class:`DrawnAtomDerivatives`: ∂G/∂x for a few drawn force components
                  (training labels)
``graph``         :class:`DescriptorGraph`: the same functions as a TensorFlow graph (the model's
                  graph engine, the tests' oracle)
================  ===========================================================================

To add a symmetry-function type: its record in ``functions`` (n2p2 type code and sort key),
its terms in ``terms`` (keys it shares), and its sums in ``loop_kernels`` and ``graph``; the
tests compare the two engines with each other and with hand-computed values.

The names below are loaded from their modules on first use, so that importing a light module
of the package (``functions``, ``neighbors``: the file readers and the calculator do) does not
start TensorFlow, which ``cutoffs`` and ``graph`` need.
"""

from ..lazy import lazy_exports as _lazy_exports

#: public name -> the module of this package that defines it (loaded on first use, PEP 562)
_API = {
    "BUCKET_GROWTH": "graph",
    "AngularG3": "functions",
    "AngularG9": "functions",
    "CompactPairs": "neighbors",
    "CutoffFunction": "cutoffs",
    "DescriptorGraph": "graph",
    "DescriptorInputs": "graph",
    "DescriptorLoops": "loops",
    "DrawnAtomDerivatives": "derivatives",
    "DrawnDerivatives": "derivatives",
    "NeighborSearch": "neighbors",
    "PairList": "neighbors",
    "RadialG2": "functions",
    "ShapeBuckets": "graph",
    "SymmetryFunction": "functions",
    "SymmetryFunctionSet": "set",
    "TermGroup": "terms",
    "element_rows": "neighbors",
    "get_cutoff": "cutoffs",
    "neighbor_pairs": "neighbors",
    "register_cutoff": "cutoffs",
}

__all__ = sorted(_API)

__getattr__, __dir__ = _lazy_exports(__name__, _API)
