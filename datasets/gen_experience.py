"""Generator for the patient experience survey: one row per returned questionnaire.

Answers come from a latent 'how good was my stay' score per respondent plus item-specific
effects, so items correlate as they do in real surveys; two ward campaigns move one item each
and leave the third ward as a natural comparison.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from qilab.datasets.gen_common import expit, months

SURVEY_MONTHS = months("2024-04-01", 12)
SURVEY_WARDS = ("Ash Ward", "Beech Ward", "Cedar Ward")
SURVEY_PER_WARD_MONTH = 17  # mean returned questionnaires
AGE_BANDS = ("16-35", "36-50", "51-65", "66-80", "81 and over")
AGE_WEIGHTS = np.array([0.10, 0.12, 0.22, 0.33, 0.23])
FFT = ("Very poor", "Poor", "Neither good nor poor", "Good", "Very good")
INTRODUCED = ("No", "Yes, some of them", "Yes, all of them")
INVOLVED = ("No", "Yes, to some extent", "Yes, definitely")
WHAT_MATTERS = ("No", "Yes")
HELLO_MY_NAME_IS = ("Beech Ward", pd.Timestamp("2024-10-01"))  # campaign starts 7 October
WHAT_MATTERS_BOARDS = ("Cedar Ward", pd.Timestamp("2025-01-01"))  # boards by the bed, January


def _ordinal(rng: np.random.Generator, score: np.ndarray, cuts: list[float]) -> np.ndarray:
    """Turn a continuous score into levels 0..len(cuts) with logistic noise."""
    noisy = score + rng.logistic(0, 1, len(score))
    return np.searchsorted(np.asarray(cuts), noisy)


def patient_experience(rng: np.random.Generator) -> pd.DataFrame:
    month_list, ward_list = [], []
    for survey_month in SURVEY_MONTHS:
        for survey_ward in SURVEY_WARDS:
            count = int(rng.poisson(SURVEY_PER_WARD_MONTH))
            month_list += [survey_month] * count
            ward_list += [survey_ward] * count
    n = len(month_list)
    month = pd.DatetimeIndex(month_list)
    ward = np.array(ward_list)
    age = rng.choice(len(AGE_BANDS), size=n, p=AGE_WEIGHTS)
    stay = rng.normal(0, 1, n) + 0.12 * (age - 2)  # older patients rate a little higher

    hello_ward, hello_from = HELLO_MY_NAME_IS
    hello = (ward == hello_ward) & (month >= hello_from)
    introduced = _ordinal(rng, 0.6 * stay + 1.7 * hello, [-1.9, -0.2])

    boards_ward, boards_from = WHAT_MATTERS_BOARDS
    boards = (ward == boards_ward) & (month >= boards_from)
    asked = rng.random(n) < expit(-0.6 + 0.4 * stay + 2.0 * boards)

    involved = _ordinal(rng, 0.9 * stay + 0.5 * asked, [-2.0, -0.1])
    fft_score = 1.3 * stay + 0.3 * (introduced - 1) + 0.3 * (involved - 1)
    fft = _ordinal(rng, fft_score, [-5.2, -4.3, -3.4, -1.0])
    fft_answer: list[str | None] = [FFT[i] for i in fft]
    for i in np.flatnonzero(rng.random(n) < 0.03):  # "Don't know" or left blank
        fft_answer[i] = None

    return pd.DataFrame(
        {
            "response": np.arange(1, n + 1),
            "month": month,
            "ward": ward,
            "age_band": [AGE_BANDS[i] for i in age],
            "fft": fft_answer,
            "staff_introduced": [INTRODUCED[i] for i in introduced],
            "involved_in_decisions": [INVOLVED[i] for i in involved],
            "asked_what_matters": [WHAT_MATTERS[int(a)] for a in asked],
        }
    )
