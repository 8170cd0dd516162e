"""The funnel experiment app: drop marbles, choose an adjustment rule, see tampering's cost."""

from __future__ import annotations

import altair as alt
import ipywidgets as widgets
import numpy as np
import pandas as pd

from qilab.theme import COLOURS

from .. import _ui
from .model import RULES, FunnelExperiment

NOTICE = [
    "Rule 1 (leave a stable process alone) gives the tightest cluster around the target.",
    "Rule 2 feels sensible – correct for the last miss – but the variance doubles "
    "(the spread is about 1.4 times wider). Reacting to common-cause variation as if it were "
    "special cause is 'tampering'.",
    "Rule 3 over-corrects: marbles swing from side to side ever further from the target.",
    "Rule 4 ('do it the way it was done last time', e.g. training by the last trainee) drifts "
    "away in a random walk.",
    "On the ward: changing a process after every bad week (or every incident) without evidence "
    "of special cause is rule 2 – it makes results worse, not better.",
]
SOURCE = "W. E. Deming, Out of the Crisis (1986); The New Economics, 2nd ed. (1994)."


def _template(facet: bool) -> alt.TopLevelMixin:
    """Scatter of landing spots around the target; invisible corners keep the axes square."""
    axes = {
        "x": alt.X("x:Q", title="Left – right of target (cm)", scale=alt.Scale(nice=False)),
        "y": alt.Y("y:Q", title="Below – above target (cm)", scale=alt.Scale(nice=False)),
    }
    points = (
        alt.Chart(alt.Data(name="drops") if not facet else alt.Undefined)
        .mark_circle(size=18, opacity=0.55, color=COLOURS["data"])
        .encode(
            **axes,
            tooltip=[
                alt.Tooltip("drop:Q"),
                alt.Tooltip("distance:Q", format=".1f", title="Miss (cm)"),
            ],
        )
    )
    corners = alt.Chart(alt.Data(name="frame")).mark_point(opacity=0).encode(**axes)
    # the cross needs one row of its own: a layer without data draws nothing (it was missing
    # from the single-rule view while the caption pointed to it)
    target = (
        alt.Chart(alt.Data(values=[{}]))
        .mark_point(shape="cross", size=300, color=COLOURS["target"], strokeWidth=3)
        .encode(x=alt.datum(0), y=alt.datum(0))
    )
    size = 220 if facet else 380
    if facet:
        body = alt.layer(points, target).properties(width=size, height=size)
        return body.facet(
            facet=alt.Facet("rule_name:N", title=None), columns=2, data=alt.Data(name="drops")
        )
    return alt.layer(corners, points, target).properties(
        width=size, height=size, title="Where the marbles landed"
    )


class FunnelApp(widgets.VBox):
    """Deming's funnel experiment: compare the four rules of adjustment on the same marbles.

    Examples
    --------
    >>> app = FunnelApp(seed=3)             # doctest: +SKIP
    >>> app.rule.value = 2                  # doctest: +SKIP
    >>> app.drop_button.click()             # doctest: +SKIP
    >>> app.model.variance_ratio(2)         # doctest: +SKIP
    2.05...
    >>> display(app)                        # doctest: +SKIP
    """

    def __init__(self, seed: int = 0, noise: float = 1.0, drops: int = 50) -> None:
        self.model = FunnelExperiment(seed=seed, noise=noise)
        self.message = _ui.MessageArea()
        self.notice = _ui.NoticePanel(NOTICE, SOURCE)
        self.rule = widgets.ToggleButtons(
            options=[(f"Rule {r}", r) for r in RULES],
            value=1,
            description="Adjustment rule:",
            tooltips=list(RULES.values()),
            style=_ui.LABEL_STYLE,
        )
        self.compare = widgets.Checkbox(
            value=False, description="Show all four rules side by side", style=_ui.LABEL_STYLE
        )
        self.per_click = _ui.slider("Marbles per drop:", drops, 1, 500, 1)
        self.noise = widgets.BoundedFloatText(
            value=noise,
            min=-100,
            max=100,
            step=0.1,
            description="Funnel wobble (SD, cm):",
            style=_ui.LABEL_STYLE,
        )
        self.drop_button = _ui.button(
            "Drop marbles", "Drop more marbles through the funnel", "primary"
        )
        self.reset_button = _ui.button("Start again", "Clear the table and start again")
        self.rule_text = widgets.HTML()
        self.stats = widgets.HTML()
        self.chart = _ui.ChartArea("Funnel experiment chart")

        self.rule.observe(self._redraw_event, names="value")
        self.compare.observe(self._redraw_event, names="value")
        self.drop_button.on_click(self._on_drop)
        self.reset_button.on_click(self._on_reset)
        self.noise.observe(self._on_reset, names="value")

        super().__init__(
            [
                _ui.heading("Deming's funnel experiment"),
                self.rule,
                self.rule_text,
                self.compare,
                widgets.HBox([self.per_click, self.noise]),
                widgets.HBox([self.drop_button, self.reset_button]),
                self.message,
                self.chart,
                self.stats,
                self.notice,
            ]
        )
        self.add_class("qilab-app")
        self.model.drop(drops)
        self.redraw()

    # ----------------------------------------------------------------- events
    def _on_drop(self, _=None) -> None:
        @_ui.guarded(self.message)
        def run() -> None:
            self.model.drop(self.per_click.value)
            self.message.clear()
            self.redraw()

        run()

    def _on_reset(self, _=None) -> None:
        @_ui.guarded(self.message)
        def run() -> None:
            self.model.reset(noise=float(self.noise.value))
            self.model.drop(self.per_click.value)
            self.message.clear()
            self.redraw()

        run()

    def _redraw_event(self, _=None) -> None:
        _ui.guarded(self.message)(self.redraw)()

    # ------------------------------------------------------------------- view
    def redraw(self) -> None:
        rules = tuple(RULES) if self.compare.value else (self.rule.value,)
        data = self.model.frame(rules)
        self.rule_text.value = f"<p><b>{RULES[self.rule.value]}.</b></p>"
        summary = self.model.summary()
        rows = [
            {
                "Rule": f"Rule {r.rule}",
                "Spread (SD from target)": f"{r.sd_from_target:.2f}",
                "Variance compared with rule 1": f"{r.variance_vs_rule_1:.2f}×",
                "Furthest miss": f"{r.furthest_miss:.1f}",
            }
            for r in summary.itertuples()
        ]
        self.stats.value = _ui.table_html(rows, f"After {self.model.n} marbles")
        facet = len(rules) > 1
        lim = float(np.nanmax(np.abs(data[["x", "y"]].to_numpy()))) if len(data) else 1.0
        lim = max(lim, 3 * self.model.noise) * 1.05
        frame = pd.DataFrame({"x": [-lim, lim], "y": [-lim, lim]})
        title = (
            {}
            if facet
            else {"title": f"Where {self.model.n} marbles landed – Rule {self.rule.value}"}
        )
        self.chart.draw_data(
            "facet" if facet else "single",
            lambda: _template(facet),
            {"drops": data[["drop", "rule_name", "x", "y", "distance"]], "frame": frame},
            self._describe(rules),
            **title,
        )

    def _describe(self, rules: tuple[int, ...]) -> str:
        parts = []
        for r in rules:
            ratio = self.model.variance_ratio(r)
            parts.append(
                f"Rule {r}: spread {np.sqrt(self.model.variance(r)):.2f} cm from the target, "
                f"variance {ratio:.2f} times rule 1's"
            )
        return (
            f"Scatter plot of where {self.model.n} marbles landed around the target (the cross). "
            + "; ".join(parts)
            + "."
        )
