"""The published data sets and potentials, declared once each as a :class:`DatasetEntry`.

Each entry says what it is, which files it holds, where each file is published (a URL
pinned to a commit), the sha256 of the published bytes, where the same file lies in a
local copy of the data (the layout of ``shared/data``, described in its ``README.md``),
format, units, citation and licence. Importing this module registers them all, in the
order of :data:`CATALOGUE`, and declares the modules of :data:`GENERATORS`, which
provide the data sets the package generates itself.

Examples
--------
>>> [entry.name for entry in CATALOGUE][:3]
['revpbe0-d3', 'nnp-revpbe0-d3-cheng2019', 'nnp-blyp-morawietz2016']
>>> format_reference_prediction("-1.0", [("0.5", "0", "0")]).splitlines()[3:]
['energy -1.0', 'force 1 0.5 0 0']
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..io.reference_prediction import format_prediction, parse_example_prediction
from .registry import DataFile, DatasetEntry, declare_generated, register

CHENG_REPO = "BingqingCheng/ab-initio-thermodynamics-of-water"
CHENG_COMMIT = "7b8b1a2b4270cffcab1bfd11a8603767b4966396"
N2P2_REPO = "CompPhysVienna/n2p2"
N2P2_COMMIT = "61daa0dfd065c842eaabc40ab283658510e066a5"
PINN_LAB_REPO = "Teoroo-CMC/PiNN_lab"
# shared/data/README.md names commit d3cd7564, whose full hash could not be resolved here.
# 5ae22bf8 is the commit under which the GitHub index stores these files (one version each,
# same sizes and text as the local copy); the sha256 check guards the pin either way.
PINN_LAB_COMMIT = "5ae22bf8044a5678b210ab067ce8bf4ff6396779"
LES_FIT_REPO = "ChengUCB/les_fit"
LES_FIT_COMMIT = "f9937a51f699c506bff91c077f70340e7d1924b2"

#: File name of n2p2's reference prediction for the 1080-atom example.
REFERENCE_PREDICTION_FILE = "reference_prediction_n2p2.txt"


def _github(repo: str, commit: str, path: str) -> str:
    return f"https://raw.githubusercontent.com/{repo}/{commit}/{path}"


def _github_files(
    repo: str, commit: str, upstream_dir: str, local_dir: str, files: dict[str, tuple[str, int]]
) -> tuple[DataFile, ...]:
    """Files published byte-for-byte: ``{name: (sha256, size)}``, same hash locally."""
    return tuple(
        DataFile(name, _github(repo, commit, f"{upstream_dir}/{name}"), sha, size, f"{local_dir}/{name}", sha)
        for name, (sha, size) in files.items()
    )


# sha256 and size (bytes) of the published files, by entry; the local copies are identical.
_CHENG_NNP = {
    "input.nn": ("41d2ec11032ce61d125f95d33911f0d62204ddcd53c1861e022a606acc0e5f89", 8246),
    "scaling.data": ("3f8ad6e0e69d00b988bbce23da2b2106fe3f1da08fd17d967814992f4fa51dad", 3746),
    "weights.001.data": ("8de94911964b69aeae8e7aa55150e33bc9ec7fe64115abb43f0fa4197bff7389", 19019),
    "weights.008.data": ("64baa4d5c3bd4a447516ec36fa0b81df2d6432b376d14e1e93cbaea51323169b", 20159),
}
# entry name: (n2p2 folder, functional, files)
_MORAWIETZ_POTENTIALS = {
    "nnp-blyp-morawietz2016": (
        "H2O_BLYP",
        "BLYP",
        {
            "input.nn": ("baaf6d3523565cdd530c00fb1144750994e7ab82b56787e34ac2001e88cce164", 9966),
            "scaling.data": ("16a44690cfb20f9ee49233c302e327da5096c3aae802f7976059580800ab2119", 7986),
            "weights.001.data": ("3a3ab93b87b54ca7874994f241d531758525688ca5740bf6d32331981a4b7c08", 84314),
            "weights.008.data": ("2263e84c11a38a772520e57c7cb984e186ce5cbe5d745646a2e1e3a38c6a17af", 88889),
            "nnp-train.log.0000": ("9f866ba5bed7cd70ef4a680ba26f4e552ad5f66eb8fea655d7cb4c2c4d13ac29", 36179),
        },
    ),
    "nnp-blyp-d3-morawietz2016": (
        "H2O_BLYP-D3",
        "BLYP-D3",
        {
            "input.nn": ("1d2993d257a5a6e96ed7b8557eb37af0bc09c491a38e022574032315a4d362f7", 9969),
            "scaling.data": ("3e5d53596e2e793aedd1abd409a1111885cb55a6543bd8e53f2f115ca260e8bf", 7986),
            "weights.001.data": ("72dea7ac5bc973f51d3652ee7b8cc9cf26bc5abb5802c412b9efbba5d9987675", 84314),
            "weights.008.data": ("08dddf3cce6291c7ebce60565b0f247911a99caf18a9ff2ecb0474d4024b8786", 88889),
            "nnp-train.log.0000": ("5a2da8edb04544bb163963758de4eedfb9f654e611a1b79bc2c548546895eb1a", 36210),
        },
    ),
    "nnp-rpbe-morawietz2016": (
        "H2O_RPBE",
        "RPBE",
        {
            "input.nn": ("09236da9efc35ed09ec59d742b0370ffc02a2cae7165e2290045a95af4d8930e", 9966),
            "scaling.data": ("b2270cf032d58926f027dc352cc11a12fb02ddfc667bc1cf7b5f612b7765ab7a", 7986),
            "weights.001.data": ("658a0fd3c3d9d4f4f16ee704d7116d5dbbabe612617975aa5c0bb77699f7ef9b", 84314),
            "weights.008.data": ("78e5988d9730ef14808c322b21428eca75e1e25e97a6df75329e016ac58f245b", 88889),
            "nnp-train.log.0000": ("e7446d39a1bc83c70fce3fbe1f2827556df61cd1f80e5465e8c777de16412746", 36179),
        },
    ),
    "nnp-rpbe-d3-morawietz2016": (
        "H2O_RPBE-D3",
        "RPBE-D3",
        {
            "input.nn": ("a0983db646016aeaf4bb82c87390bd14d08e759bd0751a92456347e7f2667ef2", 9969),
            "scaling.data": ("468998f9b880d96f4b49f192fc8c3c8229e3ca53b9036c7ec6e66ae58a54c1e3", 7986),
            "weights.001.data": ("207728de9f248d4d8440620075086b60c6ab188a82ae8af91ac403e2aecf3379", 84314),
            "weights.008.data": ("f0337923e3cf2425741d408aa4ea6c457aea67c0d743808cd7e4addc45db3fd8", 88889),
            "nnp-train.log.0000": ("83f5abf51ae4167b312b5906e9189524aa2d8f89473af1b7d7ca114537d2031e", 36210),
        },
    ),
}
_PREDICT_1080 = {
    "input.data": ("32c38c1139a9c4afc2f38d536ce900956432b3689ecccd3f5a8a723c853c4405", 226088),
    "input.nn": ("726e941d994058a95c8dcc7c658837a2da0e7738aab164a7905b2c993b27224a", 5385),
    "scaling.data": ("468998f9b880d96f4b49f192fc8c3c8229e3ca53b9036c7ec6e66ae58a54c1e3", 7986),
    "weights.001.data": ("207728de9f248d4d8440620075086b60c6ab188a82ae8af91ac403e2aecf3379", 84314),
    "weights.008.data": ("f0337923e3cf2425741d408aa4ea6c457aea67c0d743808cd7e4addc45db3fd8", 88889),
}
_TRAIN_20 = {
    "input.data": ("107d72ef4c1d55d5b8a7cf565c79e2050c6c2787c886b4852fff7097811eb526", 273280),
    "input.nn": ("cc03cbe2c62a79dcc5f776456ce05a10ead88a1359dcc7f297acb95acfb88a6b", 11316),
    "scaling.data": ("cbe3b56efd6a46bef44952187ca8696e61965901acd1240ef97c130d911db8c7", 7986),
}
_PINN_CHECKPOINT = {
    "checkpoint": ("212db45cbdfd0283e386c2ca15fa9f564c53f2fed6e4381025ce9d42b037df1d", 289),
    "model.ckpt-5000000.data-00000-of-00001": (
        "97d40720cc109dca03144bf8c09d6864324079b2c0a137f57fffcbb1f3013f29",
        33916,
    ),
    "model.ckpt-5000000.index": ("60825391a2da6934829bb76be7bc429e5a0162bbf307c3c5fdacdc5b61090a99", 1160),
    "params.yml": ("72dc4286866bd57bc425830ca79a63d51db3774608797dc68050205deede90d9", 3471),
}
_PINN_WATERBOX = {
    "waterbox.xyz": ("85b5b987bf5dd13177c7dc7aba1f48191c0ff94a686b97d262c1cc6879833a28", 20388),
}
_LES_FIT_TEST = {
    "test-H2O_RPBE-D3.xyz": ("63246aa6ec1e5c1f806236a05c0ce3181f54b7a2c622d4520985b59d5dc40aef", 1014943),
}

_CHENG_CITATION = (
    "B. Cheng, E. A. Engel, J. Behler, C. Dellago, M. Ceriotti, 'Ab initio thermodynamics of liquid "
    "and solid water', PNAS 116, 1110-1115 (2019)"
)
_CHENG_LICENSE = "none stated (no LICENSE file upstream; all rights reserved by default)"
_MORAWIETZ_CITATION = (
    "T. Morawietz, A. Singraber, C. Dellago, J. Behler, 'How van der Waals interactions determine the "
    "unique properties of water', PNAS 113, 8368-8373 (2016)"
)
_N2P2_CITATION = (
    "A. Singraber, J. Behler, C. Dellago, 'Library-based LAMMPS implementation of high-dimensional "
    "neural network potentials', J. Chem. Theory Comput. 15, 1827-1840 (2019), doi:10.1021/acs.jctc.8b00770"
)


def format_reference_prediction(energy: str, forces: Sequence[tuple[str, str, str]]) -> str:
    """Text of ``reference_prediction_n2p2.txt`` for the H2O_RPBE-D3 example.

    Byte-for-byte the layout of the local copy: three ``#`` lines, ``energy E``,
    then ``force i fx fy fz`` (``i`` from 1) with the numbers as given
    (:func:`~nnp_tutorial.io.reference_prediction.format_prediction`).

    Parameters
    ----------
    energy : str
        Total energy as written in n2p2's header (Hartree).
    forces : sequence of (str, str, str)
        One force vector per atom as written there (Hartree/Bohr).
    """
    comments = [
        "# Reference n2p2 prediction for predict1080/input.data with the H2O_RPBE-D3 HDNNP in this folder.",
        "# Values extracted verbatim from CompPhysVienna/n2p2 test/cpp/ExamplePrediction.h "
        f'(commit {N2P2_COMMIT}), example "H2O_RPBE-D3".',
        "# Units: as in n2p2 input.data (Hartree, Hartree/Bohr). "
        "Atom order = order of atom lines in input.data.",
    ]
    return format_prediction(energy, forces, comments)


def _derive_reference_prediction(source: Path, target: Path) -> None:
    """Write ``reference_prediction_n2p2.txt`` from n2p2's ``ExamplePrediction.h`` (``source``)."""
    energy, forces = parse_example_prediction(source.read_text(), "H2O_RPBE-D3", path=source)
    target.write_text(format_reference_prediction(energy, forces), newline="\n")


def _morawietz_potential(
    name: str, folder: str, functional: str, files: dict[str, tuple[str, int]]
) -> DatasetEntry:
    """One of the four water potentials of Morawietz et al. 2016 published with n2p2."""
    return DatasetEntry(
        name=name,
        kind="potential",
        description=f"{functional} water HDNNP of Morawietz et al. 2016 (n2p2 example potential)",
        files=_github_files(
            N2P2_REPO,
            N2P2_COMMIT,
            f"examples/potentials/{folder}",
            f"rpbed3_morawietz2016_n2p2/potentials/{folder}",
            files,
        ),
        format="n2p2",
        units="Bohr, Hartree (n2p2 normalisation block in input.nn)",
        citation=_MORAWIETZ_CITATION,
        doi="10.1073/pnas.1602375113",
        license="GPL-3.0 (n2p2)",
        potential="n2p2",
    )


# Not an upstream file: regenerated from test/cpp/ExamplePrediction.h, whose own hash is not known here.
_REFERENCE_PREDICTION = DataFile(
    name=REFERENCE_PREDICTION_FILE,
    url=_github(N2P2_REPO, N2P2_COMMIT, "test/cpp/ExamplePrediction.h"),
    sha256=None,
    size=87_289,
    local_path=f"rpbed3_morawietz2016_n2p2/predict1080/{REFERENCE_PREDICTION_FILE}",
    local_sha256="afc4ee2fe3a7a4dbfcadeb11500589862011435972de4c14e54de3eab296b0b9",
    derive=_derive_reference_prediction,
    derived_sha256="afc4ee2fe3a7a4dbfcadeb11500589862011435972de4c14e54de3eab296b0b9",
)

#: Every published entry, in registration order.
CATALOGUE: tuple[DatasetEntry, ...] = (
    DatasetEntry(
        name="revpbe0-d3",
        kind="structures",
        description="revPBE0-D3 liquid water, 1593 frames x 192 atoms with energies and forces",
        files=(
            DataFile(
                name="dataset_1593.xyz",
                url=_github(CHENG_REPO, CHENG_COMMIT, "training-set/dataset_1593.xyz"),
                sha256="5e2ec3b4b1334e012daa6a2e2dbd138108c41c7b6f692ff89b8747b81cadfdbc",
                size=35_629_038,
                # the local copy is xz-compressed (6,537,288 bytes)
                local_path="revpbe0d3_cheng2019/dataset_1593.xyz.xz",
                local_sha256="94871291fdc5e2286a3a0d4533ec9b9c2fff9687c7e3098d776ed9003ac2aed8",
            ),
        ),
        format="extxyz-quip-au",
        units="Bohr, Hartree, Hartree/Bohr (keys TotEnergy, force)",
        citation=_CHENG_CITATION,
        doi="10.1073/pnas.1815117116",
        license=_CHENG_LICENSE,
        structures="dataset_1593.xyz",
    ),
    DatasetEntry(
        name="nnp-revpbe0-d3-cheng2019",
        kind="potential",
        description="published revPBE0-D3 water HDNNP of Cheng et al. (RuNNer/n2p2 files)",
        files=_github_files(CHENG_REPO, CHENG_COMMIT, "NN-potential", "revpbe0d3_cheng2019/nnp", _CHENG_NNP),
        format="n2p2",
        units="Bohr, Hartree",
        citation=_CHENG_CITATION,
        doi="10.1073/pnas.1815117116",
        license=_CHENG_LICENSE,
        potential="n2p2",
    ),
    *(_morawietz_potential(name, *spec) for name, spec in _MORAWIETZ_POTENTIALS.items()),
    DatasetEntry(
        name="n2p2-example-1080",
        kind="example",
        description="1080-atom water box + RPBE-D3 HDNNP + n2p2's reference energy and forces",
        files=(
            *_github_files(
                N2P2_REPO,
                N2P2_COMMIT,
                "examples/nnp-predict/H2O_RPBE-D3",
                "rpbed3_morawietz2016_n2p2/predict1080",
                _PREDICT_1080,
            ),
            _REFERENCE_PREDICTION,
        ),
        format="runner",
        units="Bohr, Hartree, Hartree/Bohr (input.data has zero energy and forces)",
        citation=f"{_MORAWIETZ_CITATION}; {_N2P2_CITATION}",
        doi="10.1073/pnas.1602375113",
        license="GPL-3.0 (n2p2)",
        structures="input.data",
        potential="n2p2",
    ),
    DatasetEntry(
        name="rpbe-d3-train20",
        kind="structures",
        description="20 RPBE-D3 water/ice structures (48-192 atoms) of the n2p2 training example",
        files=_github_files(
            N2P2_REPO,
            N2P2_COMMIT,
            "examples/nnp-train/H2O_RPBE-D3",
            "rpbed3_morawietz2016_n2p2/train20",
            _TRAIN_20,
        ),
        format="runner",
        units="Bohr, Hartree, Hartree/Bohr",
        citation=_MORAWIETZ_CITATION,
        doi="10.1073/pnas.1602375113",
        license="GPL-3.0 (n2p2)",
        structures="input.data",
    ),
    DatasetEntry(
        name="pinn-blyp-adam",
        kind="checkpoint",
        description="PiNN BPNN for BLYP water trained with Adam (TF checkpoint, params.yml, water box)",
        files=(
            *_github_files(
                PINN_LAB_REPO,
                PINN_LAB_COMMIT,
                "notebooks/blyp_water_bpnn",
                "pinn_lab_blyp_adam",
                _PINN_CHECKPOINT,
            ),
            # upstream, the water box lies one folder up, in notebooks/
            *_github_files(PINN_LAB_REPO, PINN_LAB_COMMIT, "notebooks", "pinn_lab_blyp_adam", _PINN_WATERBOX),
        ),
        format="pinn-tf-checkpoint",
        units="Å, eV (params.yml; e_unit converts from Hartree)",
        potential="pinn",
        citation=(
            "Y. Shao, M. Hellström, P. D. Mitev, L. Knijff, C. Zhang, 'PiNN: a Python library for building "
            "atomic neural networks of molecules and materials', J. Chem. Inf. Model. 60, 1184-1193 (2020)"
        ),
        doi="10.1021/acs.jcim.9b00994",
        license="GPL-3.0 (PiNN_lab)",
    ),
    DatasetEntry(
        name="rpbe-d3-lesfit-test",
        kind="structures",
        description="50 x 192-atom RPBE-D3 liquid water (les_fit test set; other energy zero than n2p2)",
        files=_github_files(
            LES_FIT_REPO, LES_FIT_COMMIT, "data-benchmark", "rpbed3_les_fit_test", _LES_FIT_TEST
        ),
        format="extxyz",
        units="Å, eV, eV/Å",
        citation=(
            "B. Cheng, 'Latent Ewald summation for machine learning of long-range interactions', "
            "npj Comput. Mater. 11, 80 (2025), arXiv:2408.15165"
        ),
        doi="10.48550/arXiv.2408.15165",
        license="CC BY-NC 4.0 (stated in the les_fit README; no LICENSE file)",
        structures="test-H2O_RPBE-D3.xyz",
    ),
)

#: Modules that register the resolvers of generated data sets when imported, imported by the
#: loaders when a set is asked for that is not in :data:`CATALOGUE`
#: (:func:`~nnp_tutorial.datasets.registry.declare_generated`): the teacher sets
#: ``teacher-<teacher>`` and the directories written by
#: :func:`nnp_tutorial.teacher.make_teacher_dataset`.
GENERATORS: tuple[str, ...] = ("nnp_tutorial.teacher.cache",)

for _entry in CATALOGUE:
    register(_entry)
for _module in GENERATORS:
    declare_generated(_module)
del _entry, _module
