"""Centre lines and limits for measurement data: run, I, MR, T, Xbar and S charts.

Formulas follow qicharts2 0.8.1 (R/helper.functions.R) line by line so results agree with the
package health-care analysts already trust; references are Montgomery, *Introduction to
Statistical Quality Control* (equation numbers as cited in qicharts2) and Provost & Murray,
*The Health Care Data Guide* (2011).
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln

from .limits import (
    PartInput,
    PartLimits,
    full,
    given_cl,
    limits_from_sd,
    nanmean,
    nanmedian,
    nansum,
    screened_mean_mr,
)

#: d2 for moving ranges of two: σ̂ = mean moving range / 1.128 (Montgomery 6.33).
D2 = 1.128
#: Upper limit for a moving range of two (D4), as qicharts2 uses it.
D4 = 3.267
#: The T chart transforms times between events by y^(1/3.6) to near-normality (Nelson 1994).
T_POWER = 3.6


def _nan_small(n: np.ndarray) -> np.ndarray:
    n = np.asarray(n, dtype=float).copy()
    n[n <= 1] = np.nan
    return n


def c4(n: np.ndarray) -> np.ndarray:
    """Bias correction of the sample SD, exact via log-gamma (qicharts2 ``c4``)."""
    n = _nan_small(n)
    return np.sqrt(2 / (n - 1)) * np.exp(gammaln(n / 2) - gammaln((n - 1) / 2))


def c5(n: np.ndarray) -> np.ndarray:
    """SD of the sample SD in σ units: sqrt(1 − c4²)."""
    return np.sqrt(1 - c4(n) ** 2)


def a3(n: np.ndarray, sigma: float = 3) -> np.ndarray:
    """Xbar limit factor from the mean SD: 3 / (c4 √n)."""
    n = _nan_small(n)
    return sigma / (c4(n) * np.sqrt(n))


def b3(n: np.ndarray, sigma: float = 3) -> np.ndarray:
    """S chart lower factor: max(0, 1 − 3 c5 / c4)."""
    return np.maximum(0, 1 - sigma * c5(n) / c4(n))  # R pmax keeps NA


def b4(n: np.ndarray, sigma: float = 3) -> np.ndarray:
    """S chart upper factor: 1 + 3 c5 / c4."""
    return 1 + sigma * c5(n) / c4(n)


def run(part: PartInput) -> PartLimits:
    """Run chart: the median of the baseline; no limits."""
    cl = given_cl(part)
    if cl is None:
        cl = full(part, nanmedian(part.y[part.base]))
    nan = full(part, np.nan)
    return PartLimits(part.y, cl, nan, nan.copy(), nan.copy(), nan.copy())


def _individuals(y: np.ndarray, part: PartInput) -> tuple[np.ndarray, float]:
    """Mean and σ̂ from the (screened) average moving range of the baseline points."""
    cl = given_cl(part)
    if cl is None:
        cl = full(part, nanmean(y[part.base]))
    mr = np.abs(np.diff(y[part.base] - cl[part.base]))
    amr = screened_mean_mr(mr, part.screen_mr)
    return cl, amr / D2


def i(part: PartInput) -> PartLimits:
    """I (individuals, XmR) chart: mean ± 3 × MR̄ / 1.128."""
    cl, stdev = _individuals(part.y, part)
    return PartLimits(part.y, cl, *limits_from_sd(cl, stdev))


def mr(part: PartInput) -> PartLimits:
    """Moving-range chart: MR̄ with an upper limit of 3.267 × MR̄ (lower limit 0)."""
    y = np.concatenate([[np.nan], np.abs(np.diff(part.y))])
    cl = given_cl(part)
    if cl is None:
        cl = full(part, nanmean(y[part.base]))
    zero = full(part, 0.0)
    return PartLimits(y, cl, zero, D4 * cl, zero.copy(), (D4 / 3) * 2 * cl)


def t(part: PartInput) -> PartLimits:
    """T chart (time between rare events): an I chart of y^(1/3.6), back-transformed."""
    with np.errstate(invalid="ignore"):
        ty = part.y ** (1 / T_POWER)
    cl, stdev = _individuals(ty, part)
    lcl, ucl, lcl_95, ucl_95 = limits_from_sd(cl, stdev)
    with np.errstate(invalid="ignore"):
        back = [np.power(v, T_POWER) for v in (cl, lcl, ucl, lcl_95, ucl_95)]
    cl, lcl, ucl, lcl_95, ucl_95 = back
    lcl = np.where(np.isnan(lcl) | (lcl < 0), 0.0, lcl)  # R: lcl[lcl < 0 | is.nan(lcl)] <- 0
    return PartLimits(part.y.copy(), cl, lcl, ucl, lcl_95, ucl_95)


def _pooled_sd(part: PartInput) -> float:
    """Pooled SD, Montgomery 6.31: sqrt(Σ(nᵢ−1)sᵢ² / Σ(nᵢ−1)), as qicharts2 sums them."""
    b = part.base
    num = nansum((part.y_length[b] - 1) * part.y_sd[b] ** 2)
    den = nansum(part.y_length[b] - 1)
    return float(np.sqrt(num / den)) if den else float("nan")


def _variable_n(part: PartInput) -> bool:
    return len(np.unique(part.y_length)) > 1


def xbar(part: PartInput) -> PartLimits:
    """Xbar chart: grand mean ± A3 × s̄ (or pooled SD when subgroup sizes vary)."""
    b = part.base
    cl = given_cl(part)
    if cl is None:
        num = nansum(part.y_length[b] * part.y_mean[b])
        den = nansum(part.y_length[b])
        cl = full(part, num / den if den else np.nan)
    stdev = _pooled_sd(part) if _variable_n(part) else nanmean(part.y_sd[b])
    factor, factor_95 = a3(part.y_length), a3(part.y_length, sigma=2)
    return PartLimits(
        part.y,
        cl,
        cl - factor * stdev,
        cl + factor * stdev,
        cl - factor_95 * stdev,
        cl + factor_95 * stdev,
    )


def s(part: PartInput) -> PartLimits:
    """S chart: s̄ (or pooled SD) with limits B3 × s̄ and B4 × s̄."""
    b = part.base
    y = part.y_sd.copy()
    cl = given_cl(part)
    if cl is None:
        cl = full(part, _pooled_sd(part) if _variable_n(part) else nanmean(part.y_sd[b]))
    n = part.y_length
    return PartLimits(
        y,
        cl,
        b3(n) * cl,
        b4(n) * cl,
        b3(n, sigma=2) * cl,
        b4(n, sigma=2) * cl,
    )


__all__ = ["a3", "b3", "b4", "c4", "c5", "i", "mr", "run", "s", "t", "xbar"]
