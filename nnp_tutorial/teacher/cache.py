"""Where generated teacher sets lie, how the loaders find them, and the cache.

Files of a generated set
------------------------
==================================  ==============================================================
``recipe.json``                     recipe, its hash, package version, command, per-state report,
                                    number of frames and the sha256 of ``dataset.xyz``
``dataset.xyz``                     all labelled frames, state points in recipe order
``states/<label>/``                 the state point's MD (``run_md`` files) and ``labelled.xyz``
==================================  ==============================================================

Cache
-----
``make_teacher_dataset(recipe)`` without ``out_dir`` writes to
``cache_dir()/teacher-<teacher>/<recipe hash>/`` (see :func:`nnp_tutorial.datasets.cache_dir`);
:func:`install` copies a set generated elsewhere there. ``--dataset teacher-blyp`` reads
the default recipe's set from the cache, ``--dataset DIR`` a generated directory.

:func:`generated_dataset_file` is the resolver of these sets for the loaders of
:mod:`nnp_tutorial.datasets` (:func:`nnp_tutorial.datasets.register_generated`). The
catalogue names this module (:data:`nnp_tutorial.datasets.catalogue.GENERATORS`), so the
loaders import it themselves when they are asked for a set that is not published.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from ..datasets import cache_dir, register_generated
from ..errors import ChecksumError, NNPTutorialError
from .recipe import TEACHERS, TeacherRecipe, recipe_hash

RECIPE_FILE = "recipe.json"
DATASET_FILE = "dataset.xyz"


class DatasetNotGeneratedError(NNPTutorialError, FileNotFoundError):
    """A teacher data set was asked for that has not been generated (the message says how)."""


def dataset_name(teacher: str) -> str:
    """Name under which a teacher's default set is loaded, e.g. ``teacher-blyp``."""
    return f"teacher-{teacher}"


def cache_path(recipe: TeacherRecipe) -> Path:
    """``cache_dir()/teacher-<teacher>/<recipe hash>``: where the recipe's set is cached."""
    return _cached_set(recipe.teacher, recipe_hash(recipe))


def _cached_set(teacher: str, digest: str) -> Path:
    return cache_dir() / dataset_name(teacher) / digest


@register_generated
def generated_dataset_file(spec: str | Path) -> Path | None:
    """The checked structure file of a generated teacher set, or None if ``spec`` names none.

    Registered with :func:`nnp_tutorial.datasets.register_generated` when this module is
    imported, which the loaders (:func:`~nnp_tutorial.datasets.iter_structures`) do before
    they ask the resolvers (:data:`nnp_tutorial.datasets.catalogue.GENERATORS`).

    Parameters
    ----------
    spec : str or Path
        ``teacher-<teacher>`` (the default recipe's set in the cache, e.g. ``teacher-blyp``)
        or a directory written by :func:`~nnp_tutorial.teacher.generation.make_teacher_dataset`.

    Raises
    ------
    DatasetNotGeneratedError
        ``teacher-<teacher>`` has not been generated, or the directory is incomplete;
        the message names the command that makes it.
    ChecksumError
        ``dataset.xyz`` does not have the sha256 recorded in ``recipe.json``.
    """
    path = Path(spec)
    if path.is_dir() and (path / RECIPE_FILE).is_file():
        return _checked_file(path, f"finish it by rerunning its command (see {path / RECIPE_FILE})")
    teacher = str(spec).removeprefix("teacher-")
    if not str(spec).startswith("teacher-") or teacher not in TEACHERS:
        return None
    recipe = TeacherRecipe(teacher=teacher)
    directory = cache_path(recipe)
    command = f"nnp-tutorial make-teacher-dataset --teacher {teacher}"
    if not (directory / RECIPE_FILE).is_file():
        raise DatasetNotGeneratedError(
            f"the teacher data set {spec!r} (recipe {recipe_hash(recipe)}) has not been generated: "
            f"run `{command}` once ({recipe.n_evaluations} teacher evaluations, about "
            f"{recipe.cpu_minutes:.0f} CPU-minutes), "
            "or pass --dataset DIR with a directory it wrote"
        )
    return _checked_file(directory, f"run `{command}` to finish it")


def _checked_file(directory: Path, remedy: str) -> Path:
    """The structure file of ``directory`` after checking its sha256; ``remedy`` goes into the error."""
    header = json.loads((directory / RECIPE_FILE).read_text())
    path = directory / header.get("dataset_file", DATASET_FILE)
    if "sha256" not in header or not path.is_file():
        raise DatasetNotGeneratedError(f"{directory}: the teacher data set is incomplete; {remedy}")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != header["sha256"]:
        raise ChecksumError(f"{path}: sha256 {digest} differs from {header['sha256']} in {RECIPE_FILE}")
    return path


def install(directory: str | Path) -> Path:
    """Copy a complete generated set (``dataset.xyz``, ``recipe.json``) into the cache; its path there.

    After this, ``--dataset teacher-<teacher>`` finds a set made with ``--out DIR`` and the
    default recipe.
    """
    directory = Path(directory)
    source = _checked_file(directory, "generate it completely first")
    header = json.loads((directory / RECIPE_FILE).read_text())
    target = _cached_set(header["recipe"]["teacher"], header["recipe_hash"])
    if target.resolve() != directory.resolve():
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target / source.name)
        shutil.copyfile(directory / RECIPE_FILE, target / RECIPE_FILE)
    return target
