"""Server settings for ``qilab cases``: preheated kernels, time limits and idle-kernel culling.

A cohort of visitors each gets a kernel, and Voila has no execution time limit by default, so
the limits live in one place an academy can read and change: the ``server:`` block of
``curriculum/cases/cases.yaml``. Command-line options override the file for one run.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from qilab.errors import QilabError
from qilab.validation import problems


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
    max_kernels : int
        Live kernels allowed at once, preheated ones included; beyond it a visitor gets a
        "busy, try again in a minute" page. 0 sizes it from this machine's memory
        (:func:`kernels_for_memory`).
    leave_grace : int
        Seconds after a visitor's page closes (its last connection drops) before its kernel is
        shut down; a reload reconnects well within this.
    connect_timeout : int
        Seconds a kernel given to a visitor waits for the page to connect before it is shut
        down (a request that never runs the page, such as a crawler's).
    allowed_hosts : list
        Host names (or addresses) visitors may use in the address bar besides localhost and
        127.0.0.1; any other ``Host`` header is refused (403), which defeats DNS rebinding.
    """

    pool_size: int = 1
    pool_sizes: dict[str, int] | None = None
    execution_timeout: int = 180
    cull_idle_timeout: int = 1200
    cull_interval: int = 60
    cull_connected: bool = True
    max_kernels: int = 0
    leave_grace: int = 10
    connect_timeout: int = 120
    allowed_hosts: tuple[str, ...] = ()

    def pool_for(self, slug: str) -> int:
        return (self.pool_sizes or {}).get(slug, self.pool_size)

    def visitor_cap(self, pooled: int) -> int:
        """Visitor kernels allowed at once: ``max_kernels`` less the *pooled* preheated ones.

        Never below 1, so a cap smaller than the pools still lets one visitor in.
        """
        return max(1, (self.max_kernels or kernels_for_memory()) - pooled)

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

    def for_audience(self, slug: str, people: int, others: int = 0) -> ServerSettings:
        """A copy that keeps *people* kernels preheated for case *slug* (``--audience``).

        A room that opens one case together (a board meeting) then gets ready pages: every
        visitor is handed a kernel that has already run the notebook, instead of nine of ten
        starting one at once. The other cases keep their pools (*others*: their preheated
        kernels). The pool refills as the room takes its kernels, so the cap must hold the
        room's kernels, the refilled pool and the other pools at once.

        Examples
        --------
        >>> ServerSettings(max_kernels=40).for_audience("gp-access", 12, others=6).pool_for(
        ...     "gp-access")
        12
        >>> ServerSettings(max_kernels=20).for_audience("gp-access", 12, others=6)
        ... # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        qilab.cases.settings.CaseSettingsError: --audience 12 needs 30 kernels ... 7 or less, ...
        >>> ServerSettings(max_kernels=7).for_audience("gp-access", 2, others=6)
        ... # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        qilab.cases.settings.CaseSettingsError: ... Even --audience 1 does not fit: ...
        """
        lo, hi = AUDIENCE
        if isinstance(people, bool) or not isinstance(people, int) or not lo <= people <= hi:
            raise CaseSettingsError(
                f"--audience {people} must be a whole number from {lo} to {hi}."
            )
        cap = self.max_kernels or kernels_for_memory()
        need = 2 * people + others
        if need > cap:
            fits = (cap - others) // 2
            fix = (
                f"Use --audience {fits} or less, or a larger --max-kernels"
                if fits >= lo
                else "Even --audience 1 does not fit: use a larger --max-kernels, or --pool-size 0 "
                "so the other cases keep no kernels waiting,"
            )
            raise CaseSettingsError(
                f"--audience {people} needs {need} kernels at once ({people} for the room, "
                f"{people} preheating again for {slug}, {others} for the other cases; about "
                f"{need * KERNEL_MB / 1024:.1f} GB), but at most {cap} may run (--max-kernels). "
                f"{fix} if this computer has the memory."
            )
        return replace(self, pool_sizes={**(self.pool_sizes or {}), slug: people})


#: People ``--audience`` can preheat for (a large board or a teaching room).
AUDIENCE = (1, 100)

LIMITS: dict[str, tuple[int, int]] = {
    "pool_size": (0, 16),
    "execution_timeout": (1, 3600),
    "cull_idle_timeout": (10, 7 * 24 * 3600),
    "cull_interval": (1, 3600),
    "max_kernels": (0, 1000),
    "leave_grace": (1, 3600),
    "connect_timeout": (10, 3600),
}

#: Memory one case kernel holds once its notebook has run (measured: about 170 MB; rounded up).
KERNEL_MB = 200
#: Share of the machine's memory the case kernels may use (the rest: the OS, the server, others).
MEMORY_SHARE = 0.5


def kernels_for_memory(total_bytes: int | None = None) -> int:
    """How many case kernels fit in half this machine's memory (at least 2).

    Examples
    --------
    >>> kernels_for_memory(8 * 1024**3)
    20
    """
    if total_bytes is None:
        import psutil

        total_bytes = psutil.virtual_memory().total
    return max(2, int(total_bytes * MEMORY_SHARE / (KERNEL_MB * 1024**2)))


def _whole_number(name: str, lo: int, hi: int) -> dict[str, Any]:
    return {
        "type": "integer",
        "minimum": lo,
        "maximum": hi,
        "x-message": f"is {{value!r}}; it must be a whole number from {lo} to {hi}",
        "x-fix": f"set {name}: to a whole number from {lo} to {hi}",
    }


#: The ``server:`` block's shape (JSON Schema draft 2020-12, worded by :mod:`qilab.validation`).
SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "qilab cases server settings (the server: block of curriculum/cases/cases.yaml)",
    "type": "object",
    "x-message": "must be a mapping of setting: value, found {kind}",
    "x-fix": "write server: and then one setting per line, indented",
    "properties": {
        **{name: _whole_number(name, lo, hi) for name, (lo, hi) in LIMITS.items()},
        "pool_sizes": {
            "type": ["object", "null"],
            "additionalProperties": _whole_number("a case's pool size", *LIMITS["pool_size"]),
            "x-fix": "write pool_sizes: with one line per case, slug: size",
        },
        "cull_connected": {
            "type": "boolean",
            "x-message": "is {value!r}; it must be true or false",
            "x-fix": "write cull_connected: true or cull_connected: false",
        },
        "allowed_hosts": {
            "type": "array",
            "items": {"type": "string", "pattern": r"\S"},
            "x-message": "must be a list of host names, found {value!r}",
            "x-fix": "write allowed_hosts: [board.example.nhs.uk] (a list, even of one name)",
        },
    },
    "additionalProperties": False,
    "x-unknown-fix": "remove it or correct its spelling (server settings: "
    f"{', '.join(f.name for f in fields(ServerSettings))})",
}


def _raise_problems(block: Any, source: str) -> None:
    found = problems(block, SCHEMA)
    if found:
        first = found[0]
        where = f"server.{first.where}" if first.where else "server"
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise CaseSettingsError(f"{source}: {where}: {first.message}. Fix: {first.fix}{more}")


def check(settings: ServerSettings, source: str) -> ServerSettings:
    """Reject values that would exhaust the machine or never let a case open."""
    _raise_problems(asdict(settings), source)
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
    _raise_problems(block, str(index))
    if isinstance(block.get("allowed_hosts"), list):
        block = {**block, "allowed_hosts": tuple(block["allowed_hosts"])}
    return check(ServerSettings(**block), str(index))
