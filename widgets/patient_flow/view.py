"""The patient flow app: change demand and capacity, watch queues, waits and the bottleneck."""

from __future__ import annotations

import math
from dataclasses import replace
from functools import partial

import altair as alt
import ipywidgets as widgets
import numpy as np
import pandas as pd

from qilab.theme import COLOURS

from .. import _ui
from .model import FOUR_HOURS, STATIONS, FlowConfig, FlowResult, kingman_wait, simulate

NOTICE = [
    "Utilisation = demand × time per patient ÷ capacity. Below about 80 % queues are short; "
    "above 90 % they grow sharply, and at 100 % or more they never clear (Kingman's formula).",
    "More variation (in arrivals or in how long patients take) means longer queues at the same "
    "utilisation: smoothing variation is as powerful as adding capacity.",
    "Little's law: patients in the department = arrivals per hour × hours each patient stays "
    "(L = λW). Cut the time in the department and the crowding falls with it.",
    "The busiest stage is the bottleneck. Add clinicians and watch the constraint move to "
    "beds: capacity added anywhere but the bottleneck changes little.",
]
SOURCE = (
    "Little, Operations Research 9(3), 1961 (L = λW); Kingman, Proc. Camb. Phil. Soc. 57, 1961; "
    "Sakasegawa, Ann. Inst. Stat. Math. 29, 1977 (many-server waits); Goldratt, The Goal (1984)."
)
VARIATION = {"Low (very predictable)": 0.5, "Typical": 1.0, "High (very unpredictable)": 1.5}
#: The simulated week starts on a Monday at midnight (after the warm-up days); the model has
#: a daily pattern of arrivals but no weekday one, so the names only help people read the axis.
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class PatientFlowApp(widgets.VBox):
    """Emergency department flow: arrivals, triage, treatment and ward beds for one week.

    Examples
    --------
    >>> app = PatientFlowApp(seed=1)                # doctest: +SKIP
    >>> app.result.bottleneck                       # doctest: +SKIP
    'Treatment'
    >>> app.clinicians.value = 20                   # doctest: +SKIP
    >>> app.result.bottleneck                       # doctest: +SKIP
    'Ward bed'
    >>> display(app)                                # doctest: +SKIP
    """

    def __init__(self, seed: int = 0, config: FlowConfig | None = None) -> None:
        cfg = config or FlowConfig()
        self.seed = seed
        self.config = cfg
        self.result: FlowResult | None = None
        self.message = _ui.MessageArea()
        self.notice = _ui.NoticePanel(NOTICE, SOURCE)
        s = _ui.slider
        self.arrivals = s("Arrivals per hour:", cfg.arrivals_per_hour, 0, 30, 0.5, integer=False)
        self.pattern = widgets.Checkbox(
            value=cfg.daily_pattern,
            style=_ui.LABEL_STYLE,
            description="Busy days and quiet nights (daily pattern)",
        )
        self.admitted = s("Admitted to a ward (%):", round(100 * cfg.admitted_share), 0, 100, 1)
        self.nurses = s("Triage nurses:", cfg.triage_nurses, 0, 10)
        self.clinicians = s("Clinicians (with cubicles):", cfg.clinicians, 0, 40)
        self.beds = s("Acute medical unit beds:", cfg.beds, 0, 120)
        self.triage_min = s("Triage time (minutes):", cfg.triage_minutes, 1, 60)
        self.treat_min = s("Treatment time (minutes):", cfg.treatment_minutes, 5, 300, 5)
        self.bed_hours = s("Stay in a unit bed (hours):", cfg.bed_hours, 1, 72)
        self.variation = widgets.Dropdown(
            options=list(VARIATION.items()),
            value=cfg.variation if cfg.variation in VARIATION.values() else 1.0,
            description="Variation in job times:",
            style=_ui.LABEL_STYLE,
        )
        self.another = _ui.button(
            "Simulate another week", "Same settings, different week", "primary"
        )
        self.controls = [
            self.arrivals,
            self.pattern,
            self.admitted,
            self.nurses,
            self.clinicians,
            self.beds,
            self.triage_min,
            self.treat_min,
            self.bed_hours,
            self.variation,
        ]
        for c in self.controls:
            c.observe(self._on_change, names="value")
        self.another.on_click(self._on_another)

        self.headline = widgets.HTML()
        self.headline.add_class("qilab-headline")
        self.table = widgets.HTML()
        self.queue_chart = _ui.ChartArea("Queues over the week")
        self.curve_chart = _ui.ChartArea("Waiting time and utilisation")
        demand = widgets.VBox(
            [_ui.heading("Demand", 4), self.arrivals, self.pattern, self.admitted, self.variation]
        )
        capacity = widgets.VBox(
            [
                _ui.heading("Capacity", 4),
                self.nurses,
                self.clinicians,
                self.beds,
                self.triage_min,
                self.treat_min,
                self.bed_hours,
            ]
        )
        super().__init__(
            [
                _ui.heading("Patient flow through an emergency department"),
                widgets.HBox([demand, capacity]),
                self.another,
                self.message,
                self.headline,
                self.table,
                self.queue_chart,
                self.curve_chart,
                self.notice,
            ]
        )
        self.add_class("qilab-app")
        self.update()

    # ----------------------------------------------------------------- events
    def read_config(self) -> FlowConfig:
        return replace(
            self.config,
            arrivals_per_hour=float(self.arrivals.value),
            daily_pattern=bool(self.pattern.value),
            admitted_share=self.admitted.value / 100,
            triage_nurses=int(self.nurses.value),
            clinicians=int(self.clinicians.value),
            beds=int(self.beds.value),
            triage_minutes=float(self.triage_min.value),
            treatment_minutes=float(self.treat_min.value),
            bed_hours=float(self.bed_hours.value),
            variation=float(self.variation.value),
        )

    def _on_change(self, _=None) -> None:
        _ui.guarded(self.message)(self.update)()

    def _on_another(self, _=None) -> None:
        self.seed += 1
        _ui.guarded(self.message)(self.update)()

    def update(self) -> None:
        """Simulate one week with the current controls and redraw everything."""
        config = self.read_config()
        result = simulate(config, seed=self.seed)  # raises QilabError on bad values
        self.config, self.result = config, result
        self.message.clear()
        unstable = result.stations[result.stations["planned_utilisation"] >= 1]
        if len(unstable):
            names = ", ".join(unstable["station"])
            self.message.show(
                f"Demand is more than capacity at {names}: the queue there will keep growing "
                "however long you wait.",
                "warning",
            )
        self._headline(result)
        self._table(result)
        days = math.ceil(config.weeks * 7 - 1e-9)
        self.queue_chart.draw_data(
            f"queues-{days}",
            partial(_queue_template, days),
            {"queues": queue_rows(result)},
            self._queue_text(result),
        )
        curve = self._curve_data(result)
        self.curve_chart.draw_data(
            "curve",
            _curve_template,
            curve,
            self._curve_text(result, float(curve["curve"]["utilisation"].max())),
            title=f"Waits explode near 100 %: queueing curve for {result.bottleneck}",
        )

    # ------------------------------------------------------------------- view
    def _headline(self, r: FlowResult) -> None:
        ll = r.littles_law()
        self.headline.value = (
            f"<p><b>{100 * r.four_hour_share():.0f} %</b> of patients left the department within "
            f"{FOUR_HOURS:.0f} hours. Bottleneck: <b>{r.bottleneck}</b>.</p>"
            f"<p>Little's law: on average <b>{ll['L']:.1f}</b> patients were in the department; "
            f"arrivals per hour × hours each stayed = {ll['lambda']:.1f} × {ll['W']:.2f} = "
            f"<b>{ll['lambda_W']:.1f}</b>.</p>"
        )

    def _table(self, r: FlowResult) -> None:
        rows = [
            {
                "Stage": s.station,
                "Capacity": s.servers,
                "Utilisation (demand ÷ capacity)": f"{100 * s.planned_utilisation:.0f} %",
                "Average wait": _minutes(s.mean_wait_min),
                "1 in 20 waited over": _minutes(s.p95_wait_min),
                "Most waiting at once": s.max_queue,
            }
            for s in r.stations.itertuples()
        ]
        self.table.value = _ui.table_html(rows, "One simulated week, stage by stage")

    def _queue_text(self, r: FlowResult) -> str:
        parts = [
            f"{s.station}: up to {s.max_queue} waiting, average wait {_minutes(s.mean_wait_min)}"
            for s in r.stations.itertuples()
        ]
        return (
            "Line chart of patients waiting at each stage, hour by hour, over the simulated week "
            "(Monday to Sunday). " + "; ".join(parts) + "."
        )

    def _curve_data(self, r: FlowResult) -> dict[str, pd.DataFrame]:
        loads = r.config.loads().set_index("station")
        name = r.bottleneck
        row = loads.loc[name]
        rho = np.linspace(0.05, 0.99, 60)
        wait = 60 * kingman_wait(
            rho, int(row["servers"]), float(row["hours_each"]), 1.0, r.config.variation**2
        )
        observed = r.stations.set_index("station").loc[name]
        point = pd.DataFrame(
            {
                # A stage is never busier than all of the time: demand beyond capacity sits at
                # the 100 % edge (the description says so).
                "utilisation": [min(100 * float(observed["planned_utilisation"]), 100.0)],
                "wait": [float(observed["mean_wait_min"])],
                "label": [f"{name} this week"],
            }
        )
        at_95 = float(
            60
            * kingman_wait(
                0.95, int(row["servers"]), float(row["hours_each"]), 1.0, r.config.variation**2
            )
        )
        cap = max(at_95, float(point["wait"].iloc[0])) * 1.3
        keep = wait <= cap
        curve = pd.DataFrame({"utilisation": 100 * rho[keep], "wait": wait[keep]})
        return {"curve": curve, "point": point}

    def _curve_text(self, r: FlowResult, top: float) -> str:
        """The curve in words; *top* is the highest utilisation drawn (the rest is off scale)."""
        name = r.bottleneck
        obs = r.stations.set_index("station").loc[name]
        load = 100 * float(obs["planned_utilisation"])
        wait = _minutes(obs["mean_wait_min"])
        text = (
            f"The grey curve is the predicted average wait at {name} for utilisations from 5 % "
            f"to {top:.0f} % (Sakasegawa's many-server form of Kingman's formula); it rises "
            "slowly, then steeply near 100 %. The axis stops at 100 %: a stage cannot be busy "
            "more than all of the time, and at 100 % the predicted wait is endless. "
        )
        if load >= 100:
            return text + (
                f"This week demand at {name} was {load:.0f} % of its capacity, more than it can "
                f"ever serve: the orange dot sits at the 100 % edge, and its average wait "
                f"({wait}) only grows the longer the week runs."
            )
        return text + (
            f"This week {name} ran at {load:.0f} % with an average wait of {wait} (the orange dot)."
        )


def queue_rows(r: FlowResult) -> pd.DataFrame:
    """The hourly queues with the day (0 = Monday midnight) and a readable time for tooltips."""
    hour = r.queues["hour"]
    names = np.array(DAY_NAMES)[(hour // 24).astype(int) % 7]
    clock = (hour % 24).astype(int).map("{:02d}:00".format)
    return r.queues.assign(day=hour / 24, when=names + " " + clock)


def _queue_template(days: int = 7) -> alt.TopLevelMixin:
    """Hourly queues on a time axis labelled with day names, each name inside its own day.

    The axis stays continuous (168 hourly steps a week); its ticks are the midnights and its
    labels the day names, not the decimals 0.0–7.0 a plain numeric axis shows.
    """
    names = "[" + ", ".join(f"'{d}'" for d in DAY_NAMES) + "]"
    return (
        alt.Chart(alt.Data(name="queues"))
        .mark_line(interpolate="step-after", strokeWidth=1.5)
        .encode(
            x=alt.X(
                "day:Q",
                title="Day of the simulated week",
                scale=alt.Scale(domain=[0, days], nice=False, zero=False),
                axis=alt.Axis(
                    values=list(range(days)),
                    labelExpr=f"{names}[floor(datum.value) % 7]",
                    labelAlign="left",
                    labelFlush=False,
                ),
            ),
            y=alt.Y("waiting:Q", title="Patients waiting"),
            color=alt.Color(
                "station:N",
                title="Waiting for",
                sort=list(STATIONS),
                scale=alt.Scale(domain=list(STATIONS)),
            ),
            tooltip=[
                alt.Tooltip("station:N", title="Waiting for"),
                alt.Tooltip("when:N", title="When"),
                alt.Tooltip("waiting:Q"),
            ],
        )
        .properties(title="Patients waiting at each stage, hour by hour", height=220)
    )


def _curve_template() -> alt.TopLevelMixin:
    line = (
        alt.Chart(alt.Data(name="curve"))
        .mark_line(color=COLOURS["limit"])
        .encode(
            x=alt.X(
                "utilisation:Q",
                title="Utilisation of the bottleneck (%)",
                scale=alt.Scale(domain=[0, 100], clamp=True),
            ),
            y=alt.Y("wait:Q", title="Average wait (minutes)"),
        )
    )
    dot = (
        alt.Chart(alt.Data(name="point"))
        .mark_point(size=140, filled=True, color=COLOURS["signal"])
        .encode(
            x="utilisation:Q",
            y="wait:Q",
            tooltip=[alt.Tooltip("label:N"), alt.Tooltip("wait:Q", format=".0f")],
        )
    )
    full = (
        alt.Chart().mark_rule(strokeDash=[4, 4], color=COLOURS["concern"]).encode(x=alt.datum(100))
    )
    return alt.layer(line, full, dot).properties(title="Queueing curve", height=220)


def _minutes(m: float) -> str:
    if not np.isfinite(m):
        return "–"
    return f"{m:.0f} min" if m < 120 else f"{m / 60:.1f} h"
