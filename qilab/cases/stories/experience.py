"""Two ward campaigns and a headline score that did not move: measure what the change is about.

Data: ``patient_experience`` (a year of questionnaires returned at discharge from three
fictional wards; synthetic). Beech Ward ran a 'Hello, my name is' campaign from October 2024;
Cedar Ward began 'What matters to you?' conversations, with a board by each bed, in January
2025; Ash Ward changed nothing. The campaigns themselves are named in *Moving improvement from
the margins to the mainstream* (The Health Foundation, 2023) as social-movement initiatives
blended with improvement; no report gives figures for them, so every number here is
illustrative.

Each campaign has a question that asks about exactly what it changed (did staff introduce
themselves; did anyone ask what mattered to you). Those answers are charted ward by ward as p
charts (Anhøj rules), so the ward that made the change can be read against the wards that did
not. The Friends and Family Test is charted the same way, to show why a headline satisfaction
score near its ceiling cannot show a specific change. Every sentence a caption or the case
notebook states about a direction or a signal is computed here and checked by
``tests/cases/test_stories.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

import altair as alt
import pandas as pd

from qilab import datasets
from qilab.errors import QilabError
from qilab.measure import qic
from qilab.measure.result import QicResult

from . import spc_chart

WIDTH = 640
WARDS = ("Ash Ward", "Beech Ward", "Cedar Ward")
ALL_WARDS = "All three wards"


@dataclass(frozen=True)
class Measure:
    """One survey answer charted as a percentage, and the change it is read against.

    ``ward`` made the change from ``start`` (the first month counted as after it); the
    baseline of the chart is every month before ``start``, the same on every ward, so the
    wards are compared over the same months.
    """

    key: str
    column: str
    answers: tuple[str, ...]
    label: str  # what a "yes" is, for captions: "said all the staff introduced themselves"
    title: str  # chart title after the ward name
    ylab: str
    campaign: str
    ward: str | None  # None: the hospital's headline, read against both campaigns
    start: pd.Timestamp


HELLO = "'Hello, my name is'"
WHAT_MATTERS = "'What matters to you?'"
MEASURES = {
    "fft": Measure(
        key="fft",
        column="fft",
        answers=("Very good", "Good"),
        label="rated their experience good or very good",
        title="Friends and Family Test, % good or very good",
        ylab="% good or very good",
        campaign="either campaign",
        ward=None,
        start=pd.Timestamp("2024-10-01"),
    ),
    "introduced": Measure(
        key="introduced",
        column="staff_introduced",
        answers=("Yes, all of them",),
        label="said all the staff looking after them introduced themselves",
        title="staff introduced themselves (all of them)",
        ylab="% 'Yes, all of them'",
        campaign=HELLO,
        ward="Beech Ward",
        start=pd.Timestamp("2024-10-01"),
    ),
    "asked": Measure(
        key="asked",
        column="asked_what_matters",
        answers=("Yes",),
        label="said a member of staff asked what mattered to them",
        title="asked what mattered to them",
        ylab="% 'Yes'",
        campaign=WHAT_MATTERS,
        ward="Cedar Ward",
        start=pd.Timestamp("2025-01-01"),
    ),
    "involved": Measure(
        key="involved",
        column="involved_in_decisions",
        answers=("Yes, definitely",),
        label="said they were definitely involved in decisions about their care",
        title="involved in decisions (definitely)",
        ylab="% 'Yes, definitely'",
        campaign=WHAT_MATTERS,
        ward="Cedar Ward",
        start=pd.Timestamp("2025-01-01"),
    ),
}


def survey() -> pd.DataFrame:
    """The returned questionnaires, one row each (synthetic)."""
    return datasets.load("patient_experience")


def _measure(key: str) -> Measure:
    if key not in MEASURES:
        raise QilabError(f"unknown measure {key!r}: use one of {', '.join(MEASURES)}.")
    return MEASURES[key]


def _ward(choice: str, allow_all: bool = False) -> str:
    allowed = (*WARDS, ALL_WARDS) if allow_all else WARDS
    if choice not in allowed:
        raise QilabError(f"unknown ward {choice!r}: use one of {', '.join(allowed)}.")
    return choice


def monthly(key: str, ward: str) -> pd.DataFrame:
    """Per month: patients giving the measure's answer (``yes``) and patients answering it.

    A blank answer (the Friends and Family Test's 'Don't know' or an empty box) is left out of
    both counts, as the national Friends and Family Test summary leaves it out.

    >>> rows = monthly("asked", "Cedar Ward")
    >>> len(rows), int(rows["answered"].sum())
    (12, 219)
    """
    m = _measure(key)
    data = survey()
    if _ward(ward, allow_all=True) != ALL_WARDS:
        data = data[data["ward"] == ward]
    answered = data[data[m.column].notna()]
    rows = (
        answered.assign(yes=answered[m.column].isin(m.answers).astype(int), answered=1)
        .groupby("month")[["yes", "answered"]]
        .sum()
        .reset_index()
    )
    return rows


def result(key: str, ward: str) -> QicResult:
    """The p chart of *key* on *ward*: limits from the months before the measure's change."""
    m = _measure(key)
    rows = monthly(key, ward)
    baseline = int((rows["month"] < m.start).sum())
    return qic(
        rows["yes"],
        n=rows["answered"],
        x=rows["month"],
        chart="p",
        multiply=100,
        freeze=baseline,
        method="anhoej",
        title=f"{ward}: {m.title}",
        ylab=m.ylab,
        xlab="Month of discharge",
    )


def before_after(key: str, ward: str) -> dict[str, float]:
    """Percentage giving the answer before the change and from its first month, pooled.

    >>> r = before_after("introduced", "Beech Ward")
    >>> round(r["before"]), round(r["after"])
    (54, 83)
    """
    m = _measure(key)
    rows = monthly(key, ward)
    early, late = rows[rows["month"] < m.start], rows[rows["month"] >= m.start]
    return {
        "before": float(early["yes"].sum() / early["answered"].sum() * 100),
        "after": float(late["yes"].sum() / late["answered"].sum() * 100),
        "answered": float(rows["answered"].sum()),
    }


def reading(res: QicResult, start: pd.Timestamp) -> tuple[str, str]:
    """The direction of any Anhøj signal from *start* on (``"up"``, ``"down"`` or ``""``),
    and a sentence saying what the signal is.

    A signal is a month from *start* on outside the limits, or the runs analysis (an unusually
    long run on one side of the centre line, or too few crossings of it). Its direction is the
    side of the baseline centre line on which most months from *start* lie.
    """
    d = res.data
    late = d[pd.to_datetime(d["x"]) >= start]
    when = _month(start)
    high = int((late["y"] > late["ucl"]).sum())
    low = int((late["y"] < late["lcl"]).sum())
    runs = bool(res.summary["runs_signal"].any())
    above = int((late["y"] > late["cl"]).sum())
    below = int((late["y"] < late["cl"]).sum())
    if not (high or low or runs) or (runs and not (high or low) and above == below):
        return "", (
            f"No signal of change from {when} on (Anhøj rules): the months vary no more than "
            "chance alone would make them vary."
        )
    direction = "up" if (high, above) > (low, below) else "down"
    word = "rise" if direction == "up" else "fall"
    parts = []
    if high or low:
        side = "above the upper" if high >= low else "below the lower"
        parts.append(f"{_of(max(high, low), len(late))} months from {when} lie {side} limit")
    if runs:
        parts.append("the runs analysis signals non-random variation")
    sentence = " and ".join(parts)
    if not (high or low):
        sentence += (
            f", with {_of(max(above, below), len(late))} months from {when} "
            f"{'above' if direction == 'up' else 'below'} the baseline centre line"
        )
    return direction, f"{sentence[0].upper()}{sentence[1:]}: a signal of a {word} (Anhøj rules)."


def verdict(key: str, ward: str) -> str:
    """``"up"``, ``"down"`` or ``""`` (no signal) for *key* on *ward* after its change.

    >>> verdict("introduced", "Beech Ward"), verdict("introduced", "Cedar Ward")
    ('up', '')
    """
    return reading(result(key, ward), _measure(key).start)[0]


def signalling_wards(key: str) -> list[str]:
    """The wards whose chart of *key* signals a change after the measure's start.

    >>> signalling_wards("asked")
    ['Cedar Ward']
    """
    return [ward for ward in WARDS if verdict(key, ward)]


def _of(count: int, total: int) -> str:
    """ "all 3" or "2 of the 6", for a count of months."""
    return f"all {total}" if count == total else f"{count} of the {total}"


def _month(when: pd.Timestamp) -> str:
    return f"{when:%B %Y}"


def _role(m: Measure, ward: str) -> str:
    if m.ward is None:
        return (
            f"Beech Ward began {HELLO} in October 2024 and Cedar Ward {WHAT_MATTERS} in January "
            f"2025; the baseline here is April to September 2024, before either."
        )
    if ward == m.ward:
        return f"{ward} ran {m.campaign} from {_month(m.start)}."
    return f"{ward} did not run {m.campaign} ({m.ward} did, from {_month(m.start)}): a comparison."


def measure_chart(key: str, ward: str) -> tuple[alt.LayerChart, str]:
    """P chart of one survey answer on one ward, with a caption read from the same data."""
    m = _measure(key)
    res = result(key, ward)
    r = before_after(key, ward)
    if m.ward is None:  # the headline: both campaigns' starts
        annotations = {
            MEASURES["introduced"].start: "Beech: Hello, my name is",
            MEASURES["asked"].start: "Cedar: What matters to you?",
        }
    else:
        where = "" if ward == m.ward else f" on {m.ward}"
        name = m.campaign.strip("'")
        annotations = {m.start: f"{name} starts{where}"}
    text = (
        f"{ward}, synthetic survey: of {r['answered']:.0f} patients answering, "
        f"{r['before']:.0f} % {m.label} before {_month(m.start)} and {r['after']:.0f} % from "
        f"then on. {_role(m, ward)} {reading(res, m.start)[1]} " + res.describe()
    )
    chart = spc_chart(res, annotations=annotations, width=WIDTH, height=280)
    return chart, text


def fft_chart(choice: str) -> tuple[alt.LayerChart, str]:
    """The Friends and Family Test, for one ward or all three pooled."""
    return measure_chart("fft", _ward(choice, allow_all=True))


def introduced_chart(ward: str) -> tuple[alt.LayerChart, str]:
    """'Did the staff looking after you introduce themselves?': 'Yes, all of them'."""
    return measure_chart("introduced", _ward(ward))


def asked_chart(ward: str) -> tuple[alt.LayerChart, str]:
    """'Did a member of staff ask you what mattered to you?': 'Yes'."""
    return measure_chart("asked", _ward(ward))


def involved_chart(ward: str) -> tuple[alt.LayerChart, str]:
    """'Were you involved as much as you wanted to be in decisions?': 'Yes, definitely'."""
    return measure_chart("involved", _ward(ward))


def fft_choices() -> list[str]:
    return [ALL_WARDS, *WARDS]


def signals_table() -> pd.DataFrame:
    """Every measure on every ward: before, after and whether its p chart signals a change.

    'Before' is the months before the measure's change: before October 2024 for the Friends
    and Family Test and 'Hello, my name is', before January 2025 for 'What matters to you?'.
    """
    rows = []
    for m in MEASURES.values():
        for ward in WARDS:
            r = before_after(m.key, ward)
            direction = verdict(m.key, ward)
            rows.append(
                {
                    "Question (answer counted)": f"{m.title[0].upper()}{m.title[1:]}",
                    "Ward": ward,
                    "Made this change?": (
                        "headline (no change of its own)"
                        if m.ward is None
                        else "yes"
                        if ward == m.ward
                        else "no (comparison)"
                    ),
                    "Before (%)": round(r["before"]),
                    "After (%)": round(r["after"]),
                    "Signal (Anhøj rules)": {"up": "rise", "down": "fall", "": "none"}[direction],
                }
            )
    return pd.DataFrame(rows)


def involvement_by_asked() -> pd.DataFrame:
    """Patients definitely involved in decisions, by whether they say they were asked.

    Across all wards and months: an association between two answers on the same form, not
    proof that asking caused the involvement.

    >>> t = involvement_by_asked()
    >>> list(t["Definitely involved in decisions (%)"])
    [47, 73]
    """
    data = survey()
    rows = []
    for answer in ("No", "Yes"):
        group = data[data["asked_what_matters"] == answer]
        share = (group["involved_in_decisions"] == "Yes, definitely").mean() * 100
        rows.append(
            {
                "Asked what mattered to them?": answer,
                "Patients": len(group),
                "Definitely involved in decisions (%)": round(float(share)),
            }
        )
    return pd.DataFrame(rows)


def voices_table() -> pd.DataFrame:
    """Who answered: questionnaires per ward, the fewest and most in a month, blanks, ages.

    The data hold only returned questionnaires, not the patients discharged, so the response
    rate (and so who did *not* answer) cannot be computed from them.
    """
    data = survey()
    rows = []
    for ward in WARDS:
        w = data[data["ward"] == ward]
        per_month = w.groupby("month").size()
        rows.append(
            {
                "Ward": ward,
                "Questionnaires": len(w),
                "Fewest in a month": int(per_month.min()),
                "Most in a month": int(per_month.max()),
                "FFT blank or 'Don't know'": int(w["fft"].isna().sum()),
                "Aged 16-35 (%)": round(float((w["age_band"] == "16-35").mean() * 100)),
                "Aged 66 or over (%)": round(
                    float(w["age_band"].isin(["66-80", "81 and over"]).mean() * 100)
                ),
            }
        )
    return pd.DataFrame(rows)
