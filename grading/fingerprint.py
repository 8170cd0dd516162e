"""One fingerprint of a folder's files, for "is this the same work?" questions.

``qilab course collect`` asks it of a learner's re-submission (the same files again is not a new
submission) and ``qilab course init`` of an assignment's source (a tutor's edited copy is kept,
never overwritten). Notebook checkpoints are never part of the work.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

#: Folders that are an editor's leftovers, not anyone's work.
NOT_WORK = frozenset({".ipynb_checkpoints"})


def folder_digest(folder: Path, ignore: Iterable[str] = ()) -> str:
    """SHA-256 over every file's relative path and content (``ignore``: relative paths to skip).

    Examples
    --------
    >>> import tempfile
    >>> a, b = Path(tempfile.mkdtemp()), Path(tempfile.mkdtemp())
    >>> _ = (a / "q1.ipynb").write_text("{}"), (b / "q1.ipynb").write_text("{}")
    >>> _ = (b / "timestamp.txt").write_text("2025-03-10 17:00:00 UTC")
    >>> folder_digest(a) == folder_digest(b, ignore={"timestamp.txt"})
    True
    """
    skipped = set(ignore)
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = path.relative_to(folder)
        if relative.as_posix() in skipped or NOT_WORK & set(relative.parts):
            continue
        digest.update(relative.as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()
