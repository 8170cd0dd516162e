"""Deming's red bead experiment: the results belong to the system, not to the workers.

In his four-day seminars (Deming, *Out of the Crisis*, 1986; *The New Economics*, 2nd ed.,
1994) six "willing workers" each scooped 50 beads with a paddle from a box of 4,000 beads,
800 of them red (20 %, the defects). The foreman set goals and exhorted, praised the best,
put the worst on probation and, after a few days, fired them. The control chart of the results
showed a stable system: the differences between workers and days were common-cause variation
that no worker could control. Only changing the system (the share of red beads) changes the
results.

Each draw is modelled as a random (hypergeometric) sample of the paddle's size from the box;
beads are returned and mixed between draws (:mod:`qilab.datasets.red_bead_model`, the model the
``red_beads`` data set is drawn with too, so both have the same six workers). Deming's own
paddles averaged a little under 10 red beads per 50: mechanical sampling is not random
sampling, another lesson of the experiment. The goal of 3 red beads is this app's stand-in for
management's targets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from qilab.datasets import red_bead_model as beads

from qilab.errors import QilabError
from qilab.measure import qic

if TYPE_CHECKING:
    from qilab.measure.result import QicResult

WORKERS = list(beads.WORKERS)
#: Management's goal in this app: "no more than 3 red beads per worker per day".
GOAL = 3


@dataclass
class RedBeadExperiment:
    """The box, the paddle, the workers, and every draw made so far.

    Examples
    --------
    >>> exp = RedBeadExperiment(seed=4)
    >>> for _ in range(4):
    ...     day = exp.run_day()   # that day's draws, one row per worker
    >>> len(exp.draws)        # 6 workers × 4 days
    24
    >>> bool(exp.draws["red"].between(0, 50).all())
    True
    """

    seed: int = 0
    red_share: float = beads.RED_SHARE
    box_size: int = beads.BOX_SIZE
    paddle: int = beads.PADDLE
    workers: list[str] = field(default_factory=lambda: list(WORKERS))

    def __post_init__(self) -> None:
        self.validate(self.red_share, self.paddle, len(self.workers), self.box_size)
        self.rng = np.random.default_rng(self.seed)
        self.draws = pd.DataFrame(
            {
                "order": pd.Series(dtype=int),
                "day": pd.Series(dtype=int),
                "worker": pd.Series(dtype=str),
                "red": pd.Series(dtype=int),
                "n": pd.Series(dtype=int),
                "red_share": pd.Series(dtype=float),
            }
        )
        self.actions: list[dict[str, object]] = []

    @staticmethod
    def validate(
        red_share: float, paddle: int, workers: int, box_size: int = beads.BOX_SIZE
    ) -> None:
        if not 0 <= red_share <= 1:
            raise QilabError("The share of red beads must be between 0 % and 100 % of the box.")
        if paddle < 1:
            raise QilabError("The paddle needs at least 1 hole: choose a paddle size of 1 or more.")
        if paddle > box_size:
            raise QilabError(f"The paddle cannot hold more beads than the box ({box_size}).")
        if workers < 1:
            raise QilabError("At least one willing worker is needed to run a day.")

    @property
    def red_beads(self) -> int:
        """Red beads in the box (the system's defect rate × box size)."""
        return beads.red_in_box(self.red_share, self.box_size)

    @property
    def day(self) -> int:
        return int(self.draws["day"].max()) if len(self.draws) else 0

    def change_system(self, red_share: float) -> None:
        """Management changes the *system*: a new box mix applies from the next day."""
        self.validate(red_share, self.paddle, len(self.workers), self.box_size)
        self.red_share = red_share

    def run_day(self) -> pd.DataFrame:
        """Every worker draws one paddle of beads; return that day's draws."""
        red = beads.draw_day(
            self.rng, self.red_beads, self.box_size, self.paddle, workers=len(self.workers)
        )
        day = self.day + 1
        start = len(self.draws)
        today = pd.DataFrame(
            {
                "order": np.arange(start + 1, start + len(self.workers) + 1),
                "day": day,
                "worker": self.workers,
                "red": red.astype(int),
                "n": self.paddle,
                "red_share": self.red_share,
            }
        )
        self.draws = today if start == 0 else pd.concat([self.draws, today], ignore_index=True)
        return today

    # ------------------------------------------------------------ management
    def _latest(self) -> pd.DataFrame:
        if not len(self.draws):
            raise QilabError("Run a day first: there are no results to judge yet.")
        return self.draws[self.draws["day"] == self.day]

    def reward_best(self) -> str:
        """Give a merit award to today's best worker (fewest red beads). Returns their name."""
        today = self._latest()
        best = str(today.loc[today["red"].idxmin(), "worker"])
        self.actions.append({"day": self.day, "worker": best, "action": "merit award"})
        return best

    def punish_worst(self) -> str:
        """Put today's worst worker (most red beads) on probation. Returns their name."""
        today = self._latest()
        worst = str(today.loc[today["red"].idxmax(), "worker"])
        self.actions.append({"day": self.day, "worker": worst, "action": "probation"})
        return worst

    def action_outcomes(self) -> pd.DataFrame:
        """What happened the day after each award or probation (regression to the mean)."""
        rows = []
        for act in self.actions:
            mine = self.draws[self.draws["worker"] == act["worker"]].set_index("day")["red"]
            before = int(mine.get(act["day"]))
            after = mine.get(int(act["day"]) + 1)  # type: ignore[call-overload]
            rows.append(
                {
                    **act,
                    "red_that_day": before,
                    "red_next_day": None if after is None else int(after),
                    "change": None if after is None else int(after) - before,
                }
            )
        return pd.DataFrame(
            rows, columns=["day", "worker", "action", "red_that_day", "red_next_day", "change"]
        )

    def worker_totals(self) -> pd.DataFrame:
        """Red beads per worker (the 'league table' management loves)."""
        if not len(self.draws):
            return pd.DataFrame(columns=["worker", "total_red", "mean_red"])
        g = self.draws.groupby("worker", sort=False)["red"]
        return pd.DataFrame({"total_red": g.sum(), "mean_red": g.mean()}).reset_index()

    # ------------------------------------------------------------ measurement
    def p_chart(self, freeze: int | None = None) -> QicResult:
        """The p chart of every draw in order (% of red beads per paddle), via qic.

        When management changes the box, the limits stay those of the old system (the baseline
        is frozen at the change, as Provost & Murray advise) and are extended over the new
        days: draws from the new box then stand out against them, while the old days keep the
        limits they had. Limits computed over both systems would flag ordinary old days.
        """
        if len(self.draws) < 2:
            raise QilabError("Run at least one day with two or more workers to draw a p chart.")
        shares = self.draws["red_share"].to_numpy()
        # the number of draws made before the first change of box (qic's freeze is 1-based)
        changes = [i for i in range(1, len(shares)) if shares[i] != shares[i - 1]]
        days = self.draws["day"].to_numpy()
        notes = [f"Day {d}" if i == 0 or days[i - 1] != d else None for i, d in enumerate(days)]
        return qic(
            self.draws["red"].to_numpy(),
            n=self.draws["n"].to_numpy(),
            x=np.arange(1, len(self.draws) + 1),
            chart="p",
            freeze=changes[0] if changes else freeze,
            multiply=100,
            notes=notes,
            target=100 * GOAL / self.paddle,  # in chart units: qic does not multiply it
        )
