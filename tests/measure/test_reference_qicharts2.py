"""Every entry of ../shared/reference/qicharts2/reference_outputs.json, reproduced by ``qic()``.

The JSON holds what qicharts2 0.8.1 returned (``return.data = TRUE``) for calls on its bundled
data sets; numbers must agree to 1e-9 relative, flags and counts exactly.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from qilab.measure import qic

NUMERIC = ["y", "n", "cl", "lcl", "ucl"]
EXACT = ["sigma.signal", "runs.signal", "longest.run", "longest.run.max", "n.crossings",
         "n.crossings.min", "part"]  # fmt: skip


def _read(folder: Path, name: str, **kw: Any) -> pd.DataFrame:
    return pd.read_csv(folder / f"{name}.csv", **kw)


def _call(key: str, folder: Path):
    if key.startswith("nhs_accidents"):
        d = _read(folder, "nhs_accidents")
        if key.endswith("_i"):
            return qic("r", x="i", data=d, chart="i")
        if key.endswith("_p"):
            return qic("r", n="n", x="i", data=d, chart="p")
        return qic("r", x="i", data=d, chart="run")
    if key.startswith("hospital_infections_BOH"):
        d = _read(folder, "hospital_infections", parse_dates=["month"])
        d = d[d.hospital == "BOH"]
        if key.endswith("_u"):
            return qic("n", n="days", x="month", data=d, chart="u", multiply=10000)
        return qic("n", x="month", data=d, chart="c")
    if key == "cdi_run_freeze24":
        d = _read(folder, "cdi", parse_dates=["month"])
        return qic("n", x="month", data=d, freeze=24)
    if key == "cdi_u_part24":
        d = _read(folder, "cdi", parse_dates=["month"])
        return qic("n", n="days", x="month", data=d, chart="u", part=24, multiply=10000)
    raise KeyError(key)


def _x_text(value: Any) -> str:
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    return str(value)


KEYS = [
    "nhs_accidents_i",
    "nhs_accidents_p",
    "nhs_accidents_run",
    "hospital_infections_BOH_u",
    "hospital_infections_BOH_c",
    "cdi_run_freeze24",
    "cdi_u_part24",
]


def test_every_reference_key_is_covered(qicharts2_reference: dict) -> None:
    assert sorted(qicharts2_reference) == sorted(KEYS)


@pytest.mark.parametrize("key", KEYS)
def test_matches_qicharts2(key: str, qicharts2_dir: Path, qicharts2_reference: dict) -> None:
    expected = pd.DataFrame(qicharts2_reference[key])
    got = _call(key, qicharts2_dir).data
    assert len(got) == len(expected)
    assert [_x_text(v) for v in got["x"]] == [str(v) for v in expected["x"]]
    for col in NUMERIC:
        for i, (a, b) in enumerate(zip(got[col], expected[col], strict=True)):
            if b is None or (isinstance(b, float) and math.isnan(b)):
                assert pd.isna(a), f"{key} {col}[{i}]: expected missing, got {a}"
            else:
                assert a == pytest.approx(b, rel=1e-9, abs=1e-12), f"{key} {col}[{i}]"
    for col in EXACT:
        ours = got[col.replace(".", "_")].tolist()
        theirs = expected[col].tolist()
        ours = [None if pd.isna(v) else (bool(v) if isinstance(v, bool) else int(v)) for v in ours]
        assert ours == theirs, f"{key} {col}"


def test_dates_read_as_text_still_match(qicharts2_dir: Path, qicharts2_reference: dict) -> None:
    """A CSV read without parse_dates gives ISO text; it is charted as dates, as in R."""
    d = _read(qicharts2_dir, "cdi")  # month stays text
    got = qic("n", n="days", x="month", data=d, chart="u", part=24, multiply=10000).data
    expected = pd.DataFrame(qicharts2_reference["cdi_u_part24"])
    assert got["ucl"].to_numpy() == pytest.approx(expected["ucl"].to_numpy(), rel=1e-9)
    assert got["runs_signal"].tolist() == expected["runs.signal"].tolist()
    assert [_x_text(v) for v in got["x"]] == expected["x"].tolist()


def test_summary_matches_qicharts2_summary(qicharts2_dir: Path, qicharts2_reference: dict) -> None:
    """summary.qic: one row per part with average limits (aLCL, CL, aUCL)."""
    expected = pd.DataFrame(qicharts2_reference["cdi_u_part24"])
    res = _call("cdi_u_part24", qicharts2_dir)
    for part, row in res.summary.set_index("part").iterrows():
        sub = expected[expected["part"] == part]
        assert row["a_lcl"] == pytest.approx(sub["lcl"].mean(), rel=1e-9)
        assert row["cl"] == pytest.approx(sub["cl"].mean(), rel=1e-9)
        assert row["a_ucl"] == pytest.approx(sub["ucl"].mean(), rel=1e-9)
        assert row["sigma_signal"] == int(sub["sigma.signal"].sum())
        assert row["longest_run"] == sub["longest.run"].iloc[0]
