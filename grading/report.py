"""The tutor's reports: grades for the LMS, a cohort progress page a lead can act on, portfolios.

``report/`` in the course folder receives:

- ``grades.csv`` — one row per learner: name, email, then for each assignment the percent and
  its status (``final``, or ``provisional`` and what is awaiting a tutor);
  ``nbgrader_grades.csv`` is nbgrader's own long-format export;
- ``behind.csv`` — who to contact (no submission, overdue, not passed) with emails;
- ``pending.csv`` — written answers waiting for a tutor, by assignment and learner;
- ``progress.html`` — one self-contained page (the Vega JavaScript is embedded from
  vl-convert, so it opens offline on an NHS PC): who is behind, completion by module, level
  completion per learner, marks as run charts drawn with the course's own
  :func:`qilab.measure.qic`, attainment by learning outcome, deadlines, and every integrity
  finding;
- ``outcomes.csv``, ``progression.csv`` and ``portfolio/{learner}.html`` — evidence a doctor
  can put in their training portfolio;
- ``canvas_gradebook.csv`` and ``moodle_gradebook.csv`` — final marks for an LMS import
  (:mod:`.gradefiles`).

Every status comes from the escalator's one rule (:mod:`qilab.escalator.rules`), the same one
``qilab progress`` applies: see :mod:`.cohort`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from qilab import theme
from qilab.escalator.gradebook import table_rows
from qilab.measure import qic
from qilab.offline import inline_script, vega_bundle

from .cohort import (
    COMPLETED,
    FINAL,
    MISSING,
    NOT_GRADED,
    STATUS_ORDER,
    WAITING,
    CohortData,
    cohort_data,
    late_text,
    level_title,
)
from .course import Course, assignment_sort_key, quiet_nbgrader
from .gradefiles import canvas_gradebook, moodle_gradebook, safe_text
from .outcomes import LEVEL_TITLES, level_of

__all__ = ["CohortData", "CourseReport", "build_report", "cohort_data", "marks_run_chart"]

STATUS_COLOURS = {
    COMPLETED: theme.COLOURS["target"],
    "prerequisites not complete": theme.COLOURS["data"],
    "awaiting marking": theme.COLOURS["concern"],
    # black, not a second orange: beside "awaiting marking" (#B45F00) a brown read as the same
    "below outcome minimum": "#000000",
    "below pass mark": theme.COLOURS["signal"],
    WAITING: "#9ecae1",
    NOT_GRADED: theme.COLOURS["annotation"],
    MISSING: theme.COLOURS["muted"],
}


@dataclass
class CourseReport:
    """The files written and the headline numbers."""

    folder: Path
    files: dict[str, Path] = field(default_factory=dict)
    data: CohortData | None = None

    def __str__(self) -> str:
        lines = [f"Reports in {self.folder}:"]
        lines += [
            f"  {name:<22} {path}" for name, path in self.files.items() if name != "portfolio"
        ]
        if "portfolio" in self.files:
            lines.append(f"  {'portfolio pages':<22} {self.files['portfolio']}/")
        if self.data is not None:
            levels = self.data.levels
            for level in self.data.manifest.levels:
                count = int(levels[(levels["level"] == level.id) & levels["completed"]].shape[0])
                lines.append(
                    f"  {level.title}: {count} learner(s) completed every module of the level"
                )
            if len(self.data.behind):
                lines.append(
                    f"  behind: {self.data.behind['learner'].nunique()} learner(s) "
                    "(report/behind.csv)"
                )
            if len(self.data.pending):
                lines.append(
                    f"  awaiting a tutor: {len(self.data.pending)} written answer(s) "
                    "(`qilab course pending`)"
                )
        return "\n".join(lines)


# -- charts -----------------------------------------------------------------------------------
def _spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    with alt.data_transformers.disable_max_rows():
        spec = chart.to_dict()
    # the house theme without switching Altair's global theme from library code
    spec["config"] = {**spec.get("config", {}), **theme.theme_config()["config"]}
    return spec


def _counted(counts: pd.DataFrame, by: str, what: str, how_many: str) -> str:
    """``"a: 2 x, 1 y; b: 3 x"``: a chart's numbers in words, for its text description."""
    parts = []
    for key, rows in counts.groupby(by, sort=False):
        items = ", ".join(f"{int(r[how_many])} {r[what]}" for _, r in rows.iterrows())
        parts.append(f"{key}: {items}")
    return "; ".join(parts) if parts else "nothing yet"


def completion_chart(data: CohortData) -> alt.Chart:
    counts = data.status.groupby(["assignment", "status"], as_index=False).size()
    counts["order"] = counts["status"].map(STATUS_ORDER.index)
    counts = counts.sort_values(["assignment", "order"], kind="stable")
    # what a screen reader says for each bar (else Vega reads every field, "order: 2" too)
    counts["says"] = (
        counts["assignment"] + ": " + counts["size"].astype(str) + " learner(s) " + counts["status"]
    )
    description = (
        "Stacked bars, one per module: how many learners are in each state. "
        + _counted(counts, "assignment", "status", "size")
        + "."
    )
    return (
        alt.Chart(counts, title="Completion by module", description=description)
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
                # the default 160 px cut "prerequisites not complete" to "prerequisites not com…"
                legend=alt.Legend(labelLimit=400, columns=4),
            ),
            order=alt.Order("order:Q"),
            description=alt.Description("says:N"),
            tooltip=["assignment:N", "status:N", alt.Tooltip("size:Q", title="learners")],
        )
        .properties(width=560, height=max(120, 28 * len(data.assignments)))
    )


def distribution_chart(data: CohortData) -> alt.Chart:
    scores = data.status[data.status["marks"] == FINAL].dropna(subset=["percent"])
    scores = scores[["learner", "assignment", "percent"]]
    spread = [
        f"{name}: {len(rows)} final mark(s) from {rows['percent'].min():.0f} to "
        f"{rows['percent'].max():.0f} %, median {rows['percent'].median():.0f} %"
        for name, rows in scores.groupby("assignment", sort=False)
    ]
    description = "Box plots of final marks, one per module. " + (
        "; ".join(spread) + "." if spread else "No final marks yet."
    )
    return (
        alt.Chart(
            scores,
            title="Final marks (percent; provisional marks left out)",
            description=description,
        )
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
    missed = [f"{r.question} {r.percent_missed:.0f} %" for r in table_rows(worst)]
    description = "Bars: the share of submissions without full marks on each question. " + (
        "; ".join(missed) + "." if missed else "No marked submissions yet."
    )
    return (
        alt.Chart(
            worst, title=f"The {len(worst)} questions most learners miss", description=description
        )
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
    attained = [
        f"{r.outcome} {r.percent:.0f} %" if pd.notna(r.percent) else f"{r.outcome} not assessed"
        for r in table_rows(table)
    ]
    description = "Bars: attainment (%) of each learning outcome. " + (
        "; ".join(attained) + "." if attained else "No outcomes assessed yet."
    )
    return (
        alt.Chart(
            table,
            title="Attainment by learning outcome (mean of learners assessed)",
            description=description,
        )
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
    order = [level.title for level in data.manifest.levels]
    by_title = dict(zip(done["title"], done["completed"], strict=True))
    description = "Bars: learners who completed each level. " + "; ".join(
        f"{title}: {int(by_title.get(title, 0))}" for title in order
    )
    return (
        alt.Chart(
            done,
            title="Escalator progression: learners who completed each level",
            description=description,
        )
        .mark_bar(color=theme.COLOURS["target"])
        .encode(
            x=alt.X("title:N", sort=order, title=None),
            y=alt.Y("completed:Q", title="learners", axis=alt.Axis(tickMinStep=1, format="d")),
            tooltip=["title:N", "completed:Q", "learners:Q"],
        )
        .properties(width=alt.Step(110), height=220)
    )


def marks_in_order(data: CohortData, assignment: str) -> pd.DataFrame:
    """Final marks for one assignment in the order the work arrived (submission time)."""
    rows = data.status[
        (data.status["assignment"] == assignment)
        & (data.status["marks"] == FINAL)
        & data.status["percent"].notna()
    ]
    rows = rows.assign(submitted=pd.to_datetime(rows["submitted"]))
    return rows.sort_values(["submitted", "learner"], na_position="last").reset_index(drop=True)


def marks_run_chart(data: CohortData, assignment: str) -> Any | None:
    """A run chart (the course's own :func:`qilab.measure.qic`) of the final marks on one
    assignment in the order work arrived: the measurement the course teaches, applied to the
    course. ``None`` with fewer than two final marks."""
    rows = marks_in_order(data, assignment)
    if len(rows) < 2:
        return None
    return qic(
        y=rows["percent"].round(1).tolist(),
        chart="run",
        title=f"{assignment}: final marks in the order work arrived",
        ylab="score (%)",
        xlab="submission (1 = first in)",
    )


# -- tables -----------------------------------------------------------------------------------
def outcome_summary(data: CohortData) -> pd.DataFrame:
    """Cohort attainment per outcome: mean over learners with marked evidence."""
    columns = [
        "assignment",
        "outcome",
        "percent",
        "learners",
        "minimum",
        "below_minimum",
        "level",
        "level_title",
        "text",
    ]
    if data.attainment.empty:
        return pd.DataFrame(columns=columns)
    marked = data.attainment.assign(
        below=data.attainment["minimum"].notna()
        & (data.attainment["percent"] < data.attainment["minimum"])
    )
    table = marked.groupby(["assignment", "outcome"], as_index=False).agg(
        percent=("percent", "mean"),
        learners=("learner", "nunique"),
        minimum=("minimum", "first"),
        below_minimum=("below", "sum"),
    )
    texts = {o.id: o.text for m in data.manifest.modules for o in m.outcomes}
    table["level"] = table["assignment"].map(level_of)
    table["level_title"] = table["level"].map(level_title)
    table["text"] = table["outcome"].map(texts).fillna("")
    table = table.sort_values(
        "outcome", key=lambda s: s.map(lambda o: (assignment_sort_key(o.rsplit(".", 1)[0]), o))
    )
    return table[columns]


def progression_table(data: CohortData) -> pd.DataFrame:
    """One row per learner (id and name): modules complete out of every module of each level."""
    if data.levels.empty:
        return pd.DataFrame(columns=["learner", "name"])
    table = data.levels.assign(
        shown=[
            f"✔ completed ({row.modules_done}/{row.modules})"
            if row.completed
            else f"{row.modules_done}/{row.modules} modules"
            for row in table_rows(data.levels)
        ]
    ).pivot(index=["learner", "name"], columns="level", values="shown")
    order = [level.id for level in data.manifest.levels if level.id in table.columns]
    titles = {level.id: level.title for level in data.manifest.levels}
    table = table[order].rename(columns=titles).reset_index()
    table.columns.name = None
    return table


def marks_table(data: CohortData) -> pd.DataFrame:
    """Learner by module: status, percent, final or provisional, lateness, what is pending."""
    table = data.status.copy()
    table["score (%)"] = table["percent"].round(1)
    table["late"] = [
        late_text(row.late_by) + (" (extension)" if row.extended else "")
        if row.late
        else ("extension" if row.extended else "")
        for row in table_rows(table)
    ]
    table["penalty (marks)"] = table["late_penalty"].where(table["late_penalty"] > 0)
    table["note"] = table["detail"].fillna("")
    return table[
        [
            "learner",
            "name",
            "assignment",
            "status",
            "marks",
            "score (%)",
            "late",
            "penalty (marks)",
            "note",
        ]
    ]


def deadlines_table(data: CohortData) -> pd.DataFrame:
    rows = []
    for assignment, due in zip(
        data.book.assignments["assignment"], data.book.assignments["duedate"], strict=True
    ):
        mine = data.status[data.status["assignment"] == assignment]
        due = None if pd.isna(due) else pd.Timestamp(due)
        rows.append(
            (
                assignment,
                "" if due is None else due.strftime("%d %b %Y %H:%M UTC"),
                int(mine["extended"].sum()),
                int(mine["late"].sum()),
                int((mine["late_penalty"].fillna(0) > 0).sum()),
            )
        )
    table = pd.DataFrame(
        rows, columns=["assignment", "due", "extensions", "late submissions", "late penalties"]
    )
    return table.sort_values("assignment", key=lambda s: s.map(assignment_sort_key))


def level_summary(data: CohortData) -> pd.DataFrame:
    """Per escalator level: modules released of the level's modules, attainment, completions."""
    rows = []
    for level in data.manifest.levels:
        modules = [m.assignment for m in data.manifest.at_level(level.id)]
        released = [a for a in data.assignments if a in modules]
        evidence = data.attainment[data.attainment["assignment"].isin(released)]
        done = data.levels[(data.levels["level"] == level.id) & data.levels["completed"]]
        mean = (
            evidence["score"].sum() / evidence["max_score"].sum() * 100 if len(evidence) else None
        )
        rows.append(
            (
                level.title,
                f"{len(released)} of {len(modules)}",
                evidence["outcome"].nunique(),
                None if mean is None else round(float(mean), 1),
                len(done),
            )
        )
    return pd.DataFrame(
        rows,
        columns=[
            "level",
            "modules released",
            "outcomes assessed",
            "attainment (%)",
            "learners who completed it",
        ],
    )


# -- files ------------------------------------------------------------------------------------
def grades_csv(data: CohortData, path: Path) -> Path:
    """Wide table: learner details, then percent and status (final/provisional) per assignment."""
    learners = data.book.learners.set_index("learner").sort_index()
    table = learners[["first_name", "last_name", "email"]].copy()
    for column in ("first_name", "last_name"):
        table[column] = table[column].map(safe_text)
    for assignment in data.assignments:
        mine = data.status[data.status["assignment"] == assignment].set_index("learner")
        table[f"{assignment} (%)"] = mine["percent"].round(1)
        table[f"{assignment} status"] = [
            _grade_status(mine.loc[learner]) if learner in mine.index else ""
            for learner in table.index
        ]
    table = table.reset_index().rename(columns={"learner": "learner_id"})
    table.to_csv(path, index=False)
    return path


def _grade_status(row: pd.Series) -> str:
    if row["marks"] == FINAL:
        return FINAL
    if row["marks"] == "provisional":
        return f"provisional: {row['pending']}"
    return str(row["status"])


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("qilab.grading", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["table"] = _table
    return env


def _table(frame: pd.DataFrame, classes: str = "") -> Markup:
    if frame is None or frame.empty:
        return Markup('<p class="note">None.</p>')
    # to_html escapes every value; Markup only marks the already-escaped table as safe.
    return Markup(frame.to_html(index=False, classes=classes, border=0, na_rep="", escape=True))


def _style() -> dict[str, str]:
    return {"font": theme.FONT, "signal": theme.COLOURS["signal"]}


def progress_html(data: CohortData, course_id: str) -> str:
    """The cohort progress page: who is behind, charts, progression, integrity; no network."""
    charts: dict[str, Any] = {
        "completion": completion_chart(data),
        "levels": level_chart(data),
    }
    run_charts = []
    for assignment in data.assignments:
        result = marks_run_chart(data, assignment)
        if result is not None:
            charts[f"run-{assignment}"] = result.chart()
            run_charts.append(
                {"id": f"run-{assignment}", "assignment": assignment, "text": result.describe()}
            )
    charts |= {
        "distribution": distribution_chart(data),
        "missed": missed_chart(data),
        "outcomes": outcome_chart(data),
    }
    specs = {name: _spec(chart) for name, chart in charts.items()}
    bundle = inline_script(vega_bundle())
    embed = "\n".join(
        f"vegaEmbed({json.dumps('#chart-' + name)}, {json.dumps(spec)}, "
        "{actions: false, renderer: 'svg'}).catch(e => "
        f"document.getElementById({json.dumps('chart-' + name)}).textContent = "
        "'Chart failed: ' + e);"
        for name, spec in specs.items()
    )
    issues = pd.DataFrame(
        [
            (r.assignment, r.learner, data.name(r.learner), r.status, i.severity, i.message)
            for r in data.records
            for i in r.issues
        ],
        columns=["assignment", "learner", "name", "submission", "kind", "finding"],
    )
    outcomes = outcome_summary(data)[
        ["outcome", "text", "learners", "percent", "minimum", "below_minimum"]
    ].round(1)
    outcomes = outcomes.rename(
        columns={"percent": "attainment (%)", "minimum": "minimum (%)", "below_minimum": "below it"}
    )
    pending = data.pending.rename(columns={"max_score": "marks"})
    return (
        _environment()
        .get_template("progress.html.j2")
        .render(
            title=f"Cohort progress — {course_id}",
            course_id=course_id,
            style=_style(),
            learners=len(data.book.learners),
            assignments=len(data.assignments),
            pass_mark=data.manifest.pass_mark,
            generated=datetime.now(UTC).strftime("%d %B %Y %H:%M UTC"),
            behind=data.behind,
            pending=pending,
            by_level=level_summary(data),
            progression=progression_table(data),
            marks=marks_table(data),
            deadlines=deadlines_table(data),
            outcomes=outcomes,
            run_charts=run_charts,
            serious=issues[issues["kind"] != "notice"],
            notices=issues[issues["kind"] == "notice"],
            bundle=Markup(bundle),
            embed=Markup(embed.replace("</", "<\\/")),
        )
    )


def portfolio_html(data: CohortData, learner: str) -> str:
    """One learner's evidence: modules, levels and attainment by learning outcome."""
    name = data.name(learner)
    modules = marks_table(data)
    modules = modules[modules["learner"] == learner].drop(columns=["learner", "name"])
    levels = data.levels[(data.levels["learner"] == learner) & data.levels["completed"]]
    achieved = ", ".join(level_title(lvl) for lvl in levels["level"]) or "none yet"
    standing = data.standings[learner]
    level_rows = pd.DataFrame(
        [
            (lv.level.title, f"{lv.done} of {len(lv.modules)}", "yes" if lv.complete else "not yet")
            for lv in standing.levels
        ],
        columns=["level", "modules complete", "level complete"],
    )
    texts = {o.id: o.text for m in data.manifest.modules for o in m.outcomes}
    outcomes = data.attainment[data.attainment["learner"] == learner].copy()
    outcomes["outcome text"] = outcomes["outcome"].map(texts).fillna("")
    outcomes["attainment (%)"] = outcomes["percent"].round(1)
    outcomes["minimum (%)"] = outcomes["minimum"]
    passes = dict(zip(data.status["assignment"], data.status["pass_mark"], strict=False))
    outcomes["evidence"] = [
        "achieved" if p >= (m if m == m else passes.get(a, data.manifest.pass_mark)) else "not yet"
        for p, m, a in zip(
            outcomes["percent"].fillna(0), outcomes["minimum"], outcomes["assignment"], strict=True
        )
    ]
    return (
        _environment()
        .get_template("portfolio.html.j2")
        .render(
            title=f"Learning record — {name}",
            name=name,
            learner=learner,
            style=_style(),
            achieved=achieved,
            generated=datetime.now(UTC).strftime("%d %B %Y"),
            levels=level_rows,
            modules=modules,
            outcomes=outcomes[
                ["outcome", "outcome text", "attainment (%)", "minimum (%)", "evidence"]
            ],
        )
    )


def build_report(
    course: Course,
    out: str | Path | None = None,
    manifest: str | Path | None = None,
    now: datetime | None = None,
) -> CourseReport:
    """Write every report for a course and return where they are.

    Examples
    --------
    >>> print(build_report(Course.open("cohort")))   # doctest: +SKIP
    Reports in /home/tutor/cohort/report:
      grades.csv             /home/tutor/cohort/report/grades.csv
      ...
    """
    folder = Path(out) if out else course.root / "report"
    folder.mkdir(parents=True, exist_ok=True)
    data = cohort_data(course, manifest, now=now)
    report = CourseReport(folder, data=data)
    report.files["grades.csv"] = grades_csv(data, folder / "grades.csv")
    report.files["nbgrader_grades.csv"] = _nbgrader_export(course, folder / "nbgrader_grades.csv")
    data.behind.assign(name=data.behind["name"].map(safe_text)).to_csv(
        folder / "behind.csv", index=False
    )
    report.files["behind.csv"] = folder / "behind.csv"
    data.pending.to_csv(folder / "pending.csv", index=False)
    report.files["pending.csv"] = folder / "pending.csv"
    texts = {o.id: o.text for m in data.manifest.modules for o in m.outcomes}
    outcomes = data.attainment.merge(
        data.book.learners[["learner", "first_name", "last_name"]], on="learner"
    )
    outcomes["text"] = outcomes["outcome"].map(texts).fillna("")
    outcomes.round(1).to_csv(folder / "outcomes.csv", index=False)
    report.files["outcomes.csv"] = folder / "outcomes.csv"
    data.levels.to_csv(folder / "progression.csv", index=False)
    report.files["progression.csv"] = folder / "progression.csv"
    report.files["canvas_gradebook.csv"] = canvas_gradebook(data, folder / "canvas_gradebook.csv")
    report.files["moodle_gradebook.csv"] = moodle_gradebook(data, folder / "moodle_gradebook.csv")
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
