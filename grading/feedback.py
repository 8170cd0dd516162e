"""Feedback a learner can act on, that never gives away the hidden tests.

nbgrader builds feedback from the *autograded* notebook, into which ``OverwriteCells`` has put
back each test cell's full source — hidden tests included — and whose failed cells carry
tracebacks quoting the failing test line. :class:`PlainWordsFeedback` (named in the course's
``nbgrader_config.py``, after ``GetGrades``) removes the hidden regions and replaces each test
cell's output with a sentence: passed or not, the marks, and why, in plain words (the
wording is :mod:`.explain`'s, shared with the Validate button).
:func:`generate_feedback` wraps nbgrader's ``generate_feedback`` and ``release_feedback`` and
checks every page for hidden-test code before anyone can read it (and drops the page's
MathJax-from-a-CDN script, so it opens offline). The check also decodes base64, hex and
compressed copies in a page (:func:`find_leaks`): a learner who could read the tests would
otherwise print them encoded.
"""

from __future__ import annotations

import base64
import binascii
import bz2
import contextlib
import html
import json
import lzma
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor

from .course import Course, CourseError, quiet_nbgrader
from .explain import plain_reason
from .preprocessors import is_graded_test
from .provisional import label_page, pending_cells

#: nbgrader's feedback template loads MathJax from a CDN, which NHS networks block: dropped.
REMOTE_SCRIPT = re.compile(r"<script[^>]*\bsrc=[\"']https?://[^>]*>\s*</script>", re.I)

HIDDEN_NOTE = "# (further checks are hidden: they ran when your work was marked)"
MARK_SCHEME_NOTE = "*(The tutor's mark scheme is not shown.)*"


def remove_region(source: str, begin: str, end: str, note: str = HIDDEN_NOTE) -> tuple[str, bool]:
    """Drop delimited regions (delimiter lines included), leaving one note in each one's place.

    Examples
    --------
    >>> text = "assert f(1) == 1\\n### BEGIN HIDDEN TESTS\\nassert f(2) == 4\\n### END HIDDEN TESTS"
    >>> remove_region(text, "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")[0].splitlines()[1]
    '# (further checks are hidden: they ran when your work was marked)'
    """
    kept: list[str] = []
    found = inside = False
    for line in source.split("\n"):
        if begin in line:
            inside = found = True
            kept.append(note)
        elif end in line and inside:
            inside = False
        elif not inside:
            kept.append(line)
    return "\n".join(kept), found


def hidden_regions(source: str, begin: str, end: str) -> list[str]:
    """The lines inside hidden-test regions (what must never reach a learner)."""
    lines, inside = [], False
    for line in source.split("\n"):
        if begin in line:
            inside = True
        elif end in line:
            inside = False
        elif inside and line.strip():
            lines.append(line.strip())
    return lines


def _fmt(points: float | None) -> str:
    if points is None:
        return "?"
    return f"{points:g}"


def summarise_check(cell: NotebookNode) -> str:
    """The sentence that replaces a test cell's output in feedback."""
    meta = cell.metadata.get("nbgrader", {})
    score, points = meta.get("score"), meta.get("points")
    lines: list[str] = []
    if cell.metadata.get("qilab_restored"):
        lines.append(
            "This check was missing from your notebook; it was put back before marking "
            "(please do not delete or edit test cells)."
        )
    if score is None:
        lines.append(f"Not marked yet ({_fmt(points)} marks available).")
    elif points is not None and float(score) >= float(points):
        lines.append(f"✔ Passed: {_fmt(score)} of {_fmt(points)} marks.")
    else:
        verdict = "Partly passed" if score and float(score) > 0 else "Not passed"
        lines.append(f"✘ {verdict}: {_fmt(score)} of {_fmt(points)} marks.")
        reasons = [
            plain_reason(out.get("ename", ""), out.get("evalue", ""))
            for out in cell.get("outputs", [])
            if out.get("output_type") == "error"
        ]
        if any(
            o.get("output_type") == "stream" and o.get("name") == "stderr" for o in cell.outputs
        ):
            reasons.append("the check printed an error message while it ran.")
        for reason in dict.fromkeys(reasons):
            lines.append(f"Why: {reason[0].upper()}{reason[1:]}")
    return "\n".join(lines) + "\n"


class PlainWordsFeedback(NbGraderPreprocessor):
    """Hide hidden tests and explain each test cell's result in plain words (feedback only)."""

    def preprocess_cell(
        self, cell: NotebookNode, resources: dict[str, Any], cell_index: int
    ) -> tuple[NotebookNode, dict[str, Any]]:
        (hidden_begin, hidden_end), (scheme_begin, scheme_end) = delimiters(self.config)
        cell.source, _ = remove_region(cell.source, hidden_begin, hidden_end)
        note = MARK_SCHEME_NOTE if cell.cell_type == "markdown" else "# (mark scheme not shown)"
        cell.source, _ = remove_region(cell.source, scheme_begin, scheme_end, note)
        if is_graded_test(cell):
            cell.outputs = [
                nbformat.v4.new_output("stream", name="stdout", text=summarise_check(cell))
            ]
        return cell, resources


@dataclass
class FeedbackReport:
    """Feedback pages written (and released), and anything that went wrong."""

    pages: list[Path] = field(default_factory=list)
    released: list[str] = field(default_factory=list)
    withheld: list[str] = field(default_factory=list)
    not_released: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    held_back: list[str] = field(default_factory=list)  # written answers awaiting a tutor

    def __str__(self) -> str:
        lines = [f"Feedback: {len(self.pages)} page(s) written"]
        if self.released:
            lines.append(f"  released through the exchange: {', '.join(self.released)}")
        if self.not_released:
            lines.append(
                "  not released through the exchange (they did not submit through it; hand "
                f"these pages out through your LMS): {', '.join(self.not_released)}"
            )
        if self.held_back:
            lines.append(
                "  held back until their written answers are marked (or use --provisional to "
                f"send pages labelled provisional): {', '.join(self.held_back)}"
            )
        lines += [f"  WITHHELD {item}" for item in self.withheld]
        lines += [f"  error: {item}" for item in self.errors]
        return "\n".join(lines)


def page_text(page: str) -> str:
    """The visible text of an HTML page (tags dropped), for leak checks."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    return html.unescape(re.sub(r"<[^>]+>", "", body))


def delimiters(config: Any) -> tuple[tuple[str, str], tuple[str, str]]:
    """The hidden-test and mark-scheme markers, as the course's config sets them."""
    hidden = config.get("ClearHiddenTests", {})
    scheme = config.get("ClearMarkScheme", {})
    return (
        (
            hidden.get("begin_test_delimeter", "BEGIN HIDDEN TESTS"),
            hidden.get("end_test_delimeter", "END HIDDEN TESTS"),
        ),
        (
            scheme.get("begin_mark_scheme_delimeter", "BEGIN MARK SCHEME"),
            scheme.get("end_mark_scheme_delimeter", "END MARK SCHEME"),
        ),
    )


def hidden_snippets(course: Course, assignment: str) -> list[str]:
    """Every hidden-test and mark-scheme line of an assignment, from the gradebook."""
    markers = delimiters(course.config())
    snippets: list[str] = []
    visible: set[str] = set()
    with course.gradebook() as gb:
        for notebook in gb.find_assignment(assignment).notebooks:
            for cell in notebook.source_cells:
                shown = cell.source
                for begin, end in markers:
                    snippets += hidden_regions(cell.source, begin, end)
                    shown = remove_region(shown, begin, end, "")[0]
                visible.update(line.strip() for line in shown.splitlines())
    # A line learners can already see (e.g. `score += 1.0`) gives nothing away.
    return [s for s in dict.fromkeys(snippets) if len(s) >= 8 and s not in visible]


def generate_feedback(
    course: Course,
    assignment: str,
    learners: list[str] | None = None,
    release: bool = True,
    provisional: bool = False,
) -> FeedbackReport:
    """Write each learner's HTML feedback with nbgrader, check it, and release it.

    A page that still contains a hidden-test line (possible only if someone edits the
    course's config to drop :class:`PlainWordsFeedback`) is deleted and reported, never
    released. A learner with a written answer awaiting a tutor is held back, or, with
    ``provisional``, gets a page labelled provisional (:mod:`.provisional`).

    Examples
    --------
    >>> course = Course.open("cohort")                                   # doctest: +SKIP
    >>> print(generate_feedback(course, "foundation_measurement"))       # doctest: +SKIP
    Feedback: 42 page(s) written
    """
    report = FeedbackReport()
    graded = sorted(p.parent.name for p in course.root.glob(f"autograded/*/{assignment}"))
    if not graded:
        raise CourseError(
            f"nothing of {assignment!r} is autograded yet: run `qilab course autograde "
            f"{assignment}` first."
        )
    missing = sorted(set(learners or []) - set(graded))
    if missing:
        raise CourseError(
            f"{', '.join(missing)} have no autograded {assignment}: autograde it first."
        )
    pending = pending_cells(course, assignment)
    if not provisional:
        report.held_back = sorted(set(learners or graded) & set(pending))
        if report.held_back:
            learners = [who for who in (learners or graded) if who not in pending]
            if not learners:
                return report
    api = course.api()
    targets: list[str | None] = list(learners) if learners else [None]
    with quiet_nbgrader():
        for learner in targets:
            result = api.generate_feedback(assignment, learner, force=True)
            if not result["success"]:
                report.errors.append(_last_line(result))
    snippets = hidden_snippets(course, assignment)
    wanted = set(learners) if learners else None
    for page in sorted(course.root.glob(f"feedback/*/{assignment}/*.html")):
        learner = page.parent.parent.name
        if wanted is not None and learner not in wanted:
            continue
        raw = page.read_text(encoding="utf-8")
        offline = REMOTE_SCRIPT.sub("", raw)
        offline = label_page(offline, pending.get(learner, []))
        if offline != raw:
            page.write_text(offline, encoding="utf-8")
        leaked = find_leaks(offline, snippets)
        if leaked:
            page.unlink()
            report.withheld.append(f"{page} (it showed hidden tests: {leaked[0]!r})")
            continue
        report.pages.append(page)
    if release and report.pages and api.exchange_is_functional:
        for learner in sorted({p.parent.parent.name for p in report.pages}):
            folder = course.root / "feedback" / learner / assignment
            # Only exchange submissions carry the secret nbgrader's feedback release needs.
            if not all((folder / f).is_file() for f in ("timestamp.txt", "submission_secret.txt")):
                report.not_released.append(learner)
                continue
            with quiet_nbgrader():
                result = _release_feedback(api, assignment, learner)
            if result["success"]:
                report.released.append(learner)
            else:
                report.errors.append(f"{learner}: release_feedback: {_last_line(result)}")
    return report


def _release_feedback(api: Any, assignment: str, learner: str) -> dict[str, Any]:
    """nbgrader's ``release_feedback`` for one learner (its API misspells ``authenticator``)."""
    from nbgrader.utils import capture_log, temp_attrs

    with temp_attrs(api.coursedir, assignment_id=assignment, student_id=learner):
        app = api.exchange.ReleaseFeedback(
            coursedir=api.coursedir, authenticator=api.authenticator, parent=api
        )
        return capture_log(app)


def _last_line(result: dict[str, Any]) -> str:
    text = (result.get("error") or result.get("log") or "nbgrader failed").strip()
    return text.splitlines()[-1]


#: Runs of characters that may be an encoded copy (base64, its URL-safe form, or hex).
BASE64_RUN = re.compile(r"[A-Za-z0-9+/_\-]{24,}(?:(?:\s|\\n)+[A-Za-z0-9+/_\-]+)*={0,2}")
#: At most this much is unpacked from one compressed copy (no decompression bomb).
UNPACK_LIMIT = 8_000_000
HEX_RUN = re.compile(r"(?:[0-9a-fA-F]{2}[\s:]?){12,}")


def _forms(snippet: str) -> set[str]:
    """A snippet as it reads in text, and as JSON (a notebook file) escapes it."""
    return {snippet, json.dumps(snippet)[1:-1], json.dumps(snippet, ensure_ascii=False)[1:-1]}


def _decodings(page: str) -> list[str]:
    """Text hidden in the page as base64, URL-safe base64 or hex (also zlib/gzip inside)."""
    blobs: list[bytes] = []
    for match in BASE64_RUN.finditer(page):
        run = re.sub(r"[\s]|\\n", "", match.group())
        for candidate in (run, run.replace("-", "+").replace("_", "/")):
            body = candidate.rstrip("=")
            for start in range(4):  # a copy need not start on a 3-byte boundary
                chunk = body[start:]
                chunk = chunk[: len(chunk) - len(chunk) % 4]
                with contextlib.suppress(binascii.Error, ValueError):
                    blobs.append(base64.b64decode(chunk, validate=True))
    for match in HEX_RUN.finditer(page):
        digits = re.sub(r"[^0-9a-fA-F]", "", match.group())
        for start in (0, 1):
            chunk = digits[start:]
            with contextlib.suppress(ValueError):
                blobs.append(bytes.fromhex(chunk[: len(chunk) - len(chunk) % 2]))
    for blob in list(blobs):
        for unpacker in (
            lambda: zlib.decompressobj(),  # zlib
            lambda: zlib.decompressobj(31),  # gzip
            bz2.BZ2Decompressor,
            lzma.LZMADecompressor,
        ):
            with contextlib.suppress(Exception):
                blobs.append(unpacker().decompress(blob, UNPACK_LIMIT))
    return [blob.decode("utf-8", "replace") for blob in blobs if len(blob) >= 8]


def find_leaks(page: str, snippets: list[str]) -> list[str]:
    """Hidden-test or mark-scheme lines a feedback page shows, plainly or encoded.

    Checked: the visible text, the raw HTML, and every base64 (also URL-safe, line-wrapped
    or at any offset), hex, and zlib/gzip/bz2/xz-compressed copy inside either — in text and
    in JSON-escaped form (a notebook file printed whole).

    Examples
    --------
    >>> secret = "assert f(2) == 4, 'even'"
    >>> find_leaks("<pre>" + base64.b64encode(secret.encode()).decode() + "</pre>", [secret])
    ["assert f(2) == 4, 'even'"]
    >>> find_leaks("<pre>" + secret.encode().hex() + "</pre>", [secret])
    ["assert f(2) == 4, 'even'"]
    >>> find_leaks("<p>all passed</p>", [secret])
    []
    """
    texts = [page_text(page), page, *_decodings(page)]
    return [s for s in snippets if any(form in text for text in texts for form in _forms(s))]


def read_feedback(page: Path) -> str:
    """Visible text of one feedback page (what a learner reads)."""
    return page_text(Path(page).read_text(encoding="utf-8"))
