"""The red bead app: run days, praise and blame workers, and let the p chart judge."""

from __future__ import annotations

import html

import ipywidgets as widgets

from .. import _spc, _ui
from .model import GOAL, RedBeadExperiment

NOTICE = [
    "Every worker follows the same procedure with the same box and paddle, yet the counts "
    "differ from worker to worker and day to day: that is common-cause variation.",
    "The p chart's points stay inside the limits with no unusual runs: the system is stable "
    "and predictable. The 'best' and 'worst' workers are an accident of the draw.",
    "Watch what happens after a merit award or probation: the next day's result usually moves "
    "back towards the average (regression to the mean), whatever the praise or blame.",
    "Management's goal (here 3 red beads) is never met reliably: the system, not effort, sets the "
    "results. Change the box (the share of red beads) and the chart shows a real change.",
    "On the ward: league tables of consultants or wards, and 'naming and shaming', often rank "
    "common-cause variation.",
]
SOURCE = "W. E. Deming, Out of the Crisis (1986); The New Economics, 2nd ed. (1994)."


class RedBeadsApp(widgets.VBox):
    """Deming's red bead experiment with six willing workers and a p chart.

    Examples
    --------
    >>> app = RedBeadsApp(seed=7)                 # doctest: +SKIP
    >>> app.run_day.click(); app.run_day.click()  # doctest: +SKIP
    >>> app.reward.click()                        # doctest: +SKIP
    >>> app.model.p_chart().signal                # doctest: +SKIP
    False
    >>> display(app)                              # doctest: +SKIP
    """

    def __init__(self, seed: int = 0, red_share: float = 0.20, days: int = 1) -> None:
        self.seed = seed
        self.model = RedBeadExperiment(seed=seed, red_share=red_share)
        self.message = _ui.MessageArea()
        self.notice = _ui.NoticePanel(NOTICE, SOURCE)
        self.share = _ui.slider("Red beads in the box (%):", round(100 * red_share), 0, 100)
        self.share.add_class("qilab-control-red-share")
        self.run_day = _ui.button(
            "Run a day", "Every worker draws one paddle of 50 beads", "primary"
        )
        self.reward = _ui.button(
            "Merit award to today's best worker",
            "Praise the worker with the fewest red beads today",
        )
        self.punish = _ui.button(
            "Put today's worst worker on probation", "Warn the worker with the most red beads today"
        )
        self.restart = _ui.button("Start again", "Empty the records and start a new week")
        self.run_day.on_click(self._on_run)
        self.reward.on_click(self._on_reward)
        self.punish.on_click(self._on_punish)
        self.restart.on_click(self._on_restart)
        self.share.observe(self._on_share, names="value")
        self.today = widgets.HTML()
        self.league = widgets.HTML()
        self.outcomes = widgets.HTML()
        self.chart = _ui.ChartArea("Red beads p chart")
        super().__init__(
            [
                _ui.heading("Deming's red bead experiment"),
                widgets.HTML(
                    "<p>The box holds 4,000 beads. White beads are good work; red beads are "
                    f"defects. Management's goal: <b>no more than {GOAL} red beads</b> per worker "
                    "per day. Each worker scoops 50 beads with the paddle, exactly as trained.</p>"
                ),
                self.share,
                widgets.HBox([self.run_day, self.reward, self.punish, self.restart]),
                self.message,
                widgets.HBox([self.today, self.league]),
                self.outcomes,
                self.chart,
                self.notice,
            ]
        )
        self.add_class("qilab-app")
        for _ in range(days):
            self.model.run_day()
        self.redraw()

    # ----------------------------------------------------------------- events
    def _on_run(self, _=None) -> None:
        @_ui.guarded(self.message)
        def run() -> None:
            self.model.run_day()
            self.message.clear()
            self.redraw()

        run()

    def _on_reward(self, _=None) -> None:
        @_ui.guarded(self.message)
        def run() -> None:
            name = self.model.reward_best()
            self.message.show(
                f"{name} gets a merit award for today's result. Run another day and see "
                f"whether {name} keeps it up.",
                "info",
            )
            self.redraw()

        run()

    def _on_punish(self, _=None) -> None:
        @_ui.guarded(self.message)
        def run() -> None:
            name = self.model.punish_worst()
            self.message.show(
                f"{name} is on probation after today's result. Run another day and see "
                f"whether the warning 'works'.",
                "info",
            )
            self.redraw()

        run()

    def _on_restart(self, _=None) -> None:
        @_ui.guarded(self.message)
        def run() -> None:
            self.seed += 1
            self.model = RedBeadExperiment(seed=self.seed, red_share=self.share.value / 100)
            self.model.run_day()
            self.message.clear()
            self.redraw()

        run()

    def _on_share(self, _=None) -> None:
        @_ui.guarded(self.message)
        def run() -> None:
            self.model.change_system(self.share.value / 100)
            self.message.show(
                f"Management has changed the system: from the next day the box holds "
                f"{self.share.value} % red beads.",
                "info",
            )

        run()

    # ------------------------------------------------------------------- view
    def redraw(self) -> None:
        m = self.model
        day = m.day
        today = m.draws[m.draws["day"] == day]
        self.today.value = _ui.table_html(
            [
                {
                    "Worker": r.worker,
                    "Red beads": r.red,
                    "Met the goal?": "Yes" if r.red <= GOAL else "No",
                }
                for r in today.itertuples()
            ],
            f"Day {day}",
        )
        totals = m.worker_totals().sort_values("total_red")
        self.league.value = _ui.table_html(
            [
                {"Rank": i + 1, "Worker": r.worker, "Red beads so far": int(r.total_red)}
                for i, r in enumerate(totals.itertuples())
            ],
            "League table (best first)",
        )
        outcomes = m.action_outcomes().dropna(subset=["red_next_day"])
        if len(outcomes):
            lines = [
                f"{r.worker} ({r.action}, day {r.day}): {r.red_that_day} red beads, "
                f"then {int(r.red_next_day)} the next day."
                for r in outcomes.itertuples()
            ]
            praised = outcomes[outcomes["action"] == "merit award"]
            warned = outcomes[outcomes["action"] == "probation"]
            summary = (
                f"After a merit award, results got worse {int((praised['change'] > 0).sum())} "
                f"of {len(praised)} times; after probation they got better "
                f"{int((warned['change'] < 0).sum())} of {len(warned)} times. Neither praise "
                "nor blame changed the system."
            )
            self.outcomes.value = (
                "<h4 style='margin:4px 0'>What happened after praise and blame</h4><ul>"
                + "".join(f"<li>{html.escape(x)}</li>" for x in lines)
                + f"</ul><p>{html.escape(summary)}</p>"
            )
        else:
            self.outcomes.value = ""
        res = m.p_chart()
        _spc.draw(
            self.chart,
            res,
            "Percentage of red beads in each paddle",
            "Red beads (%)",
            "Draw (six workers per day)",
        )
