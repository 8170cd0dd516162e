"""The wheel carries every module and data file of the mapped folders, and imports from itself.

The layout maps ``widgets/``, ``grading/`` and ``datasets/`` into ``qilab`` (pyproject.toml's
``package-dir``; setup.py walks them). An editable install finds new files anyway, so only a
real wheel shows a sub-package or a template left out: this builds one from a clean copy of the
tracked files, as a release would, and compares it with ``git ls-files``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
#: Tracked files that are deliberately not shipped (setup.py's SKIPPED_PARTS).
NOT_SHIPPED = ("qilab/labextension/",)
#: pip, quiet and offline-safe: nothing is downloaded (no dependencies, no build isolation).
PIP = [sys.executable, "-m", "pip", "-q", "--disable-pip-version-check"]


def _tracked() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, text=True, check=True
    )
    return [name for name in listed.stdout.split("\0") if name]


def _expected_in_wheel(tracked: list[str]) -> set[str]:
    """Where each tracked file under a mapped folder lands inside the wheel."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    mapped = config["tool"]["setuptools"]["package-dir"]
    folders = {folder: package.replace(".", "/") for package, folder in mapped.items()}
    expected = set()
    for name in tracked:
        if name.startswith(NOT_SHIPPED) or not (REPO / name).is_file():
            continue
        for folder, target in folders.items():
            if name.startswith(folder + "/"):
                expected.add(target + name[len(folder) :])
                break
    return expected


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from a copy of the tracked files only (no editable-install shortcuts)."""
    source = tmp_path_factory.mktemp("source")
    for name in _tracked():
        if (REPO / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, source / name)
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [*PIP, "wheel", "--no-deps", "--no-build-isolation", "-w", str(out), str(source)],
        check=True,
    )
    (built,) = out.glob("qilab-*.whl")
    return built


@pytest.mark.slow
def test_every_tracked_module_and_data_file_is_in_the_wheel(wheel: Path) -> None:
    shipped = set(zipfile.ZipFile(wheel).namelist())
    expected = _expected_in_wheel(_tracked())
    assert any(name.startswith("qilab/widgets/") for name in expected)
    missing = sorted(expected - shipped)
    assert not missing, f"the wheel leaves out {missing}: see setup.py"


@pytest.mark.slow
def test_every_module_imports_from_the_installed_wheel(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [*PIP, "install", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
    )
    script = (
        "import importlib, pkgutil, sys\n"
        "import qilab\n"
        f"root = {str(target)!r}\n"
        "assert qilab.__file__.startswith(root), qilab.__file__\n"
        "names = [i.name for i in pkgutil.walk_packages(qilab.__path__, 'qilab.')]\n"
        "skip = {'qilab.__main__', 'qilab.cli.__main__'}\n"
        "for name in names:\n"
        "    if name in skip: continue\n"
        "    module = importlib.import_module(name)\n"
        "    assert module.__file__.startswith(root), (name, module.__file__)\n"
        "print(len(names))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert int(done.stdout.split()[-1]) > 60
