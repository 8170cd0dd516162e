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


def test_a_changed_pin_means_installing_again(make, monkeypatch, tmp_path):
    make.STAMP.write_text(json.dumps(make.wanted_install(["test"])))
    pins = tmp_path / "constraints.txt"
    pins.write_text(make.CONSTRAINTS.read_text() + "\nexample-package==1.0\n")
    monkeypatch.setattr(make, "CONSTRAINTS", pins)
    assert not make.installed_covers(make.wanted_install(["test"]))


def _pins() -> dict[str, str]:
    pins = {}
    for line in (REPO / "constraints.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: '{line}' is not pinned with =="
            pins[name.lower().replace("_", "-")] = version
    return pins


def test_every_installed_distribution_is_the_pinned_version():
    """The environment the tests run in is exactly the tested one the README's set-up makes."""
    from importlib.metadata import distributions

    pins = _pins()
    installed = {
        d.metadata["Name"].lower().replace("_", "-"): d.version
        for d in distributions()
        if d.metadata["Name"].lower() not in {"qilab", "pip", "setuptools", "wheel"}
        # setuptools puts its private copies (setuptools/_vendor) on sys.path once imported
        and "_vendor" not in Path(str(getattr(d, "_path", ""))).parts
    }
    unpinned = sorted(set(installed) - set(pins))
    assert not unpinned, f"installed but not pinned in constraints.txt: {unpinned}"
    wrong = {n: (v, pins[n]) for n, v in installed.items() if pins[n] != v}
    assert not wrong, f"installed version differs from constraints.txt (installed, pinned): {wrong}"


def test_pyproject_floors_admit_the_pinned_versions():
    """pyproject.toml keeps floors for other environments; the pins must satisfy them."""
    import tomllib

    from packaging.requirements import Requirement

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    pins = _pins()
    requirements = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        requirements += extra
    for text in requirements:
        requirement = Requirement(text)
        name = requirement.name.lower().replace("_", "-")
        if name == project["name"]:
            assert set(requirement.extras) <= set(project["optional-dependencies"]), text
            continue  # the test extra naming qilab's own extras (checked as extras above)
        assert name in pins, f"{name} is a dependency but has no pin in constraints.txt"
        assert requirement.specifier.contains(pins[name], prereleases=True), (text, pins[name])


def test_the_fast_loop_deselects_heavy_tests_and_needs_no_system_packages(make, monkeypatch):
    ran: list[list[str]] = []
    monkeypatch.setattr(make, "ensure_venv", lambda extras: None)
    monkeypatch.setattr(make, "run", lambda command: ran.append(command) or 0)

    def no_apt(packages: object) -> None:
        raise AssertionError("the fast loop must not need chromium, PostgreSQL or bubblewrap")

    monkeypatch.setattr(make, "ensure_system_packages", no_apt)
    assert make.main(["test", "--fast", "tests/measure", "-x"]) == 0
    assert ran[0][1:] == ["-m", "pytest", "-m", make.FAST_MARKERS, "tests/measure", "-x"]


def test_a_heavy_fixture_without_its_marker_is_refused_at_collection(tmp_path):
    """The fast loop stays fast only if every test that starts a browser or server says so."""
    for helper in ("conftest.py", "servers.py", "postgres_server.py"):
        (tmp_path / helper).write_text((REPO / "tests" / helper).read_text())
    (tmp_path / "test_unmarked.py").write_text("def test_opens_a_page(page):\n    pass\n")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--collect-only", "-q"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0
    expected = "test_opens_a_page uses 'page': mark it @pytest.mark.browser"
    assert expected in done.stdout + done.stderr
