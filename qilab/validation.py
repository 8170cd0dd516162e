"""Check a hand-edited YAML file against a JSON Schema and say, for each problem, how to fix it.

Academies and tutors edit QI Lab's YAML by hand (the escalator manifest, data dictionaries,
``cases.yaml``). The *shape* of each file — which keys, which types, which values and ranges —
is a JSON Schema (draft 2020-12) checked by `jsonschema <https://python-jsonschema.readthedocs.io>`_,
the validator the Jupyter stack already uses for notebooks. jsonschema's own messages are written
for programmers (``'expert' is not one of ['foundation', ...]``); this module turns each error into
a :class:`Problem` a tutor can act on: *where* (``modules[3] (foundation_pdsa).minutes``), *what*
and *how to fix it*.

The wording comes from the schema, so each rule and its advice sit together. Three annotation
keywords (ignored by other JSON Schema tools, as the specification allows for unknown keywords):

``x-message``
    What is wrong, for any failure of this subschema; ``{value!r}`` is the offending value,
    ``{kind}`` what it is ("a list", "text") and ``{count}`` its number of entries.
``x-fix``
    How to fix it. On a property's subschema it is also used when the property is missing.
``x-missing``
    On a property's subschema: what to say when it is missing (default: "missing").
``x-unknown-fix``
    On an object schema: how to fix an unexpected key (default: names the known keys).

and one on the root schema, ``x-item-labels`` (``{"modules": "id"}``), which adds an item's id
to the place: ``modules[3] (foundation_pdsa)`` rather than a bare index.

Rules no schema can state (an outcome's verb, prerequisites that go round in a circle) stay in
Python beside each schema and report the same :class:`Problem`.

Examples
--------
>>> schema = {
...     "type": "object",
...     "required": ["minutes"],
...     "properties": {
...         "minutes": {
...             "type": "integer", "minimum": 30, "maximum": 60,
...             "x-message": "is {value!r}; a lesson should take 30-60 minutes",
...             "x-fix": "set a whole number of minutes from 30 to 60",
...         }
...     },
...     "additionalProperties": False,
... }
>>> for p in problems({"minutes": 90, "minuts": 40}, schema):
...     print(p)
minutes: is 90; a lesson should take 30-60 minutes. Fix: set a whole number of minutes from 30 to 60
minuts: unknown key. Fix: remove it or correct its spelling (known keys: minutes)
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError


@dataclass(frozen=True)
class Problem:
    """One thing wrong, where it is, and what to do about it."""

    where: str
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}. Fix: {self.fix}"


def problems(document: Any, schema: Mapping[str, Any], root: str = "") -> list[Problem]:
    """Every place where *document* (parsed YAML) breaks *schema*, in document order.

    A place that breaks several rules is reported once, for the first rule the schema lists
    (so a subschema lists its most basic rule first: an empty list is "missing" before it is
    "too short").

    Parameters
    ----------
    document
        What ``yaml.safe_load`` returned. YAML dates are checked as ISO text (``format: date``).
    schema
        A draft 2020-12 JSON Schema, annotated as the module docstring describes.
    root
        The place named when the whole document is wrong (for example the file's name).
    """
    validator = _validator(schema)
    data = as_json(document)
    found: dict[str, tuple[list[int], Problem]] = {}  # one problem per place: the first found
    for error in validator.iter_errors(data):
        for path, problem in _explain(error, schema, data, root):
            found.setdefault(problem.where, (_position(data, path), problem))
    return [problem for _, problem in sorted(found.values(), key=lambda item: item[0])]


def as_json(value: Any) -> Any:
    """*value* in JSON's data model: YAML's dates and datetimes become ISO text.

    Examples
    --------
    >>> as_json({"start": dt.date(2024, 4, 1), "n": [1, 2]})
    {'start': '2024-04-01', 'n': [1, 2]}
    """
    if isinstance(value, dict):
        return {str(k) if not isinstance(k, str) else k: as_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [as_json(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def kind(value: Any) -> str:
    """What a value is, in a tutor's words (for "expected a list, found text").

    Examples
    --------
    >>> kind([1]), kind("x"), kind(None), kind(3)
    ('a list', 'text', 'nothing', 'int')
    """
    names = {dict: "a mapping", list: "a list", str: "text", type(None): "nothing"}
    return names.get(type(value), type(value).__name__)


# ---------------------------------------------------------------------------- internals


#: Each schema's validator, built (and the schema itself checked) once; schemas are constants.
_VALIDATORS: dict[int, tuple[Mapping[str, Any], Draft202012Validator]] = {}


def _validator(schema: Mapping[str, Any]) -> Draft202012Validator:
    cached = _VALIDATORS.get(id(schema))
    if cached is None or cached[0] is not schema:
        Draft202012Validator.check_schema(schema)
        cached = (schema, Draft202012Validator(schema, format_checker=FormatChecker()))
        _VALIDATORS[id(schema)] = cached
    return cached[1]


def _position(document: Any, path: list[Any]) -> list[int]:
    """Where *path* is in the document, as a sort key: keys in the order the file has them."""
    position: list[int] = []
    node = document
    for part in path:
        if isinstance(node, dict):
            keys = list(node)
            position.append(keys.index(part) if part in node else len(keys))
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int):
            position.append(part)
            node = node[part] if part < len(node) else None
        else:
            position.append(0)
            node = None
    return position


def _where(path: list[Any], schema: Mapping[str, Any], document: Any, root: str) -> str:
    labels: Mapping[str, str] = schema.get("x-item-labels", {})
    text = ""
    node = document
    parent_key: Any = None
    for part in path:
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            node = None
        if isinstance(part, int):
            text += f"[{part}]"
            label_key = labels.get(parent_key) if isinstance(parent_key, str) else None
            if label_key and isinstance(node, dict) and isinstance(node.get(label_key), str):
                text += f" ({node[label_key]})"
        else:
            text += f".{part}" if text else str(part)
        parent_key = part
    return text or root


def _annotation(schema: Any, key: str) -> str | None:
    value = schema.get(key) if isinstance(schema, Mapping) else None
    return value if isinstance(value, str) else None


def _explain(
    error: ValidationError, root_schema: Mapping[str, Any], document: Any, root: str
) -> Iterator[tuple[list[Any], Problem]]:
    path = list(error.absolute_path)
    sub: Mapping[str, Any] = error.schema if isinstance(error.schema, Mapping) else {}
    value: Any = error.instance
    wanted: Any = error.validator_value
    keyword = error.validator
    here = _where(path, root_schema, document, root)

    if keyword == "required":
        properties = sub.get("properties", {})
        for name in wanted:
            if isinstance(value, dict) and name not in value:
                spec = properties.get(name, {})
                yield (
                    [*path, name],
                    Problem(
                        _where([*path, name], root_schema, document, root),
                        _annotation(spec, "x-missing") or "missing",
                        _annotation(spec, "x-fix") or f"add a '{name}:' entry",
                    ),
                )
        return
    if keyword in ("additionalProperties", "unevaluatedProperties"):
        known = sorted(sub.get("properties", {}))
        extra = [k for k in value if k not in sub.get("properties", {})]
        for name in extra:
            yield (
                [*path, name],
                Problem(
                    _where([*path, name], root_schema, document, root),
                    "unknown key",
                    _annotation(sub, "x-unknown-fix")
                    or f"remove it or correct its spelling (known keys: {', '.join(known)})",
                ),
            )
        return
    message = _annotation(sub, "x-message")
    yield (
        path,
        Problem(
            here,
            message.format(value=value, kind=kind(value), count=_count(value))
            if message
            else _default(error),
            _annotation(sub, "x-fix") or _default_fix(error),
        ),
    )


def _count(value: Any) -> int | None:
    return len(value) if isinstance(value, list | dict | str) else None


def _default(error: ValidationError) -> str:
    value: Any = error.instance
    wanted: Any = error.validator_value
    keyword = error.validator
    if keyword == "type":
        wanted_types = wanted if isinstance(wanted, list) else [wanted]
        words = {
            "object": "a mapping",
            "array": "a list",
            "string": "text",
            "integer": "a whole number",
            "number": "a number",
            "boolean": "true or false",
            "null": "nothing",
        }
        expected = " or ".join(words.get(str(t), str(t)) for t in wanted_types)
        return f"expected {expected}, found {kind(value)}"
    if keyword == "enum":
        return f"{value!r} is not one of {', '.join(map(str, wanted))}"
    if keyword == "const":
        return f"is {value!r}, expected {wanted!r}"
    if keyword in ("minItems", "minLength", "minProperties") and not value:
        return "missing or empty"
    if keyword in ("minItems", "maxItems"):
        return f"has {len(value)} entries"
    if keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return f"is {value!r}, out of range"
    if keyword == "format":
        return f"is {value!r}, not a valid {wanted}"
    if keyword == "pattern":
        return f"{value!r} does not have the expected form"
    return re.sub(r"\s+", " ", error.message)


def _default_fix(error: ValidationError) -> str:
    keyword = error.validator
    wanted: Any = error.validator_value
    if keyword == "enum":
        return f"use one of {', '.join(map(str, wanted))}"
    if keyword == "format" and wanted == "date":
        return "write the date as YYYY-MM-DD"
    if keyword in ("minimum", "exclusiveMinimum"):
        return (
            f"use a value above {wanted}"
            if keyword == "exclusiveMinimum"
            else f"use {wanted} or more"
        )
    if keyword in ("maximum", "exclusiveMaximum"):
        return (
            f"use a value below {wanted}"
            if keyword == "exclusiveMaximum"
            else f"use {wanted} or less"
        )
    return "see the file's documentation and correct the value"
