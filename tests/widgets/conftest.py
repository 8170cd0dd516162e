"""Fixtures for the simulation tests."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def no_error():
    """Assert an app's message area shows no error after an interaction."""

    def check(app: Any) -> None:
        assert app.message.kind != "error", app.message.text

    return check
