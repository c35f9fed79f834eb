"""Binder configuration: one pinned environment satisfying the package, a postBuild adding nothing."""

from __future__ import annotations

import importlib.metadata
import os
import re
from pathlib import Path

import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).parents[1]
#: The platform Binder builds on (markers of platform-specific requirements are evaluated for it).
BINDER_PLATFORM = {"sys_platform": "linux", "platform_machine": "x86_64"}


def pinned_pip_requirements() -> dict[str, str]:
    """Name (normalised) → pinned version of the pip section of environment.yml."""
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in environment["dependencies"] if isinstance(d, dict))
    pins = {}
    for line in pip:
        requirement = Requirement(line)
        (specifier,) = requirement.specifier  # exactly one, "=="
        assert specifier.operator == "==", line
        pins[requirement.name.lower().replace("_", "-")] = specifier.version
    return pins


def test_binder_reads_the_root_environment():
    """Binder ignores the top level when binder/ exists: binder/environment.yml must be the same file."""
    assert (ROOT / "binder" / "environment.yml").resolve() == (ROOT / "environment.yml").resolve()
    assert "python=3.11" in yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]


def test_every_requirement_of_the_package_and_its_notebooks_is_pinned_compatibly():
    pins = pinned_pip_requirements()
    for extra in ("", "notebooks", "test"):
        for line in importlib.metadata.requires("nnp_tutorial"):
            requirement = Requirement(line)
            if requirement.name == "nnp_tutorial" or (
                requirement.marker and not requirement.marker.evaluate({**BINDER_PLATFORM, "extra": extra})
            ):
                continue
            name = requirement.name.lower().replace("_", "-")
            assert name in pins, f"{requirement} is not pinned in environment.yml"
            assert requirement.specifier.contains(pins[name]), (
                f"environment.yml pins {name}=={pins[name]}: {requirement}"
            )


def test_postbuild_installs_the_package_alone_and_fetches_the_data():
    script = ROOT / "binder" / "postBuild"
    assert os.access(script, os.X_OK)
    commands = [line for line in script.read_text().splitlines() if line and not line.startswith("#")]
    assert "python -m pip install --no-deps -e ." in commands
    assert "nnp-tutorial datasets --download all" in commands


def test_readme_badge_launches_this_repository_at_notebook_01():
    metadata = importlib.metadata.metadata("nnp_tutorial")
    repository = dict(line.split(", ", 1) for line in metadata.get_all("Project-URL"))["Repository"]
    owner_and_name = repository.removeprefix("https://github.com/")
    (badge,) = re.findall(r"\(https://mybinder\.org/v2/gh/([^)]*)\)", (ROOT / "README.md").read_text())
    path, _, query = badge.partition("?")
    assert path == f"{owner_and_name}/HEAD"
    assert query.startswith("urlpath=lab/tree/")
    assert (ROOT / query.removeprefix("urlpath=lab/tree/")).is_file()
