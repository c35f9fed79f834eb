"""nglview's Python widgets and its JupyterLab extension must be the same version.

The Python side of every nglview widget names the JavaScript module and version it
needs (``_model_module`` / ``_model_module_version``); JupyterLab looks that module up
among its installed extensions and, when the versions differ, shows "Failed to load
model class 'NGLModel'" instead of the view (nglview #1172). nglview 4.0.1 on PyPI is
such a mismatched pair, which is why the project pins 4.0.
"""

from __future__ import annotations

import importlib.metadata
import json
from pathlib import Path

import nglview
from jupyter_core.paths import jupyter_path
from nglview._frontend import __frontend_version__
from nglview.color import ColormakerRegistry


def installed_lab_extensions() -> list[Path]:
    """package.json of every installed nglview JupyterLab extension, in JupyterLab's search order."""
    candidates = (Path(d) / "nglview-js-widgets" / "package.json" for d in jupyter_path("labextensions"))
    return [path for path in candidates if path.is_file()]


def test_the_pinned_nglview_is_installed():
    pyproject = (Path(__file__).parents[1] / "pyproject.toml").read_text()
    assert '"nglview==4.0"' in pyproject
    assert importlib.metadata.version("nglview") == "4.0"


def test_widgets_ask_for_the_installed_lab_extension():
    found = installed_lab_extensions()
    assert found, f"no nglview-js-widgets extension in {jupyter_path('labextensions')}"
    package = json.loads(found[0].read_text())  # the first one found is the one JupyterLab loads
    for widget in (nglview.NGLWidget(), ColormakerRegistry):  # the two kinds of model it creates
        for side in ("model", "view"):
            module, version = getattr(widget, f"_{side}_module"), getattr(widget, f"_{side}_module_version")
            assert (module, version) == (package["name"], package["version"]), (
                f"{type(widget).__name__} asks for {module} {version}, installed: {found[0]}"
            )


def test_every_installed_copy_of_the_extension_has_that_version():
    versions = {str(path): json.loads(path.read_text())["version"] for path in installed_lab_extensions()}
    assert set(versions.values()) == {__frontend_version__}, versions
