"""The PDSA app: plan with a prediction, do, study on a run chart, act – and keep the log."""

from __future__ import annotations

import html

import ipywidgets as widgets

from qilab.measure import qic

from .. import _spc, _ui
from .model import SCENARIOS, PDSASimulator

NOTICE = [
    "Predict before you test. The gap between prediction and result is where learning happens "
    "(the Study step) – without a prediction you can only say what happened, not what you "
    "have learned.",
    "Short tests on a few patients are noisy: one good day proves little. Build a ramp – "
    "small tests first, then longer and wider ones as confidence grows.",
    "Some changes take days to bed in; some fade once the enthusiasm goes. The run chart, not "
    "a before-and-after average, shows which.",
    "Adopt only what works on the chart; adapt what nearly works; abandon what does not. "
    "Abandoning a change is a success of the method, not a failure.",
]
SOURCE = (
    "Langley et al., The Improvement Guide, 2nd ed. (2009): the Model for Improvement and PDSA "
    "ramps; Perla, Provost & Murray, BMJ Qual Saf 20 (2011) for run chart rules."
)


class PDSAApp(widgets.VBox):
    """Run PDSA cycles on a simulated ward process, study them on a run chart, keep a log.

    Examples
    --------
    >>> app = PDSAApp(seed=2)                                     # doctest: +SKIP
    >>> app.prediction.value = 70                                 # doctest: +SKIP
    >>> app.do_button.click()                                     # doctest: +SKIP
    >>> app.adopt_button.click()                                  # doctest: +SKIP
    >>> print(app.model.to_markdown())                            # doctest: +SKIP
    >>> display(app)                                              # doctest: +SKIP
    """

    def __init__(
        self, seed: int = 0, scenario: str = "discharge", aim: str = "", target: float = 90
    ) -> None:
        self.seed = seed
        self.model = PDSASimulator(seed=seed, scenario=scenario, aim=aim, target=target)
        self.message = _ui.MessageArea()
        self.notice = _ui.NoticePanel(NOTICE, SOURCE)
        st = _ui.LABEL_STYLE
        self.scenario = widgets.Dropdown(
            options=[(s.measure, k) for k, s in SCENARIOS.items()],
            value=scenario,
            description="Measure:",
            style=st,
            layout=widgets.Layout(width="640px"),
        )
        self.aim = widgets.Text(
            value=aim,
            description="Aim:",
            style=st,
            placeholder="What will improve, by how much, by when?",
            layout=widgets.Layout(width="640px"),
        )
        self.target = widgets.BoundedFloatText(
            value=target, min=-1000, max=1000, step=1, description="Target (%):", style=st
        )
        self.idea = widgets.Dropdown(
            options=self.model.ideas,
            description="Change to test:",
            style=st,
            layout=widgets.Layout(width="640px"),
        )
        self.plan_note = widgets.Text(
            description="Plan (who, where, when):", style=st, layout=widgets.Layout(width="640px")
        )
        self.prediction = _ui.slider("I predict the average will be (%):", 70, 0, 100)
        self.days = _ui.slider("Days to run the test:", 7, 1, 28)
        self.do_button = _ui.button(
            "Run the test (Do)", "Run the planned test on the ward", "primary"
        )
        self.study = widgets.HTML()
        self.study.add_class("qilab-study")
        self.act_note = widgets.Text(
            description="What next and why:", style=st, layout=widgets.Layout(width="640px")
        )
        self.adopt_button = _ui.button(
            "Adopt", "Keep the change: make it part of the system", "success"
        )
        self.adapt_button = _ui.button("Adapt", "Change the idea and test it again", "info")
        self.abandon_button = _ui.button("Abandon", "Stop: it did not work here", "warning")
        self.wait_button = _ui.button("Let a week pass", "See whether adopted changes hold")
        self.export_button = _ui.button("Export the PDSA log", "CSV and Markdown downloads")
        self.log_table = widgets.HTML()
        self.export_links = widgets.HTML()
        self.markdown = widgets.Textarea(
            description="Log (Markdown):",
            style=st,
            disabled=True,
            layout=widgets.Layout(width="640px", height="140px", display="none"),
        )
        self.chart = _ui.ChartArea("PDSA run chart")

        self.do_button.on_click(self._on_do)
        for b, d in (
            (self.adopt_button, "adopt"),
            (self.adapt_button, "adapt"),
            (self.abandon_button, "abandon"),
        ):
            b.on_click(lambda _b, d=d: self._on_act(d))
        self.wait_button.on_click(self._on_wait)
        self.export_button.on_click(self._on_export)
        self.scenario.observe(self._on_scenario, names="value")
        self.aim.observe(self._on_aim, names="value")
        self.target.observe(self._on_aim, names="value")

        super().__init__(
            [
                _ui.heading("PDSA cycle simulator"),
                _ui.heading("1. What are we trying to accomplish?", 4),
                self.scenario,
                self.aim,
                self.target,
                _ui.heading("2. Plan a test of change", 4),
                self.idea,
                self.plan_note,
                self.prediction,
                self.days,
                widgets.HBox([self.do_button, self.wait_button]),
                self.message,
                _ui.heading("3. Study", 4),
                self.chart,
                self.study,
                _ui.heading("4. Act", 4),
                self.act_note,
                widgets.HBox([self.adopt_button, self.adapt_button, self.abandon_button]),
                _ui.heading("PDSA log", 4),
                self.log_table,
                widgets.HBox([self.export_button, self.export_links]),
                self.markdown,
                self.notice,
            ]
        )
        self.add_class("qilab-app")
        self.redraw()

    # ----------------------------------------------------------------- events
    def _on_do(self, _=None) -> None:
        @_ui.guarded(self.message)
        def run() -> None:
            self.model.plan(
                self.idea.value,
                float(self.prediction.value),
                int(self.days.value),
                self.plan_note.value,
            )
            c = self.model.do()
            self.message.clear()
            diff = c.observed - c.prediction
            self.study.value = (
                f"<p><b>Cycle {c.number}: {html.escape(c.idea)}.</b> Over {c.days} days the "
                f"result was <b>{c.observed:.1f} %</b> against your prediction of "
                f"{c.prediction:.0f} % ({'higher' if diff > 0 else 'lower'} by "
                f"{abs(diff):.1f} points). The baseline median was {c.baseline_median:.1f} %. "
                "Look at the run chart: is the change visible as a run of points above the "
                "median, or is it within the usual day-to-day noise? Now choose: adopt, adapt "
                "or abandon.</p>"
            )
            self.redraw()

        run()

    def _on_act(self, decision: str) -> None:
        @_ui.guarded(self.message)
        def run() -> None:
            c = self.model.act(decision, self.act_note.value)
            self.act_note.value = ""
            self.message.show(
                f"Cycle {c.number}: {decision} '{c.idea}'. Plan the next test.", "info"
            )
            self.redraw()

        run()

    def _on_wait(self, _=None) -> None:
        @_ui.guarded(self.message)
        def run() -> None:
            self.model.continue_without_test(7)
            self.message.clear()
            self.redraw()

        run()

    def _on_export(self, _=None) -> None:
        @_ui.guarded(self.message)
        def run() -> None:
            md = self.model.to_markdown()
            self.export_links.value = _ui.download_link(
                self.model.to_csv(), "pdsa_log.csv", "text/csv", "Download CSV"
            ) + _ui.download_link(md, "pdsa_log.md", "text/markdown", "Download Markdown")
            self.markdown.value = md
            self.markdown.layout.display = None

        run()

    def _on_scenario(self, _=None) -> None:
        @_ui.guarded(self.message)
        def run() -> None:
            self.model = PDSASimulator(
                seed=self.seed,
                scenario=self.scenario.value,
                aim=self.aim.value,
                target=self.target.value,
            )
            self.idea.options = self.model.ideas
            self.study.value = ""
            self.message.show("New ward process: the PDSA log starts again.", "info")
            self.redraw()

        run()

    def _on_aim(self, _=None) -> None:
        @_ui.guarded(self.message)
        def run() -> None:
            if not 0 <= self.target.value <= 100:
                raise ValueError("The target is a percentage: choose between 0 and 100.")
            self.model.aim = self.aim.value.strip()
            self.model.target = float(self.target.value)
            self.message.clear()
            self.redraw()

        run()

    # ------------------------------------------------------------------- view
    def redraw(self) -> None:
        m = self.model
        waiting = m.awaiting_decision is not None
        self.do_button.disabled = waiting
        self.wait_button.disabled = waiting
        for b in (self.adopt_button, self.adapt_button, self.abandon_button):
            b.disabled = not waiting
        d = m.data
        res = qic(
            d["y"].to_numpy(),
            n=d["n"].to_numpy(),
            x=d["day"].to_numpy(),
            chart="run",
            multiply=100,
            freeze=m.baseline_days,
            notes=m.annotations(),
            target=m.target,
        )  # in chart units (%): qic does not multiply targets
        _spc.draw(self.chart, res, m.spec.measure, m.spec.unit.capitalize(), "Day")
        self.result = res
        log = m.log()
        self.log_table.value = _ui.table_html(
            [
                {
                    "Cycle": r.number,
                    "Change idea": r.idea,
                    "Predicted": f"{r.prediction:.0f} %",
                    "Result": f"{r.observed:.1f} %",
                    "Days": f"{r.start_day}–{r.end_day}",
                    "Act": r.decision or "(decide)",
                }
                for r in log.itertuples()
            ],
            "Cycles so far",
        )
