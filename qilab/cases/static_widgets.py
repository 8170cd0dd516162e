"""Turn the widgets of an executed notebook into static HTML (no widget manager, no CDN).

nbconvert can embed widget state and let the Jupyter widget manager redraw the widgets, but
that manager (and every third-party widget, such as Altair's anywidget charts) is loaded from
a CDN, which NHS networks block. Instead each widget view is replaced by plain HTML built from
its saved state: layouts become ``div``s, HTML widgets keep their HTML, Altair charts become
Vega-Lite specs drawn by the inlined Vega-Embed bundle (so tooltips still work), and controls
are shown, disabled, at the value they had (they need a kernel to redraw anything).
"""

from __future__ import annotations

import html
import itertools
import json
from typing import Any

import nbformat

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
SPEC_TYPE = "application/vnd.qilab.vega-lite+json"
LIVE_ONLY = '<span class="qilab-live-only">(redraws the chart in the live version)</span>'

_ids = itertools.count(1)


def _ref(value: Any) -> str | None:
    if isinstance(value, str) and value.startswith("IPY_MODEL_"):
        return value.removeprefix("IPY_MODEL_")
    return None


def _script_json(data: Any) -> str:
    # JSON inside <script>: escape '<' so no '</script>' in the data can end the element.
    return json.dumps(data, separators=(",", ":")).replace("<", "\\u003c")


class StaticRenderer:
    """Render widget models, by id, from a notebook's saved widget state."""

    def __init__(self, state: dict[str, Any], control_note: str = LIVE_ONLY) -> None:
        self.state = state
        #: Shown beside each control, which is disabled: why it does not respond (yet).
        self.control_note = control_note

    def model(self, model_id: str) -> tuple[str, dict[str, Any]]:
        entry = self.state.get(model_id) or {}
        return str(entry.get("model_name", "")), dict(entry.get("state") or {})

    def render(self, model_id: str, depth: int = 0) -> str:
        """HTML for one widget and its children (unknown widgets render as nothing)."""
        if depth > 50:  # a cycle in corrupt state: stop rather than recurse for ever
            return ""
        name, state = self.model(model_id)
        if "spec" in state and isinstance(state["spec"], dict):
            return self.chart(state["spec"])
        if name in {
            "VBoxModel",
            "HBoxModel",
            "BoxModel",
            "GridBoxModel",
            "TabModel",
            "AccordionModel",
        }:
            row = " qilab-row" if name == "HBoxModel" else ""
            inner = "".join(
                self.render(ref, depth + 1) for ref in map(_ref, state.get("children", [])) if ref
            )
            return f'<div class="qilab-static-box{row}">{inner}</div>'
        if name in {"HTMLModel", "HTMLMathModel"}:
            return str(state.get("value", ""))
        if name == "LabelModel":
            return f"<span>{html.escape(str(state.get('value', '')))}</span>"
        if name == "OutputModel":
            return "".join(self.output(out, depth + 1) for out in state.get("outputs", []))
        return self.control(name, state)

    def chart(self, spec: dict[str, Any]) -> str:
        spec = {k: v for k, v in spec.items() if k != "$schema"}
        target = f"qilab-chart-{next(_ids)}"
        return (
            f'<div class="qilab-chart" id="{target}"></div>'
            f'<script type="{SPEC_TYPE}" data-target="{target}">{_script_json(spec)}</script>'
        )

    def control(self, name: str, state: dict[str, Any]) -> str:
        label = html.escape(str(state.get("description", "")))
        if "_options_labels" in state:
            labels = [str(x) for x in state.get("_options_labels", [])]
            index = state.get("index")
            options = "".join(
                f"<option{' selected' if i == index else ''}>{html.escape(text)}</option>"
                for i, text in enumerate(labels)
            )
            return (
                f'<div class="qilab-static-control">{label} <select disabled '
                f'aria-label="{label or "choice"}">{options}</select> {self.control_note}</div>'
            )
        if name.endswith("SliderModel") and "value" in state:
            value = html.escape(str(state["value"]))
            lo, hi = html.escape(str(state.get("min", ""))), html.escape(str(state.get("max", "")))
            return (
                f'<div class="qilab-static-control">{label} <input type="range" disabled '
                f'min="{lo}" max="{hi}" value="{value}" aria-label="{label or "slider"}"> '
                f"<strong>{value}</strong>{self.control_note}</div>"
            )
        return ""  # buttons and other inputs mean nothing without a kernel

    def output(self, out: dict[str, Any], depth: int = 0) -> str:
        data = out.get("data", {})
        if WIDGET_VIEW in data:
            return self.render(str(data[WIDGET_VIEW].get("model_id", "")), depth)
        if "text/html" in data:
            value = data["text/html"]
            return "".join(value) if isinstance(value, list) else str(value)
        if "image/svg+xml" in data:
            return str(data["image/svg+xml"])
        if "image/png" in data:
            return f'<img alt="" src="data:image/png;base64,{data["image/png"]}">'
        if "text/plain" in data:
            return f"<pre>{html.escape(str(data['text/plain']))}</pre>"
        if out.get("output_type") == "stream" and out.get("name") == "stdout":
            return f"<pre>{html.escape(str(out.get('text', '')))}</pre>"
        return ""


def staticize(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Replace every widget output with static HTML and drop the saved widget state.

    Errors and warnings (stderr) are dropped too: a static page shows no tracebacks.
    """
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    renderer = StaticRenderer(state)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                continue
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                continue
            data = out.get("data", {})
            if WIDGET_VIEW in data:
                out = nbformat.v4.new_output(
                    "display_data", data={"text/html": renderer.output(out)}
                )
            kept.append(out)
        cell["outputs"] = kept
    nb.metadata.pop("widgets", None)
    return nb
