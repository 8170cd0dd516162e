"""Load the escalator manifest into typed objects that lessons, checks, progress and reports share.

The YAML is validated first (:func:`qilab.escalator.schema.validate`); a manifest with any
problem raises :class:`ManifestError` listing all of them, so no tool ever works from a
half-valid curriculum. It lives below both ``qilab.curriculum`` (``qilab progress``, the start
page) and ``qilab.grading`` (the tutor's reports) so that both read the escalator one way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from qilab import paths
from qilab.errors import QilabError

from .schema import LEVELS, THEMES, Problem, validate

MANIFEST_NAME = "escalator.yaml"
DEFAULT_PASS_MARK = 50.0


class ManifestError(QilabError):
    """The manifest cannot be read or is invalid; ``problems`` says every reason."""

    def __init__(self, path: Path, problems: list[Problem]) -> None:
        self.path = path
        self.problems = problems
        more = (
            f" (and {len(problems) - 1} more: `qilab check curriculum` lists them all)"
            if len(problems) > 1
            else ""
        )
        super().__init__(f"{path.name}: {problems[0]}{more}")


@dataclass(frozen=True)
class Outcome:
    """A learning outcome: what a learner can be seen to do after the module."""

    id: str
    text: str
    #: Least percentage of the marks tagged with this outcome that passing the module needs
    #: (``minimum:`` on the outcome, else the module's or the manifest's ``outcome_minimum``);
    #: ``None``: no minimum.
    minimum: float | None = None


@dataclass(frozen=True)
class Stage:
    """A level or a theme of the escalator."""

    id: str
    title: str
    description: str


@dataclass(frozen=True)
class Module:
    """One cell of the escalator grid (a level and a theme) and everything that belongs to it."""

    id: str
    title: str
    level: str
    theme: str
    outcomes: tuple[Outcome, ...]
    prerequisites: tuple[str, ...]
    minutes: int
    lesson: str
    simulations: tuple[str, ...]
    datasets: tuple[str, ...]
    assignment: str
    case_study: str | None
    sources: tuple[str, ...]
    pass_mark: float

    def outcome(self, outcome_id: str) -> Outcome | None:
        """The module's outcome with this id, or ``None``."""
        return next((o for o in self.outcomes if o.id == outcome_id), None)

    @property
    def lesson_path(self) -> str:
        """The lesson's path relative to ``curriculum/`` (a link target on the start page)."""
        return self.lesson


@dataclass(frozen=True)
class Manifest:
    """The whole escalator: levels, themes and the modules in manifest order."""

    title: str
    levels: tuple[Stage, ...]
    themes: tuple[Stage, ...]
    modules: tuple[Module, ...]
    pass_mark: float
    path: Path

    def module(self, module_id: str) -> Module:
        """The module with this id.

        Examples
        --------
        >>> load_manifest().module("foundation_pdsa").level    # doctest: +SKIP
        'foundation'
        """
        for module in self.modules:
            if module.id == module_id:
                return module
        known = ", ".join(m.id for m in self.modules)
        raise QilabError(f"No module {module_id!r} in {self.path.name}: use one of {known}.")

    def at_level(self, level: str) -> tuple[Module, ...]:
        """The level's modules, in theme order (systems, measurement, pdsa, codesign)."""
        return tuple(
            sorted(
                (m for m in self.modules if m.level == level), key=lambda m: THEMES.index(m.theme)
            )
        )

    def level(self, level_id: str) -> Stage:
        return next(s for s in self.levels if s.id == level_id)

    def theme(self, theme_id: str) -> Stage:
        return next(s for s in self.themes if s.id == theme_id)


def manifest_path(root: Path | None = None) -> Path:
    """Where the manifest lives: ``curriculum/escalator.yaml`` under the course root."""
    base = Path(root) if root is not None else paths.project_root()
    return base / "curriculum" / MANIFEST_NAME


def read_raw(path: Path) -> Any:
    """Parse the YAML; a missing file or a syntax error raises :class:`ManifestError`."""
    if not path.is_file():
        raise ManifestError(
            path,
            [Problem(path.name, "file not found", "restore curriculum/escalator.yaml from git")],
        )
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path.name} line {mark.line + 1}" if mark is not None else path.name
        what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        problem = Problem(
            where,
            f"is not valid YAML ({what})",
            "check the indentation, and put quotes around text that contains ': '",
        )
        raise ManifestError(path, [problem]) from None


def load_manifest(root: Path | None = None) -> Manifest:
    """Read and validate the escalator manifest.

    Parameters
    ----------
    root
        The course root (the folder holding ``curriculum/``); defaults to
        :func:`qilab.paths.project_root`, which honours ``QILAB_ROOT``.

    Raises
    ------
    ManifestError
        Listing every problem, each with its fix.

    Examples
    --------
    >>> from qilab.escalator import load_manifest
    >>> m = load_manifest()                                   # doctest: +SKIP
    >>> [mod.id for mod in m.at_level("foundation")]          # doctest: +SKIP
    ['foundation_systems', 'foundation_measurement', 'foundation_pdsa', 'foundation_codesign']
    """
    return load_manifest_file(manifest_path(root))


def load_manifest_file(path: str | Path) -> Manifest:
    """Read and validate a manifest file anywhere (a tutor's ``--manifest``), as above."""
    path = Path(path)
    raw = read_raw(path)
    problems = validate(raw)
    if problems:
        raise ManifestError(path, problems)
    return _build(raw, path)


def _build(raw: dict[str, Any], path: Path) -> Manifest:
    default = float(raw.get("pass_mark", DEFAULT_PASS_MARK))

    def minimum(*values: Any) -> float | None:
        return next((float(v) for v in values if v is not None), None)

    def stages(items: list[dict[str, Any]], order: tuple[str, ...]) -> tuple[Stage, ...]:
        made = [Stage(i["id"], i["title"].strip(), i["description"].strip()) for i in items]
        return tuple(sorted(made, key=lambda s: order.index(s.id)))

    modules = tuple(
        Module(
            id=m["id"],
            title=m["title"].strip(),
            level=m["level"],
            theme=m["theme"],
            outcomes=tuple(
                Outcome(
                    o["id"],
                    o["text"].strip(),
                    minimum(o.get("minimum"), m.get("outcome_minimum"), raw.get("outcome_minimum")),
                )
                for o in m["outcomes"]
            ),
            prerequisites=tuple(m.get("prerequisites") or ()),
            minutes=int(m["minutes"]),
            lesson=m["lesson"],
            simulations=tuple(m["simulations"]),
            datasets=tuple(m.get("datasets") or ()),
            assignment=m["assignment"],
            case_study=m.get("case_study"),
            sources=tuple(s.strip() for s in m["sources"]),
            pass_mark=float(m.get("pass_mark", default)),
        )
        for m in raw["modules"]
    )
    modules = tuple(sorted(modules, key=lambda m: (LEVELS.index(m.level), THEMES.index(m.theme))))
    return Manifest(
        title=raw["title"].strip(),
        levels=stages(raw["levels"], LEVELS),
        themes=stages(raw["themes"], THEMES),
        modules=modules,
        pass_mark=default,
        path=path,
    )
