"""Read what an app shows: rows embedded in chart specs, spec text."""

from __future__ import annotations

import json
from typing import Any


def datasets(spec: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """Every block of rows embedded in a Vega-Lite spec (top-level datasets and inline values)."""
    found: list[list[dict[str, Any]]] = list(spec.get("datasets", {}).values())

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            data = node.get("data")
            if isinstance(data, dict) and isinstance(data.get("values"), list):
                found.append(data["values"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk({k: v for k, v in spec.items() if k != "datasets"})
    return found


def spec_text(spec: dict[str, Any]) -> str:
    return json.dumps(spec, sort_keys=True, default=str)
