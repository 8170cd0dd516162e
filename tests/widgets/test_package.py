"""The widgets package as a whole: cheap to import, consistent apps, valid offline charts."""

from __future__ import annotations

import importlib
import inspect
import json
import subprocess
import sys
from pathlib import Path

import ipywidgets as widgets
import pytest
import qilab.widgets as qw
from qilab.widgets import _ui

from qilab.errors import QilabError

HERE = Path(__file__).resolve().parent
SUBPACKAGES = [
    "control_chart",
    "red_beads",
    "funnel",
    "pdsa",
    "patient_flow",
    "winter",
    "driver_diagram",
    "codesign",
]
SEEDED = [
    "ControlChartExplorer",
    "RedBeadsApp",
    "FunnelApp",
    "PDSAApp",
    "PatientFlowApp",
    "WinterApp",
]


def test_importing_the_package_loads_no_heavy_libraries():
    code = (
        "import sys, qilab.widgets; "
        "print(sorted(m for m in ('altair', 'ipywidgets', 'pandas') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("name", SUBPACKAGES)
def test_each_subpackage_separates_model_from_view(name):
    model = Path(qw.__file__).parent / name / "model.py"
    source = model.read_text()
    assert "ipywidgets" not in source and "altair" not in source
    pkg = importlib.import_module(f"qilab.widgets.{name}")
    exported = [getattr(pkg, n) for n in pkg.__all__]
    assert any(isinstance(c, type) and issubclass(c, widgets.Widget) for c in exported)
    assert any(isinstance(c, type) and c.__module__.endswith(".model") for c in exported)


@pytest.mark.parametrize("name", sorted(qw.APPS))
def test_every_app_documents_examples_and_is_displayable(name):
    cls = getattr(qw, name)
    assert issubclass(cls, widgets.DOMWidget)
    assert "Examples" in (cls.__doc__ or "")


@pytest.mark.parametrize("name", SEEDED)
def test_apps_with_chance_take_a_seed_and_reproduce(name):
    cls = getattr(qw, name)
    assert "seed" in inspect.signature(cls).parameters
    a, b = cls(seed=3), cls(seed=3)
    assert json.dumps(a.children[-1].value) == json.dumps(b.children[-1].value)
    charts = [w for w in _walk(a) if isinstance(w, _ui.ChartArea)]
    assert charts
    for ca, cb in zip(charts, [w for w in _walk(b) if isinstance(w, _ui.ChartArea)], strict=True):
        assert ca.spec == cb.spec


def _walk(w):
    yield w
    for child in getattr(w, "children", ()):
        yield from _walk(child)


def test_every_chart_is_valid_vega_lite_with_a_caption():
    import vl_convert as vlc

    apps = [getattr(qw, n)() for n in sorted(qw.APPS) if n != "CodesignApp"]
    count = 0
    for app in apps:
        for area in (w for w in _walk(app) if isinstance(w, _ui.ChartArea)):
            svg = vlc.vegalite_to_svg(area.spec)
            assert "<svg" in svg
            assert len(area.description) > 40, type(app).__name__
            count += 1
    assert count >= 8


def test_message_area_and_guard_turn_errors_into_words():
    msg = _ui.MessageArea()

    @_ui.guarded(msg)
    def bad() -> None:
        raise QilabError("Capacity must be at least 1.")

    bad()
    assert msg.kind == "error" and "Capacity must be at least 1." in msg.value
    assert 'role="alert"' in msg.value

    @_ui.guarded(msg)
    def bug() -> None:
        raise KeyError("oops")

    bug()
    assert "tell your tutor" in msg.text
    msg.clear()
    assert msg.value == ""


def test_download_links_carry_the_file():
    import base64

    link = _ui.download_link("a,b\n1,2\n", "x.csv", "text/csv", "Download CSV")
    payload = link.split("base64,")[1].split('"')[0]
    assert base64.b64decode(payload).decode() == "a,b\n1,2\n"
    assert 'download="x.csv"' in link


def test_voila_smoke_notebook_is_clean_and_shows_the_explorer():
    nb = json.loads((HERE / "voila_smoke.ipynb").read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code and all(not c["outputs"] and c["execution_count"] is None for c in code)
    assert "ControlChartExplorer" in "".join(code[0]["source"])


@pytest.mark.slow
def test_voila_smoke_notebook_runs_in_a_kernel():
    import nbclient
    import nbformat

    nb = nbformat.read(HERE / "voila_smoke.ipynb", as_version=4)
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    outputs = nb.cells[1].outputs
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)
