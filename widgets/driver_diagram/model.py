"""Driver diagrams: the theory of change behind an improvement project.

An aim (what, how much, by when) is reached through primary drivers (the few big things that
must be true), each influenced by secondary drivers (where to act), each tested through change
ideas (what to try in PDSA cycles). Reading left to right says *why*; right to left, *how*
(Langley et al., *The Improvement Guide*, 2nd ed., 2009; IHI's driver diagram tool;
Bennett & Provost, "What's your theory?", *Quality Progress*, 2015).

The model is a small graph with typed nodes. :meth:`DriverDiagram.check` finds the gaps a
coach would point out: an orphan change idea (linked to no driver: why are we doing it?), a
driver with nothing under it (how will we move it?), an aim without a number or a date.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field

from qilab.errors import QilabError

LEVELS = ("aim", "primary", "secondary", "change")
LEVEL_NAMES = {
    "aim": "Aim",
    "primary": "Primary driver",
    "secondary": "Secondary driver",
    "change": "Change idea",
}
#: Which level a node's links must point to (its parents, one level to the left).
PARENT_LEVEL = {"primary": "aim", "secondary": "primary", "change": "secondary"}


@dataclass
class Node:
    id: str
    level: str
    text: str
    links: list[str] = field(default_factory=list)  # ids of parents (one level to the left)


@dataclass
class Issue:
    severity: str  # "error" or "warning"
    node: str  # node id, or "" for the diagram as a whole
    message: str


class DriverDiagram:
    """An editable driver diagram that knows when its theory has gaps.

    Examples
    --------
    >>> d = DriverDiagram("Reduce inpatient falls by 30 % by 31 March")
    >>> p = d.add("primary", "Patients are mobilised safely")
    >>> s = d.add("secondary", "Footwear and walking aids to hand", links=[p])
    >>> c = d.add("change", "Slipper socks stocked on every bay", links=[s])
    >>> orphan = d.add("change", "Buy bed alarms")
    >>> [i.node for i in d.check() if i.severity == "error"]
    ['C2']
    """

    def __init__(self, aim: str = "") -> None:
        self.nodes: dict[str, Node] = {}
        self._counters = {"primary": 0, "secondary": 0, "change": 0}
        self.nodes["AIM"] = Node("AIM", "aim", aim.strip())

    # --------------------------------------------------------------- editing
    @property
    def aim(self) -> str:
        return self.nodes["AIM"].text

    @aim.setter
    def aim(self, text: str) -> None:
        self.nodes["AIM"].text = text.strip()

    def add(self, level: str, text: str, links: list[str] | None = None) -> str:
        """Add a driver or change idea; return its id (P1, S1, C1 …)."""
        if level not in PARENT_LEVEL:
            raise QilabError(f"Unknown kind of item '{level}': use primary, secondary or change.")
        text = text.strip()
        if not text:
            raise QilabError(f"Type the {LEVEL_NAMES[level].lower()}'s wording first.")
        if any(n.text.lower() == text.lower() and n.level == level for n in self.nodes.values()):
            raise QilabError(f"There is already a {LEVEL_NAMES[level].lower()} called '{text}'.")
        links = list(links or [])
        if level == "primary" and not links:
            links = ["AIM"]
        self._check_links(level, links)
        self._counters[level] += 1
        node_id = f"{level[0].upper()}{self._counters[level]}"
        self.nodes[node_id] = Node(node_id, level, text, links)
        return node_id

    def _check_links(self, level: str, links: list[str]) -> None:
        for link in links:
            parent = self.nodes.get(link)
            if parent is None:
                raise QilabError(f"There is no item '{link}' to link to.")
            if parent.level != PARENT_LEVEL[level]:
                raise QilabError(
                    f"A {LEVEL_NAMES[level].lower()} links to a "
                    f"{LEVEL_NAMES[PARENT_LEVEL[level]].lower()}, not to a "
                    f"{LEVEL_NAMES[parent.level].lower()} ({link})."
                )

    def link(self, child: str, parent: str) -> None:
        node = self._get(child)
        self._check_links(node.level, [parent])
        if parent not in node.links:
            node.links.append(parent)

    def unlink(self, child: str, parent: str) -> None:
        node = self._get(child)
        if parent in node.links:
            node.links.remove(parent)

    def rename(self, node_id: str, text: str) -> None:
        if not text.strip():
            raise QilabError("An item needs some words: type its new wording.")
        self._get(node_id).text = text.strip()

    def remove(self, node_id: str) -> None:
        """Remove an item; items linked only to it become orphans (and :meth:`check` says so)."""
        if node_id == "AIM":
            raise QilabError("The aim cannot be removed: edit its wording instead.")
        self._get(node_id)
        del self.nodes[node_id]
        for n in self.nodes.values():
            if node_id in n.links:
                n.links.remove(node_id)

    def _get(self, node_id: str) -> Node:
        try:
            return self.nodes[node_id]
        except KeyError:
            raise QilabError(f"There is no item '{node_id}' in the diagram.") from None

    def level(self, level: str) -> list[Node]:
        return [n for n in self.nodes.values() if n.level == level]

    def children(self, node_id: str) -> list[Node]:
        return [n for n in self.nodes.values() if node_id in n.links]

    # -------------------------------------------------------------- checking
    def check(self) -> list[Issue]:
        """Gaps in the theory of change, errors first."""
        issues: list[Issue] = []
        aim = self.aim
        if not aim:
            issues.append(Issue("error", "AIM", "Write an aim: what will improve, for whom."))
        else:
            if not re.search(r"\d", aim):
                issues.append(
                    Issue(
                        "warning",
                        "AIM",
                        "The aim has no number: say 'how much' "
                        "(e.g. 'by 30 %' or 'from 60 % to 90 %').",
                    )
                )
            if not re.search(r"\bby\b|\bwithin\b|\b20\d\d\b|month|week|year", aim, re.I):
                issues.append(Issue("warning", "AIM", "The aim has no deadline: say 'by when'."))
        if not self.level("primary"):
            issues.append(Issue("error", "", "Add at least one primary driver."))
        for n in self.nodes.values():
            if n.level == "aim":
                continue
            if not n.links:
                what = LEVEL_NAMES[n.level]
                parent = LEVEL_NAMES[PARENT_LEVEL[n.level]].lower()
                issues.append(
                    Issue(
                        "error",
                        n.id,
                        f"{what} {n.id} ('{n.text}') is not linked to "
                        f"any {parent}: link it, or ask why it is in the diagram.",
                    )
                )
            if n.level in ("primary", "secondary") and not self.children(n.id):
                below = "secondary drivers" if n.level == "primary" else "change ideas"
                issues.append(
                    Issue(
                        "warning",
                        n.id,
                        f"{LEVEL_NAMES[n.level]} {n.id} "
                        f"('{n.text}') has no {below} yet: how will you move it?",
                    )
                )
        return sorted(issues, key=lambda i: i.severity != "error")

    def is_valid(self) -> bool:
        """True when there are no errors (warnings are advice)."""
        return not any(i.severity == "error" for i in self.check())

    # --------------------------------------------------------------- exports
    def to_dict(self) -> dict[str, object]:
        return {
            "aim": self.aim,
            "nodes": [asdict(n) for n in self.nodes.values() if n.level != "aim"],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> DriverDiagram:
        """Rebuild a diagram saved with :meth:`to_json` (ids and links kept)."""
        try:
            data = json.loads(text)
            d = cls(str(data.get("aim", "")))
            for raw in data.get("nodes", []):
                node = Node(
                    str(raw["id"]),
                    str(raw["level"]),
                    str(raw["text"]),
                    [str(x) for x in raw.get("links", [])],
                )
                if node.level not in PARENT_LEVEL:
                    raise QilabError(f"Unknown level '{node.level}' for item {node.id}.")
                d.nodes[node.id] = node
                num = re.sub(r"\D", "", node.id)
                if num:
                    d._counters[node.level] = max(d._counters[node.level], int(num))
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as err:
            raise QilabError(f"This is not a driver diagram saved by QI Lab ({err}).") from None
        return d

    def to_markdown(self) -> str:
        """A nested list that reads left to right: aim → drivers → change ideas."""
        lines = [f"# Driver diagram\n\n**Aim:** {self.aim or '(no aim yet)'}\n"]
        for p in self.level("primary"):
            lines.append(f"- **Primary driver {p.id}:** {p.text}")
            for s in self.children(p.id):
                lines.append(f"  - *Secondary driver {s.id}:* {s.text}")
                for c in self.children(s.id):
                    lines.append(f"    - Change idea {c.id}: {c.text}")
        orphans = [n for n in self.nodes.values() if n.level != "aim" and not n.links]
        if orphans:
            lines.append("\n**Not yet linked:** " + "; ".join(f"{n.id} {n.text}" for n in orphans))
        return "\n".join(lines) + "\n"


def example() -> DriverDiagram:
    """A worked example from a medical ward (inpatient falls), for learners to edit."""
    d = DriverDiagram("Reduce inpatient falls on Ward 7 by 30 % by 31 March")
    p1 = d.add("primary", "Patients at risk are identified early")
    p2 = d.add("primary", "Patients move about safely")
    p3 = d.add("primary", "Staff can see and reach patients")
    s1 = d.add("secondary", "Falls risk assessed on admission", [p1])
    s2 = d.add("secondary", "Medicines that raise falls risk reviewed", [p1])
    s3 = d.add("secondary", "Footwear and walking aids to hand", [p2])
    s4 = d.add("secondary", "Toileting needs met before they become urgent", [p2, p3])
    s5 = d.add("secondary", "Bay nursing for high-risk patients", [p3])
    d.add("change", "Falls risk section added to the clerking proforma", [s1])
    d.add("change", "Pharmacist flags sedatives on the post-take round", [s2])
    d.add("change", "Slipper socks stocked on every bay", [s3])
    d.add("change", "Intentional rounding every 2 hours", [s4, s5])
    return d
