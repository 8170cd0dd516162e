"""One SQLAlchemy engine per gradebook for a whole autograde run, not one per nbgrader call.

nbgrader opens its ``Gradebook`` about a dozen times for each submission it marks (the
converter, then each of its preprocessors), and every ``Gradebook`` makes a new SQLAlchemy
engine. SQLAlchemy caches compiled SQL per engine, so each new one compiles every query
again: about a third of the marking process's CPU time went on that. Inside
:func:`shared_engines`, every ``Gradebook`` for the same database URL gets the same engine,
so its queries are compiled once per run. Nothing else changes: each ``Gradebook`` still has
its own session and still returns its connections (``close()`` disposes of the engine's
pool, which the next one refills).

Only the parent process uses it (the gradebook's one writer); it is scoped to the run, so
nothing outside autograde sees the change.

Examples
--------
>>> import nbgrader.api
>>> with shared_engines():  # what ``Gradebook.__init__`` calls
...     nbgrader.api.create_engine("sqlite://") is nbgrader.api.create_engine("sqlite://")
True
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

_lock = threading.Lock()


@contextlib.contextmanager
def shared_engines() -> Iterator[None]:
    """Within the block, nbgrader's gradebooks share one engine per database URL."""
    import nbgrader.api

    original = nbgrader.api.create_engine
    engines: dict[str, Any] = {}

    def create_engine(url: Any, **options: Any) -> Any:
        key = f"{url}|{sorted(options.items())}"
        with _lock:
            if key not in engines:
                engines[key] = original(url, **options)
            return engines[key]

    nbgrader.api.create_engine = create_engine
    try:
        yield
    finally:
        nbgrader.api.create_engine = original
        for engine in engines.values():
            engine.dispose()
