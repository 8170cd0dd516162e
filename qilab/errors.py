"""Errors a person can act on.

Raise :class:`QilabError` (or a subclass) for anything a learner or tutor caused and can fix:
the message must say what is wrong *and* what to do. The command line prints it as one line and
exits non-zero instead of showing a traceback.
"""

from __future__ import annotations


class QilabError(Exception):
    """A problem with the user's input or set-up, with a message that says how to fix it."""
