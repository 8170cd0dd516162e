"""A progress bar for long runs, with no dependency: 500 submissions take a while.

On a terminal it redraws one line; in a log file (CI, ``nohup``) it prints a line at every
tenth of the way, so logs stay short.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """Count finished items out of a total and show it.

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> bar = Progress(4, "autograde", stream=out)
    >>> for _ in range(4):
    ...     bar.advance()
    >>> bar.close()
    >>> "4/4" in out.getvalue()
    True
    """

    def __init__(
        self, total: int, label: str, stream: TextIO | None = None, width: int = 28
    ) -> None:
        self.total, self.label, self.width = max(total, 0), label, width
        self.stream = stream if stream is not None else sys.stderr
        self.done = 0
        self.started = time.monotonic()
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last_tenth = -1
        self.note = ""
        if self.total:
            self._draw()

    def advance(self, note: str = "") -> None:
        self.done = min(self.done + 1, self.total)
        self.note = note
        self._draw()

    def _line(self) -> str:
        fraction = self.done / self.total if self.total else 1.0
        filled = round(fraction * self.width)
        bar = "#" * filled + "." * (self.width - filled)
        elapsed = time.monotonic() - self.started
        eta = ""
        if 0 < self.done < self.total:
            eta = f", ~{elapsed / self.done * (self.total - self.done):.0f} s left"
        note = f"  {self.note}" if self.note else ""
        return f"{self.label} [{bar}] {self.done}/{self.total} ({elapsed:.0f} s{eta}){note}"

    def _draw(self) -> None:
        if self.tty:
            self.stream.write("\r\033[K" + self._line()[:160])
            self.stream.flush()
            return
        tenth = int(10 * self.done / self.total) if self.total else 10
        if tenth != self._last_tenth:
            self._last_tenth = tenth
            self.stream.write(self._line() + "\n")
            self.stream.flush()

    def close(self) -> None:
        if self.tty and self.total:
            self.stream.write("\n")
            self.stream.flush()


class Silent(Progress):
    """A progress bar that shows nothing (library use, tests)."""

    def __init__(self, total: int = 0, label: str = "") -> None:
        self.total, self.done, self.note = total, 0, ""

    def advance(self, note: str = "") -> None:
        self.done += 1

    def close(self) -> None:
        pass
