"""Centre lines and limits for count data: P, P′, C, U, U′ and G charts.

Formulas follow qicharts2 0.8.1 (R/helper.functions.R): binomial limits for proportions,
Poisson limits for counts and rates (Montgomery 7.17, 7.19), Laney's prime charts for large
denominators (Laney 2002; moving ranges of z-scores, screened as qicharts2 ≥ 0.7.4 does), and the
geometric G chart with the median as centre line (Provost & Murray, *The Health Care Data Guide*).
Lower limits below 0 are set to 0, and P-chart upper limits above 1 to 1, as qicharts2 does.
"""

from __future__ import annotations

import numpy as np

from .limits import (
    PartInput,
    PartLimits,
    clip_lower,
    clip_upper,
    full,
    given_cl,
    limits_from_sd,
    nanmean,
    nanmedian,
    nansum,
    screened_mean_mr,
)
from .limits_variables import D2


def _overall_rate(part: PartInput) -> np.ndarray:
    """Σ numerators / Σ denominators over the baseline (not the mean of the ratios)."""
    cl = given_cl(part)
    if cl is None:
        b = part.base
        den = nansum(part.n[b])
        cl = full(part, nansum(part.y_sum[b]) / den if den else np.nan)
    return cl


def _laney_sigma_z(part: PartInput, cl: np.ndarray, stdev: np.ndarray) -> float:
    """Between-subgroup inflation factor σ_z of Laney's prime charts."""
    b = part.base
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (part.y[b] - cl[b]) / stdev[b]
    if part.categorical:  # qicharts2: sd(z) for categorical subgroups (funnel plots)
        return float(np.std(z, ddof=1)) if z.size > 1 else float("nan")
    return screened_mean_mr(np.abs(np.diff(z)), part.screen_mr) / D2


def _proportion_limits(cl: np.ndarray, stdev: np.ndarray) -> tuple[np.ndarray, ...]:
    lcl, ucl, lcl_95, ucl_95 = limits_from_sd(cl, stdev)
    return clip_lower(lcl), clip_upper(ucl), clip_lower(lcl_95), clip_upper(ucl_95)


def _count_limits(cl: np.ndarray, stdev: np.ndarray) -> tuple[np.ndarray, ...]:
    lcl, ucl, lcl_95, ucl_95 = limits_from_sd(cl, stdev)
    return clip_lower(lcl), ucl, clip_lower(lcl_95), ucl_95


def _binomial_sd(cl: np.ndarray, n: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.sqrt(cl * (1 - cl) / n)


def _poisson_rate_sd(cl: np.ndarray, n: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.sqrt(cl / n)


def p(part: PartInput) -> PartLimits:
    """P chart: p̄ ± 3 √(p̄(1−p̄)/nᵢ), limits clipped to [0, 1]."""
    cl = _overall_rate(part)
    return PartLimits(part.y, cl, *_proportion_limits(cl, _binomial_sd(cl, part.n)))


def pp(part: PartInput) -> PartLimits:
    """Laney P′ chart: the P chart's σ inflated by σ_z for over-dispersed large samples."""
    cl = _overall_rate(part)
    stdev = _binomial_sd(cl, part.n)
    stdev = stdev * _laney_sigma_z(part, cl, stdev)
    return PartLimits(part.y, cl, *_proportion_limits(cl, stdev))


def c(part: PartInput) -> PartLimits:
    """C chart: c̄ ± 3 √c̄ (Montgomery 7.17); y is the count per subgroup."""
    y = part.y_sum.copy()
    cl = given_cl(part)
    if cl is None:
        cl = full(part, nanmean(y[part.base]))
    with np.errstate(invalid="ignore"):
        stdev = np.sqrt(cl)
    return PartLimits(y, cl, *_count_limits(cl, stdev))


def u(part: PartInput) -> PartLimits:
    """U chart: ū ± 3 √(ū/nᵢ) (Montgomery 7.19)."""
    cl = _overall_rate(part)
    return PartLimits(part.y, cl, *_count_limits(cl, _poisson_rate_sd(cl, part.n)))


def up(part: PartInput) -> PartLimits:
    """Laney U′ chart: the U chart's σ inflated by σ_z."""
    cl = _overall_rate(part)
    stdev = _poisson_rate_sd(cl, part.n)
    stdev = stdev * _laney_sigma_z(part, cl, stdev)
    return PartLimits(part.y, cl, *_count_limits(cl, stdev))


def g(part: PartInput) -> PartLimits:
    """G chart (cases between events): limits from the geometric mean, centre line the median.

    σ = √(ḡ(ḡ+1)) around the mean ḡ (Montgomery p. 319); the plotted centre line is then the
    median of the baseline, or 0.693 × a user-given centre line (the theoretical median).
    """
    y = part.y
    cl_user = given_cl(part)
    mean = cl_user if cl_user is not None else full(part, nanmean(y[part.base]))
    with np.errstate(invalid="ignore"):
        stdev = np.sqrt(mean * (mean + 1))
    lcl, ucl, lcl_95, ucl_95 = limits_from_sd(mean, stdev)
    lcl = np.where(lcl < 0, 0.0, lcl)
    lcl_95 = np.where(lcl_95 < 0, 0.0, lcl_95)
    cl = full(part, nanmedian(y[part.base])) if cl_user is None else 0.693 * cl_user
    return PartLimits(y, cl, lcl, ucl, lcl_95, ucl_95)
