"""What only the notebooks need: budgets and their sizes, views, explorers, display helpers.

==============  ==========================================================================
module          content
==============  ==========================================================================
``budget``      :func:`~nnp_tutorial.tutorial.budget.resolve_budget` (``smoke``,
                ``workshop``, ``paper``; ``$NNP_TUTORIAL_BUDGET`` overrides a notebook's)
``views``       3D views of structures and trajectories (nglview), the density explorer;
                imports no TensorFlow
``widgets``     the learning-rate explorer: live training in chunks, its widgets
``png``         a figure as PNG bytes for an ``ipywidgets.Image``
==============  ==========================================================================

Nothing is imported here, so ``import nnp_tutorial.tutorial.views`` loads the views alone.
"""
