"""Benchmark the measurement engine: ``.venv/bin/python benchmarks/measure.py``.

Times (best of a few repeats, ``time.perf_counter``) an I chart with full runs analysis (Anhøj
and IHI) at 10⁴, 10⁵ and 10⁶ points, a P chart with 10⁵ subgroups, and building the Altair spec
of a 10⁴-point chart (which must not hit Altair's 5 000-row limit). Target: the 10⁶-point I chart
in under 1 s.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from qilab.measure import qic

REPEATS = 3
TARGET_SECONDS = 1.0


def best_of(func: Callable[[], object], repeats: int = REPEATS) -> tuple[float, object]:
    """Fastest wall time of ``repeats`` runs, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> int:
    rng = np.random.default_rng(2024)
    rows: list[tuple[str, str, float, str]] = []

    qic(rng.normal(size=100), chart="i")  # warm up imports and caches
    for size in (10**4, 10**5, 10**6):
        y = rng.normal(100, 10, size)
        seconds, res = best_of(lambda y=y: qic(y, chart="i"))
        note = f"{int(res.data['sigma_signal'].sum())} points beyond limits"
        if size == 10**6:
            note += " (target < 1 s: " + ("met" if seconds < TARGET_SECONDS else "MISSED") + ")"
        rows.append(("I chart, Anhøj runs", f"{size:,}", seconds, note))
        if size == 10**6:
            seconds, res = best_of(lambda y=y: qic(y, chart="i", method="ihi"))
            rows.append(("I chart, IHI rules", f"{size:,}", seconds, "shift/trend/runs"))

    n = rng.integers(50, 500, 10**5).astype(float)
    y = rng.binomial(n.astype(int), 0.2).astype(float)
    seconds, res = best_of(lambda: qic(y, n=n, chart="p"))
    rows.append(("P chart", f"{len(n):,} subgroups", seconds, f"cl = {res.data['cl'].iloc[0]:.4f}"))

    import altair as alt

    y = rng.normal(size=10**4)
    res = qic(y, chart="i")

    def build() -> dict:
        return res.chart().to_dict()

    try:
        seconds, spec = best_of(build)
        data = spec["datasets"][spec["data"]["name"]] if "name" in spec["data"] else None
        points = len(data) if data is not None else len(spec["data"]["values"])
        ok = f"ok: {points:,} rows, no MaxRowsError"
    except alt.MaxRowsError as err:  # pragma: no cover - the failure this guards against
        seconds, ok = float("nan"), f"FAILED: {err}"
    rows.append(("Chart spec (to_dict)", "10,000", seconds, ok))

    width = max(len(r[0]) for r in rows)
    print(f"{'benchmark':<{width}}  {'size':>18}  {'seconds':>9}  result")
    print(f"{'-' * width}  {'-' * 18}  {'-' * 9}  {'-' * 40}")
    for name, size, secs, note in rows:
        print(f"{name:<{width}}  {size:>18}  {secs:>9.3f}  {note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
