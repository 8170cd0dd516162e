"""Widgets become static HTML for the exported pages: charts as specs, controls disabled."""

from __future__ import annotations

import json
import re

import nbformat

from qilab.cases.static_widgets import SPEC_TYPE, WIDGET_STATE, WIDGET_VIEW, staticize


def widget(model_id):
    return nbformat.v4.new_output(
        "display_data", data={WIDGET_VIEW: {"model_id": model_id}, "text/plain": "VBox(...)"}
    )


def notebook_with_widgets():
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "mark": "point",
        "data": {"values": [{"note": "</script><script>alert(1)</script>"}]},
    }
    state = {
        "box": {
            "model_name": "VBoxModel",
            "state": {
                "children": [
                    "IPY_MODEL_menu",
                    "IPY_MODEL_slider",
                    "IPY_MODEL_chart",
                    "IPY_MODEL_caption",
                    "IPY_MODEL_button",
                ]
            },
        },
        "menu": {
            "model_name": "DropdownModel",
            "state": {
                "description": "Trust:",
                "_options_labels": ["Trust A", "Trust <B>"],
                "index": 1,
            },
        },
        "slider": {
            "model_name": "IntSliderModel",
            "state": {"description": "Batch:", "value": 60, "min": 0, "max": 120},
        },
        "chart": {"model_name": "AnyModel", "state": {"spec": spec, "_esm": "x" * 1000}},
        "caption": {"model_name": "HTMLModel", "state": {"value": "<p>Caption</p>"}},
        "button": {"model_name": "ButtonModel", "state": {"description": "Run"}},
    }
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("live.choice_chart(...)")
    cell.outputs = [
        widget("box"),
        nbformat.v4.new_output("error", ename="ValueError", evalue="x", traceback=["Traceback"]),
        nbformat.v4.new_output("stream", name="stderr", text="warning"),
    ]
    nb.cells = [cell]
    nb.metadata["widgets"] = {WIDGET_STATE: {"state": state}}
    return nb


def test_widgets_become_static_html_and_the_state_and_errors_are_dropped():
    nb = staticize(notebook_with_widgets())
    assert "widgets" not in nb.metadata
    outputs = nb.cells[0].outputs
    assert len(outputs) == 1, "errors and stderr never reach a static page"
    page = outputs[0]["data"]["text/html"]
    assert '<div class="qilab-static-box">' in page
    assert "<select disabled" in page and "<option selected>Trust &lt;B&gt;</option>" in page
    assert 'type="range" disabled' in page and "<strong>60</strong>" in page
    assert "<p>Caption</p>" in page
    assert "Run" not in page, "buttons mean nothing without a kernel"
    script = re.search(
        rf'<script type="{re.escape(SPEC_TYPE)}" data-target="([^"]+)">(.*?)</script>', page
    )
    assert script and f'id="{script.group(1)}"' in page
    spec = json.loads(script.group(2))
    assert "$schema" not in spec and spec["mark"] == "point"
    assert "</script>" not in script.group(2), "data cannot close the script element"
    assert spec["data"]["values"][0]["note"].startswith("</script>")


def test_unknown_or_cyclic_widgets_render_as_nothing_rather_than_failing():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [widget("loop"), widget("missing")]
    nb.cells = [cell]
    nb.metadata["widgets"] = {
        WIDGET_STATE: {
            "state": {
                "loop": {"model_name": "VBoxModel", "state": {"children": ["IPY_MODEL_loop"]}},
            }
        }
    }
    outputs = staticize(nb).cells[0].outputs
    assert len(outputs) == 2
    assert all(o["data"]["text/html"].count("<div") <= 60 for o in outputs)
