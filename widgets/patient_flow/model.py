"""Patient flow through an emergency department: demand, capacity, variation and utilisation.

Patients arrive at random (a Poisson process, optionally with the usual daily pattern: quiet at
4 am, busiest around midday), see a triage nurse, are treated by a clinician in a cubicle, and
about a third wait for a bed on the acute medical unit. Each stage is a first-come-first-served
queue with several servers (G/G/c). Three ideas from queueing theory and systems thinking show:

* **Utilisation** ``ρ = demand × time per patient / servers``. Waits grow slowly at first and
  then explode as ρ approaches 100 %: Kingman's formula for one server,
  ``Wq ≈ ρ/(1−ρ) × (ca² + cs²)/2 × service time`` (Kingman 1961), and its many-server form
  (Sakasegawa 1977), which the app draws as the "queueing curve".
* **Little's law** ``L = λW`` (Little 1961): the average number of patients in the department
  equals the arrival rate times the average time each spends there – for any stable system.
* **Bottlenecks**: the busiest stage sets the pace. Add capacity there and the constraint moves
  to the next-busiest stage (Goldratt's theory of constraints).

The simulation is discrete-event but needs no event list: a FCFS multi-server queue is solved
in one pass over patients in arrival order with a heap of server-free times, so one simulated
week (≈ 1,700 patients, 3 stages) takes a few milliseconds. Treatment is not blocked by a lack
of beds (admitted patients wait for a bed in a separate queue; in reality they often keep their
cubicle – "exit block" – which makes things worse than shown).
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from qilab.errors import QilabError

HOURS_PER_WEEK = 168.0
#: The NHS four-hour standard: patients should leave the ED within 4 hours of arrival.
FOUR_HOURS = 4.0
STATIONS = ("Triage", "Treatment", "Ward bed")


@dataclass(frozen=True)
class FlowConfig:
    """Demand and capacity of the department. Times are in minutes, except bed stays (hours)."""

    arrivals_per_hour: float = 10.0
    triage_nurses: int = 2
    triage_minutes: float = 10.0
    clinicians: int = 16
    treatment_minutes: float = 90.0
    admitted_share: float = 0.30
    beds: int = 52
    bed_hours: float = 16.0
    variation: float = 1.0  # coefficient of variation of job times (1 = exponential)
    daily_pattern: bool = False
    weeks: float = 1.0
    warm_up_days: float = 2.0

    def validate(self) -> None:
        """Raise :class:`QilabError` with a plain message for values that make no sense."""
        if not math.isfinite(self.arrivals_per_hour) or self.arrivals_per_hour <= 0:
            raise QilabError(
                "Arrivals per hour must be more than 0 (a rate cannot be negative or zero)."
            )
        for label, value in (
            ("triage nurses", self.triage_nurses),
            ("clinicians (treatment cubicles)", self.clinicians),
            ("ward beds", self.beds),
        ):
            if value < 1:
                raise QilabError(
                    f"The number of {label} must be at least 1: with no capacity nobody is ever "
                    "seen and the queue grows for ever."
                )
        for label, value in (
            ("Triage time", self.triage_minutes),
            ("Treatment time", self.treatment_minutes),
            ("Time in a ward bed", self.bed_hours),
        ):
            if not math.isfinite(value) or value <= 0:
                raise QilabError(f"{label} must be more than 0.")
        if not 0 <= self.admitted_share <= 1:
            raise QilabError("The share of patients admitted must be between 0 % and 100 %.")
        if not 0 < self.variation <= 3:
            raise QilabError("Variation in job times must be between 0 and 3 (1 = typical).")
        if not 0 < self.weeks <= 52:
            raise QilabError("Simulate between a few hours and 52 weeks.")

    # hours per patient and arrival rate (per hour) at each stage
    def loads(self) -> pd.DataFrame:
        lam = self.arrivals_per_hour
        rows = [
            ("Triage", lam, self.triage_minutes / 60, self.triage_nurses),
            ("Treatment", lam, self.treatment_minutes / 60, self.clinicians),
            ("Ward bed", lam * self.admitted_share, self.bed_hours, self.beds),
        ]
        df = pd.DataFrame(rows, columns=["station", "arrivals_per_hour", "hours_each", "servers"])
        df["utilisation"] = df["arrivals_per_hour"] * df["hours_each"] / df["servers"]
        return df


def kingman_wait(
    rho: np.ndarray | float, servers: int, hours_each: float, ca2: float = 1.0, cs2: float = 1.0
) -> np.ndarray:
    """Approximate mean wait (hours) in a G/G/c queue: Kingman (c = 1) / Sakasegawa (c > 1).

    ``Wq ≈ ρ^(√(2(c+1)) − 1) / (c (1 − ρ)) × (ca² + cs²)/2 × service time``; infinite at ρ ≥ 1.
    """
    rho = np.asarray(rho, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = rho ** (math.sqrt(2 * (servers + 1)) - 1) / (servers * (1 - rho))
        w = w * (ca2 + cs2) / 2 * hours_each
    return np.where(rho < 1, w, np.inf)


def _job_times(rng: np.random.Generator, mean: float, cv: float, size: int) -> np.ndarray:
    """Gamma-distributed job times with the given mean and coefficient of variation."""
    shape = 1.0 / cv**2
    return rng.gamma(shape, mean / shape, size=size)


def _arrivals(rng: np.random.Generator, rate: float, hours: float, pattern: bool) -> np.ndarray:
    """Arrival times (hours) of a Poisson process; with *pattern*, by thinning a daily cycle."""
    peak = rate * (1.6 if pattern else 1.0)
    n = rng.poisson(peak * hours)
    t = np.sort(rng.uniform(0, hours, size=n))
    if pattern:
        # Quietest about 04:00, busiest about 16:00; the daily mean stays at `rate`.
        relative = 1 + 0.6 * np.sin(2 * np.pi * (t % 24 - 10) / 24)
        t = t[rng.uniform(0, 1.6, size=n) < relative]
    return t


def fcfs(arrive: np.ndarray, service: np.ndarray, servers: int) -> tuple[np.ndarray, np.ndarray]:
    """Start and end times at a first-come-first-served queue with *servers* identical servers."""
    order = np.argsort(arrive, kind="stable")
    start = np.empty_like(arrive)
    free = [0.0] * servers
    arr = arrive.tolist()
    svc = service.tolist()
    out = start  # local alias for speed
    pop, push = heapq.heappop, heapq.heappush
    for i in order.tolist():
        a = arr[i]
        f = pop(free)
        s = a if a > f else f
        out[i] = s
        push(free, s + svc[i])
    return start, start + service


@dataclass
class FlowResult:
    """One simulated run: a row per patient and a row per station."""

    config: FlowConfig
    patients: pd.DataFrame
    stations: pd.DataFrame
    queues: pd.DataFrame  # hourly number waiting at each station
    window: tuple[float, float]

    @property
    def bottleneck(self) -> str:
        """The stage with the highest demand ÷ capacity: it limits the whole department's flow."""
        s = self.stations
        return str(s.loc[s["planned_utilisation"].idxmax(), "station"])

    def littles_law(self) -> dict[str, float]:
        """L (time-average number in the department) against λW, over the observed window."""
        p = self.patients
        t0, t1 = self.window
        span = t1 - t0
        overlap = (np.minimum(p["leave_ed"], t1) - np.maximum(p["arrive"], t0)).clip(lower=0)
        L = float(overlap.sum() / span)
        inside = p[(p["arrive"] >= t0) & (p["arrive"] < t1)]
        lam = len(inside) / span
        W = float(inside["time_in_ed"].mean()) if len(inside) else float("nan")
        return {"L": L, "lambda": lam, "W": W, "lambda_W": lam * W}

    def four_hour_share(self) -> float:
        """Share of patients (arriving in the window) who left the ED within four hours."""
        t0, t1 = self.window
        inside = self.patients[(self.patients["arrive"] >= t0) & (self.patients["arrive"] < t1)]
        return float((inside["time_in_ed"] <= FOUR_HOURS).mean()) if len(inside) else float("nan")


def simulate(config: FlowConfig, seed: int = 0) -> FlowResult:
    """Simulate the department for ``config.weeks`` weeks after a warm-up (results exclude it)."""
    config.validate()
    rng = np.random.default_rng(seed)
    warm = config.warm_up_days * 24
    hours = warm + config.weeks * HOURS_PER_WEEK
    cv = config.variation
    arrive = _arrivals(rng, config.arrivals_per_hour, hours, config.daily_pattern)
    n = len(arrive)
    tri_s, tri_e = fcfs(
        arrive, _job_times(rng, config.triage_minutes / 60, cv, n), config.triage_nurses
    )
    trt_s, trt_e = fcfs(
        tri_e, _job_times(rng, config.treatment_minutes / 60, cv, n), config.clinicians
    )
    admitted = rng.uniform(size=n) < config.admitted_share
    bed_arrive = trt_e[admitted]
    bed_s, bed_e = fcfs(
        bed_arrive, _job_times(rng, config.bed_hours, cv, int(admitted.sum())), config.beds
    )
    bed_start = np.full(n, np.nan)
    bed_start[admitted] = bed_s
    leave_ed = np.where(admitted, bed_start, trt_e)
    patients = pd.DataFrame(
        {
            "arrive": arrive,
            "triage_start": tri_s,
            "triage_end": tri_e,
            "treatment_start": trt_s,
            "treatment_end": trt_e,
            "admitted": admitted,
            "bed_start": bed_start,
            "leave_ed": leave_ed,
            "time_in_ed": leave_ed - arrive,
        }
    )
    window = (warm, hours)
    loads = config.loads()
    stage_times = [
        (arrive, tri_s, tri_e, config.triage_nurses),
        (tri_e, trt_s, trt_e, config.clinicians),
        (bed_arrive, bed_s, bed_e, config.beds),
    ]
    rows, queues = [], {}
    grid = np.arange(warm, hours + 1e-9, 1.0)
    for name, (a, s, e, c) in zip(STATIONS, stage_times, strict=True):
        busy = (np.minimum(e, hours) - np.maximum(s, warm)).clip(min=0).sum()
        in_window = (a >= warm) & (a < hours)
        wait = (s - a)[in_window]
        queues[name] = np.searchsorted(np.sort(a), grid, side="right") - np.searchsorted(
            np.sort(s), grid, side="right"
        )
        rows.append(
            {
                "station": name,
                "servers": c,
                "utilisation": busy / (c * (hours - warm)),
                "planned_utilisation": float(
                    loads.loc[loads["station"] == name, "utilisation"].iloc[0]
                ),
                "mean_wait_min": float(wait.mean() * 60) if len(wait) else 0.0,
                "p95_wait_min": float(np.percentile(wait, 95) * 60) if len(wait) else 0.0,
                "max_queue": int(queues[name].max()) if len(grid) else 0,
                "patients": int(in_window.sum()),
            }
        )
    q = pd.DataFrame(queues)
    q.insert(0, "hour", grid - warm)
    queue_long = q.melt(id_vars="hour", var_name="station", value_name="waiting")
    return FlowResult(config, patients, pd.DataFrame(rows), queue_long, window)


def with_capacity(config: FlowConfig, **changes: float) -> FlowConfig:
    """A copy of *config* with some values changed (e.g. ``clinicians=20``)."""
    return replace(config, **changes)
