"""Winter pressures as a stock-and-flow model (system dynamics) of a hospital's acute beds.

Stocks (people) and flows (people per day), stepped one day at a time from 1 October to
31 March::

    demand ─▶ [waiting in ED for a bed] ─admit─▶ [acute care] ─recover─▶ home
                                                      │
                                                      └─▶ [medically fit, awaiting social care]
                                                                 ─care package─▶ home
    home ··· (delay) ··· readmissions ─▶ demand

Beds hold both acute patients and those awaiting social care (delayed transfers of care), so
when social care cannot keep up, beds fill with people who no longer need them. Two feedback
loops with delays make the 'obvious' fixes disappoint (Sterman, *Business Dynamics*, 2000,
"policy resistance"; Wolstenholme, *System Dynamics Review* 15(3), 1999, on
downstream capacity; Wolstenholme et al., *SDR* 23(4), 2007, "coping but not coping"):

* **Discharge push → readmissions.** Shortening acute stays frees beds today, but patients sent
  home too early come back (after about ten days), sicker and more often needing social care –
  which is the bottleneck – so weeks later the beds are fuller than before.
* **Extra beds → admission threshold.** When beds feel less full, clinicians admit more
  borderline patients ("a built bed is a filled bed", Roemer 1961); the relief fades as
  perceived occupancy catches up (a smoothing delay of about two weeks).

Numbers are illustrative of a medium acute trust, not a forecast.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

import numpy as np
import pandas as pd

from qilab.errors import QilabError

DAYS = 182  # 1 October to 31 March
START = "2025-10-01"


@dataclass(frozen=True)
class WinterPolicy:
    """The levers a hospital and its partners can pull, from ``start_day`` onwards."""

    start_day: int = 30
    extra_beds: int = 0
    extra_care_packages: float = 0.0  # more social care packages started per day
    discharge_push: float = 0.0  # cut in acute length of stay, 0–0.4

    def validate(self) -> None:
        if not 0 <= self.start_day < DAYS:
            raise QilabError(f"The policy must start between day 0 and day {DAYS - 1}.")
        if self.extra_beds < 0:
            raise QilabError("Extra beds cannot be negative: to close beds, lower the bed base.")
        if self.extra_care_packages < 0:
            raise QilabError("Extra social care packages per day cannot be negative.")
        if not 0 <= self.discharge_push <= 0.4:
            raise QilabError("The discharge push (cut in length of stay) must be 0 % – 40 %.")


@dataclass(frozen=True)
class WinterSystem:
    """The hospital and its social care partners before any policy (illustrative numbers)."""

    beds: int = 440
    admissions_per_day: float = 80.0
    winter_surge: float = 0.15  # demand peaks ~ 15 % above autumn in early January
    acute_stay_days: float = 4.5
    social_care_share: float = 0.12  # first admissions needing a care package to go home
    care_packages_per_day: float = 12.0
    readmission_rate: float = 0.08
    readmission_delay_days: int = 10
    readmission_per_push: float = 0.3  # extra readmission rate per unit of discharge push
    readmitted_social_care_share: float = 0.35
    readmitted_stay_factor: float = 1.5
    admission_elasticity: float = 0.8  # Roemer's law: admissions rise as beds feel emptier
    perception_delay_days: float = 14.0
    noise: float = 0.05  # day-to-day variation in demand (coefficient of variation)
    ed_space: float = 40.0  # patients the ED can hold waiting for a bed; more are diverted

    def validate(self) -> None:
        if self.beds < 1:
            raise QilabError("The hospital needs at least 1 bed.")
        if self.admissions_per_day < 0 or not math.isfinite(self.admissions_per_day):
            raise QilabError("Admissions per day cannot be negative.")
        if self.acute_stay_days <= 0:
            raise QilabError("Length of stay must be more than 0 days.")
        if self.ed_space < 0:
            raise QilabError("The space in the ED cannot be negative.")
        if self.care_packages_per_day < 0:
            raise QilabError("Social care packages per day cannot be negative.")
        for name in ("social_care_share", "readmission_rate", "readmitted_social_care_share"):
            if not 0 <= getattr(self, name) <= 1:
                raise QilabError(f"{name.replace('_', ' ').capitalize()} must be 0 % – 100 %.")


def simulate(system: WinterSystem, policy: WinterPolicy, seed: int = 0) -> pd.DataFrame:
    """Run the winter day by day; one row per day with every stock and flow."""
    system.validate()
    policy.validate()
    rng = np.random.default_rng(seed)
    days = np.arange(DAYS)
    season = 1 + system.winter_surge * np.exp(-(((days - 95) / 35.0) ** 2))
    noise = np.exp(rng.normal(0, system.noise, DAYS) - system.noise**2 / 2)
    base_demand = system.admissions_per_day * season * noise

    stay0 = system.acute_stay_days
    # Start near the autumn steady state so the chart does not open with a transient.
    first = system.admissions_per_day
    acute = first * stay0
    readmit_first = first * system.readmission_rate
    acute_re = readmit_first * stay0 * system.readmitted_stay_factor
    delayed = 0.0
    ed_wait = 0.0
    perceived = (acute + acute_re) / system.beds
    pipeline = np.full(DAYS + system.readmission_delay_days + 1, readmit_first)

    cols = {
        k: np.zeros(DAYS)
        for k in (
            "demand",
            "admitted",
            "readmissions",
            "acute",
            "awaiting_care",
            "ed_waiting",
            "beds",
            "occupancy",
            "discharges",
            "care_packages",
            "delayed_to_care",
            "diverted",
        )
    }
    for t in days:
        on = t >= policy.start_day
        beds = system.beds + (policy.extra_beds if on else 0)
        push = policy.discharge_push if on else 0.0
        packages = system.care_packages_per_day + (policy.extra_care_packages if on else 0.0)

        # Discharges happen first (morning board rounds); admissions then fill the free beds.
        stay = stay0 * (1 - push)
        out_first = acute / stay
        out_re = acute_re / (stay * system.readmitted_stay_factor)
        need_care = (
            out_first * system.social_care_share + out_re * system.readmitted_social_care_share
        )
        home = out_first + out_re - need_care
        to_care = min(delayed + need_care, packages)
        acute -= out_first
        acute_re -= out_re
        delayed += need_care - to_care

        threshold = float(np.clip(1 + system.admission_elasticity * (0.90 - perceived), 0.8, 1.25))
        readmits = pipeline[t]
        new_first = base_demand[t] * threshold
        want_first = new_first + ed_wait
        free = max(0.0, beds - acute - acute_re - delayed)
        # Readmissions are emergencies and go first; first admissions fill what is left.
        admit_re = min(readmits, free)
        admit_first = min(want_first, free - admit_re)
        ed_wait = want_first - admit_first + (readmits - admit_re)
        diverted = max(0.0, ed_wait - system.ed_space)
        ed_wait -= diverted
        acute += admit_first
        acute_re += admit_re

        risk = system.readmission_rate + system.readmission_per_push * push
        pipeline[t + system.readmission_delay_days] = risk * (home + to_care)

        occupied = acute + acute_re + delayed
        perceived += (occupied / beds - perceived) / system.perception_delay_days
        for key, value in (
            ("demand", new_first + readmits),
            ("admitted", admit_first + admit_re),
            ("readmissions", readmits),
            ("acute", acute + acute_re),
            ("awaiting_care", delayed),
            ("ed_waiting", ed_wait),
            ("beds", beds),
            ("occupancy", occupied / beds),
            ("discharges", home + to_care),
            ("care_packages", to_care),
            ("delayed_to_care", need_care),
            ("diverted", diverted),
        ):
            cols[key][t] = value
    out = pd.DataFrame(cols)
    out.insert(0, "date", pd.date_range(START, periods=DAYS, freq="D"))
    out.insert(0, "day", days)
    return out


def outcomes(run: pd.DataFrame, from_day: int = 0) -> dict[str, float]:
    """What a board would ask about the winter (from *from_day* on)."""
    r = run[run["day"] >= from_day]
    return {
        "mean_occupancy": float(r["occupancy"].mean()),
        "peak_occupancy": float(r["occupancy"].max()),
        "days_over_95": int((r["occupancy"] >= 0.95).sum()),
        "ed_wait_patient_days": float(r["ed_waiting"].sum()),
        "delayed_bed_days": float(r["awaiting_care"].sum()),
        "readmissions": float(r["readmissions"].sum()),
        "diverted": float(r["diverted"].sum()),
    }


@dataclass
class WinterModel:
    """A system, a policy to try, and the same winter run without the policy for comparison.

    Examples
    --------
    >>> m = WinterModel(seed=1)
    >>> m.set_policy(discharge_push=0.2)
    >>> bool(m.result["occupancy"].max() > 0)
    True
    """

    seed: int = 0
    system: WinterSystem = WinterSystem()
    policy: WinterPolicy = WinterPolicy()

    def __post_init__(self) -> None:
        self.run()

    def run(self) -> None:
        self.baseline = simulate(
            self.system, WinterPolicy(start_day=self.policy.start_day), self.seed
        )
        self.result = simulate(self.system, self.policy, self.seed)

    def set_policy(self, **levers: float) -> None:
        policy = replace(self.policy, **levers)
        policy.validate()
        self.policy = policy
        self.run()

    def set_system(self, **values: float) -> None:
        system = replace(self.system, **values)
        system.validate()
        self.system = system
        self.run()

    def configure(self, system: dict[str, float], policy: dict[str, float]) -> None:
        """Change the system and the policy together (one run, and nothing changes on error)."""
        new_system, new_policy = replace(self.system, **system), replace(self.policy, **policy)
        new_system.validate()
        new_policy.validate()
        self.system, self.policy = new_system, new_policy
        self.run()

    def comparison(self) -> pd.DataFrame:
        """Baseline vs policy outcomes from the day the policy starts."""
        start = self.policy.start_day
        base, pol = outcomes(self.baseline, start), outcomes(self.result, start)
        return pd.DataFrame({"no_action": base, "policy": pol})

    def policy_dict(self) -> dict[str, float]:
        return asdict(self.policy)
