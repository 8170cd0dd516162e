"""nbgrader's Validate button, answering in plain words (a Jupyter server extension).

When a learner presses *Validate*, nbgrader's lab extension saves the notebook and posts its
path to ``/assignments/validate``; nbgrader's server extension runs the notebook from the top
with its :class:`~nbgrader.validator.Validator` and shows each failed check's traceback. This
module is that server extension with one difference: each failed cell's error is the sentence
:func:`qilab.grading.explain.explain` writes (the cell that really failed, and the fix), and a
notebook nbgrader cannot run at all gets one message instead of a traceback.

Everything else is nbgrader's: the same URL, the same configuration (read exactly as nbgrader's
handler reads it), the same preprocessors running the learner's code in the same kernel, and
the same checks of changed cells. ``qilab/jupyter_config/jupyter_server_config.json`` swaps
nbgrader's ``validate_assignment`` extension for this one, for learners and tutors alike.
"""

from __future__ import annotations

import traceback
from pathlib import Path
from typing import Any

from jupyter_server.utils import url_path_join
from nbformat.notebooknode import NotebookNode
from nbgrader.nbgraderformat import SchemaTooNewError, SchemaTooOldError
from nbgrader.server_extensions.validate_assignment.handlers import (
    NbGraderVersionHandler,
    ValidateAssignmentHandler,
)
from nbgrader.validator import Validator
from tornado import web

from . import explain


class PlainValidator(Validator):
    """nbgrader's Validator, whose failed cells are explained in plain words.

    It runs the notebook exactly as nbgrader's does (the inherited ``_preprocess``); it keeps
    the run notebook so that a failed check can be explained by the cells above it.
    """

    _ran: NotebookNode | None = None

    def _preprocess(self, nb: NotebookNode) -> NotebookNode:
        self._ran = super()._preprocess(nb)
        return self._ran

    def _extract_error(self, cell: NotebookNode) -> str:
        if self._ran is not None:
            for index, candidate in enumerate(self._ran.cells):
                if candidate is cell:
                    message = explain.explain(self._ran, index)
                    if message is not None:
                        return message
        return super()._extract_error(cell)


class PlainValidateHandler(ValidateAssignmentHandler):
    """``POST /assignments/validate``: nbgrader's handler with :class:`PlainValidator`."""

    def validate_notebook(self, path: str) -> dict[str, Any]:
        root = Path(self.root_dir).resolve()
        target = (root / path).resolve()
        if not target.is_relative_to(root):
            raise web.HTTPError(403, "Access denied: path outside allowed directory")
        try:
            validator = PlainValidator(config=self.load_config())
            result = validator.validate(str(target))
        except Exception as exc:
            self.log.error(traceback.format_exc())  # the full story stays in the server's log
            return {"success": False, "value": explain.wrap(could_not_validate(exc))}
        return {"success": True, "value": result}


def could_not_validate(exc: BaseException) -> str:
    """One message for a notebook Validate could not run at all (no traceback).

    >>> print(could_not_validate(ValueError("Notebook does not appear to be JSON"))[:75])
    Validate could not run this notebook (ValueError: Notebook does not appear
    """
    if isinstance(exc, SchemaTooOldError):
        return explain.OLD_FORMAT
    if isinstance(exc, SchemaTooNewError):
        return explain.NEW_FORMAT
    if type(exc).__name__ == "DeadKernelError":
        return explain.KERNEL_DIED
    detail = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
    first = detail.splitlines()[0] if detail else type(exc).__name__
    return explain.COULD_NOT_RUN.format(detail=first)


#: Registered in place of nbgrader's validate_assignment extension (same URLs).
HANDLERS = [
    (r"/assignments/validate", PlainValidateHandler),
    (r"/nbgrader_version", NbGraderVersionHandler),
]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "qilab.grading.validate"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    """Serve Validate (nbgrader's ``load_jupyter_server_extension``, with our handler)."""
    serverapp.log.info("QI Lab: Validate explains failed checks in plain words")
    webapp = serverapp.web_app
    webapp.settings["root_dir"] = serverapp.root_dir
    base_url = webapp.settings["base_url"]
    webapp.add_handlers(".*$", [(url_path_join(base_url, pat), h) for pat, h in HANDLERS])
