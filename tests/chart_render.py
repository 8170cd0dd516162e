"""Draw Vega-Lite specs in a real Chromium, offline, and read back what a person sees.

Browser tests about how a chart reads (a label cut short with "…", an axis that counts past what
is possible, decimals where day names belong) use this: the spec is drawn by vega-embed from
QI Lab's own offline bundle (:func:`qilab.offline.vega_bundle`), as SVG as in the lessons, and
the drawn SVG is read, not the spec, so Vega's own label limits and layout are what is checked.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qilab.offline import inline_script, vega_bundle
from qilab.theme import theme_config

_PAGE = """<!doctype html><html><head><meta charset="utf-8">
<script>%s</script></head><body style="margin:0;background:white">
<div id="charts"></div></body></html>"""

# For each chart: every axis (title, labels, whether they slant) and every text shown, read from
# the SVG vega-embed made. Vega writes a truncated text as its start and "…".
_READ = r"""
async (specs) => {
  // Vega keeps the labels it hides (to avoid overlaps) in the SVG with opacity 0.
  const shown = (t) => !t.closest('[opacity="0"]') && getComputedStyle(t).opacity !== "0";
  const read = (root, selector) => [...root.querySelectorAll(selector)].filter(shown);
  const out = [];
  for (const [i, spec] of specs.entries()) {
    const div = document.createElement("div");
    div.id = "chart-" + i;
    div.style.padding = "12px";
    document.getElementById("charts").appendChild(div);
    try {
      await vegaEmbed(div, spec, {renderer: "svg", actions: false});
    } catch (error) {
      out.push({error: String(error)});
      continue;
    }
    const svg = div.querySelector("svg");
    const axes = [...svg.querySelectorAll("g.role-axis")].map((axis) => ({
      label: axis.getAttribute("aria-label") || "",
      title: read(axis, ".role-axis-title text").map((t) => t.textContent),
      labels: read(axis, ".role-axis-label text").map((t) => t.textContent),
      slanted: read(axis, ".role-axis-label text").some(
        (t) => /rotate\((?!0\))/.test(t.getAttribute("transform") || "")),
    }));
    const texts = read(svg, "text").map((t) => t.textContent);
    const box = svg.getBoundingClientRect();
    // A text partly outside the SVG is cut off by its edge (or by the output area around it).
    const clipped = read(svg, "text").filter((t) => {
      const r = t.getBoundingClientRect();
      return t.textContent && (r.left < box.left - 1 || r.right > box.right + 1 ||
                               r.top < box.top - 1 || r.bottom > box.bottom + 1);
    }).map((t) => t.textContent);
    out.push({axes, texts, clipped, width: box.width, height: box.height,
              description: (svg.closest("[aria-label]") || svg).getAttribute("aria-label") || ""});
  }
  return out;
}
"""


@dataclass
class Axis:
    """One drawn axis: its title, its tick labels and its ARIA label ("X-axis titled …")."""

    label: str
    title: list[str]
    labels: list[str]
    slanted: bool = False  # any tick label drawn at an angle (rotate(...) in its transform)

    @property
    def title_text(self) -> str:
        return " ".join(self.title)

    def numbers(self) -> list[float]:
        """The tick labels read as numbers ("1,200" → 1200, "80 %" → 80); others skipped."""
        values = []
        for text in self.labels:
            clean = text.replace(",", "").replace("%", "").replace("\u2212", "-").strip()
            if re.fullmatch(r"-?\d+(\.\d+)?", clean):
                values.append(float(clean))
        return values


@dataclass
class Drawn:
    """What one chart looks like once drawn: axes, every text, size, or the error it raised."""

    axes: list[Axis] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    clipped: list[str] = field(default_factory=list)  # texts reaching outside the SVG
    width: float = 0
    height: float = 0
    description: str = ""
    error: str | None = None

    def truncated(self) -> list[str]:
        """Texts Vega cut short to fit its label limit (they end in an ellipsis)."""
        return [t for t in self.texts if t.endswith("…")]

    def axis(self, title: str) -> Axis:
        """The axis whose title is *title* (fails, naming the titles there are, if none is)."""
        for axis in self.axes:
            if axis.title_text == title:
                return axis
        raise AssertionError(f"no axis titled {title!r}: {[a.title_text for a in self.axes]}")


def themed(spec: dict[str, Any]) -> dict[str, Any]:
    """*spec* with the house theme's config under its own, as ``qilab.setup_notebook`` draws it.

    Specs taken from a kernel already carry it; a spec built in a test without the theme
    enabled gets it here, so label sizes (and so truncation) match the lessons.
    """
    config = theme_config()["config"]
    merged = dict(spec)
    merged["config"] = {**config, **spec.get("config", {})}
    return merged


def draw(page: Any, specs: list[dict[str, Any]], shot: Path | None = None) -> list[Drawn]:
    """Draw *specs* one under another on *page* (a Playwright page); optionally screenshot."""
    page.set_content(_PAGE % inline_script(vega_bundle()))
    raw = page.evaluate(_READ, json.loads(json.dumps(specs)))
    if shot is not None:
        shot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot), full_page=True)
    drawn = []
    for item in raw:
        if "error" in item:
            drawn.append(Drawn(error=item["error"]))
            continue
        axes = [Axis(a["label"], a["title"], a["labels"], a["slanted"]) for a in item["axes"]]
        drawn.append(
            Drawn(
                axes,
                item["texts"],
                item["clipped"],
                item["width"],
                item["height"],
                item["description"],
            )
        )
    return drawn


#: An SPC or run chart, by the words its text description starts with ("P′ chart of …").
SPC = re.compile(r"\b(Run|I|MR|XmR|Xbar|S|C|U|P|C′|U′|P′|G|T) chart\b")
#: A percentage axis, by its title ("% answering 'Yes'", "Bed occupancy (%)", "cumulative %").
PERCENT = re.compile(r"%|\bper ?cent", re.IGNORECASE)


def numbered_x(spec: dict) -> bool:
    """True when every quantitative x in *spec* is a whole number (point, day, draw numbers)."""
    fields: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            encoding = node.get("encoding")
            x = encoding.get("x") if isinstance(encoding, dict) else None
            if isinstance(x, dict) and x.get("type") == "quantitative" and "field" in x:
                fields.add(x["field"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)
    rows = [row for data in spec.get("datasets", {}).values() for row in data]
    values = [row[f] for row in rows for f in fields if isinstance(row.get(f), int | float)]
    return bool(values) and all(float(v).is_integer() for v in values)


def chart_problems(drawn: Drawn, spec: dict) -> list[str]:
    """What a person would find wrong with one drawn chart, in words (empty: nothing)."""
    if drawn.error:
        return [f"Vega could not draw it: {drawn.error}"]
    problems = []
    if drawn.truncated():
        problems.append(f"labels cut short by Vega's label limit: {drawn.truncated()}")
    if drawn.clipped:
        problems.append(f"text reaching past the chart's edge: {drawn.clipped}")
    for axis in drawn.axes:
        numbers = axis.numbers()
        if PERCENT.search(axis.title_text) and numbers and (min(numbers) < 0 or max(numbers) > 100):
            problems.append(
                f"percentage axis {axis.title_text!r} runs {min(numbers):g} to {max(numbers):g}"
            )
    if numbered_x(spec):
        for axis in drawn.axes:
            fractions = [n for n in axis.numbers() if n != int(n)]
            if axis.label.startswith("X-axis") and fractions:
                problems.append(
                    f"x axis {axis.title_text!r} numbers whole points with ticks {fractions[:3]}"
                )
    description = spec.get("description", "")
    if len(description) < 30:
        problems.append(f"no text description (it has {description!r})")
    title = spec.get("title")
    subtitle = title.get("subtitle", "") if isinstance(title, dict) else ""
    subtitle = subtitle if isinstance(subtitle, str) else " ".join(subtitle)
    if SPC.search(description) and "rules" not in subtitle:
        problems.append(f"an SPC/run chart that names no rule set (subtitle {subtitle!r})")
    return problems
