"""Every example in a docstring runs and prints what it says (the docs are tests too).

Modules are found by walking the installed ``qilab`` package, so ``widgets/``, ``grading/`` and
``datasets/`` (mapped into ``qilab``) are included, and a new module joins without a list.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import tomllib
from pathlib import Path

import pytest

#: Modules that run something on import that does not belong in a test process.
NOT_IMPORTABLE_HERE = {
    "qilab.jupyter_config.kernel_startup",  # a kernel's PYTHONSTARTUP file, not a module
}


PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def _modules() -> list[str]:
    """Every module of ``qilab``, including the top-level folders mapped into it."""
    mapped = tomllib.loads(PYPROJECT.read_text())["tool"]["setuptools"]["package-dir"]
    names = set(mapped)
    for package in mapped:
        path = importlib.import_module(package).__path__
        for info in pkgutil.walk_packages(path, prefix=f"{package}."):
            names.add(info.name)
    return sorted(
        name for name in names if name not in NOT_IMPORTABLE_HERE and not name.endswith("__main__")
    )


def _examples(name: str) -> list[doctest.DocTest]:
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    return [test for test in finder.find(module) if test.examples]


MODULES_WITH_EXAMPLES = [name for name in _modules() if _examples(name)]


def test_examples_are_found_in_every_part_of_the_package():
    parts = {name.split(".")[1] for name in MODULES_WITH_EXAMPLES if "." in name}
    assert {"measure", "widgets", "grading", "datasets"} <= parts, parts


@pytest.mark.parametrize("name", MODULES_WITH_EXAMPLES)
def test_docstring_examples_run(name: str) -> None:
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False
    )
    failures: list[str] = []
    for test in _examples(name):
        result = runner.run(test, out=failures.append)
        assert result.failed == 0 or failures
    assert not failures, "".join(failures)
