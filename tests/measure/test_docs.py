"""The Examples in ``qic``'s docstring run and print what they say."""

from __future__ import annotations

import doctest
import importlib
import sys

importlib.import_module("qilab.measure.qic")
qic_module = sys.modules["qilab.measure.qic"]  # the package attribute `qic` is the function


def test_qic_docstring_examples() -> None:
    result = doctest.testmod(qic_module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 6
    assert result.failed == 0
