"""Packaging's one moving part: which packages and data files the wheel carries.

The user's top-level layout keeps code folders beside the course content (``widgets/``,
``grading/``, ``datasets/``) and maps them into the one ``qilab`` namespace with
``[tool.setuptools] package-dir`` in pyproject.toml. setuptools' ``find`` cannot follow such a
mapping, so this file walks each mapped folder instead: a new sub-package or data file is
packaged with no list to update (``tests/test_packaging.py`` builds the wheel and checks it
against ``git ls-files``). Everything else lives in pyproject.toml.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from setuptools import setup

ROOT = Path(__file__).resolve().parent
#: Never packaged: caches, and the lab extension's source (its build in jupyter_data/ is).
SKIPPED_PARTS = {"__pycache__", "node_modules", ".ipynb_checkpoints", "labextension"}
SKIPPED_SUFFIXES = {".pyc", ".pyo"}


def package_dirs() -> dict[str, str]:
    """``{"qilab.widgets": "widgets", ...}`` — the mapping, read from pyproject.toml."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return config["tool"]["setuptools"]["package-dir"]


def _skipped(path: Path) -> bool:
    return bool(SKIPPED_PARTS & set(path.parts)) or path.suffix in SKIPPED_SUFFIXES


def packages_and_data() -> tuple[list[str], dict[str, list[str]]]:
    """Every folder with an ``__init__.py`` under a mapped folder, and each one's other files."""
    mapped = package_dirs()
    roots = {package: ROOT / folder for package, folder in mapped.items()}
    packages: list[str] = []
    data: dict[str, list[str]] = {}
    for package, root in roots.items():
        for init in sorted(root.rglob("__init__.py")):
            folder = init.parent
            relative = folder.relative_to(root)
            if _skipped(relative):
                continue
            name = ".".join([package, *relative.parts])
            if name in roots and name != package:
                continue  # mapped in its own right (qilab.widgets sits in widgets/, not qilab/)
            packages.append(name)
    owned = {name: (ROOT / mapped[name] if name in mapped else None) for name in packages}
    for name in packages:
        if owned[name] is None:
            parent = max((p for p in mapped if name.startswith(p + ".")), key=len)
            owned[name] = roots[parent].joinpath(*name[len(parent) + 1 :].split("."))
    for name, folder in owned.items():
        files = [
            path.relative_to(folder).as_posix()
            for path in sorted(folder.rglob("*"))
            if path.is_file()
            and not (path.suffix == ".py" and path.parent == folder)  # the package's own modules
            and not _skipped(path.relative_to(folder))
            # a file inside a sub-package belongs to that sub-package
            and not any(
                (folder / part / "__init__.py").exists()
                for part in _prefixes(path.relative_to(folder).parts[:-1])
            )
        ]
        if files:
            data[name] = files
    return sorted(packages), data


def _prefixes(parts: tuple[str, ...]) -> list[Path]:
    return [Path(*parts[: i + 1]) for i in range(len(parts))]


PACKAGES, PACKAGE_DATA = packages_and_data()

setup(packages=PACKAGES, package_data=PACKAGE_DATA)
