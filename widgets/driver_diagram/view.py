"""The driver diagram builder: edit, see the diagram, check the theory, export it."""

from __future__ import annotations

import html
import textwrap

import ipywidgets as widgets

from qilab.theme import COLOURS

from .. import _ui
from .model import LEVEL_NAMES, PARENT_LEVEL, DriverDiagram, Node, example

NOTICE = [
    "Read left to right to explain why: this change idea moves this secondary driver, which "
    "moves this primary driver, which gets us to the aim.",
    "Every change idea should link to a driver. An idea with no link is a solution looking for "
    "a problem – the checker flags it.",
    "A driver with nothing under it is a gap in your plan: how will you move it?",
    "The diagram is a theory to test, not a plan to execute: PDSA cycles on the change ideas "
    "tell you whether the links are real.",
]
SOURCE = (
    "Langley et al., The Improvement Guide, 2nd ed. (2009); IHI driver diagram tool; "
    "Bennett & Provost, Quality Progress (2015)."
)
LEVEL_COLOUR = {
    "aim": COLOURS["target"],
    "primary": COLOURS["data"],
    "secondary": "#56B4E9",
    "change": COLOURS["annotation"],
}
COL_X = {"aim": 10, "primary": 230, "secondary": 450, "change": 670}
BOX_W, ROW_H = 190, 64


def render_svg(d: DriverDiagram) -> str:
    """The diagram as an SVG image with a text alternative (boxes in four columns, links)."""
    columns = {lvl: (d.level(lvl) if lvl != "aim" else [d.nodes["AIM"]]) for lvl in COL_X}
    # Order each column by its first parent's position so that links cross less.
    for lvl in ("secondary", "change"):
        parent_order = {n.id: i for i, n in enumerate(columns[PARENT_LEVEL[lvl]])}
        columns[lvl] = sorted(
            columns[lvl],
            key=lambda n: min((parent_order.get(p, 999) for p in n.links), default=999),
        )
    rows = max(len(c) for c in columns.values()) or 1
    height = rows * ROW_H + 20
    pos: dict[str, tuple[float, float]] = {}
    for lvl, nodes in columns.items():
        gap = height / max(len(nodes), 1)
        for i, n in enumerate(nodes):
            pos[n.id] = (COL_X[lvl], gap * i + gap / 2)
    parts = []
    for n in d.nodes.values():
        for p in n.links:
            if p in pos and n.id in pos:
                (x1, y1), (x2, y2) = pos[p], pos[n.id]
                parts.append(
                    f'<line x1="{x1 + BOX_W}" y1="{y1}" x2="{x2}" y2="{y2}" '
                    f'stroke="{COLOURS["limit"]}" stroke-width="1.5"/>'
                )
    orphans = {i.node for i in d.check() if i.severity == "error"}
    for lvl, nodes in columns.items():
        for n in nodes:
            x, y = pos[n.id]
            lines = textwrap.wrap(n.text or "(no aim yet)", 30)[:3]
            stroke = COLOURS["signal"] if n.id in orphans else LEVEL_COLOUR[lvl]
            dash = ' stroke-dasharray="5 3"' if n.id in orphans else ""
            parts.append(
                f"<g><title>{html.escape(_label(n))}</title>"
                f'<rect x="{x}" y="{y - ROW_H / 2 + 4}" width="{BOX_W}" height="{ROW_H - 8}" '
                f'rx="6" fill="white" stroke="{stroke}" stroke-width="2"{dash}/>'
            )
            for k, line in enumerate(lines):
                ty = y - (len(lines) - 1) * 7 + k * 14 + 4
                parts.append(
                    f'<text x="{x + 8}" y="{ty}" font-size="12">{html.escape(line)}</text>'
                )
            parts.append("</g>")
    heads = "".join(
        f'<text x="{COL_X[lvl]}" y="12" font-size="13" font-weight="600">'
        f"{'Aim' if lvl == 'aim' else LEVEL_NAMES[lvl] + 's'}</text>"
        for lvl in COL_X
    )
    return (
        f'<svg role="img" aria-label="Driver diagram" width="880" height="{height + 20}" '
        f'viewBox="0 0 880 {height + 20}" xmlns="http://www.w3.org/2000/svg" '
        f'style="font-family:system-ui,sans-serif">{heads}<g transform="translate(0,20)">'
        + "".join(parts)
        + "</g></svg>"
    )


def _label(n: Node) -> str:
    return f"{LEVEL_NAMES[n.level]} {n.id}: {n.text}"


def describe(d: DriverDiagram) -> str:
    """Words for the diagram (for screen readers): counts and who links to whom."""
    bits = [f"Aim: {d.aim or 'not written yet'}."]
    for p in d.level("primary"):
        subs = d.children(p.id)
        bits.append(
            f"Primary driver {p.id}, {p.text}, has {len(subs)} secondary driver"
            f"{'s' if len(subs) != 1 else ''}"
            + (
                ": "
                + "; ".join(
                    f"{s.id} {s.text} ({len(d.children(s.id))} change "
                    f"idea{'s' if len(d.children(s.id)) != 1 else ''})"
                    for s in subs
                )
                if subs
                else ""
            )
            + "."
        )
    unlinked = [n for n in d.nodes.values() if n.level != "aim" and not n.links]
    if unlinked:
        bits.append("Not linked: " + "; ".join(_label(n) for n in unlinked) + ".")
    return " ".join(bits)


class DriverDiagramApp(widgets.VBox):
    """Build a driver diagram, check it for gaps, and export it (JSON, Markdown).

    Examples
    --------
    >>> app = DriverDiagramApp()                                  # doctest: +SKIP
    >>> app.level.value = "change"                                # doctest: +SKIP
    >>> app.text.value = "Buy bed alarms"                         # doctest: +SKIP
    >>> app.add_button.click()      # no driver selected: an orphan  # doctest: +SKIP
    >>> app.check_button.click()                                  # doctest: +SKIP
    >>> "not linked" in app.issues.value                          # doctest: +SKIP
    True
    >>> display(app)                                              # doctest: +SKIP
    """

    def __init__(self, diagram: DriverDiagram | None = None, use_example: bool = True) -> None:
        self.model = diagram or (example() if use_example else DriverDiagram())
        self.message = _ui.MessageArea()
        self.notice = _ui.NoticePanel(NOTICE, SOURCE)
        st, wide = _ui.LABEL_STYLE, widgets.Layout(width="640px")
        self.aim = widgets.Text(
            value=self.model.aim, description="Aim:", style=st, layout=wide, continuous_update=False
        )
        self.level = widgets.Dropdown(
            options=[(LEVEL_NAMES[k], k) for k in PARENT_LEVEL],
            value="primary",
            description="Add a:",
            style=st,
        )
        self.text = widgets.Text(description="Wording:", style=st, layout=wide)
        self.links = widgets.SelectMultiple(description="Links to:", style=st, rows=4, layout=wide)
        self.add_button = _ui.button("Add", "Add this item to the diagram", "primary")
        self.item = widgets.Dropdown(description="Item:", style=st, layout=wide)
        self.parent = widgets.Dropdown(description="Parent:", style=st, layout=wide)
        self.link_button = _ui.button("Link", "Link the item to the parent")
        self.unlink_button = _ui.button("Unlink", "Remove the link to the parent")
        self.remove_button = _ui.button("Remove item", "Delete the item", "danger")
        self.check_button = _ui.button("Check the diagram", "Look for gaps in the theory", "info")
        self.export_button = _ui.button("Export", "JSON and Markdown downloads")
        self.import_text = widgets.Textarea(
            description="Paste JSON:", style=st, layout=widgets.Layout(width="640px", height="80px")
        )
        self.import_button = _ui.button("Load from JSON", "Replace the diagram with this JSON")
        self.diagram = widgets.HTML()
        self.diagram.add_class("qilab-driver-diagram")
        self.caption = widgets.HTML()
        self.issues = widgets.HTML()
        self.issues.add_class("qilab-issues")
        self.export_links = widgets.HTML()
        self.markdown = widgets.Textarea(
            description="Markdown:",
            style=st,
            disabled=True,
            layout=widgets.Layout(width="640px", height="160px", display="none"),
        )
        self.aim.observe(self._on_aim, names="value")
        self.level.observe(lambda _: self._refresh_options(), names="value")
        self.item.observe(lambda _: self._refresh_parents(), names="value")
        self.add_button.on_click(self._on_add)
        self.link_button.on_click(lambda _: self._edit("link"))
        self.unlink_button.on_click(lambda _: self._edit("unlink"))
        self.remove_button.on_click(lambda _: self._edit("remove"))
        self.check_button.on_click(self._on_check)
        self.export_button.on_click(self._on_export)
        self.import_button.on_click(self._on_import)
        super().__init__(
            [
                _ui.heading("Driver diagram builder"),
                self.aim,
                _ui.heading("Add a driver or change idea", 4),
                self.level,
                self.text,
                self.links,
                self.add_button,
                _ui.heading("Edit links", 4),
                self.item,
                self.parent,
                widgets.HBox([self.link_button, self.unlink_button, self.remove_button]),
                self.message,
                self.diagram,
                self.caption,
                widgets.HBox([self.check_button, self.export_button, self.export_links]),
                self.issues,
                self.markdown,
                widgets.HBox([self.import_text, self.import_button]),
                self.notice,
            ]
        )
        self.add_class("qilab-app")
        self.redraw()

    # ----------------------------------------------------------------- events
    def _refresh_options(self) -> None:
        lvl = self.level.value
        parents = self.model.level(PARENT_LEVEL[lvl]) if lvl != "primary" else []
        self.links.options = [(_label(n), n.id) for n in parents]
        self.links.disabled = lvl == "primary"
        items = [n for n in self.model.nodes.values() if n.level != "aim"]
        current = self.item.value
        self.item.options = [(_label(n), n.id) for n in items]
        if current in self.model.nodes:
            self.item.value = current
        self._refresh_parents()

    def _refresh_parents(self) -> None:
        node = self.model.nodes.get(self.item.value) if self.item.value else None
        if node is None:
            self.parent.options = []
            return
        self.parent.options = [
            (_label(n), n.id)
            for n in self.model.nodes.values()
            if n.level == PARENT_LEVEL[node.level]
        ]

    def _on_aim(self, _=None) -> None:
        self.model.aim = self.aim.value
        self.redraw()

    def _on_add(self, _=None) -> None:
        @_ui.guarded(self.message)
        def run() -> None:
            node = self.model.add(self.level.value, self.text.value, list(self.links.value))
            self.text.value = ""
            n = self.model.nodes[node]
            if n.links:
                self.message.show(f"Added {_label(n)}.", "info")
            else:
                self.message.show(
                    f"Added {_label(n)}, not yet linked to anything: link it below.", "warning"
                )
            self.redraw()

        run()

    def _edit(self, action: str) -> None:
        @_ui.guarded(self.message)
        def run() -> None:
            if not self.item.value:
                raise ValueError("Choose an item first.")
            if action == "remove":
                self.model.remove(self.item.value)
            elif not self.parent.value:
                raise ValueError("Choose the parent to link to.")
            elif action == "link":
                self.model.link(self.item.value, self.parent.value)
            else:
                self.model.unlink(self.item.value, self.parent.value)
            self.message.clear()
            self.redraw()

        run()

    def _on_check(self, _=None) -> None:
        issues = self.model.check()
        errors = [i for i in issues if i.severity == "error"]
        if not issues:
            self.message.show(
                "No gaps found: every item is linked and every driver has something under it.",
                "info",
            )
        elif errors:
            self.message.show(
                f"{len(errors)} problem{'s' if len(errors) != 1 else ''} to fix "
                "(see the list below the diagram).",
                "error",
            )
        else:
            self.message.show("No errors; some advice below.", "info")
        self.redraw()

    def _on_export(self, _=None) -> None:
        md = self.model.to_markdown()
        self.export_links.value = _ui.download_link(
            self.model.to_json(), "driver_diagram.json", "application/json", "Download JSON"
        ) + _ui.download_link(md, "driver_diagram.md", "text/markdown", "Download Markdown")
        self.markdown.value = md
        self.markdown.layout.display = None

    def _on_import(self, _=None) -> None:
        @_ui.guarded(self.message)
        def run() -> None:
            self.model = DriverDiagram.from_json(self.import_text.value)
            self.aim.value = self.model.aim
            self.message.show("Diagram loaded.", "info")
            self.redraw()

        run()

    # ------------------------------------------------------------------- view
    def redraw(self) -> None:
        self._refresh_options()
        self.diagram.value = render_svg(self.model)
        self.caption.value = f'<p role="note">{html.escape(describe(self.model))}</p>'
        issues = self.model.check()
        self.issues.value = (
            "<ul>"
            + "".join(
                f"<li><b>{'Problem' if i.severity == 'error' else 'Advice'}:</b> "
                f"{html.escape(i.message)}</li>"
                for i in issues
            )
            + "</ul>"
            if issues
            else "<p>No gaps found.</p>"
        )
