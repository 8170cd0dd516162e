"""A process you design, charted with the rules QI teams use, and the truth to check them by.

Learners choose a process (its level and noise), build in a special cause (a shift, a trend
or a single outlier) at a point of their choosing, pick a chart and a rule set, and see which
rules fire and why. Because the learner *knows* what is really there, every signal is either a
true alarm or a false one, and every silence either right or a missed signal – the two
mistakes Shewhart charts balance (Shewhart 1931; Provost & Murray, *The Health Care Data
Guide*, 2011).

All chart statistics come from :func:`qilab.measure.qic` (Anhøj; IHI run-chart rules or,
on control charts, Provost & Murray's rules; Making Data Count); this module only generates
data and turns the results into plain words.

The random draws are made once per seed as uniform numbers and transformed to the chosen
distribution, so changing the pattern or its size keeps the same "luck": a learner sees the
*same* process with and without a shift.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import stats

from qilab.errors import QilabError
from qilab.measure import control_rules, qic, rulesets, runs
from qilab.measure import mdc as mdc_rules
from qilab.measure.result import QicResult

CHARTS: dict[str, str] = {
    "run": "Run chart (median, runs rules only)",
    "i": "I chart (XmR: individual values)",
    "mr": "MR chart (moving ranges)",
    "c": "C chart (counts, e.g. falls per week)",
    "p": "P chart (percentages, e.g. % screened)",
}
PATTERNS: dict[str, str] = {
    "none": "No special cause (a stable process)",
    "shift": "A shift: the level changes and stays changed",
    "trend": "A trend: the level drifts steadily",
    "outlier": "An outlier: one unusual point",
}
METHOD_NAMES: dict[str, str] = {
    "anhoej": "Anhøj rules (qicharts2 default)",
    "ihi": "IHI rules (run chart) / Provost & Murray (control chart)",
    "mdc": "Making Data Count (NHS England)",
}
#: Charts on which Making Data Count rules apply (the rule set's own list: XmR and run charts).
MDC_CHARTS: tuple[str, ...] = rulesets.RULE_SETS[rulesets.MDC].charts or tuple(CHARTS)


@functools.cache
def available_methods() -> tuple[str, ...]:
    """The rule sets :func:`qic` accepts here, found by asking it (the explorer offers these)."""
    probe = np.array([5.0, 6, 5, 7, 6, 5, 6, 7, 5, 6, 5, 7, 6, 5])
    found = []
    for method in METHOD_NAMES:
        try:
            qic(probe, chart="i", method=method)
        except (ValueError, TypeError, NotImplementedError):
            continue
        found.append(method)
    return tuple(found)


@dataclass(frozen=True)
class ProcessSettings:
    """What the learner controls. ``at`` is the 1-based point where the special cause starts."""

    n_points: int = 30
    level: float = 50.0  # the mean (for P charts: the % of patients)
    noise: float = 5.0  # standard deviation (I, MR and run charts only)
    pattern: str = "shift"
    at: int = 20
    size: float = 2.0  # in standard deviations of the process
    chart: str = "i"
    method: str = "anhoej"
    freeze: int | None = None  # baseline length, None for no baseline
    denominator: int = 100  # patients per point (P charts)

    def validate(self) -> None:
        if not 8 <= self.n_points <= 500:
            raise QilabError("Choose between 8 and 500 points: fewer cannot show a pattern.")
        if self.chart not in CHARTS:
            raise QilabError(f"Unknown chart '{self.chart}': choose one of {', '.join(CHARTS)}.")
        if self.pattern not in PATTERNS:
            raise QilabError(f"Unknown pattern '{self.pattern}'.")
        if not np.isfinite(self.noise) or self.noise < 0:
            raise QilabError("Noise is a standard deviation: it cannot be negative.")
        if self.chart == "p" and not 0 < self.level < 100:
            raise QilabError("For a P chart the level is a percentage: choose between 1 and 99.")
        if self.chart == "c" and self.level <= 0:
            raise QilabError("For a C chart the level is an average count: it must be above 0.")
        if self.denominator < 1:
            raise QilabError("Each point needs at least 1 patient in its denominator.")
        if self.pattern != "none" and not 1 <= self.at <= self.n_points:
            raise QilabError(
                f"The special cause must start between point 1 and point {self.n_points}."
            )
        if self.freeze is not None and not 2 <= self.freeze <= self.n_points:
            raise QilabError(f"The baseline must be between 2 and {self.n_points} points long.")
        if self.method == "mdc" and self.chart not in MDC_CHARTS:
            raise QilabError(
                "Making Data Count rules are defined for XmR (I) charts: choose the I chart, or "
                "another rule set."
            )


def sd_of(settings: ProcessSettings) -> float:
    """One standard deviation of the process, in the units of the chart."""
    if settings.chart == "c":
        return float(np.sqrt(settings.level))
    if settings.chart == "p":
        p = settings.level / 100
        return float(100 * np.sqrt(p * (1 - p) / settings.denominator))
    return float(settings.noise)


def true_mean(settings: ProcessSettings) -> np.ndarray:
    """The process mean at each point, special cause included (what the chart should find)."""
    n, at = settings.n_points, settings.at
    mean = np.full(n, float(settings.level))
    delta = settings.size * sd_of(settings)
    i = np.arange(1, n + 1)
    if settings.pattern == "shift":
        mean[i >= at] += delta
    elif settings.pattern == "trend":
        span = max(n - at, 1)
        mean += delta * np.clip((i - at) / span, 0, None) * (i >= at)
    elif settings.pattern == "outlier":
        mean[i == at] += delta
    return mean


def generate(settings: ProcessSettings, seed: int = 0) -> pd.DataFrame:
    """One realisation of the process: ``x, y, n, mean, special`` (special: truly changed)."""
    settings.validate()
    rng = np.random.default_rng(seed)
    u = rng.uniform(1e-9, 1 - 1e-9, size=500)[: settings.n_points]
    mean = true_mean(settings)
    n = np.full(settings.n_points, settings.denominator)
    if settings.chart == "c":
        y = stats.poisson.ppf(u, np.clip(mean, 0.01, None))
    elif settings.chart == "p":
        p = np.clip(mean / 100, 0.001, 0.999)
        y = stats.binom.ppf(u, n, p)
    else:
        y = mean + settings.noise * stats.norm.ppf(u)
    return pd.DataFrame(
        {
            "x": np.arange(1, settings.n_points + 1),
            "y": y.astype(float),
            "n": n,
            "mean": mean,
            "special": mean != settings.level,
        }
    )


@dataclass
class Explorer:
    """The process, its chart and the verdict, recomputed whenever a setting changes.

    Examples
    --------
    >>> ex = Explorer(seed=3)
    >>> ex.update(pattern="shift", at=15, size=3)
    >>> ex.result.signal
    True
    >>> ex.verdict()[0]
    'true alarm'
    """

    seed: int = 0
    settings: ProcessSettings = ProcessSettings()

    def __post_init__(self) -> None:
        self.recompute()

    def update(self, **changes: object) -> None:
        """Change some settings and recompute; on bad values nothing changes."""
        new = replace(self.settings, **changes)  # type: ignore[arg-type]
        new.validate()
        old = self.settings
        self.settings = new
        try:
            self.recompute()
        except Exception:
            self.settings = old
            raise

    def recompute(self) -> None:
        s = self.settings
        self.data = generate(s, self.seed)
        kwargs: dict[str, object] = {"chart": s.chart, "method": s.method, "freeze": s.freeze}
        if s.chart == "p":
            kwargs.update(n=self.data["n"].to_numpy(), multiply=100)
        notes: list[str | None] = [None] * s.n_points
        if s.pattern != "none":
            notes[s.at - 1] = {
                "shift": "shift starts",
                "trend": "trend starts",
                "outlier": "outlier",
            }[s.pattern]
        y = self.data["y"].to_numpy()
        try:
            self.result: QicResult = qic(y, notes=notes, **kwargs)  # type: ignore[arg-type]
        except ValueError as err:
            raise QilabError(str(err)) from None

    # ----------------------------------------------------------- explanations
    def rules_table(self) -> pd.DataFrame:
        """Each rule, whether it fired, and the numbers behind it (one row per rule)."""
        d, summ = self.result.data, self.result.summary
        rows: list[dict[str, object]] = []
        has_limits = bool(d["ucl"].notna().any())
        rule_set = self.result.rule_set
        if rule_set == rulesets.MDC:
            counts = d["mdc_rule"].dropna().value_counts() if "mdc_rule" in d else pd.Series()
            for rule, name in mdc_rules.RULE_NAMES.items():  # the engine's labels, not copies
                hits = int(counts.get(rule, 0))
                rows.append(
                    {
                        "rule": name,
                        "fired": hits > 0,
                        "detail": f"{hits} point{'s' if hits != 1 else ''} flagged",
                    }
                )
            return pd.DataFrame(rows)
        if has_limits:
            out = int(d["sigma_signal"].sum())
            rows.append(
                {
                    "rule": "Point outside the control limits",
                    "fired": out > 0,
                    "detail": f"{out} point{'s' if out != 1 else ''} outside "
                    f"{_fmt(summ['a_lcl'].iloc[-1])}–{_fmt(summ['a_ucl'].iloc[-1])}",
                }
            )
        for part in summ.itertuples():
            label = "" if len(summ) == 1 else f" (part {part.part})"
            if rule_set == rulesets.PROVOST_MURRAY:
                rows += _provost_murray_rows(part._asdict(), label)
            elif rule_set == rulesets.IHI_RUN:
                rows += [
                    {
                        "rule": f"Shift: {runs.IHI_SHIFT} or more points on one side{label}",
                        "fired": bool(part.shift),
                        "detail": f"longest run {part.longest_run}",
                    },
                    {
                        "rule": f"Trend: {runs.IHI_TREND} or more points going one way{label}",
                        "fired": bool(part.trend),
                        "detail": f"longest trend {part.longest_trend}",
                    },
                    {
                        "rule": f"Too few or too many runs{label}",
                        "fired": bool(part.too_few_runs or part.too_many_runs),
                        "detail": (
                            f"{part.n_runs} runs; {part.n_runs_min}–{part.n_runs_max} expected"
                        ),
                    },
                ]
            else:
                rows += [
                    {
                        "rule": f"Unusually long run on one side{label}",
                        "fired": bool(part.longest_run > part.longest_run_max),
                        "detail": f"longest run {part.longest_run}; more than "
                        f"{part.longest_run_max} is unusual",
                    },
                    {
                        "rule": f"Unusually few crossings of the centre line{label}",
                        "fired": bool(part.n_crossings < part.n_crossings_min),
                        "detail": f"{part.n_crossings} crossings; fewer than "
                        f"{part.n_crossings_min} is unusual",
                    },
                ]
        return pd.DataFrame(rows)

    def signal_points(self) -> list[int]:
        d = self.result.data
        flags = d["sigma_signal"].fillna(False).astype(bool) | d["runs_signal"].fillna(False)
        return [int(x) for x in d.loc[flags.astype(bool), "x"]]

    def detected(self) -> bool:
        """Did any rule fire (anywhere on the chart)?"""
        if self.result.rule_set == rulesets.MDC:
            return bool((self.result.data["point_type"] != "common_cause").any())
        return bool(self.rules_table()["fired"].any())

    def verdict(self) -> tuple[str, str]:
        """('true alarm' | 'false alarm' | 'missed signal' | 'correctly quiet', explanation)."""
        s = self.settings
        fired = self.detected()
        real = s.pattern != "none" and s.size != 0
        where = f"from point {s.at}" if s.pattern != "outlier" else f"at point {s.at}"
        built = (
            f"You built in {PATTERNS[s.pattern].split(':')[0].lower()} of "
            f"{s.size:+g} standard deviations {where}."
        )
        if real and fired:
            return "true alarm", built + " The chart found a signal: a true alarm."
        if real:
            return "missed signal", built + (
                " No rule fired: the change is real but too small or too short to tell from "
                "noise yet. More points, a bigger change, or a frozen baseline help."
            )
        if fired:
            return "false alarm", (
                "The process is stable (you built in no special cause), yet a rule fired: a "
                "false alarm. Each rule set accepts a small chance of this (about 1 chart in 20 "
                "for the Anhøj rules); reacting to it would be tampering."
            )
        return "correctly quiet", (
            "The process is stable and no rule fired: only common-cause variation. Improving "
            "it means changing the system, not reacting to single points."
        )

    def explanations(self) -> list[str]:
        """Plain-words explanation of each rule that fired."""
        out = []
        for row in self.rules_table().itertuples():
            if row.fired:
                out.append(f"{row.rule}: {row.detail}. {_why(str(row.rule))}")
        return out


def _fmt(v: float) -> str:
    return f"{v:.3g}" if np.isfinite(v) else "–"


def _provost_murray_rows(part: dict[str, object], label: str) -> list[dict[str, object]]:
    """Rules 2–5 of Provost & Murray for one part, worded from the engine's definitions."""
    text = control_rules.RULE_TEXT

    def count(key: str) -> str:
        value = part[key]
        return "–" if value is None or pd.isna(value) else str(int(value))  # type: ignore[call-overload]

    rows: list[dict[str, object]] = [
        {
            "rule": f"Shift: {text['shift']}{label}",
            "fired": bool(part["shift"]),
            "detail": f"longest run {count('longest_run')}",
        },
        {
            "rule": f"Trend: {text['trend']}{label}",
            "fired": bool(part["trend"]),
            "detail": f"longest trend {count('longest_trend')}",
        },
    ]
    if not pd.isna(part["two_of_three"]):  # type: ignore[call-overload]
        rows += [
            {
                "rule": f"Near a limit: {text['two_of_three']}{label}",
                "fired": bool(part["two_of_three"]),
                "detail": f"{count('two_of_three_points')} points flagged",
            },
            {
                "rule": f"Hugging the centre line: {text['inner_third']}{label}",
                "fired": bool(part["inner_third"]),
                "detail": f"longest run within 1σ {count('longest_inner_run')}",
            },
        ]
    return rows


def _why(rule: str) -> str:
    r = rule.lower()
    if "hugging" in r:
        return (
            "Points staying this close to the centre line vary less than the limits expect: "
            "often the limits came from mixed data or are out of date."
        )
    if "close to" in r or "near a limit" in r:
        return "Two of three points near a limit is unlikely if nothing has changed."
    if "outside" in r or "limit" in r:
        return "Points this far from the centre line are very unlikely by chance alone."
    if "trend" in r:
        return "Random points rarely keep going the same way this long."
    if "too few or too many runs" in r:
        return (
            "Too few runs mean the points stay on one side too long (a shift); too many "
            "mean they zig-zag more than chance would (over-adjustment or mixed data)."
        )
    if "crossing" in r:
        return "Few crossings mean the points stay on one side too long: a sign of a shift."
    if "run" in r or "shift" in r or "one side" in r:
        return "A random process switches sides often; a long run suggests the level has moved."
    return ""
