"""Registry of the published data sets and potentials used by the tutorial.

Every entry is declared once, as a :class:`DatasetEntry`, in
:mod:`~nnp_tutorial.datasets.catalogue`: what it is, which files it holds, where each
file is published (a URL pinned to a commit), the sha256 of the published bytes, where
the same file lies in a local copy of the data (the layout of ``shared/data``, described
in its ``README.md``), format, units, citation and licence.

=================================================  =========================================
module                                             what
=================================================  =========================================
:mod:`~nnp_tutorial.datasets.registry`             entry types, :func:`register`, look-ups,
                                                   resolvers of generated data sets
:mod:`~nnp_tutorial.datasets.catalogue`            the published entries, as data; the modules
                                                   of generated data sets
:mod:`~nnp_tutorial.datasets.fetching`             :func:`fetch`: local copy, download cache,
                                                   sha256 checks; :func:`format_table`
:mod:`~nnp_tutorial.datasets.selection`            the ``index`` argument; :func:`spread`
:mod:`~nnp_tutorial.datasets.loading`              :func:`iter_structures`,
                                                   :func:`load_potential`, ...
=================================================  =========================================

Where the files come from (:func:`fetch`), in this order: the ``data_dir`` argument,
``$NNP_TUTORIAL_DATA`` (both a directory in the layout of ``shared/data``), else a
download with :mod:`pooch` into ``$NNP_TUTORIAL_CACHE/<entry name>/``. Local files and
downloads are checked against their sha256.

The loaders (:func:`iter_structures`, :func:`load_structures`,
:func:`load_potential`, :func:`reference_prediction`) return ASE objects in Å
and eV; the revPBE0-D3 extended XYZ file and the n2p2 reference prediction are
in Bohr and Hartree and are converted on reading by :mod:`nnp_tutorial.io`.

Examples
--------
>>> entry = get_entry("revpbe0-d3")
>>> entry.kind, entry.files[0].name, entry.size_bytes
('structures', 'dataset_1593.xyz', 35629038)
>>> [e.name for e in list_entries() if e.kind == "potential"][:2]
['nnp-revpbe0-d3-cheng2019', 'nnp-blyp-morawietz2016']
"""

from ..io.reference_prediction import parse_example_prediction
from .catalogue import (
    CATALOGUE,
    CHENG_COMMIT,
    CHENG_REPO,
    GENERATORS,
    LES_FIT_COMMIT,
    LES_FIT_REPO,
    N2P2_COMMIT,
    N2P2_REPO,
    PINN_LAB_COMMIT,
    PINN_LAB_REPO,
    REFERENCE_PREDICTION_FILE,
    format_reference_prediction,
)
from .fetching import cache_dir, cache_status, download, fetch, format_table
from .loading import count_structures, iter_structures, load_potential, load_structures, reference_prediction
from .registry import (
    KINDS,
    DataFile,
    DatasetEntry,
    declare_generated,
    get_entry,
    list_entries,
    register,
    register_generated,
    unregister,
)
from .selection import Index, ReadFrames, spread

__all__ = [
    "CATALOGUE",
    "CHENG_COMMIT",
    "CHENG_REPO",
    "GENERATORS",
    "KINDS",
    "LES_FIT_COMMIT",
    "LES_FIT_REPO",
    "N2P2_COMMIT",
    "N2P2_REPO",
    "PINN_LAB_COMMIT",
    "PINN_LAB_REPO",
    "REFERENCE_PREDICTION_FILE",
    "DataFile",
    "DatasetEntry",
    "Index",
    "ReadFrames",
    "cache_dir",
    "cache_status",
    "count_structures",
    "declare_generated",
    "download",
    "fetch",
    "format_reference_prediction",
    "format_table",
    "get_entry",
    "iter_structures",
    "list_entries",
    "load_potential",
    "load_structures",
    "parse_example_prediction",
    "reference_prediction",
    "register",
    "register_generated",
    "spread",
    "unregister",
]
