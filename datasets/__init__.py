"""Synthetic, documented health-care data for lessons, exercises and case studies.

Every data set is synthetic (never real patient data), comes with a data dictionary and is
rebuilt byte for byte from a seeded generator. In a notebook::

    from qilab import datasets
    datasets.list()                       # what there is, by level and theme
    datasets.describe("ward_falls")       # columns, definitions, provenance
    falls = datasets.load("ward_falls")   # a typed DataFrame

and for a learner's own export (CSV or Excel)::

    data, report = datasets.read("my_audit.xlsx")

Adding a data set: write a generator (a function of a seeded ``numpy.random.Generator``
returning a DataFrame) in one of the ``gen_*`` modules, register it with its seed in
``generators.py``, write ``<name>.yaml`` (the dictionary; copy an existing one), then run
``qilab datasets regenerate <name>`` and the tests (which check the dictionary, the types, the
bytes, and the teaching points the tutor notes promise).
"""

from __future__ import annotations

from qilab.datasets.catalogue import UnknownDatasetError, names
from qilab.datasets.catalogue import list_datasets as list
from qilab.datasets.description import Description, describe
from qilab.datasets.loading import load
from qilab.datasets.reader import CleaningReport, ReadError, ReadResult, read
from qilab.datasets.rebuild import RegenerationReport, regenerate

__all__ = [
    "CleaningReport",
    "Description",
    "ReadError",
    "ReadResult",
    "RegenerationReport",
    "UnknownDatasetError",
    "describe",
    "list",
    "load",
    "names",
    "read",
    "regenerate",
]
