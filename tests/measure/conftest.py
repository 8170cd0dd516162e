"""Shared fixtures: the qicharts2 and NHSRplotthedots reference material in ../shared."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "reference"
QICHARTS2 = SHARED / "qicharts2"
PLOTTHEDOTS = SHARED / "plotthedots"


def _need(folder: Path) -> Path:
    """The reference folder, or a failure (never a skip: these tests are the engine's proof).

    The files stay in ../shared/reference, read in place, as that folder's README asks (and
    qicharts2's data sets are GPL-3); every checkout that runs the suite, CI's included, has it.
    """
    if not folder.is_dir():
        pytest.fail(
            f"reference data folder {folder} is absent: the measurement engine is checked against "
            "qicharts2 and NHSRplotthedots from ../shared/reference. Put the shared folder beside "
            "this checkout (as CI has it), then run the tests again."
        )
    return folder


@pytest.fixture(scope="session")
def qicharts2_dir() -> Path:
    return _need(QICHARTS2)


@pytest.fixture(scope="session")
def qicharts2_reference(qicharts2_dir: Path) -> dict:
    return json.loads((qicharts2_dir / "reference_outputs.json").read_text())


@pytest.fixture(scope="session")
def plotthedots_dir() -> Path:
    return _need(PLOTTHEDOTS)


@pytest.fixture(scope="session")
def plotthedots_reference(plotthedots_dir: Path) -> dict:
    return json.loads((plotthedots_dir / "reference_values_from_repo.json").read_text())
