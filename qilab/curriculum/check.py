"""Check that the course on disk matches its manifest: ``qilab check curriculum``.

An academy that edits ``escalator.yaml`` or adds a lesson needs to know, before learners do,
whether anything is broken. :func:`check_course` runs the same checks as the test suite and
returns one :class:`Finding` per problem, each naming the file (or manifest entry), what is wrong
and how to fix it:

* the manifest validates (:mod:`qilab.escalator.schema`) and names real data sets;
* every file it names exists: lesson, assignment source folder, case study;
* every module has outcomes, an assignment and sources (the schema), and each lesson states its
  outcomes, starts with ``import qilab``, uses the simulations and data sets it lists and has
  the standard sections (check your understanding, reflection, summary, references);
* the start page links every lesson; every internal link in a curriculum notebook resolves;
* notebooks are committed without outputs.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from qilab import paths
from qilab.escalator.manifest import Manifest, ManifestError, Module, load_manifest

from . import notebooks as nbs
from .notebooks import NotebookReadError

Severity = Literal["error", "warning"]
START_PAGE = "START.ipynb"
CASES_DIR = "cases"

#: Sections every lesson has (matched, case-insensitively, inside its markdown headings).
LESSON_SECTIONS: dict[str, str] = {
    "learning outcomes": "## Learning outcomes",
    "check your understanding": "## Check your understanding",
    "reflect": "## Reflect",
    "summary": "## Summary",
    "references": "## References",
}
OUTCOME_TAG = re.compile(r"^(?:foundation|practitioner|advanced)_[a-z0-9_]+\.\d+$")


@dataclass(frozen=True)
class Finding:
    """One problem: how serious, where, what is wrong and how to fix it."""

    severity: Severity
    where: str
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.severity}: {self.where}: {self.message}. Fix: {self.fix}."


@dataclass
class CheckReport:
    """Everything :func:`check_course` found; ``ok`` when there is no error."""

    root: Path
    findings: list[Finding] = field(default_factory=list)
    modules_checked: int = 0

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        """One closing line for the command line."""
        if not self.findings:
            return f"curriculum OK: {self.modules_checked} modules, every file and link checked."
        return (
            f"{len(self.errors)} error(s), {len(self.warnings)} warning(s) "
            f"in {self.modules_checked} modules."
        )


def check_course(
    root: Path | None = None,
    *,
    known_simulations: Collection[str] | None = None,
    known_datasets: Collection[str] | None = None,
    missing_assignments: Severity = "error",
) -> CheckReport:
    """Check the curriculum under ``root`` against its manifest.

    Parameters
    ----------
    root
        Course root (holding ``curriculum/`` and ``assignments/``); default
        :func:`qilab.paths.project_root`, which honours ``QILAB_ROOT``.
    known_simulations
        Simulation class names that exist (the command line passes ``qilab.widgets.APPS``);
        ``None`` skips that check (lessons that name a missing app still fail when run).
    known_datasets
        Data set names that exist; default ``qilab.datasets.names()``.
    missing_assignments
        ``"error"`` (the default) or ``"warning"`` while assignments are still being written.

    Returns
    -------
    CheckReport
        ``report.ok`` is False when any error was found; ``str(finding)`` is one line each.

    Examples
    --------
    >>> report = check_course()                    # doctest: +SKIP
    >>> report.ok, report.summary()                # doctest: +SKIP
    (True, 'curriculum OK: 12 modules, every file and link checked.')
    """
    root = Path(root).resolve() if root is not None else paths.project_root()
    report = CheckReport(root)
    try:
        manifest = load_manifest(root)
    except ManifestError as exc:
        where = _rel(exc.path, root)
        report.findings += [
            Finding("error", where, p.where + ": " + p.message, p.fix) for p in exc.problems
        ]
        return report
    report.modules_checked = len(manifest.modules)
    if known_datasets is None:
        from qilab.datasets import names

        known_datasets = names()
    checker = _Checker(root, manifest, report.findings)
    checker.names(known_simulations, known_datasets)
    for module in manifest.modules:
        checker.lesson(module)
        checker.assignment(module, missing_assignments)
        checker.case_study(module)
    checker.start_page()
    checker.all_notebooks()
    return report


class _Checker:
    def __init__(self, root: Path, manifest: Manifest, findings: list[Finding]) -> None:
        self.root = root
        self.curriculum = root / "curriculum"
        self.manifest = manifest
        self.findings = findings
        self.where = _rel(manifest.path, root)

    def add(self, severity: Severity, where: str, message: str, fix: str) -> None:
        self.findings.append(Finding(severity, where, message, fix))

    def read(self, path: Path) -> dict | None:
        try:
            return nbs.read_notebook(path)
        except NotebookReadError as exc:
            self.add("error", _rel(path, self.root), "is not a valid notebook", str(exc))
            return None

    # ---------------------------------------------------------------- manifest names
    def names(self, simulations: Collection[str] | None, datasets: Collection[str]) -> None:
        for m in self.manifest.modules:
            if simulations is not None:
                for name in m.simulations:
                    if name not in simulations:
                        self.add(
                            "error",
                            f"{self.where} ({m.id})",
                            f"simulation {name!r} does not exist",
                            f"use one of {', '.join(sorted(simulations))}",
                        )
            for name in m.datasets:
                if name not in datasets:
                    self.add(
                        "error",
                        f"{self.where} ({m.id})",
                        f"data set {name!r} does not exist",
                        "use a name from `qilab datasets list`",
                    )

    # ---------------------------------------------------------------- lessons
    def lesson(self, m: Module) -> None:
        path = self.curriculum / m.lesson
        where = _rel(path, self.root)
        if not path.is_file():
            self.add(
                "error",
                where,
                f"lesson of {m.id} not found",
                f"create it (copy a lesson of the same level) or correct lesson: in {self.where}",
            )
            return
        nb = self.read(path)
        if nb is None:
            return
        first = nbs.first_code(nb).lstrip()
        if not first.startswith("import qilab"):
            self.add(
                "error",
                where,
                "the first code cell does not start with `import qilab`",
                "begin the first code cell with `import qilab` so charts render offline",
            )
        text = _normal(nbs.markdown(nb))
        for outcome in m.outcomes:
            if _normal(outcome.text) not in text:
                self.add(
                    "error",
                    where,
                    f"does not state outcome {outcome.id}",
                    f"list it under '## Learning outcomes' exactly as in {self.where}: "
                    f"{outcome.text!r}",
                )
        code = nbs.code(nb)
        for name in m.simulations:
            if not re.search(rf"\b{re.escape(name)}\b", code):
                self.add(
                    "error",
                    where,
                    f"never uses the simulation {name} that {self.where} lists",
                    f"add it to a code cell (from qilab.widgets import {name}) or remove "
                    "it from simulations:",
                )
        for name in m.datasets:
            if not re.search(rf"""["']{re.escape(name)}["']""", code):
                self.add(
                    "error",
                    where,
                    f"never loads the data set {name} that {self.where} lists",
                    f'load it (datasets.load("{name}")) or remove it from datasets:',
                )
        found = [h.lower() for h in nbs.headings(nb)]
        for key, heading in LESSON_SECTIONS.items():
            if not any(key in h for h in found):
                self.add(
                    "error",
                    where,
                    f"has no '{heading.lstrip('# ')}' section",
                    f"add a markdown cell starting '{heading}'",
                )

    # ---------------------------------------------------------------- other files
    def assignment(self, m: Module, severity: Severity) -> None:
        folder = self.root / "assignments" / "source" / m.assignment
        where = _rel(folder, self.root)
        notebooks = sorted(folder.glob("*.ipynb")) if folder.is_dir() else []
        if not notebooks:
            self.add(
                severity,
                where,
                f"assignment of {m.id} not found",
                f"create assignments/source/{m.assignment}/{m.assignment}.ipynb "
                "(see assignments/README.md)",
            )
            return
        outcomes = {o.id for mod in self.manifest.modules for o in mod.outcomes}
        graded: set[str] = set()
        for path in notebooks:
            nb = self.read(path)
            if nb is None:
                continue
            graded |= _graded_outcome_tags(nb)
            for tag in sorted(_outcome_tags(nb) - outcomes):
                self.add(
                    "error",
                    _rel(path, self.root),
                    f"is tagged with outcome {tag!r}, which {self.where} does not define",
                    "tag graded cells with outcome ids from the manifest",
                )
        for outcome in m.outcomes:
            if outcome.minimum is not None and outcome.id not in graded:
                self.add(
                    "error",
                    where,
                    f"outcome {outcome.id} has a minimum of {outcome.minimum:g} % but no graded "
                    "cell of the assignment is tagged with it, so nobody could be judged on it",
                    f'tag the graded cells that assess it with "qilab": {{"outcomes": '
                    f'["{outcome.id}"]}}, or remove its minimum from {self.where}',
                )

    def case_study(self, m: Module) -> None:
        if m.case_study is None:
            return
        path = self.curriculum / CASES_DIR / m.case_study
        if not path.is_file():
            self.add(
                "error",
                _rel(path, self.root),
                f"case study of {m.id} not found",
                f"create it, or set case_study: null for {m.id} in {self.where}",
            )

    def start_page(self) -> None:
        path = self.curriculum / START_PAGE
        where = _rel(path, self.root)
        if not path.is_file():
            self.add("error", where, "the start page is missing", "restore it from git")
            return
        nb = self.read(path)
        if nb is None:
            return
        targets = {
            nbs.resolve(link.target, path) for link in nbs.links(nb) if nbs.is_internal(link.target)
        }
        for m in self.manifest.modules:
            if (self.curriculum / m.lesson).resolve() not in targets:
                self.add(
                    "error",
                    where,
                    f"does not link the lesson of {m.id}",
                    f"add [{m.title}]({m.lesson}) to the module table",
                )

    def all_notebooks(self) -> None:
        listed = {(self.curriculum / m.lesson).resolve() for m in self.manifest.modules}
        for path in _notebooks(self.curriculum):
            nb = self.read(path)
            if nb is None:
                continue
            where = _rel(path, self.root)
            dirty = nbs.cells_with_outputs(nb)
            if dirty:
                self.add(
                    "error",
                    where,
                    f"has outputs in {len(dirty)} cell(s)",
                    "clear them (Kernel → Restart Kernel and Clear Outputs) and save",
                )
            for link in nbs.links(nb):
                self.link(path, where, link)
            level_folder = path.parent.name
            if (
                level_folder in {s.id for s in self.manifest.levels}
                and path.resolve() not in listed
            ):
                self.add(
                    "warning",
                    where,
                    f"is not a lesson in {self.where}",
                    "add it as a module (or extra module) so learners find it from the start "
                    "page, or move it out of the level folder",
                )

    def link(self, notebook: Path, where: str, link: nbs.Link) -> None:
        target = link.target
        if not nbs.is_internal(target):
            return
        if target.startswith("/"):
            self.add(
                "error",
                where,
                f"cell {link.cell + 1} links {target!r} with an absolute path",
                "write the path relative to this notebook, e.g. ../foundation/pdsa.ipynb",
            )
            return
        resolved = nbs.resolve(target, notebook)
        if not resolved.is_relative_to(self.root):
            self.add(
                "error",
                where,
                f"cell {link.cell + 1} links {target!r} outside the course",
                "link only to files inside the course folder",
            )
        elif not resolved.exists():
            self.add(
                "error",
                where,
                f"cell {link.cell + 1} links {target!r}, which does not exist",
                f"correct the path (relative to {notebook.parent.name}/) or remove the link",
            )


def _notebooks(folder: Path) -> Iterable[Path]:
    return sorted(p for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def _outcome_tags(nb: dict) -> set[str]:
    tags: set[str] = set()
    for cell in nb["cells"]:
        meta = cell.get("metadata") or {}
        values = list(meta.get("tags") or [])
        qilab_meta = meta.get("qilab") or {}
        if isinstance(qilab_meta, dict):
            values += list(qilab_meta.get("outcomes") or [])
        tags |= {str(v) for v in values if OUTCOME_TAG.match(str(v))}
    return tags


def _graded_outcome_tags(nb: dict) -> set[str]:
    """Outcome ids on graded cells only: the ones marks can be counted for."""
    tags: set[str] = set()
    for cell in nb["cells"]:
        meta = cell.get("metadata") or {}
        nbgrader = meta.get("nbgrader") or {}
        if not (isinstance(nbgrader, dict) and (nbgrader.get("grade") or nbgrader.get("task"))):
            continue
        qilab_meta = meta.get("qilab") or {}
        if isinstance(qilab_meta, dict):
            tags |= {str(v) for v in qilab_meta.get("outcomes") or []}
    return tags


def _normal(text: str) -> str:
    """Compare prose ignoring line breaks, repeated spaces, case and markdown emphasis."""
    return re.sub(r"\s+", " ", re.sub(r"[*_`]", "", text)).strip().lower()


def _rel(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return str(path)
