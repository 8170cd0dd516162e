"""Server settings for ``qilab cases``: preheated kernels, time limits and idle-kernel culling.

A cohort of visitors each gets a kernel, and Voila has no execution time limit by default, so
the limits live in one place an academy can read and change: the ``server:`` block of
``curriculum/cases/cases.yaml``. Command-line options override the file for one run.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from qilab.errors import QilabError


class CaseSettingsError(QilabError):
    """A server setting in ``cases.yaml`` (or on the command line) is out of range."""


@dataclass(frozen=True)
class ServerSettings:
    """How ``qilab cases`` runs Voila.

    Attributes
    ----------
    pool_size : int
        Kernels kept preheated (notebook already executed) per case; 0 turns preheating off.
    pool_sizes : dict
        Per-case overrides of ``pool_size`` (slug -> size), e.g. for the most visited case.
    execution_timeout : int
        Seconds one cell may run while a case opens before it is stopped.
    cull_idle_timeout : int
        Seconds a visitor's kernel may sit idle before it is shut down (frees memory).
    cull_interval : int
        Seconds between checks for idle kernels.
    cull_connected : bool
        Also cull idle kernels whose page is still open (a forgotten tab holds memory too).
    """

    pool_size: int = 1
    pool_sizes: dict[str, int] | None = None
    execution_timeout: int = 180
    cull_idle_timeout: int = 1200
    cull_interval: int = 60
    cull_connected: bool = True

    def pool_for(self, slug: str) -> int:
        return (self.pool_sizes or {}).get(slug, self.pool_size)

    def with_overrides(self, **values: Any) -> ServerSettings:
        """A copy with the given settings changed (``None`` values are ignored).

        A new ``pool_size`` applies to every case: it replaces the per-case ``pool_sizes``.
        """
        chosen = {k: v for k, v in values.items() if v is not None}
        if "pool_size" in chosen:
            lo, hi = LIMITS["pool_size"]
            size = chosen["pool_size"]
            if isinstance(size, bool) or not isinstance(size, int) or not lo <= size <= hi:
                raise CaseSettingsError(
                    f"--pool-size {size} must be a whole number from {lo} to {hi}."
                )
            chosen.setdefault("pool_sizes", None)
        return check(replace(self, **chosen), "the command line")


LIMITS: dict[str, tuple[int, int]] = {
    "pool_size": (0, 16),
    "execution_timeout": (1, 3600),
    "cull_idle_timeout": (10, 7 * 24 * 3600),
    "cull_interval": (1, 3600),
}


def check(settings: ServerSettings, source: str) -> ServerSettings:
    """Reject values that would exhaust the machine or never let a case open."""
    for name, (lo, hi) in LIMITS.items():
        value = getattr(settings, name)
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise CaseSettingsError(
                f"{source}: server setting {name}={value!r} must be a whole number from "
                f"{lo} to {hi}."
            )
    lo, hi = LIMITS["pool_size"]
    for slug, size in (settings.pool_sizes or {}).items():
        if isinstance(size, bool) or not isinstance(size, int) or not lo <= size <= hi:
            raise CaseSettingsError(
                f"{source}: pool_sizes['{slug}']={size!r} must be a whole number from {lo} to {hi}."
            )
    if not isinstance(settings.cull_connected, bool):
        raise CaseSettingsError(f"{source}: cull_connected must be true or false.")
    return settings


def from_index(raw: dict[str, Any], index: Path) -> ServerSettings:
    """Read the ``server:`` block of a parsed ``cases.yaml`` (absent keys keep the defaults).

    Examples
    --------
    >>> from pathlib import Path
    >>> from_index({"server": {"pool_size": 2}}, Path("cases.yaml")).pool_size
    2
    """
    block = raw.get("server") or {}
    if not isinstance(block, dict):
        raise CaseSettingsError(f"{index}: `server:` must be a mapping of setting: value.")
    known = {f.name for f in fields(ServerSettings)}
    unknown = sorted(set(block) - known)
    if unknown:
        raise CaseSettingsError(
            f"{index}: unknown server setting(s) {', '.join(unknown)}: "
            f"use {', '.join(sorted(known))}."
        )
    return check(ServerSettings(**block), str(index))
