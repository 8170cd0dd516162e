"""Gallery thumbnails: a small, static SVG sparkline of each case's headline measure.

Drawn from the case's own synthetic data set (see ``thumbnail:`` in ``cases.yaml``), so the
picture always matches the story, needs no browser or JavaScript, and works offline. Points
before the change are grey and after it in the improvement colour, with the baseline median as
a dashed line: the shape of a run chart at a glance.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

from qilab import datasets
from qilab.theme import COLOURS

from .catalogue import Case, CaseIndexError, Thumbnail

WIDTH, HEIGHT, PAD = 240, 96, 8


def series(spec: Thumbnail) -> pd.DataFrame:
    """The thumbnail's points: columns ``x`` (sorted) and ``y``.

    Examples
    --------
    >>> from qilab.cases.catalogue import Thumbnail
    >>> s = series(Thumbnail("ward_falls", x="month", y="falls", n="occupied_bed_days"))
    >>> list(s.columns), bool(s["x"].is_monotonic_increasing)
    (['x', 'y'], True)

    Survey answers: the share of each month's questionnaires giving one answer.

    >>> s = series(Thumbnail("patient_experience", x="month", y="asked_what_matters",
    ...                      where={"ward": "Cedar Ward"}, equals="Yes"))
    >>> round(float(s["y"].iloc[-1]), 2)    # 15 of 21 in March 2025
    0.71
    """
    data = datasets.load(spec.dataset)
    missing = [c for c in (spec.x, spec.y, spec.n, *spec.where) if c and c not in data.columns]
    if missing:
        raise CaseIndexError(
            f"thumbnail of data set '{spec.dataset}' names column(s) {', '.join(missing)} that it "
            f"does not have: use one of {', '.join(data.columns)}."
        )
    for column, value in spec.where.items():
        data = data[data[column].astype(str) == value]
    if data.empty:
        raise CaseIndexError(
            f"thumbnail of data set '{spec.dataset}': no rows match {spec.where}: check the values."
        )
    if spec.equals is not None:
        data = _share_answering(data, spec)
    elif not pd.api.types.is_numeric_dtype(data[spec.y]):
        raise CaseIndexError(
            f"thumbnail of data set '{spec.dataset}': column {spec.y} holds answers, not numbers: "
            f"add `equals:` naming the answer to count (e.g. equals: "
            f'"{_answers(data, spec.y)[0]}").'
        )
    grouped = data.groupby(spec.x, observed=True, sort=True)
    y = grouped[spec.y].sum() / grouped[spec.n].sum() if spec.n else grouped[spec.y].mean()
    return pd.DataFrame({"x": y.index, "y": y.to_numpy(dtype=float)}).reset_index(drop=True)


def _answers(data: pd.DataFrame, column: str) -> list[str]:
    return [str(v) for v in pd.unique(data[column].dropna())]


def _share_answering(data: pd.DataFrame, spec: Thumbnail) -> pd.DataFrame:
    """*data* with ``y`` replaced by 1 where it is the answer ``equals``, 0 for other answers
    (blank answers dropped), so the mean per ``x`` is the share giving that answer."""
    answers = _answers(data, spec.y)
    if spec.equals not in answers:
        raise CaseIndexError(
            f"thumbnail of data set '{spec.dataset}': no row has {spec.y} equal to "
            f"'{spec.equals}': use one of {', '.join(repr(a) for a in answers)}."
        )
    if spec.n:
        raise CaseIndexError(
            f"thumbnail of data set '{spec.dataset}': give `equals:` or `n:`, not both "
            "(with `equals:` each row counts once)."
        )
    data = data[data[spec.y].notna()]
    return data.assign(**{spec.y: (data[spec.y].astype(str) == spec.equals).astype(float)})


def _scale(values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    span = float(values.max() - values.min()) or 1.0
    return lo + (values - values.min()) / span * (hi - lo)


def sparkline_svg(points: pd.DataFrame, change: str | None, label: str) -> str:
    """An accessible SVG sparkline of *points* (``x``, ``y``), split at *change*."""
    ys = points["y"].to_numpy(dtype=float)
    n = len(ys)
    if n < 2 or not np.isfinite(ys).all():
        raise CaseIndexError(f"thumbnail '{label}' needs at least two finite points to draw.")
    xs = _scale(np.arange(n, dtype=float), PAD, WIDTH - PAD)
    # SVG's y axis points down: high values near the top.
    lo_hi = np.array([ys.min(), ys.max()])
    py = HEIGHT - PAD - (ys - lo_hi[0]) / (float(np.ptp(lo_hi)) or 1.0) * (HEIGHT - 2 * PAD)
    after = np.zeros(n, dtype=bool)
    if change:
        after = (pd.to_datetime(points["x"]) >= pd.Timestamp(change)).to_numpy()
    baseline = ys[~after] if (~after).any() else ys
    median = float(np.median(baseline))
    my = HEIGHT - PAD - (median - lo_hi[0]) / (float(np.ptp(lo_hi)) or 1.0) * (HEIGHT - 2 * PAD)
    path = " ".join(
        f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}"
        for i, (x, y) in enumerate(zip(xs, py, strict=True))
    )
    dots = "".join(
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="1.8" '
        f'fill="{COLOURS["improvement"] if a else COLOURS["limit"]}"/>'
        for x, y, a in zip(xs, py, after, strict=True)
    )
    title = html.escape(label)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="qilab-thumbnail" role="img" '
        f'width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'aria-label="{title}"><title>{title}</title>'
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#F4F8FB" rx="4"/>'
        f'<line x1="{PAD}" x2="{WIDTH - PAD}" y1="{my:.1f}" y2="{my:.1f}" '
        f'stroke="{COLOURS["centre"]}" stroke-dasharray="4 3" stroke-width="1"/>'
        f'<path d="{path}" fill="none" stroke="{COLOURS["limit"]}" stroke-width="1"/>'
        f"{dots}</svg>"
    )


def thumbnail_svg(case: Case) -> str:
    """The gallery thumbnail of *case* as an SVG string (a few kilobytes)."""
    spec = case.thumbnail
    label = f"Sparkline of the headline measure of '{case.title}' (synthetic data)"
    return sparkline_svg(series(spec), spec.change, label)
