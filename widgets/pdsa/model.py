"""A simulated ward to practise Plan–Do–Study–Act cycles on.

The Model for Improvement (Langley et al., *The Improvement Guide*, 2nd ed., 2009) asks three
questions – what are we trying to accomplish (aim), how will we know a change is an improvement
(measure), what changes can we make (ideas) – and tests changes in PDSA cycles: **Plan** (with
a prediction), **Do** (run the test), **Study** (compare the result with the prediction),
**Act** (adopt, adapt or abandon). Cycles build into a ramp of tests of increasing scale.

The simulated process is a daily percentage (e.g. discharge summaries completed before the
patient leaves). Each change idea has a true effect the learner does not know: drawn once per
seed from a distribution (some ideas help a lot, some barely, a few make things worse), it
takes a few days to bed in, and some effects fade unless the change is built into the system.
An effect closes a fraction of the gap to 100 %, so gains get harder near the ceiling. Daily
results are binomial, so small, short tests are noisy – one reason to predict and to study
results on a run chart rather than before/after averages.
"""

from __future__ import annotations

import io
import math
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from qilab.errors import QilabError


@dataclass(frozen=True)
class ChangeIdea:
    name: str
    mean_effect: float  # share of the gap to 100 % closed, on average
    uncertainty: float  # SD of the true effect across seeds
    delay_days: int = 0  # days before the change starts to work
    fade_days: float | None = None  # half-life of the effect unless adopted (None: lasting)


@dataclass(frozen=True)
class Scenario:
    measure: str
    unit: str
    baseline: float  # share of patients with the desired outcome, 0–1
    patients_per_day: int
    ideas: tuple[ChangeIdea, ...]


SCENARIOS: dict[str, Scenario] = {
    "discharge": Scenario(
        measure="Discharge summaries completed before the patient leaves",
        unit="% of discharges",
        baseline=0.55,
        patients_per_day=20,
        ideas=(
            ChangeIdea("Start the summary on the post-take ward round", 0.35, 0.15, 1),
            ChangeIdea("09:00 board round flags tomorrow's discharges", 0.25, 0.12, 3),
            ChangeIdea("Pharmacist prepares take-home medicines the day before", 0.20, 0.10, 2),
            ChangeIdea("Auto-filled electronic summary template", 0.30, 0.25, 5),
            ChangeIdea("Reminder poster in the doctors' office", 0.05, 0.05, 0, fade_days=5),
        ),
    ),
    "sepsis": Scenario(
        measure="Patients with suspected sepsis given antibiotics within 1 hour",
        unit="% of patients",
        baseline=0.62,
        patients_per_day=6,
        ideas=(
            ChangeIdea("Sepsis grab bag with antibiotics in resus", 0.30, 0.12, 1),
            ChangeIdea("Nurses give first dose under a patient group direction", 0.45, 0.15, 7),
            ChangeIdea("Sepsis screening prompt at triage", 0.25, 0.15, 2),
            ChangeIdea(
                "Bleep the registrar for every red-flag patient", 0.10, 0.20, 0, fade_days=10
            ),
            ChangeIdea("Teaching session for the medical team", 0.15, 0.10, 0, fade_days=7),
        ),
    ),
}

DECISIONS = ("adopt", "adapt", "abandon")
#: How much an 'adapt' improves the fit of an idea to the ward (multiplies its effect).
ADAPT_GAIN = 1.25


@dataclass
class Cycle:
    number: int
    idea: str
    prediction: float  # predicted average %, 0–100
    days: int
    start_day: int
    end_day: int
    plan_note: str = ""
    observed: float = math.nan
    baseline_median: float = math.nan
    decision: str = ""
    act_note: str = ""


@dataclass
class PDSASimulator:
    """A ward process, a set of change ideas with hidden effects, and the PDSA log.

    Examples
    --------
    >>> sim = PDSASimulator(seed=2)
    >>> planned = sim.plan("Start the summary on the post-take ward round", prediction=65, days=7)
    >>> planned.number, planned.days
    (1, 7)
    >>> cycle = sim.do()
    >>> cycle.observed > 0
    True
    >>> decided = sim.act("adapt", "Try it on both teams")
    >>> sim.log()["decision"].tolist()
    ['adapt']
    """

    seed: int = 0
    scenario: str = "discharge"
    aim: str = ""
    target: float | None = None  # % the aim is aiming for
    baseline_days: int = 28
    cycles: list[Cycle] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.scenario not in SCENARIOS:
            raise QilabError(
                f"Unknown ward process '{self.scenario}': choose from {', '.join(SCENARIOS)}."
            )
        self.spec = SCENARIOS[self.scenario]
        self.rng = np.random.default_rng(self.seed)
        # The true effect of each idea on this ward (hidden from the learner).
        self.true_effect = {
            i.name: float(np.clip(self.rng.normal(i.mean_effect, i.uncertainty), -0.2, 0.9))
            for i in self.spec.ideas
        }
        self.strength = {i.name: 1.0 for i in self.spec.ideas}
        self.adopted: dict[str, int] = {}  # idea -> day its test started
        self.pending: Cycle | None = None
        self.awaiting_decision: Cycle | None = None
        self.data = pd.DataFrame(columns=["day", "n", "y", "percent", "cycle"])
        self._simulate_days(self.baseline_days, test=None)

    # ----------------------------------------------------------- the process
    @property
    def ideas(self) -> list[str]:
        return [i.name for i in self.spec.ideas]

    @property
    def day(self) -> int:
        return len(self.data)

    def _idea(self, name: str) -> ChangeIdea:
        for i in self.spec.ideas:
            if i.name == name:
                return i
        raise QilabError(f"'{name}' is not one of this ward's change ideas.")

    def _effect(self, name: str, since_start: np.ndarray, lasting: bool) -> np.ndarray:
        """Share of the gap closed by idea *name*, on days *since_start* its test began."""
        idea = self._idea(name)
        on = since_start >= idea.delay_days
        eff = self.true_effect[name] * self.strength[name] * on
        if idea.fade_days and not lasting:
            age = np.clip(since_start - idea.delay_days, 0, None)
            eff = eff * 0.5 ** (age / idea.fade_days)
        return eff

    def _simulate_days(self, days: int, test: str | None, cycle: int = 0) -> pd.DataFrame:
        day = np.arange(self.day, self.day + days)
        kept = np.ones(days)  # fraction of the gap still open
        for name, started in self.adopted.items():
            if name != test:
                kept *= 1 - self._effect(name, day - started, lasting=True)
        if test is not None:
            kept *= 1 - self._effect(test, day - day[0], lasting=False)
        p = np.clip(1 - (1 - self.spec.baseline) * kept, 0.001, 0.999)
        n = self.rng.poisson(self.spec.patients_per_day, size=days).clip(min=1)
        y = self.rng.binomial(n, p)
        new = pd.DataFrame({"day": day + 1, "n": n, "y": y, "percent": 100 * y / n, "cycle": cycle})
        self.data = new if self.data.empty else pd.concat([self.data, new], ignore_index=True)
        return new

    def baseline_median(self) -> float:
        """Median of the days before the current cycle with no test running (the baseline)."""
        base = self.data[self.data["cycle"] == 0]
        return float(base["percent"].median())

    # ----------------------------------------------------------------- PDSA
    def plan(self, idea: str, prediction: float, days: int = 7, note: str = "") -> Cycle:
        """Plan a test: which idea, for how many days, and what you predict will happen."""
        if self.awaiting_decision is not None:
            raise QilabError(
                f"Finish cycle {self.awaiting_decision.number} first: decide whether to adopt, "
                "adapt or abandon its change (the Act step)."
            )
        self._idea(idea)
        try:
            prediction = float(prediction)
        except (TypeError, ValueError):
            prediction = math.nan
        if not 0 <= prediction <= 100:
            raise QilabError("Predict the average result as a percentage between 0 and 100.")
        if not 1 <= days <= 60:
            raise QilabError("A test should run for between 1 and 60 days.")
        number = len(self.cycles) + 1
        self.pending = Cycle(
            number,
            idea,
            float(prediction),
            int(days),
            self.day + 1,
            self.day + int(days),
            note.strip(),
        )
        return self.pending

    def do(self) -> Cycle:
        """Run the planned test on the simulated ward, then study it against the prediction."""
        if self.pending is None:
            if self.awaiting_decision is not None:
                raise QilabError(
                    "Decide what to do with the last test (adopt, adapt or "
                    "abandon) before running another."
                )
            raise QilabError("Plan the test first: choose a change idea and make a prediction.")
        c = self.pending
        c.baseline_median = self.baseline_median()
        c.start_day = self.day + 1
        new = self._simulate_days(c.days, c.idea, cycle=c.number)
        c.end_day = self.day
        c.observed = float(100 * new["y"].sum() / new["n"].sum())
        self.cycles.append(c)
        self.pending = None
        self.awaiting_decision = c
        return c

    def act(self, decision: str, note: str = "") -> Cycle:
        """Adopt (keep the change), adapt (refine and test again) or abandon it."""
        decision = decision.lower().strip()
        if decision not in DECISIONS:
            raise QilabError("Act by choosing adopt, adapt or abandon.")
        c = self.awaiting_decision
        if c is None:
            raise QilabError("There is no tested change waiting for a decision: run a cycle first.")
        c.decision, c.act_note = decision, note.strip()
        if decision == "adopt":
            self.adopted[c.idea] = c.start_day - 1
        elif decision == "adapt":
            self.strength[c.idea] = min(self.strength[c.idea] * ADAPT_GAIN, 2.0)
        else:
            self.adopted.pop(c.idea, None)
        self.awaiting_decision = None
        return c

    def continue_without_test(self, days: int = 7) -> None:
        """Let time pass with only adopted changes running (to see whether gains hold)."""
        if self.awaiting_decision is not None:
            raise QilabError("Decide on the last test (Act) before moving on.")
        if not 1 <= days <= 60:
            raise QilabError("Move on between 1 and 60 days.")
        self._simulate_days(days, None, cycle=-1)

    # --------------------------------------------------------------- the log
    def log(self) -> pd.DataFrame:
        """The PDSA log: one row per cycle (the record a team keeps and a tutor grades)."""
        rows = []
        for c in self.cycles:
            d = asdict(c)
            d["difference_from_prediction"] = c.observed - c.prediction
            rows.append(d)
        cols = [
            "number",
            "idea",
            "plan_note",
            "prediction",
            "days",
            "start_day",
            "end_day",
            "baseline_median",
            "observed",
            "difference_from_prediction",
            "decision",
            "act_note",
        ]
        return pd.DataFrame(rows, columns=cols)

    def to_csv(self) -> str:
        buf = io.StringIO()
        self.log().to_csv(buf, index=False, float_format="%.1f")
        return buf.getvalue()

    def to_markdown(self) -> str:
        head = [
            "# PDSA log",
            "",
            f"**Aim:** {self.aim or '(not set)'}"
            + (f" (target {self.target:g} %)" if self.target is not None else ""),
            f"**Measure:** {self.spec.measure} ({self.spec.unit})",
            "",
            "| Cycle | Change idea | Plan / prediction | Days | Result | Act |",
            "|---|---|---|---|---|---|",
        ]
        for c in self.cycles:
            plan = f"Predict {c.prediction:.0f} %" + (
                f". {_md(c.plan_note)}" if c.plan_note else ""
            )
            result = f"{c.observed:.1f} % (baseline median {c.baseline_median:.1f} %)"
            act = (c.decision.capitalize() or "(pending)") + (
                f": {_md(c.act_note)}" if c.act_note else ""
            )
            head.append(
                f"| {c.number} | {_md(c.idea)} | {plan} | {c.start_day}–{c.end_day} "
                f"({c.days}) | {result} | {act} |"
            )
        return "\n".join(head) + "\n"

    def annotations(self) -> list[str | None]:
        """Per-day notes for the run chart: the first day of each cycle is labelled."""
        notes: list[str | None] = [None] * self.day
        for c in self.cycles:
            notes[c.start_day - 1] = f"PDSA {c.number}"
        return notes


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
