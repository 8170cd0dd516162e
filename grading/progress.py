"""The progress bar of long tutor runs (500 submissions take a while): tqdm's.

On a terminal it redraws one line with a time estimate; where output is not a terminal (a log
file, CI, library use) it stays silent and the run's summary says what happened.
"""

from __future__ import annotations

import sys
from typing import TextIO

from tqdm import tqdm


def progress_bar(total: int, label: str, show: bool = True, stream: TextIO | None = None) -> tqdm:
    """A bar for ``total`` submissions; ``bar.set_postfix_str(note)`` then ``bar.update()``.

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> with progress_bar(2, "autograde", stream=out) as bar:
    ...     bar.update()
    >>> bar.disable, out.getvalue()  # not a terminal: nothing drawn
    (True, '')
    """
    return tqdm(
        total=total,
        desc=label,
        unit="submission",
        file=stream if stream is not None else sys.stderr,
        disable=None if show else True,  # None: draw on a terminal only
        dynamic_ncols=True,
        leave=True,
    )
