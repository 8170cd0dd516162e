"""The tutor's reports: grades for the LMS, a cohort progress page, portfolio evidence.

``report/`` in the course folder receives:

- ``grades.csv`` — one row per learner, one column per assignment (percent), ready for an LMS
  gradebook import; and ``nbgrader_grades.csv``, nbgrader's own long-format export;
- ``progress.html`` — one self-contained page (the Vega JavaScript is embedded from
  vl-convert, so it opens offline on an NHS PC): completion by module, score distributions,
  the questions most learners miss, attainment by learning outcome and by escalator level,
  who has completed which level, and every integrity finding;
- ``outcomes.csv`` and ``portfolio/{learner}.html`` — attainment by learning outcome for each
  learner, evidence a doctor can put in their training portfolio.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd

from qilab import theme

from .course import Course, assignment_sort_key, quiet_nbgrader
from .integrity import IntegrityRecord, load_records
from .outcomes import (
    LEVEL_TITLES,
    Curriculum,
    attainment,
    default_manifest,
    level_of,
    load_curriculum,
    outcome_tags,
)
from .results import Gradebook, load_gradebook

COMPLETED = "completed"
AWAITING = "awaiting marking"
BELOW = "below pass mark"
NOT_GRADED = "not graded (see integrity)"
WAITING = "submitted, not yet autograded"
MISSING = "not submitted"
STATUS_ORDER = [COMPLETED, AWAITING, BELOW, WAITING, NOT_GRADED, MISSING]
STATUS_COLOURS = {
    COMPLETED: theme.COLOURS["target"],
    AWAITING: theme.COLOURS["concern"],
    BELOW: theme.COLOURS["signal"],
    WAITING: theme.COLOURS["data"],
    NOT_GRADED: theme.COLOURS["annotation"],
    MISSING: theme.COLOURS["muted"],
}


@dataclass
class CohortData:
    """Everything the reports show, computed once."""

    book: Gradebook
    assignments: list[str]
    status: pd.DataFrame  # learner, assignment, level, status, percent
    attainment: pd.DataFrame  # learner, assignment, outcome, score, max_score, percent
    levels: pd.DataFrame  # learner, level, completed (bool), modules_done, modules
    missed: pd.DataFrame  # assignment, cell, kind, submissions, missed, percent_missed
    records: list[IntegrityRecord]
    curriculum: Curriculum


@dataclass
class CourseReport:
    """The files written and the headline numbers."""

    folder: Path
    files: dict[str, Path] = field(default_factory=dict)
    data: CohortData | None = None

    def __str__(self) -> str:
        lines = [f"Reports in {self.folder}:"]
        lines += [
            f"  {name:<18} {path}" for name, path in self.files.items() if name != "portfolio"
        ]
        if "portfolio" in self.files:
            lines.append(f"  {'portfolio pages':<18} {self.files['portfolio']}/")
        if self.data is not None:
            done = self.data.levels[self.data.levels["completed"]]
            for level in ("foundation", "practitioner", "advanced"):
                count = int((done["level"] == level).sum())
                if (self.data.levels["level"] == level).any():
                    lines.append(f"  {LEVEL_TITLES[level]}: {count} learner(s) completed the level")
        return "\n".join(lines)


def cohort_data(course: Course, manifest: str | Path | None = None) -> CohortData:
    """Read the gradebook, integrity records and outcome tags into report tables."""
    book = load_gradebook(course)
    settings = course.settings()
    curriculum = load_curriculum(manifest or default_manifest(), settings.pass_mark)
    assignments = sorted(book.assignments["assignment"], key=assignment_sort_key)
    records = load_records(course.root / "integrity")
    failed = {(r.learner, r.assignment) for r in records if r.status == "not-graded"}
    submissions = book.submissions().set_index(["learner", "assignment"])

    rows = []
    for learner in book.learners["learner"]:
        for assignment in assignments:
            percent = None
            if (learner, assignment) in submissions.index:
                sub = submissions.loc[(learner, assignment)]
                percent = float(sub["percent"]) if pd.notna(sub["percent"]) else None
                if bool(sub["needs_manual_grade"]):
                    status = AWAITING
                elif percent is not None and percent >= curriculum.pass_mark(assignment):
                    status = COMPLETED
                else:
                    status = BELOW
            elif (learner, assignment) in failed:
                status = NOT_GRADED
            elif (course.root / "submitted" / learner / assignment).is_dir():
                status = WAITING
            else:
                status = MISSING
            rows.append((learner, assignment, level_of(assignment), status, percent))
    status = pd.DataFrame(rows, columns=["learner", "assignment", "level", "status", "percent"])
    status["percent"] = pd.to_numeric(status["percent"]).astype(float)

    level_rows = []
    for (learner, level), group in status.dropna(subset=["level"]).groupby(["learner", "level"]):
        done = int((group["status"] == COMPLETED).sum())
        level_rows.append((learner, level, done == len(group), done, len(group)))
    levels = pd.DataFrame(
        level_rows, columns=["learner", "level", "completed", "modules_done", "modules"]
    ).astype({"completed": bool})

    graded = book.grades
    missed = pd.DataFrame(
        columns=["assignment", "cell", "kind", "submissions", "missed", "percent_missed"]
    )
    marked = graded[~graded["needs_manual_grade"]] if not graded.empty else graded
    if not marked.empty:
        marked = marked.assign(missed=marked["score"] < marked["max_score"])
        missed = marked.groupby(["assignment", "cell", "kind"], as_index=False).agg(
            submissions=("learner", "nunique"), missed=("missed", "sum")
        )
        missed["percent_missed"] = 100 * missed["missed"] / missed["submissions"]
        missed = missed.sort_values(["percent_missed", "missed"], ascending=False)

    return CohortData(
        book=book,
        assignments=assignments,
        status=status,
        attainment=attainment(graded, outcome_tags(course)),
        levels=levels,
        missed=missed,
        records=records,
        curriculum=curriculum,
    )


# -- charts -----------------------------------------------------------------------------------
def _spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    with alt.data_transformers.disable_max_rows():
        spec = chart.to_dict()
    # the house theme without switching Altair's global theme from library code
    spec["config"] = {**spec.get("config", {}), **theme.theme_config()["config"]}
    return spec


def completion_chart(data: CohortData) -> alt.Chart:
    counts = data.status.groupby(["assignment", "status"], as_index=False).size()
    counts["order"] = counts["status"].map(STATUS_ORDER.index)
    return (
        alt.Chart(counts, title="Completion by module")
        .mark_bar()
        .encode(
            y=alt.Y("assignment:N", sort=data.assignments, title=None),
            x=alt.X("size:Q", stack="zero", title="learners", axis=alt.Axis(tickMinStep=1)),
            color=alt.Color(
                "status:N",
                scale=alt.Scale(
                    domain=STATUS_ORDER, range=[STATUS_COLOURS[s] for s in STATUS_ORDER]
                ),
                title=None,
            ),
            order=alt.Order("order:Q"),
            tooltip=["assignment:N", "status:N", alt.Tooltip("size:Q", title="learners")],
        )
        .properties(width=560, height=max(120, 28 * len(data.assignments)))
    )


def distribution_chart(data: CohortData) -> alt.Chart:
    scores = data.status.dropna(subset=["percent"])
    return (
        alt.Chart(scores, title="Score distributions (percent of marks)")
        .mark_boxplot(extent="min-max", size=18)
        .encode(
            y=alt.Y("assignment:N", sort=data.assignments, title=None),
            x=alt.X("percent:Q", scale=alt.Scale(domain=[0, 100]), title="score (%)"),
            color=alt.value(theme.COLOURS["data"]),
        )
        .properties(width=560, height=max(120, 28 * len(data.assignments)))
    )


def missed_chart(data: CohortData, top: int = 12) -> alt.Chart:
    worst = data.missed.head(top).copy()
    worst["question"] = worst["assignment"] + " · " + worst["cell"]
    return (
        alt.Chart(worst, title=f"The {len(worst)} questions most learners miss")
        .mark_bar(color=theme.COLOURS["signal"])
        .encode(
            y=alt.Y("question:N", sort="-x", title=None, axis=alt.Axis(labelLimit=320)),
            x=alt.X(
                "percent_missed:Q",
                scale=alt.Scale(domain=[0, 100]),
                title="submissions without full marks (%)",
            ),
            tooltip=["assignment:N", "cell:N", "kind:N", "submissions:Q", "missed:Q"],
        )
        .properties(width=560, height=max(120, 24 * len(worst)))
    )


def outcome_chart(data: CohortData) -> alt.Chart:
    table = outcome_summary(data)
    return (
        alt.Chart(table, title="Attainment by learning outcome (mean of learners assessed)")
        .mark_bar()
        .encode(
            y=alt.Y("outcome:N", sort=list(table["outcome"]), title=None),
            x=alt.X("percent:Q", scale=alt.Scale(domain=[0, 100]), title="attainment (%)"),
            color=alt.Color("level_title:N", title="level"),
            tooltip=["outcome:N", "text:N", "learners:Q", alt.Tooltip("percent:Q", format=".0f")],
        )
        .properties(width=560, height=max(120, 24 * len(table)))
    )


def level_chart(data: CohortData) -> alt.Chart:
    done = (
        data.levels.groupby("level", as_index=False)
        .agg(completed=("completed", "sum"), learners=("learner", "nunique"))
        .assign(title=lambda t: t["level"].map(LEVEL_TITLES))
    )
    order = [LEVEL_TITLES[level] for level in ("foundation", "practitioner", "advanced")]
    return (
        alt.Chart(done, title="Escalator progression: learners who completed each level")
        .mark_bar(color=theme.COLOURS["target"])
        .encode(
            x=alt.X("title:N", sort=order, title=None),
            y=alt.Y("completed:Q", title="learners", axis=alt.Axis(tickMinStep=1, format="d")),
            tooltip=["title:N", "completed:Q", "learners:Q"],
        )
        .properties(width=alt.Step(110), height=220)
    )


def outcome_summary(data: CohortData) -> pd.DataFrame:
    """Cohort attainment per outcome: mean over learners with marked evidence."""
    table = data.attainment.groupby(["assignment", "outcome"], as_index=False).agg(
        percent=("percent", "mean"), learners=("learner", "nunique")
    )
    table["level"] = table["assignment"].map(level_of)
    table["level_title"] = table["level"].map(LEVEL_TITLES).fillna("other")
    table["text"] = table["outcome"].map(data.curriculum.outcome_text).fillna("")
    return table.sort_values(
        "outcome", key=lambda s: s.map(lambda o: (assignment_sort_key(o.rsplit(".", 1)[0]), o))
    )


def progression_table(data: CohortData) -> pd.DataFrame:
    """One row per learner: modules completed at each level, and whether the level is done."""
    if data.levels.empty:
        return pd.DataFrame(columns=["learner"])
    table = data.levels.assign(
        shown=[
            f"✔ completed ({row.modules_done}/{row.modules})"
            if row.completed
            else f"{row.modules_done}/{row.modules} modules"
            for row in data.levels.itertuples()
        ]
    ).pivot(index="learner", columns="level", values="shown")
    order = [level for level in LEVEL_TITLES if level in table.columns]
    table = table[order].rename(columns=LEVEL_TITLES).reset_index()
    table.columns.name = None
    return table


def level_summary(data: CohortData) -> pd.DataFrame:
    """Per escalator level: modules run, cohort attainment over its outcomes, completions."""
    rows = []
    for level, title in LEVEL_TITLES.items():
        modules = [a for a in data.assignments if level_of(a) == level]
        if not modules:
            continue
        evidence = data.attainment[data.attainment["assignment"].isin(modules)]
        done = data.levels[(data.levels["level"] == level) & data.levels["completed"]]
        mean = (
            evidence["score"].sum() / evidence["max_score"].sum() * 100 if len(evidence) else None
        )
        rows.append(
            (
                title,
                len(modules),
                evidence["outcome"].nunique(),
                None if mean is None else round(float(mean), 1),
                len(done),
            )
        )
    return pd.DataFrame(
        rows,
        columns=[
            "level",
            "modules",
            "outcomes assessed",
            "attainment (%)",
            "learners who completed it",
        ],
    )


# -- files ------------------------------------------------------------------------------------
def grades_csv(data: CohortData, path: Path) -> Path:
    """Wide table for an LMS import: learner details, then percent per assignment."""
    wide = data.status.pivot(index="learner", columns="assignment", values="percent")
    wide = wide.reindex(columns=data.assignments).round(1)
    wide.columns = [f"{a} (%)" for a in wide.columns]
    learners = data.book.learners.set_index("learner").sort_index()
    table = learners.join(wide).reset_index().rename(columns={"learner": "learner_id"})
    table.to_csv(path, index=False)
    return path


def _page(title: str, body: str, script: str = "") -> str:
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>
body {{ font-family: {theme.FONT}; margin: 2rem auto; max-width: 60rem; color: #222;
       line-height: 1.45; padding: 0 1rem; }}
h1 {{ font-size: 1.6rem; }} h2 {{ font-size: 1.25rem; margin-top: 2.2rem; }}
table {{ border-collapse: collapse; margin: .5rem 0 1rem; font-size: .92rem; }}
th, td {{ border-bottom: 1px solid #ddd; padding: .3rem .6rem; text-align: left;
         vertical-align: top; }}
th {{ background: #f4f4f4; }} .note {{ color: #555; font-size: .9rem; }}
.tampering {{ color: {theme.COLOURS["signal"]}; }} .failure {{ color: #8a3b00; }}
.chart {{ margin: 1rem 0; }}
</style>{script}</head><body>
{body}
</body></html>
"""


def _table(frame: pd.DataFrame, classes: str = "") -> str:
    if frame.empty:
        return '<p class="note">None.</p>'
    return frame.to_html(index=False, classes=classes, border=0, na_rep="", escape=True)


def _vega_bundle() -> str:
    import vl_convert as vlc

    wanted = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
    version = wanted if wanted in vlc.get_vegalite_versions() else None
    return vlc.javascript_bundle(vl_version=version)


def progress_html(data: CohortData, course_id: str) -> str:
    """The cohort progress page: charts, progression and integrity, with no network needed."""
    charts = {
        "completion": completion_chart(data),
        "levels": level_chart(data),
        "distribution": distribution_chart(data),
        "missed": missed_chart(data),
        "outcomes": outcome_chart(data),
    }
    specs = {name: _spec(chart) for name, chart in charts.items()}
    bundle = _vega_bundle().replace("</script", "<\\/script")
    embed = "\n".join(
        f"vegaEmbed('#chart-{name}', {json.dumps(spec)}, "
        "{actions: false, renderer: 'svg'}).catch(e => "
        f"document.getElementById('chart-{name}').textContent = 'Chart failed: ' + e);"
        for name, spec in specs.items()
    )
    script = f"<script>{bundle}</script>"

    progression = progression_table(data)
    by_level = level_summary(data)

    issues = pd.DataFrame(
        [
            (r.assignment, r.learner, r.status, i.severity, i.message)
            for r in data.records
            for i in r.issues
        ],
        columns=["assignment", "learner", "submission", "kind", "finding"],
    )
    serious = issues[issues["kind"] != "notice"]
    notices = issues[issues["kind"] == "notice"]
    outcomes = outcome_summary(data)[["outcome", "text", "learners", "percent"]].round(1)
    generated = datetime.now(UTC).strftime("%d %B %Y %H:%M UTC")
    learners = len(data.book.learners)

    body = f"""
<h1>Cohort progress — {html.escape(course_id)}</h1>
<p class="note">{learners} learners, {len(data.assignments)} released assignments. Generated
{generated} by QI Lab from the nbgrader gradebook. A module counts as completed when it is
fully marked and scores at least its pass mark (default {data.curriculum.default_pass_mark:g} %).
All learner data in this course stays on this computer.</p>
<div class="chart" id="chart-completion"></div>
<div class="chart" id="chart-levels"></div>
<h2>Escalator progression</h2>
<p class="note">A level is completed when every one of its modules in this course is completed.</p>
{_table(by_level)}
{_table(progression)}
<div class="chart" id="chart-distribution"></div>
<div class="chart" id="chart-missed"></div>
<h2>Attainment by learning outcome</h2>
<p class="note">Marks gained over marks available in the cells tagged with each outcome, among
learners whose work on it is marked (reflections awaiting a tutor are not counted yet).</p>
<div class="chart" id="chart-outcomes"></div>
{_table(outcomes)}
<h2>Integrity: submissions to look at</h2>
<p class="note">Edited or deleted test cells, changed points, damaged files, time-outs and
memory failures found while autograding. The learner's files are never changed; nbgrader
marked the released version of any edited test cell.</p>
{_table(serious)}
<h2>Notices</h2>
{_table(notices)}
<script>
{embed}
</script>
"""
    return _page(f"Cohort progress — {course_id}", body, script)


def portfolio_html(data: CohortData, learner: str) -> str:
    """One learner's evidence: modules completed and attainment by learning outcome."""
    person = data.book.learners.set_index("learner").loc[learner]
    name = " ".join(p for p in (person["first_name"], person["last_name"]) if p) or learner
    modules = data.status[data.status["learner"] == learner].copy()
    modules["module"] = modules["assignment"].map(lambda a: data.curriculum.module_title.get(a, a))
    modules["level"] = modules["level"].map(LEVEL_TITLES).fillna("")
    modules["score (%)"] = modules["percent"].round(1)
    levels = data.levels[(data.levels["learner"] == learner) & data.levels["completed"]]
    achieved = ", ".join(LEVEL_TITLES[lvl] for lvl in levels["level"]) or "none yet"
    outcomes = data.attainment[data.attainment["learner"] == learner].copy()
    outcomes["outcome text"] = outcomes["outcome"].map(data.curriculum.outcome_text).fillna("")
    outcomes["attainment (%)"] = outcomes["percent"].round(1)
    outcomes["evidence"] = [
        "achieved" if p >= data.curriculum.pass_mark(a) else "not yet"
        for p, a in zip(outcomes["percent"].fillna(0), outcomes["assignment"], strict=True)
    ]
    generated = datetime.now(UTC).strftime("%d %B %Y")
    body = f"""
<h1>QI Lab learning record — {html.escape(name)}</h1>
<p class="note">Learner id {html.escape(learner)}. Levels completed: <strong>{achieved}</strong>.
Marks come from the nbgrader gradebook (automatic tests plus tutor marking) on
{generated}; an outcome is evidenced as achieved at the module's pass mark.</p>
<h2>Modules</h2>
{_table(modules[["level", "assignment", "module", "status", "score (%)"]])}
<h2>Learning outcomes</h2>
{_table(outcomes[["outcome", "outcome text", "attainment (%)", "evidence"]])}
"""
    return _page(f"Learning record — {name}", body)


def build_report(
    course: Course, out: str | Path | None = None, manifest: str | Path | None = None
) -> CourseReport:
    """Write every report for a course and return where they are.

    Examples
    --------
    >>> print(build_report(Course.open("cohort")))   # doctest: +SKIP
    Reports in /home/tutor/cohort/report:
      grades.csv         /home/tutor/cohort/report/grades.csv
      ...
    """
    folder = Path(out) if out else course.root / "report"
    folder.mkdir(parents=True, exist_ok=True)
    data = cohort_data(course, manifest)
    report = CourseReport(folder, data=data)
    report.files["grades.csv"] = grades_csv(data, folder / "grades.csv")
    report.files["nbgrader_grades.csv"] = _nbgrader_export(course, folder / "nbgrader_grades.csv")
    outcomes = data.attainment.merge(
        data.book.learners[["learner", "first_name", "last_name"]], on="learner"
    )
    outcomes["text"] = outcomes["outcome"].map(data.curriculum.outcome_text).fillna("")
    outcomes.round(1).to_csv(folder / "outcomes.csv", index=False)
    report.files["outcomes.csv"] = folder / "outcomes.csv"
    data.levels.to_csv(folder / "progression.csv", index=False)
    report.files["progression.csv"] = folder / "progression.csv"
    page = folder / "progress.html"
    page.write_text(progress_html(data, course.course_id), encoding="utf-8")
    report.files["progress.html"] = page
    portfolio = folder / "portfolio"
    portfolio.mkdir(exist_ok=True)
    for learner in data.book.learners["learner"]:
        (portfolio / f"{learner}.html").write_text(portfolio_html(data, learner), encoding="utf-8")
    report.files["portfolio"] = portfolio
    return report


def _nbgrader_export(course: Course, path: Path) -> Path:
    """nbgrader's own CSV export (one row per learner and assignment)."""
    from nbgrader.plugins.export import CsvExportPlugin

    with course.gradebook() as gb, quiet_nbgrader():
        CsvExportPlugin(to=str(path)).export(gb)
    return path
