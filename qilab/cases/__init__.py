"""Case studies of improvement work, published with Voila (``qilab cases``) or as static pages.

The case notebooks and their index live in ``curriculum/cases/``; this package reads the index
(:func:`load_cases`), draws the gallery, serves the cases with standalone Voila
(:func:`cases_launch`, :func:`serve`), exports them as static HTML (:func:`build_site`), and
gives the notebooks their validated controls (:mod:`qilab.cases.live`).

>>> from qilab.cases import load_cases
>>> [case.slug for case in load_cases()][:1]                     # doctest: +SKIP
['batching-blood-tests']
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .catalogue import Case, CaseIndexError, find_case, load_cases
from .settings import CaseSettingsError, ServerSettings

__all__ = [
    "Case",
    "CaseIndexError",
    "CaseSettingsError",
    "ServerSettings",
    "build_site",
    "cases_launch",
    "find_case",
    "load_cases",
    "serve",
]

if TYPE_CHECKING:  # pragma: no cover
    from .export import build_site
    from .server import cases_launch, serve

_LAZY = {"build_site": "export", "cases_launch": "server", "serve": "server"}


def __getattr__(name: str) -> Any:
    # Serving and exporting pull in Voila, nbconvert and the data sets: load them on first use.
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
