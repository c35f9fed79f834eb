"""Teacher data sets: water configurations labelled by a published potential.

The study's BLYP DFT training set is not public. We rebuild a set of the same kind — liquid
water boxes of 64 molecules over a range of densities and temperatures, plus ice — and
label it with the published BLYP HDNNP of Morawietz *et al.* 2016 (registered as
``nnp-blyp-morawietz2016``) as a *teacher*: its energies and forces play the role of the
DFT labels. ``--dataset teacher-blyp`` then trains students on it like on any data set.

========================================  ===========================================================
module                                    what
========================================  ===========================================================
:mod:`~nnp_tutorial.teacher.recipe`       :class:`TeacherRecipe` (pure data: teacher, state points,
                                          frames, MD settings), :func:`recipe_hash`, :data:`TEACHERS`
:mod:`~nnp_tutorial.teacher.generation`   :func:`make_teacher_dataset`: sampling, labels, resuming,
                                          determinism
:mod:`~nnp_tutorial.teacher.cache`        the files of a set, the cache (:func:`cache_path`,
                                          :func:`install`) and the loaders' resolver
                                          (:func:`generated_dataset_file`)
:mod:`~nnp_tutorial.teacher.plots`        :func:`plot_energy_density`
:mod:`~nnp_tutorial.teacher.results`      the study's committed numbers: :func:`ground_truth`,
                                          :func:`student_results`
========================================  ===========================================================
"""

from .cache import (
    DATASET_FILE,
    RECIPE_FILE,
    DatasetNotGeneratedError,
    cache_path,
    dataset_name,
    generated_dataset_file,
    install,
)
from .generation import LABELLED_FILE, TeacherDataset, make_teacher_dataset
from .plots import plot_energy_density
from .recipe import (
    CPU_SECONDS_PER_EVALUATION,
    GENERATOR_VERSION,
    LIQUID_STARTS,
    TEACHERS,
    StatePoint,
    TeacherRecipe,
    recipe_hash,
)
from .results import ground_truth, student_results

__all__ = [
    "CPU_SECONDS_PER_EVALUATION",
    "DATASET_FILE",
    "GENERATOR_VERSION",
    "LABELLED_FILE",
    "LIQUID_STARTS",
    "RECIPE_FILE",
    "TEACHERS",
    "DatasetNotGeneratedError",
    "StatePoint",
    "TeacherDataset",
    "TeacherRecipe",
    "cache_path",
    "dataset_name",
    "generated_dataset_file",
    "ground_truth",
    "install",
    "make_teacher_dataset",
    "plot_energy_density",
    "recipe_hash",
    "student_results",
]
