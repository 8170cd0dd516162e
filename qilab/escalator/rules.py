"""The pass rule of the escalator: when a module, and a level, counts as complete.

One rule, used by everything that says "complete" — ``qilab progress``, the start page and the
tutor's reports — so a learner and an academy lead never read two different answers:

- a **module** is *passed* when its marks are **final** (no written answer is waiting for a
  tutor), they reach the module's pass mark, and every learning outcome with a minimum reaches
  that minimum;
- a module is **complete** when it is passed and every one of its prerequisites is complete
  (so nobody completes Practitioner measurement without Foundation measurement);
- a **level** is complete when **every** module of that level in the manifest is complete —
  not just the modules released so far.

Marks are given per graded cell (:class:`CellMark`), from whichever gradebook reader the caller
uses; :func:`module_marks` adds them up once, here, the same way for everyone (late penalties
are taken off the notebook's score, never below zero).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from .manifest import Manifest, Module, Stage

Status = Literal[
    "passed",
    "prerequisites not complete",
    "below pass mark",
    "below outcome minimum",
    "awaiting marking",
    "submitted, awaiting marking",
    "not submitted",
]
PASSED: Status = "passed"
PREREQUISITES: Status = "prerequisites not complete"
BELOW: Status = "below pass mark"
BELOW_OUTCOME: Status = "below outcome minimum"
AWAITING: Status = "awaiting marking"
MISSING: Status = "not submitted"
#: In the exchange but not yet in the gradebook (collected and marked): a learner studying
#: alone sees their submission arrived (:func:`qilab.selfstudy.submitted_assignments`).
SUBMITTED: Status = "submitted, awaiting marking"


@dataclass(frozen=True)
class CellMark:
    """One graded cell of one learner's submission."""

    notebook: str
    cell: str
    score: float
    max_score: float
    pending: bool  # a written answer (or a flagged cell) a tutor has not marked yet
    outcomes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ModuleMarks:
    """A learner's marks for one module's assignment, added up.

    ``score`` is after late penalties. ``pending`` names the cells awaiting a tutor; while
    any is pending the marks are *provisional* (a pending cell counts 0 in ``score``).
    ``outcomes`` maps each outcome to (marks gained, marks available) over **marked** cells
    only, so a reflection awaiting its tutor never reads as a failed outcome.
    """

    score: float
    max_score: float
    late_penalty: float = 0.0
    pending: tuple[str, ...] = ()
    pending_marks: float = 0.0
    outcomes: Mapping[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def final(self) -> bool:
        return not self.pending

    @property
    def percent(self) -> float | None:
        return 100.0 * self.score / self.max_score if self.max_score else None

    def outcome_percent(self, outcome: str) -> float | None:
        got, of = self.outcomes.get(outcome, (0.0, 0.0))
        return 100.0 * got / of if of else None

    def pending_text(self) -> str:
        """What is still to be marked, in words, e.g. ``reflection (2 marks)``."""
        if not self.pending:
            return ""
        cells = ", ".join(self.pending)
        return f"awaiting tutor marking: {cells} ({self.pending_marks:g} marks)"


def module_marks(
    cells: Iterable[CellMark],
    max_score: float,
    penalties: Mapping[str, float] | None = None,
) -> ModuleMarks:
    """Add up one learner's cell marks for one assignment.

    Parameters
    ----------
    cells
        Every graded cell of the learner's submission.
    max_score
        The assignment's marks available (from the released version, so an edited test's
        points never change it).
    penalties
        Late penalty per notebook (nbgrader's ``late_submission_penalty``).

    Examples
    --------
    >>> m = module_marks([CellMark("nb", "t", 4, 5, False, ("a.1",)),
    ...                   CellMark("nb", "reflection", 0, 2, True, ("a.2",))], 7, {"nb": 1})
    >>> m.score, m.final, m.outcomes["a.1"], "a.2" in m.outcomes
    (3.0, False, (4.0, 5.0), False)
    """
    cells = list(cells)
    penalties = penalties or {}
    by_notebook: dict[str, float] = {}
    outcomes: dict[str, tuple[float, float]] = {}
    pending: list[str] = []
    pending_marks = 0.0
    for c in cells:
        by_notebook[c.notebook] = by_notebook.get(c.notebook, 0.0) + (
            0.0 if c.pending else float(c.score)
        )
        if c.pending:
            pending.append(c.cell)
            pending_marks += float(c.max_score)
            continue
        for outcome in c.outcomes:
            got, of = outcomes.get(outcome, (0.0, 0.0))
            outcomes[outcome] = (got + float(c.score), of + float(c.max_score))
    penalty = 0.0
    score = 0.0
    for notebook, got in by_notebook.items():
        taken = min(max(float(penalties.get(notebook) or 0.0), 0.0), got)
        penalty += taken
        score += got - taken
    return ModuleMarks(
        score=score,
        max_score=float(max_score),
        late_penalty=penalty,
        pending=tuple(pending),
        pending_marks=pending_marks,
        outcomes=outcomes,
    )


@dataclass(frozen=True)
class ModuleResult:
    """One module for one learner: the verdict of the rule and the marks behind it."""

    module: Module
    status: Status
    marks: ModuleMarks | None = None
    short_outcomes: tuple[str, ...] = ()  # outcomes below their minimum
    missing_prerequisites: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        return self.status == PASSED

    @property
    def passed_marks(self) -> bool:
        """The marks alone pass (final, pass mark and outcome minimums reached)."""
        return self.status in (PASSED, PREREQUISITES)

    @property
    def percent(self) -> float | None:
        return None if self.marks is None else self.marks.percent

    @property
    def final(self) -> bool | None:
        """True for final marks, False for provisional ones, None when nothing is submitted."""
        return None if self.marks is None else self.marks.final

    @property
    def mark_state(self) -> str:
        """``final``, ``provisional`` or empty (nothing submitted)."""
        return {True: "final", False: "provisional", None: ""}[self.final]

    def detail(self) -> str:
        """The reason behind the status in words (pending cells, short outcomes, prerequisites)."""
        if self.marks is not None and self.marks.pending:
            return self.marks.pending_text()
        if self.short_outcomes:
            parts = []
            for outcome in self.short_outcomes:
                got = self.marks.outcome_percent(outcome) if self.marks else None
                need = self.module.outcome(outcome)
                parts.append(
                    f"{outcome} {0 if got is None else got:.0f} % "
                    f"(minimum {need.minimum if need else 0:g} %)"
                )
            return "outcome(s) below their minimum: " + ", ".join(parts)
        if self.missing_prerequisites:
            return "complete first: " + ", ".join(self.missing_prerequisites)
        return ""


def judge(module: Module, marks: ModuleMarks | None, submitted: bool = False) -> ModuleResult:
    """The rule for one module on its own marks (prerequisites are :func:`evaluate`'s job).

    Examples
    --------
    >>> from qilab.escalator.manifest import Module, Outcome
    >>> mod = Module("f_m", "t", "foundation", "measurement", (Outcome("f_m.1", "x", 50.0),),
    ...              (), 30, "l", (), (), "f_m", None, (), 50.0)
    >>> judge(mod, ModuleMarks(6, 10, outcomes={"f_m.1": (1, 4)})).status
    'below outcome minimum'
    >>> judge(mod, ModuleMarks(9, 10, pending=("reflection",))).status
    'awaiting marking'
    >>> judge(mod, None, submitted=True).status
    'submitted, awaiting marking'
    """
    if marks is None:
        return ModuleResult(module, SUBMITTED if submitted else MISSING)
    if marks.pending:
        return ModuleResult(module, AWAITING, marks)
    percent = marks.percent
    if percent is None or percent < module.pass_mark:
        return ModuleResult(module, BELOW, marks)
    short = tuple(
        o.id
        for o in module.outcomes
        if o.minimum is not None
        and o.id in marks.outcomes
        and (marks.outcome_percent(o.id) or 0.0) < o.minimum
    )
    if short:
        return ModuleResult(module, BELOW_OUTCOME, marks, short_outcomes=short)
    return ModuleResult(module, PASSED, marks)


@dataclass(frozen=True)
class LevelResult:
    """A level: complete when every one of its modules in the manifest is complete."""

    level: Stage
    modules: tuple[ModuleResult, ...]

    @property
    def complete(self) -> bool:
        return bool(self.modules) and all(m.complete for m in self.modules)

    @property
    def done(self) -> int:
        return sum(m.complete for m in self.modules)


@dataclass(frozen=True)
class Standing:
    """A learner's standing on the whole escalator, by the one rule."""

    learner: str
    levels: tuple[LevelResult, ...]

    @property
    def modules(self) -> tuple[ModuleResult, ...]:
        return tuple(m for level in self.levels for m in level.modules)

    def module(self, module_id: str) -> ModuleResult:
        return next(m for m in self.modules if m.module.id == module_id)

    @property
    def completed(self) -> list[str]:
        return [m.module.id for m in self.modules if m.complete]

    @property
    def completed_levels(self) -> list[str]:
        return [lv.level.id for lv in self.levels if lv.complete]


def evaluate(
    manifest: Manifest,
    learner: str,
    marks: Mapping[str, ModuleMarks | None],
    submitted: Collection[str] = (),
) -> Standing:
    """Apply the rule to every module and level for one learner.

    ``marks`` maps an assignment id to the learner's :class:`ModuleMarks` (absent: not
    submitted). A module passed on marks whose prerequisites are not all complete is
    ``prerequisites not complete`` (not complete); prerequisites are followed in manifest
    order, which the schema guarantees has no cycles. ``submitted`` names assignments handed
    in but not marked yet (no marks): ``submitted, awaiting marking`` rather than ``not
    submitted``.
    """
    judged = {
        m.id: judge(m, marks.get(m.assignment), m.assignment in submitted) for m in manifest.modules
    }
    complete: dict[str, bool] = {}

    def is_complete(module_id: str, seen: frozenset[str] = frozenset()) -> bool:
        if module_id in complete:
            return complete[module_id]
        result = judged[module_id]
        ok = result.passed_marks and all(
            p in judged and p not in seen and is_complete(p, seen | {module_id})
            for p in result.module.prerequisites
        )
        complete[module_id] = ok
        return ok

    final: dict[str, ModuleResult] = {}
    for module_id, result in judged.items():
        if result.status == PASSED and not is_complete(module_id):
            missing = tuple(p for p in result.module.prerequisites if not is_complete(p))
            result = ModuleResult(
                result.module, PREREQUISITES, result.marks, missing_prerequisites=missing
            )
        final[module_id] = result
    levels = tuple(
        LevelResult(level, tuple(final[m.id] for m in manifest.at_level(level.id)))
        for level in manifest.levels
    )
    return Standing(learner, levels)


def next_module(standing: Standing) -> Module | None:
    """The first unfinished module whose prerequisites are all complete (a suggestion)."""
    done = set(standing.completed)
    for m in standing.modules:
        if not m.complete and set(m.module.prerequisites) <= done:
            return m.module
    return None
