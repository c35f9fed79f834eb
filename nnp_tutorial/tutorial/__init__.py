"""What only the notebooks need: budgets and their presets, views, explorers, display helpers.

==============  ==========================================================================
module          content
==============  ==========================================================================
``budget``      :func:`~nnp_tutorial.tutorial.budget.resolve_budget` (``smoke``,
                ``workshop``, ``paper``; ``$NNP_TUTORIAL_BUDGET`` overrides a notebook's)
``presets``     what each notebook computes at each budget (e.g.
                :func:`~nnp_tutorial.tutorial.presets.md_preset`), training sizes as a
                :class:`~nnp_tutorial.training.TrainingConfig`
``display``     source code side by side, a table of symmetry functions
``views``       3D views of structures and trajectories (nglview), the density explorer;
                imports no TensorFlow
``widgets``     the learning-rate explorer: live training in chunks, its widgets
``png``         a figure as PNG bytes for an ``ipywidgets.Image``
==============  ==========================================================================

Nothing is imported here, so ``import nnp_tutorial.tutorial.views`` loads the views alone.
"""
