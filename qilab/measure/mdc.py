"""NHS England *Making Data Count* (MDC) rules for XmR charts, as NHSRplotthedots implements them.

Process limits are mean ± 2.66 × mean moving range; by default moving ranges above 3.267 × their
mean are screened out first (``screen_outliers=True``, NHSRplotthedots' default;
``screen_outliers=False`` reproduces the MDC Excel tool). Each point is then labelled by the
first rule it meets, in this order of precedence (NHSRplotthedots ``ptd_special_cause_type``):

1. a point beyond a process limit;
2. part of a trend of 7 points (6 consecutive rises or falls; a tie breaks it);
3. part of 2 of 3 points beyond 2σ (⅔ of the way to a limit) on the same side of the mean;
4. part of a run of 7 points on one side of the mean (a point on the mean breaks the run).

With an improvement direction ("up"/"down") a special cause is *improvement* or *concern*;
without one it is *neutral* high or low. The **variation icon** comes from the last point's
label and the **assurance icon** from the target against the last process limits.

Sources: NHS England & Improvement, *Making Data Count* (2019) and *Strengthening your
decisions* (2021); NHSRplotthedots 0.2.x (R/ptd_spc_standard.R, R/ptd_calculate_point_type.R,
R/ptd_calculate_assurance_type.R).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .limits import nanmean, r_mean

#: MDC uses 2.66 (≈ 3 / 1.128) exactly, not qicharts2's 3 / 1.128 = 2.6596…
LIMIT = 2.66
NEAR_LIMIT = 2 * (LIMIT / 3)
SCREEN = 3.267
RUN = 7  # points on one side of the mean
TREND = 7  # points, i.e. 6 consecutive rises or falls

#: The rule labels ``res.data["mdc_rule"]`` holds (NHSRplotthedots' wording), defined once:
#: the explorer and lessons read them from here, so a label can never be misspelt elsewhere.
ABOVE_UCL = "Above UCL"
BELOW_LCL = "Below LCL"
RUN_ABOVE = "7 Points Above CL"
RUN_BELOW = "7 Points Below CL"
TREND_UP = "7 Point Trend (Increasing)"
TREND_DOWN = "7 Point Trend (Decreasing)"
TWO_ABOVE = "2 in 3 Above CL"
TWO_BELOW = "2 in 3 Below CL"
COMMON_RULE = "Common Cause"

#: Plain-language name of each special-cause rule label, in the order the explorer lists them.
RULE_NAMES: dict[str, str] = {
    ABOVE_UCL: "Point above the upper process limit",
    BELOW_LCL: "Point below the lower process limit",
    RUN_ABOVE: "Run of 7 points above the mean",
    RUN_BELOW: "Run of 7 points below the mean",
    TREND_UP: "Trend of 7 points going up",
    TREND_DOWN: "Trend of 7 points going down",
    TWO_ABOVE: "2 of 3 points close to the upper limit",
    TWO_BELOW: "2 of 3 points close to the lower limit",
}

COMMON = "common_cause"
IMPROVEMENT = "special_cause_improvement"
CONCERN = "special_cause_concern"
NEUTRAL_HIGH = "special_cause_neutral_high"
NEUTRAL_LOW = "special_cause_neutral_low"

#: Plain-language names of the variation icons.
VARIATION_TEXT: dict[str, str] = {
    COMMON: "common cause variation",
    IMPROVEMENT: "special cause variation of an improving nature",
    CONCERN: "special cause variation of a concerning nature",
    NEUTRAL_HIGH: "special cause variation (higher than expected)",
    NEUTRAL_LOW: "special cause variation (lower than expected)",
}

#: Plain-language names of the assurance icons.
ASSURANCE_TEXT: dict[str, str] = {
    "consistent_pass": "the process will consistently meet the target",
    "consistent_fail": "the process will consistently fail the target",
    "inconsistent": "the process will inconsistently meet the target (it lies within the limits)",
}


def direction(improvement: str | int | None) -> int:
    """+1 when higher is better, −1 when lower is better, 0 when neither (neutral)."""
    if improvement is None:
        return 0
    if isinstance(improvement, (int, np.integer)) and improvement in (-1, 0, 1):
        return int(improvement)
    key = str(improvement).strip().lower()
    table = {"up": 1, "increase": 1, "higher": 1, "down": -1, "decrease": -1, "lower": -1}
    if key in ("neutral", "none", ""):
        return 0
    if key not in table:
        from ._validate import fail

        raise fail(
            f"improvement={improvement!r} is not a direction. Use 'up' (higher is better), "
            f"'down' (lower is better) or None."
        )
    return table[key]


@dataclass
class MdcLimits:
    """Process limits of one part (scalars)."""

    mean: float
    lpl: float
    upl: float
    nlpl: float
    nupl: float


def limits(y: np.ndarray, base: np.ndarray, screen_outliers: bool = True) -> MdcLimits:
    """Mean and process limits from the baseline points (NHSRplotthedots ``ptd_spc_standard``)."""
    fix_y = y[base]
    mean = nanmean(fix_y)
    mr = np.abs(np.diff(fix_y))
    mr = mr[~np.isnan(mr)]
    amr = r_mean(mr)
    if screen_outliers and mr.size:
        amr = r_mean(mr[mr < SCREEN * amr])
    return MdcLimits(
        mean=mean,
        lpl=mean - LIMIT * amr,
        upl=mean + LIMIT * amr,
        nlpl=mean - NEAR_LIMIT * amr,
        nupl=mean + NEAR_LIMIT * amr,
    )


def _count_in_run(values: np.ndarray) -> np.ndarray:
    """1, 2, 3 … position of each element within its run of equal values."""
    size = values.size
    if size == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.concatenate(([True], values[1:] != values[:-1]))
    start_idx = np.maximum.accumulate(np.where(starts, np.arange(size), 0))
    return np.arange(size) - start_idx + 1


def _part_of(flags: np.ndarray, width: int) -> np.ndarray:
    """True where this point or one of the next ``width − 1`` completes a pattern."""
    csum = np.concatenate(([0], np.cumsum(flags != 0)))
    idx = np.arange(flags.size)
    stop = np.minimum(idx + width, flags.size)
    return (csum[stop] - csum[idx]) > 0


def seven_one_side(rtm: np.ndarray) -> np.ndarray:
    """Last point of each run of ≥ 7 on one side of the mean (a point on the mean breaks it)."""
    return (_count_in_run(rtm) >= RUN) & (rtm != 0)


def seven_point_trend(y: np.ndarray) -> np.ndarray:
    """+1/−1 at the last point of 6 consecutive rises/falls (ties and gaps break a trend)."""
    out = np.zeros(y.size)
    if y.size < TREND:
        return out
    with np.errstate(invalid="ignore"):
        steps = np.sign(np.diff(y))
    steps = np.where(np.isnan(steps), 0, steps)
    long = (_count_in_run(steps) >= TREND - 1) & (steps != 0)
    out[1:] = np.where(long, steps, 0)
    return out


def two_in_three(close: np.ndarray, rtm: np.ndarray) -> np.ndarray:
    """Points in a window of 3 with ≥ 2 near a limit and all 3 on the same side of the mean."""
    size = close.size
    if size == 0:
        return np.zeros(0, dtype=bool)
    c = np.concatenate(([0, 0], close.astype(int), [0, 0]))
    r = np.concatenate(([0, 0], rtm, [0, 0]))
    win = (c[:-2] + c[1:-1] + c[2:] >= 2) & (np.abs(r[:-2] + r[1:-1] + r[2:]) == 3)
    # window k covers padded positions k..k+2, i.e. points k−2..k; point i is in windows i..i+2
    hit = win[:size] | win[1 : size + 1] | win[2 : size + 2]
    return hit & close


def classify(y: np.ndarray, lim: MdcLimits, improvement: int) -> tuple[np.ndarray, np.ndarray]:
    """Rule met by each point (precedence as MDC) and its MDC point type."""
    with np.errstate(invalid="ignore"):
        rtm = np.sign(y - lim.mean)
    rtm = np.where(np.isnan(rtm), 0.0, rtm)
    outside = (y > lim.upl) | (y < lim.lpl)
    close = ~outside & ((y < lim.nlpl) | (y > lim.nupl))

    trend = seven_point_trend(y)
    part_trend = _part_of(trend, TREND)
    part_two = two_in_three(close, rtm)
    part_run = _part_of(seven_one_side(rtm).astype(float), RUN)

    with np.errstate(invalid="ignore"):
        sdy = np.sign(np.diff(y))
    sdy = np.where(np.isnan(sdy), 0, sdy)
    if y.size > 1:
        right = np.concatenate((sdy, sdy[-1:]))  # direction to the next point
        left = np.concatenate(([0], sdy))  # direction from the previous point
        nxt = np.concatenate((part_trend[1:], [False]))
        sdy = np.where(nxt & part_trend, right, left)
    else:
        sdy = np.zeros(y.size)

    high = rtm > 0
    rule = np.full(y.size, COMMON_RULE, dtype=object)
    run_text = np.where(high, RUN_ABOVE, RUN_BELOW)
    two_text = np.where(high, TWO_ABOVE, TWO_BELOW)
    trend_text = np.where(sdy == 1, TREND_UP, TREND_DOWN)
    limit_text = np.where(rtm == 1, ABOVE_UCL, BELOW_LCL)
    rule = np.where(part_run, run_text, rule)
    rule = np.where(part_two, two_text, rule)
    rule = np.where(part_trend, trend_text, rule)
    rule = np.where(outside, limit_text, rule).astype(object)

    sign = np.zeros(y.size)
    text = rule.astype(str)
    sign[np.char.find(text, "Above") >= 0] = 1
    sign[np.char.find(text, "Increasing") >= 0] = 1
    sign[np.char.find(text, "Below") >= 0] = -1
    sign[np.char.find(text, "Decreasing") >= 0] = -1
    if improvement == 0:
        kind = np.where(sign > 0, NEUTRAL_HIGH, np.where(sign < 0, NEUTRAL_LOW, COMMON))
    else:
        oriented = sign * improvement
        kind = np.where(oriented > 0, IMPROVEMENT, np.where(oriented < 0, CONCERN, COMMON))
    return rule, kind.astype(object)


def assurance(target: float | None, lpl: float, upl: float, improvement: int) -> str | None:
    """Assurance icon: where the target sits against the latest process limits."""
    if target is None or np.isnan(target) or improvement == 0:
        return None
    increasing = improvement > 0
    if target > upl:
        return "consistent_fail" if increasing else "consistent_pass"
    if target < lpl:
        return "consistent_pass" if increasing else "consistent_fail"
    return "inconsistent"
