"""make.py, the README's two commands: set-up is redone only when it must be."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def make(monkeypatch, tmp_path):
    spec = importlib.util.spec_from_file_location("make_py", REPO / "make.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "STAMP", tmp_path / "stamp.json")
    return module


def test_a_fresh_environment_needs_installing(make):
    assert not make.installed_covers(make.wanted_install([]))


def test_a_test_install_also_serves_the_lab_but_not_the_reverse(make):
    make.STAMP.write_text(json.dumps(make.wanted_install(["test"])))
    assert make.installed_covers(make.wanted_install([]))
    make.STAMP.write_text(json.dumps(make.wanted_install([])))
    assert not make.installed_covers(make.wanted_install(["test"]))


def test_a_changed_pyproject_means_installing_again(make):
    stale = {**make.wanted_install(["test"]), "pyproject": "0" * 64}
    make.STAMP.write_text(json.dumps(stale))
    assert not make.installed_covers(make.wanted_install(["test"]))


def test_a_corrupt_stamp_means_installing_again(make):
    make.STAMP.write_text("{not json")
    assert not make.installed_covers(make.wanted_install([]))


def test_without_a_command_it_explains_itself_and_fails():
    done = subprocess.run([sys.executable, "make.py"], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 2
    assert "python3 make.py lab" in done.stdout and "python3 make.py test" in done.stdout


def test_missing_chromium_without_root_says_how_to_install(make, monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(make.os, "geteuid", lambda: 1000)
    with pytest.raises(SystemExit) as stop:
        make.ensure_system_packages({"chromium": tmp_path / "no-such-chromium"})
    assert stop.value.code == 2
    assert "apt-get install chromium" in capsys.readouterr().err
