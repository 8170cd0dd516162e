"""The generator of every data set, with its fixed seed.

One entry per data set: the function that builds it and the seed of its
``numpy.random.default_rng``. The seed is also recorded in the data set's dictionary (a test
checks they agree), so a reader of the YAML can reproduce the file without reading code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from qilab.datasets import gen_acute, gen_collaboratives, gen_experience, gen_safety

from qilab.errors import QilabError


@dataclass(frozen=True)
class Generator:
    """How one data set is made: a function of a seeded random generator."""

    name: str
    function: Callable[[np.random.Generator], pd.DataFrame]
    seed: int | None  # None: written by hand in code, no randomness

    def generate(self) -> pd.DataFrame:
        return self.function(np.random.default_rng(self.seed if self.seed is not None else 0))


GENERATORS: dict[str, Generator] = {
    g.name: g
    for g in (
        Generator("ed_daily", gen_acute.ed_daily, 501),
        Generator("sepsis_antibiotics", gen_acute.sepsis_antibiotics, 5044),
        Generator("winter_flow", gen_acute.winter_flow, 512),
        Generator("ward_falls", gen_safety.ward_falls, 502),
        Generator("hand_hygiene", gen_safety.hand_hygiene, 504),
        Generator("surgical_site_infections", gen_safety.surgical_site_infections, 5054),
        Generator("pressure_ulcer_events", gen_safety.pressure_ulcer_events, 5061),
        Generator("prescribing_errors", gen_safety.prescribing_errors, 507),
        Generator("red_beads", gen_safety.red_beads, 515),
        Generator("pincer_collaborative", gen_collaboratives.pincer_collaborative, 510),
        Generator("gp_access_collaborative", gen_collaboratives.gp_access_collaborative, 508),
        Generator("pdsa_log", gen_collaboratives.pdsa_log, None),
        Generator(
            "cardiac_arrest_collaborative", gen_collaboratives.cardiac_arrest_collaborative, 5157
        ),
        Generator("lean_lead_times", gen_collaboratives.lean_lead_times, 514),
        Generator("patient_experience", gen_experience.patient_experience, 511),
    )
}


def generator(name: str) -> Generator:
    try:
        return GENERATORS[name]
    except KeyError:
        raise QilabError(
            f"Data set {name!r} has a dictionary but no generator: add one to "
            "qilab/datasets/generators.py (or remove its YAML file)."
        ) from None
