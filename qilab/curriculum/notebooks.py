"""Read lesson notebooks as data: their links, outputs, headings and code, without running them.

The checks in :mod:`qilab.curriculum.check` need to know what a notebook *says* (does it link
to files that exist, does it import qilab first, does it use the simulations the manifest
promises), so this module reads the ``.ipynb`` JSON directly: quick, and never executes a cell.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qilab.errors import QilabError

#: Markdown links and images ``[text](target)``, and HTML ``href``/``src`` attributes.
_MD_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HTML_LINK = re.compile(r"""(?:href|src)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


class NotebookReadError(QilabError):
    """A notebook file is not valid notebook JSON."""


@dataclass(frozen=True)
class Link:
    """A link written in a markdown cell: where it points and which cell holds it."""

    target: str
    cell: int


def read_notebook(path: Path) -> dict[str, Any]:
    """The notebook as a dict; a broken file raises an error that says how to recover it."""
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise NotebookReadError(
            f"{path} is not a readable notebook ({exc.__class__.__name__}): restore it from git "
            "or re-save it from JupyterLab."
        ) from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise NotebookReadError(f"{path} has no cells list: restore it from git.")
    return nb


def source(cell: dict[str, Any]) -> str:
    """A cell's text (notebooks store it as a string or a list of lines)."""
    text = cell.get("source", "")
    return "".join(text) if isinstance(text, list) else str(text)


def cells(nb: dict[str, Any], kind: str) -> list[tuple[int, str]]:
    """(position, text) of every cell of one kind (``"markdown"`` or ``"code"``)."""
    return [(i, source(c)) for i, c in enumerate(nb["cells"]) if c.get("cell_type") == kind]


def links(nb: dict[str, Any]) -> list[Link]:
    """Every link target written in the notebook's markdown cells.

    Examples
    --------
    >>> nb = {"cells": [{"cell_type": "markdown", "source": "[Next](../b.ipynb#top)"}]}
    >>> links(nb)
    [Link(target='../b.ipynb#top', cell=0)]
    """
    found = []
    for i, text in cells(nb, "markdown"):
        text = re.sub(r"`[^`\n]*`", "", text)  # code spans are not links
        for pattern in (_MD_LINK, _HTML_LINK):
            found += [Link(m.group(1), i) for m in pattern.finditer(text)]
    return found


def is_internal(target: str) -> bool:
    """True for a link to a file of the course (not a web address, e-mail or in-page anchor)."""
    return not (_SCHEME.match(target) or target.startswith(("#", "//")))


def resolve(target: str, notebook: Path) -> Path:
    """The file an internal link points to, as JupyterLab resolves it (relative to the notebook)."""
    path = urllib.parse.unquote(target.split("#", 1)[0].split("?", 1)[0])
    return (notebook.parent / path).resolve()


def cells_with_outputs(nb: dict[str, Any]) -> list[int]:
    """Positions of code cells that carry outputs or an execution count (committed by mistake)."""
    return [
        i
        for i, c in enumerate(nb["cells"])
        if c.get("cell_type") == "code" and (c.get("outputs") or c.get("execution_count"))
    ]


def headings(nb: dict[str, Any]) -> list[str]:
    """The text of every markdown heading, in order."""
    return [m.group(1) for _, text in cells(nb, "markdown") for m in _HEADING.finditer(text)]


def code(nb: dict[str, Any]) -> str:
    """All code cells joined, for checking what a lesson calls."""
    return "\n".join(text for _, text in cells(nb, "code"))


def first_code(nb: dict[str, Any]) -> str:
    """The first code cell's text ('' if there is none)."""
    found = cells(nb, "code")
    return found[0][1] if found else ""


def markdown(nb: dict[str, Any]) -> str:
    """All markdown cells joined."""
    return "\n".join(text for _, text in cells(nb, "markdown"))
