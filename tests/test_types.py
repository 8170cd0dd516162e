"""mypy passes on the packages listed here (settings: ``[tool.mypy]`` in pyproject.toml).

Type hints are only worth having if something checks them: a wrong hint misleads the next
engineer more than none. To check another package, add it to ``PACKAGES`` and fix what mypy
finds (a ``# type: ignore[code]`` only for a third-party gap, with the reason beside it).

mypy cannot follow the editable install's import hook, so the test lays out the ``qilab``
namespace as the wheel has it (``widgets/``, ``grading/``, ``datasets/`` inside ``qilab``) with
symbolic links, and checks that. The links and mypy's cache stay in ``build/mypy`` (ignored by
git) at the same paths from run to run, so a second run only re-checks what changed (about 90 s
cold on a shared two-core machine, a few seconds warm).
"""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "build" / "mypy"

#: The packages mypy must pass on.
PACKAGES: list[str] = [
    "qilab.measure",
    "qilab.datasets",
    "qilab.escalator",
    "qilab.validation",
    "qilab.offline",
    "qilab.curriculum",
    "qilab.cases",
    "qilab.grading",
    "qilab.hub",
    "qilab.selfstudy",
    "qilab.cli.lab",
    "qilab.cli.progress",
]


def _mapped_folders() -> dict[str, Path]:
    """Sub-packages of ``qilab`` whose code lives outside ``qilab/`` (as pyproject maps them)."""
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    mapping = pyproject.get("tool", {}).get("setuptools", {}).get("package-dir", {})
    folders = {name: REPO / folder for name, folder in mapping.items() if name.count(".") == 1}
    for name in PACKAGES:  # wherever the installed package really is
        top = importlib.import_module(".".join(name.split(".")[:2]))
        if hasattr(top, "__path__"):  # a package, not a module such as qilab.validation
            folders[top.__name__] = Path(top.__path__[0])
    return {name: path for name, path in folders.items() if path.parent != REPO / "qilab"}


def _namespace(root: Path) -> Path:
    """``root/qilab``: links to everything in ``qilab/`` plus the mapped folders (made afresh)."""
    shutil.rmtree(root, ignore_errors=True)
    package = root / "qilab"
    package.mkdir(parents=True)
    mapped = _mapped_folders()
    inside = {name.split(".")[1] for name in mapped}
    for entry in (REPO / "qilab").iterdir():
        if entry.name not in inside and entry.name != "__pycache__":
            (package / entry.name).symlink_to(entry)
    for name, folder in mapped.items():
        (package / name.split(".")[1]).symlink_to(folder, target_is_directory=True)
    return root


@pytest.mark.slow
def test_mypy_passes() -> None:
    root = _namespace(WORK / "namespace")
    args = [sys.executable, "-m", "mypy", "--config-file", str(REPO / "pyproject.toml")]
    args += ["--cache-dir", str(WORK / "cache")]
    for name in PACKAGES:
        args += ["-p" if hasattr(importlib.import_module(name), "__path__") else "-m", name]
    env = {**os.environ, "MYPYPATH": str(root)}
    done = subprocess.run(
        args, cwd=root, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, f"mypy found type errors:\n{done.stdout}{done.stderr}"
    assert "Success: no issues found" in done.stdout
