"""The winter pressures app: pull policy levers and compare the winter with doing nothing."""

from __future__ import annotations

import altair as alt
import ipywidgets as widgets
import pandas as pd

from qilab.theme import COLOURS

from .. import _ui
from .model import DAYS, WinterModel, WinterSystem

NOTICE = [
    "Beds hold two kinds of patient: those who need acute care and those who are medically fit "
    "but waiting for social care. When social care cannot keep up, the second group grows.",
    "Try the 'obvious' fix first – push for faster discharge. Occupancy falls for a few weeks, "
    "then readmissions (about ten days later, sicker, more often needing social care) fill the "
    "beds again: a delay hides the cost.",
    "Open escalation beds: the relief fades as admissions creep up to fill them "
    "('a built bed is a filled bed').",
    "Now add social care packages instead: the fix downstream of the hospital lasts, because it "
    "works on the real constraint. In system dynamics this is 'policy resistance'.",
]
SOURCE = (
    "Sterman, Business Dynamics (2000); Wolstenholme, System Dynamics Review 15(3), "
    "1999; Wolstenholme et al., SDR 23(4), 2007; Roemer, Hospitals 35, 1961. Numbers are "
    "illustrative, not a forecast."
)
SERIES = {
    "occupancy": "Bed occupancy (%)",
    "awaiting_care": "Medically fit, waiting for social care",
    "ed_waiting": "Waiting in ED for a bed",
    "readmissions": "Readmissions per day",
}


RUNS = ["Do nothing", "With your policy"]


def _template(key: str) -> alt.TopLevelMixin:
    """The chart for one series; its rows are swapped in on every update (fast)."""
    line = (
        alt.Chart(alt.Data(name="series"))
        .mark_line()
        .encode(
            x=alt.X("date:T", title=None, axis=alt.Axis(format="%b", tickCount="month")),
            y=alt.Y("value:Q", title=SERIES[key], scale=alt.Scale(zero=key != "occupancy")),
            color=alt.Color(
                "run:N",
                title=None,
                scale=alt.Scale(domain=RUNS, range=[COLOURS["muted"], COLOURS["data"]]),
            ),
            strokeDash=alt.StrokeDash(
                "run:N", title=None, scale=alt.Scale(domain=RUNS, range=[[5, 3], [1, 0]])
            ),
            tooltip=[
                alt.Tooltip("date:T", format="%d %b"),
                alt.Tooltip("run:N"),
                alt.Tooltip("value:Q", format=".1f"),
            ],
        )
    )
    rule = (
        alt.Chart(alt.Data(name="start"))
        .mark_rule(color=COLOURS["annotation"], strokeDash=[2, 2])
        .encode(x="date:T")
    )
    label = (
        alt.Chart(alt.Data(name="start"))
        .mark_text(align="left", dx=4, color=COLOURS["annotation"])
        .encode(x="date:T", text="label:N", y=alt.value(250))
    )
    layers = [line, rule, label]
    if key == "occupancy":
        layers.append(alt.Chart().mark_rule(color=COLOURS["concern"]).encode(y=alt.datum(100)))
    return alt.layer(*layers).properties(title=f"{SERIES[key]}, October to March", height=260)


class WinterApp(widgets.VBox):
    """Winter pressures stock-and-flow model with policy levers and a 'do nothing' comparison.

    Examples
    --------
    >>> app = WinterApp(seed=1)                       # doctest: +SKIP
    >>> app.push.value = 20                           # doctest: +SKIP
    >>> app.model.comparison().loc["diverted"]        # doctest: +SKIP
    >>> display(app)                                  # doctest: +SKIP
    """

    def __init__(self, seed: int = 0, system: WinterSystem | None = None) -> None:
        self.model = WinterModel(seed=seed, system=system or WinterSystem())
        self.message = _ui.MessageArea()
        self.notice = _ui.NoticePanel(NOTICE, SOURCE)
        s = _ui.slider
        self.start = s("Policy starts on day:", self.model.policy.start_day, 0, DAYS - 1)
        self.push = s("Discharge push: cut in length of stay (%):", 0, 0, 40)
        self.beds = s("Extra escalation beds:", 0, 0, 100)
        self.packages = s("Extra social care packages per day:", 0, 0, 10, 0.5, integer=False)
        self.base_beds = s("Hospital beds (before winter):", self.model.system.beds, 0, 800, 10)
        self.care = s(
            "Social care packages per day (now):",
            self.model.system.care_packages_per_day,
            0,
            30,
            0.5,
            integer=False,
        )
        self.series = widgets.Dropdown(
            options=[(v, k) for k, v in SERIES.items()],
            value="occupancy",
            description="Show:",
            style=_ui.LABEL_STYLE,
        )
        self.reset = _ui.button("Do nothing (reset levers)", "Set every policy lever to zero")
        for c in (self.start, self.push, self.beds, self.packages, self.base_beds, self.care):
            c.observe(self._on_change, names="value")
        self.series.observe(self._on_change, names="value")
        self.reset.on_click(self._on_reset)
        self.table = widgets.HTML()
        self.chart = _ui.ChartArea("Winter chart")
        super().__init__(
            [
                _ui.heading("Winter pressures: beds, discharges and social care"),
                widgets.HBox(
                    [
                        widgets.VBox(
                            [
                                _ui.heading("Policy levers", 4),
                                self.start,
                                self.push,
                                self.beds,
                                self.packages,
                                self.reset,
                            ]
                        ),
                        widgets.VBox(
                            [_ui.heading("The system", 4), self.base_beds, self.care, self.series]
                        ),
                    ]
                ),
                self.message,
                self.chart,
                self.table,
                self.notice,
            ]
        )
        self.add_class("qilab-app")
        self.redraw()

    def _on_reset(self, _=None) -> None:
        with self.hold_trait_notifications():
            for c in (self.push, self.beds, self.packages):
                c.unobserve(self._on_change, names="value")
                c.value = 0
                c.observe(self._on_change, names="value")
        self._on_change()

    def _on_change(self, _=None) -> None:
        @_ui.guarded(self.message)
        def run() -> None:
            self.model.configure(
                system={
                    "beds": int(self.base_beds.value),
                    "care_packages_per_day": float(self.care.value),
                },
                policy={
                    "start_day": int(self.start.value),
                    "discharge_push": self.push.value / 100,
                    "extra_beds": int(self.beds.value),
                    "extra_care_packages": float(self.packages.value),
                },
            )
            self.message.clear()
            self.redraw()

        run()

    def redraw(self) -> None:
        key = self.series.value
        base, pol = self.model.baseline, self.model.result
        scale = 100 if key == "occupancy" else 1
        series = pd.DataFrame(
            {
                # Your policy's line first, so doing nothing (dashed) is drawn over it and
                # both stay visible where they coincide (with no lever set, everywhere).
                "date": pd.concat([pol["date"], base["date"]], ignore_index=True),
                "value": pd.concat([pol[key], base[key]], ignore_index=True) * scale,
                "run": ["With your policy"] * len(pol) + ["Do nothing"] * len(base),
            }
        )
        start = pd.DataFrame(
            {"date": [pol["date"].iloc[self.model.policy.start_day]], "label": ["Policy starts"]}
        )
        self.chart.draw_data(
            f"winter-{key}",
            lambda: _template(key),
            {"series": series, "start": start},
            self.describe(),
        )
        comp = self.model.comparison()
        labels = {
            "mean_occupancy": ("Average bed occupancy", "{:.0%}"),
            "days_over_95": ("Days at 95 % occupancy or more", "{:.0f}"),
            "ed_wait_patient_days": ("Patient-days waiting in ED for a bed", "{:,.0f}"),
            "diverted": ("Patients diverted to other hospitals", "{:,.0f}"),
            "delayed_bed_days": ("Bed-days lost to delayed discharge", "{:,.0f}"),
            "readmissions": ("Readmissions", "{:,.0f}"),
        }
        rows = [
            {
                "From the policy's start": text,
                "Do nothing": fmt.format(comp.loc[k, "no_action"]),
                "With your policy": fmt.format(comp.loc[k, "policy"]),
            }
            for k, (text, fmt) in labels.items()
        ]
        self.table.value = _ui.table_html(rows, "The winter in numbers")

    def describe(self) -> str:
        """Words for the chart: the comparison a board paper would make."""
        comp = self.model.comparison()
        b, p = comp["no_action"], comp["policy"]
        start = self.model.policy.start_day
        early = self.model.result["occupancy"].iloc[start : start + 14].mean()
        early_b = self.model.baseline["occupancy"].iloc[start : start + 14].mean()
        waits_p = p["ed_wait_patient_days"] + p["diverted"]
        waits_b = b["ed_wait_patient_days"] + b["diverted"]
        levers = self.model.policy_dict()
        if not any(levers[k] for k in ("extra_beds", "extra_care_packages", "discharge_push")):
            return (
                f"Line chart of {SERIES[self.series.value].lower()} from October to March with no "
                f"policy: occupancy averages {b['mean_occupancy']:.0%} and peaks at "
                f"{b['peak_occupancy']:.0%}; {b['days_over_95']:.0f} days at 95 % or more. "
                "Your policy (solid) is the same as doing nothing (dashed) until you move a "
                "lever, so the two lines lie on top of each other."
            )
        if abs(waits_p - waits_b) < 1:
            verdict = "about the same as"
        else:
            verdict = "better than" if waits_p < waits_b else "worse than"
        return (
            f"Line chart of {SERIES[self.series.value].lower()} from October to March, with your "
            f"policy (solid) and doing nothing (dashed). In the two weeks after the policy starts "
            f"occupancy averages {early:.0%} against {early_b:.0%}; over the rest of the winter "
            f"it averages {p['mean_occupancy']:.0%} against {b['mean_occupancy']:.0%}. Patients "
            f"waiting in ED or diverted (patient-days): {waits_p:,.0f} against {waits_b:,.0f}, "
            f"{verdict} doing nothing."
        )
