"""The Examples in the grading modules' docstrings run and give what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "roster",
    "course",
    "preprocessors",
    "feedback",
    "lms",
    "outcomes",
    "progress",
    "synthetic",
    "deadlines",
    "gradefiles",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(f"qilab.grading.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0, f"qilab.grading.{name} has no runnable examples"


@pytest.mark.parametrize("name", ["rules"])
def test_escalator_docstring_examples(name):
    module = importlib.import_module(f"qilab.escalator.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
