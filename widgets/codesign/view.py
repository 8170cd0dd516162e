"""Co-design apps: stakeholder grid, ladder of participation, emotional map of a journey."""

from __future__ import annotations

import html

import altair as alt
import ipywidgets as widgets
import pandas as pd

from qilab.theme import COLOURS

from .. import _ui
from .model import (
    EMOTIONS,
    QUADRANT_ADVICE,
    QUESTIONS,
    RUNGS,
    EmotionalMap,
    LadderAssessment,
    StakeholderMap,
    example_journey,
    example_stakeholders,
)

_ST = _ui.LABEL_STYLE
_WIDE = widgets.Layout(width="520px")


def _exports(links: widgets.HTML, items: list[tuple[str, str, str, str]]) -> None:
    links.value = "".join(_ui.download_link(*item) for item in items)


# ---------------------------------------------------------------------- stakeholder map


def _grid_template() -> alt.TopLevelMixin:
    axis = {"scale": alt.Scale(domain=[0, 10], nice=False)}
    points = (
        alt.Chart(alt.Data(name="people"))
        .mark_circle(size=120, color=COLOURS["data"])
        .encode(
            x=alt.X("interest:Q", title="Interest in the project (0–10)", **axis),
            y=alt.Y("power:Q", title="Power over the project (0–10)", **axis),
            tooltip=[alt.Tooltip("name:N"), alt.Tooltip("quadrant:N")],
        )
    )
    names = points.mark_text(align="left", dx=8, fontSize=12, color="#333333").encode(text="name:N")
    lines = (
        alt.Chart(alt.Data(name="lines"))
        .mark_rule(color=COLOURS["limit"])
        .encode(x="x:Q", y="y:Q", x2="x2:Q", y2="y2:Q")
    )
    labels = (
        alt.Chart(alt.Data(name="quadrants"))
        .mark_text(fontSize=13, fontWeight=600, color=COLOURS["muted"])
        .encode(x="interest:Q", y="power:Q", text="label:N")
    )
    return alt.layer(lines, labels, points, names).properties(
        width=460, height=400, title="Stakeholder map: power and interest"
    )


_LINES = pd.DataFrame({"x": [5, 0], "y": [0, 5], "x2": [5, 10], "y2": [10, 5]})
_QUADRANT_LABELS = pd.DataFrame(
    {
        "interest": [7.5, 2.5, 7.5, 2.5],
        "power": [9.6, 9.6, 0.4, 0.4],
        "label": ["Manage closely", "Keep satisfied", "Keep informed", "Monitor"],
    }
)


class StakeholderMapApp(widgets.VBox):
    """Place stakeholders on Mendelow's power/interest grid and export the map.

    Examples
    --------
    >>> app = StakeholderMapApp()                       # doctest: +SKIP
    >>> app.name.value = "Discharge coordinator"        # doctest: +SKIP
    >>> app.power.value, app.interest.value = 4, 8      # doctest: +SKIP
    >>> app.add_button.click()                          # doctest: +SKIP
    >>> display(app)                                    # doctest: +SKIP
    """

    def __init__(self, stakeholders: StakeholderMap | None = None, use_example: bool = True):
        self.model = stakeholders or (example_stakeholders() if use_example else StakeholderMap())
        self.message = _ui.MessageArea()
        self.notice = _ui.NoticePanel(
            [
                "Top right (manage closely): people who can stop or make the project – involve "
                "them early.",
                "Bottom right (keep informed): patients, carers and front-line staff are often "
                "here – high interest, little formal power – and they know the process best.",
                "Power and interest change: a complaint, a new director or a never event can move "
                "someone across the grid. Revisit the map.",
            ],
            "Mendelow, Proc. ICIS (1981); NHS England / NHS Improvement QSIR stakeholder tools.",
        )
        self.name = widgets.Text(
            description="Stakeholder:",
            style=_ST,
            layout=_WIDE,
            placeholder="A person, role or group",
        )
        self.power = _ui.slider("Power over the project (0–10):", 5, 0, 10, 0.5, integer=False)
        self.interest = _ui.slider("Interest in the project (0–10):", 5, 0, 10, 0.5, integer=False)
        self.add_button = _ui.button("Add to the map", "Place this stakeholder", "primary")
        self.who = widgets.Dropdown(description="Remove:", style=_ST, layout=_WIDE)
        self.remove_button = _ui.button("Remove", "Take this stakeholder off the map")
        self.export_button = _ui.button("Export", "CSV and Markdown downloads")
        self.export_links = widgets.HTML()
        self.table = widgets.HTML()
        self.chart = _ui.ChartArea("Stakeholder map")
        self.add_button.on_click(self._on_add)
        self.remove_button.on_click(self._on_remove)
        self.export_button.on_click(self._on_export)
        super().__init__(
            [
                _ui.heading("Stakeholder map (power/interest grid)"),
                self.name,
                self.power,
                self.interest,
                self.add_button,
                widgets.HBox([self.who, self.remove_button]),
                self.message,
                self.chart,
                self.table,
                widgets.HBox([self.export_button, self.export_links]),
                self.notice,
            ]
        )
        self.add_class("qilab-app")
        self.redraw()

    def _on_add(self, _=None) -> None:
        @_ui.guarded(self.message)
        def run() -> None:
            self.model.add(self.name.value, self.power.value, self.interest.value)
            person = self.model.people[-1]
            self.message.show(
                f"{person.name}: {person.quadrant}. {QUADRANT_ADVICE[person.quadrant]}", "info"
            )
            self.name.value = ""
            self.redraw()

        run()

    def _on_remove(self, _=None) -> None:
        @_ui.guarded(self.message)
        def run() -> None:
            if not self.who.value:
                raise ValueError("Choose who to remove.")
            self.model.remove(self.who.value)
            self.message.clear()
            self.redraw()

        run()

    def _on_export(self, _=None) -> None:
        _exports(
            self.export_links,
            [
                (self.model.to_csv(), "stakeholders.csv", "text/csv", "Download CSV"),
                (self.model.to_markdown(), "stakeholders.md", "text/markdown", "Download Markdown"),
            ],
        )

    def redraw(self) -> None:
        frame = self.model.frame()
        self.who.options = list(frame["name"])
        counts = frame["quadrant"].value_counts()
        text = (
            "Power/interest grid. "
            + "; ".join(
                f"{q}: {', '.join(frame.loc[frame['quadrant'] == q, 'name']) or 'nobody'}"
                for q in QUADRANT_ADVICE
            )
            + "."
        )
        self.chart.draw_data(
            "grid",
            _grid_template,
            {
                "people": frame[["name", "power", "interest", "quadrant"]],
                "lines": _LINES,
                "quadrants": _QUADRANT_LABELS,
            },
            text,
        )
        self.table.value = _ui.table_html(
            [
                {"Quadrant": q, "How many": int(counts.get(q, 0)), "What to do": a}
                for q, a in QUADRANT_ADVICE.items()
            ],
            "What each group needs",
        )


# ---------------------------------------------------------------------- ladder


class LadderApp(widgets.VBox):
    """Self-assess where a project sits on Arnstein's ladder of participation.

    Examples
    --------
    >>> app = LadderApp()                         # doctest: +SKIP
    >>> app.questions[0].index = 3                # doctest: +SKIP
    >>> app.model.rung().name                     # doctest: +SKIP
    'Partnership'
    >>> display(app)                              # doctest: +SKIP
    """

    def __init__(self) -> None:
        self.model = LadderAssessment()
        self.message = _ui.MessageArea()
        self.notice = _ui.NoticePanel(
            [
                "Most QI projects sit at 'consultation': patients fill in a survey, staff decide. "
                "Arnstein calls that tokenism.",
                "Co-design (e.g. experience-based co-design) aims for partnership: patients and "
                "staff agree priorities and design changes together.",
                "Higher is not always possible or wanted, but be honest about where you are and "
                "say so in your write-up.",
            ],
            "Arnstein, Journal of the American Institute of Planners 35(4), 1969; The Point of "
            "Care Foundation EBCD toolkit.",
        )
        self.questions: list[widgets.RadioButtons] = []
        rows: list[widgets.Widget] = []
        for i, (text, options) in enumerate(QUESTIONS):
            rb = widgets.RadioButtons(
                options=[o[0] for o in options], value=None, layout=widgets.Layout(width="auto")
            )
            rb.observe(lambda ch, i=i: self._on_answer(i, ch["owner"]), names="index")
            self.questions.append(rb)
            rows += [widgets.HTML(f"<b>{i + 1}. {html.escape(text)}</b>"), rb]
        self.ladder = widgets.HTML()
        self.ladder.add_class("qilab-ladder")
        self.result = widgets.HTML()
        self.export_button = _ui.button("Export", "Markdown download")
        self.export_links = widgets.HTML()
        self.export_button.on_click(self._on_export)
        super().__init__(
            [
                _ui.heading("Ladder of participation: how much power do patients share?"),
                widgets.HBox([widgets.VBox(rows), self.ladder]),
                self.message,
                self.result,
                widgets.HBox([self.export_button, self.export_links]),
                self.notice,
            ]
        )
        self.add_class("qilab-app")
        self.redraw()

    def _on_answer(self, question: int, rb: widgets.RadioButtons) -> None:
        @_ui.guarded(self.message)
        def run() -> None:
            if rb.index is None:
                return
            self.model.answer(question, rb.index)
            self.redraw()

        run()

    def _on_export(self, _=None) -> None:
        _exports(
            self.export_links,
            [(self.model.to_markdown(), "participation.md", "text/markdown", "Download Markdown")],
        )

    def redraw(self) -> None:
        current = self.model.rung().number if self.model.answers else None
        rungs = []
        for r in reversed(RUNGS):
            on = r.number == current
            style = "background:#0072B2;color:white;" if on else "background:#F4F8FB;"
            rungs.append(
                f'<li style="{style}padding:3px 8px;margin:2px 0;border-radius:3px;'
                f'list-style:none" {"aria-current=true" if on else ""}>'
                f"{r.number}. {r.name} <small>({r.group})</small></li>"
            )
        self.ladder.value = (
            '<figure aria-label="Arnstein\'s ladder of participation, top rung first">'
            f'<ol style="padding:0;width:280px">{"".join(rungs)}</ol></figure>'
        )
        if current is None:
            self.result.value = "<p>Answer the questions to see where your project sits.</p>"
            return
        r = self.model.rung()
        self.result.value = (
            f"<p role='status'>Your project sits at <b>rung {r.number}, {r.name}</b> "
            f"({r.group}): {html.escape(r.meaning)}</p><p>{html.escape(self.model.next_step())}</p>"
        )


# ---------------------------------------------------------------------- emotional map


def _journey_template() -> alt.TopLevelMixin:
    x = alt.X(
        "step:O",
        title="Touchpoint in the journey",
        sort=None,
        axis=alt.Axis(labelAngle=-30, labelLimit=320),
    )
    base = alt.Chart(alt.Data(name="journey"))
    line = base.mark_line(color=COLOURS["muted"]).encode(x=x, y="score:Q")
    points = base.mark_point(filled=True, size=160).encode(
        x=x,
        y=alt.Y(
            "score:Q",
            title="How it felt",
            scale=alt.Scale(domain=[-2.6, 2.6]),
            axis=alt.Axis(values=[-2, -1, 0, 1, 2]),
        ),
        color=alt.Color(
            "feeling:N",
            title=None,
            scale=alt.Scale(
                domain=["Positive", "Neutral", "Negative"],
                range=[COLOURS["improvement"], COLOURS["muted"], COLOURS["concern"]],
            ),
        ),
        tooltip=[alt.Tooltip("name:N"), alt.Tooltip("emotion:N"), alt.Tooltip("comment:N")],
    )
    words = base.mark_text(dy=-16, fontSize=12).encode(x=x, y="score:Q", text="emotion:N")
    zero = alt.Chart().mark_rule(color=COLOURS["limit"], strokeDash=[3, 3]).encode(y=alt.datum(0))
    return alt.layer(zero, line, points, words).properties(
        width=620, height=260, title="Emotional map of the patient journey"
    )


class EmotionalMapApp(widgets.VBox):
    """Map the emotions of a patient journey, touchpoint by touchpoint (EBCD).

    Examples
    --------
    >>> app = EmotionalMapApp()                       # doctest: +SKIP
    >>> app.touchpoint.value = "Discharge lounge"     # doctest: +SKIP
    >>> app.emotion.value = "anxious"                 # doctest: +SKIP
    >>> app.add_button.click()                        # doctest: +SKIP
    >>> app.model.hotspots()[-1]                      # doctest: +SKIP
    'Discharge lounge'
    >>> display(app)                                  # doctest: +SKIP
    """

    def __init__(self, journey: EmotionalMap | None = None, use_example: bool = True) -> None:
        self.model = journey or (example_journey() if use_example else EmotionalMap())
        self.message = _ui.MessageArea()
        self.notice = _ui.NoticePanel(
            [
                "The low points (orange) are the 'touchpoints' where the experience goes wrong: "
                "in experience-based co-design, patients and staff choose priorities from them "
                "together.",
                "Emotions come from patients' and carers' own stories (filmed or recorded "
                "interviews), not from staff guessing.",
                "Small things dominate the memory: being told what happens next, or someone "
                "knowing your name.",
            ],
            "Bate & Robert, Bringing User Experience to Healthcare Improvement (2007); The Point "
            "of Care Foundation EBCD toolkit.",
        )
        self.journey = widgets.Text(
            value=self.model.journey,
            description="Journey:",
            style=_ST,
            layout=_WIDE,
            continuous_update=False,
        )
        self.touchpoint = widgets.Text(
            description="Touchpoint:",
            style=_ST,
            layout=_WIDE,
            placeholder="e.g. Arrival at reception",
        )
        self.emotion = widgets.Dropdown(
            options=list(EMOTIONS), value="neutral", description="Emotion:", style=_ST
        )
        self.comment = widgets.Text(description="In their words:", style=_ST, layout=_WIDE)
        self.add_button = _ui.button("Add touchpoint", "Add to the end of the journey", "primary")
        self.step = widgets.Dropdown(description="Touchpoint:", style=_ST, layout=_WIDE)
        self.up_button = _ui.button("Earlier", "Move this touchpoint earlier")
        self.down_button = _ui.button("Later", "Move this touchpoint later")
        self.remove_button = _ui.button("Remove", "Delete this touchpoint")
        self.export_button = _ui.button("Export", "CSV, JSON and Markdown downloads")
        self.export_links = widgets.HTML()
        self.hotspots = widgets.HTML()
        self.chart = _ui.ChartArea("Emotional map")
        self.journey.observe(self._on_journey, names="value")
        self.add_button.on_click(self._on_add)
        self.up_button.on_click(lambda _: self._move(-1))
        self.down_button.on_click(lambda _: self._move(1))
        self.remove_button.on_click(self._on_remove)
        self.export_button.on_click(self._on_export)
        super().__init__(
            [
                _ui.heading("Emotional mapping (experience-based co-design)"),
                self.journey,
                self.touchpoint,
                self.emotion,
                self.comment,
                self.add_button,
                widgets.HBox([self.step, self.up_button, self.down_button, self.remove_button]),
                self.message,
                self.chart,
                self.hotspots,
                widgets.HBox([self.export_button, self.export_links]),
                self.notice,
            ]
        )
        self.add_class("qilab-app")
        self.redraw()

    def _on_journey(self, _=None) -> None:
        self.model.journey = self.journey.value.strip() or "A patient journey"
        self.redraw()

    def _on_add(self, _=None) -> None:
        @_ui.guarded(self.message)
        def run() -> None:
            self.model.add(self.touchpoint.value, self.emotion.value, self.comment.value)
            self.touchpoint.value = self.comment.value = ""
            self.message.clear()
            self.redraw()

        run()

    def _move(self, step: int) -> None:
        if self.step.value is not None:
            self.model.move(self.step.value, step)
            self.redraw()
            self.step.value = min(max(self.step.value + step, 0), len(self.model.touchpoints) - 1)

    def _on_remove(self, _=None) -> None:
        @_ui.guarded(self.message)
        def run() -> None:
            if self.step.value is None:
                raise ValueError("Choose a touchpoint to remove.")
            self.model.remove(self.step.value)
            self.redraw()

        run()

    def _on_export(self, _=None) -> None:
        _exports(
            self.export_links,
            [
                (self.model.to_csv(), "emotional_map.csv", "text/csv", "Download CSV"),
                (self.model.to_json(), "emotional_map.json", "application/json", "Download JSON"),
                (
                    self.model.to_markdown(),
                    "emotional_map.md",
                    "text/markdown",
                    "Download Markdown",
                ),
            ],
        )

    def redraw(self) -> None:
        frame = self.model.frame()
        current = self.step.value
        self.step.options = [(f"{r.step}. {r.name}", r.step - 1) for r in frame.itertuples()]
        if current is not None and current < len(frame):
            self.step.value = current
        data = frame.assign(
            step=[f"{s}. {n}" for s, n in zip(frame["step"], frame["name"], strict=True)],
            feeling=[
                "Positive" if s > 0 else "Negative" if s < 0 else "Neutral" for s in frame["score"]
            ],
        )
        hot = self.model.hotspots()
        text = (
            f"Emotional map of '{self.model.journey}', {len(frame)} touchpoints: "
            + "; ".join(f"{r.name} – {r.emotion}" for r in frame.itertuples())
            + ". "
            + (f"Low points: {', '.join(hot)}." if hot else "No low points.")
        )
        self.chart.draw_data(
            "journey",
            _journey_template,
            {"journey": data},
            text,
            title=f"Emotional map: {self.model.journey}",
        )
        self.hotspots.value = (
            "<p><b>Low points to start co-design with:</b> " + html.escape(", ".join(hot)) + "</p>"
            if hot
            else "<p>No low points recorded yet.</p>"
        )


class CodesignApp(widgets.Tab):
    """The three co-design tools together, one tab each.

    Examples
    --------
    >>> app = CodesignApp()                   # doctest: +SKIP
    >>> app.stakeholders.model.frame()        # doctest: +SKIP
    >>> display(app)                          # doctest: +SKIP
    """

    def __init__(self) -> None:
        self.stakeholders = StakeholderMapApp()
        self.ladder = LadderApp()
        self.emotions = EmotionalMapApp()
        super().__init__(children=[self.stakeholders, self.ladder, self.emotions])
        for i, title in enumerate(["Stakeholder map", "Ladder of participation", "Emotional map"]):
            self.set_title(i, title)
