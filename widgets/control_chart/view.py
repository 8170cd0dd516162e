"""The control chart explorer app: build a process, chart it, and read the verdict."""

from __future__ import annotations

import html

import ipywidgets as widgets

from .. import _spc, _ui
from .model import (
    CHARTS,
    MDC_CHARTS,
    METHOD_NAMES,
    PATTERNS,
    Explorer,
    ProcessSettings,
    available_methods,
)

NOTICE = [
    "Start with 'No special cause': most charts stay quiet, but now and then a rule fires "
    "anyway – a false alarm. Press 'New random process' a few times to see how often.",
    "Build in a shift of 1 standard deviation: the I chart's limits rarely catch it, but the "
    "runs rules (a long run on one side, too few crossings) usually do. Limits catch big, "
    "sudden changes; runs rules catch small, sustained ones.",
    "Move the shift later: with fewer points after it, it is easier to miss. Freeze a baseline "
    "before the shift and the change stands out against the old limits.",
    "Switch rule sets: Anhøj, Provost & Murray (IHI) and Making Data Count rules disagree at "
    "the margins because they balance false alarms and missed signals differently.",
]
SOURCE = (
    "Anhøj & Olesen, PLoS ONE 9(11), 2014; Perla, Provost & Murray, BMJ Qual Saf 20, 2011; "
    "NHS England, Making Data Count (2019); Provost & Murray, The Health Care Data Guide (2011)."
)
LEVEL_LABEL = {"p": "Level (% of patients):", "c": "Level (average count):"}


class ControlChartExplorer(widgets.VBox):
    """Design a process with (or without) a special cause and see which chart rules fire.

    Examples
    --------
    Changing a control recomputes the chart and the verdict (in a notebook, ``app`` as the last
    line of a cell shows the app):

    >>> app = ControlChartExplorer(seed=1)
    >>> app.pattern.value = "shift"
    >>> app.size.value = 3
    >>> "<b>True alarm.</b>" in app.verdict.value
    True
    >>> app.method.value = "ihi"  # on an I chart, the IHI family means Provost & Murray's rules
    >>> app.model.result.rule_set_name
    'Provost & Murray control-chart rules'
    """

    def __init__(self, seed: int = 0, settings: ProcessSettings | None = None) -> None:
        s = settings or ProcessSettings()
        self.model = Explorer(seed=seed, settings=s)
        self.message = _ui.MessageArea()
        self.notice = _ui.NoticePanel(NOTICE, SOURCE)
        self.chart_type = widgets.Dropdown(
            options=[(v, k) for k, v in CHARTS.items()],
            value=s.chart,
            description="Chart:",
            style=_ui.LABEL_STYLE,
            layout=_ui.WIDE,
        )
        self.method = widgets.Dropdown(
            options=self._method_options(s.chart),
            value=s.method,
            description="Rules:",
            style=_ui.LABEL_STYLE,
            layout=_ui.WIDE,
        )
        self.pattern = widgets.Dropdown(
            options=[(v, k) for k, v in PATTERNS.items()],
            value=s.pattern,
            description="Special cause:",
            style=_ui.LABEL_STYLE,
            layout=_ui.WIDE,
        )
        self.n_points = _ui.slider("Number of points:", s.n_points, 12, 100)
        self.level = _ui.slider("Level (average):", s.level, 0, 100, 1, integer=False)
        self.noise = _ui.slider("Noise (standard deviation):", s.noise, 0, 20, 0.5, integer=False)
        self.at = _ui.slider("Special cause starts at point:", s.at, 1, s.n_points)
        self.size = _ui.slider(
            "Size of the special cause (standard deviations):", s.size, -5, 5, 0.25, integer=False
        )
        self.freeze_on = widgets.Checkbox(
            value=s.freeze is not None,
            style=_ui.LABEL_STYLE,
            description="Freeze limits on a baseline",
        )
        self.freeze = _ui.slider("Baseline length (points):", s.freeze or 15, 2, s.n_points)
        self.new_process = _ui.button(
            "New random process", "Same settings, new random data", "primary"
        )
        for w, css in (
            (self.chart_type, "chart-type"),
            (self.method, "method"),
            (self.pattern, "pattern"),
            (self.n_points, "points"),
            (self.level, "level"),
            (self.noise, "noise"),
            (self.at, "at"),
            (self.size, "size"),
            (self.freeze_on, "freeze-on"),
            (self.freeze, "freeze"),
            (self.new_process, "new-process"),
        ):
            w.add_class(f"qilab-control-{css}")
            if w is not self.new_process:
                w.observe(self._on_change, names="value")
        self.new_process.on_click(self._on_new)
        self.seed_label = widgets.HTML()
        self.verdict = widgets.HTML()
        self.verdict.add_class("qilab-verdict")
        self.rules = widgets.HTML()
        self.rules.add_class("qilab-rules")
        self.chart = _ui.ChartArea("Control chart")
        self._busy = False
        super().__init__(
            [
                _ui.heading("Control chart explorer"),
                widgets.HBox(
                    [
                        widgets.VBox(
                            [
                                _ui.heading("The process", 4),
                                self.n_points,
                                self.level,
                                self.noise,
                                self.pattern,
                                self.at,
                                self.size,
                            ]
                        ),
                        widgets.VBox(
                            [
                                _ui.heading("The chart", 4),
                                self.chart_type,
                                self.method,
                                self.freeze_on,
                                self.freeze,
                                widgets.HBox([self.new_process, self.seed_label]),
                            ]
                        ),
                    ]
                ),
                self.message,
                self.chart,
                self.verdict,
                self.rules,
                self.notice,
            ]
        )
        self.add_class("qilab-app")
        self._sync_controls()
        self.redraw()

    # ----------------------------------------------------------------- events
    @staticmethod
    def _method_options(chart: str) -> list[tuple[str, str]]:
        return [
            (METHOD_NAMES[m], m) for m in available_methods() if m != "mdc" or chart in MDC_CHARTS
        ]

    def read_settings(self) -> dict[str, object]:
        return {
            "chart": self.chart_type.value,
            "method": self.method.value,
            "pattern": self.pattern.value,
            "n_points": int(self.n_points.value),
            "level": float(self.level.value),
            "noise": float(self.noise.value),
            "at": int(self.at.value),
            "size": float(self.size.value),
            "freeze": int(self.freeze.value) if self.freeze_on.value else None,
        }

    def _sync_controls(self) -> None:
        """Keep dependent controls sensible (ranges, labels, what is enabled)."""
        self._busy = True
        try:
            chart = self.chart_type.value
            options = self._method_options(chart)
            if [o[1] for o in options] != [o[1] for o in self.method.options]:
                current = self.method.value
                self.method.options = options
                values = [v for _, v in options]
                self.method.value = current if current in values else values[0]
            n = int(self.n_points.value)
            self.at.max = n
            self.freeze.max = n
            self.level.description = LEVEL_LABEL.get(chart, "Level (average):")
            self.noise.disabled = chart in ("p", "c")
            self.at.disabled = self.size.disabled = self.pattern.value == "none"
            self.freeze.disabled = not self.freeze_on.value
            self.seed_label.value = f"<span>Random process number {self.model.seed}</span>"
        finally:
            self._busy = False

    def _on_change(self, _=None) -> None:
        if self._busy:
            return

        @_ui.guarded(self.message)
        def run() -> None:
            self._sync_controls()
            self.model.update(**self.read_settings())
            self.message.clear()
            self.redraw()

        run()

    def _on_new(self, _=None) -> None:
        @_ui.guarded(self.message)
        def run() -> None:
            self.model.seed += 1
            self.model.recompute()
            self._sync_controls()
            self.redraw()

        run()

    # ------------------------------------------------------------------- view
    def redraw(self) -> None:
        res = self.model.result
        title = f"{CHARTS[self.model.settings.chart].split(' (')[0]}, {res.rule_set_name}"
        ylab = {"p": "Patients (%)", "c": "Count", "mr": "Moving range"}.get(
            self.model.settings.chart, "Value"
        )
        _spc.draw(self.chart, res, title, ylab, "Point")
        kind, text = self.model.verdict()
        colour = {
            "true alarm": "#0072B2",
            "correctly quiet": "#0072B2",
            "false alarm": "#B00020",
            "missed signal": "#8A5A00",
        }[kind]
        self.verdict.value = (
            f'<p role="status" style="border-left:4px solid {colour};padding:4px 8px;">'
            f"<b>{kind.capitalize()}.</b> {html.escape(text)}</p>"
        )
        rows = [
            {"Rule": r.rule, "Fired?": "Yes" if r.fired else "No", "Why": r.detail}
            for r in self.model.rules_table().itertuples()
        ]
        why = "".join(f"<li>{html.escape(e)}</li>" for e in self.model.explanations())
        self.rules.value = _ui.table_html(rows, "Which rules fired") + (
            f"<ul>{why}</ul>" if why else ""
        )
