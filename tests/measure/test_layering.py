"""qilab.measure is pure maths and chart specs: no widgets, data sets or grading imported."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import qilab.measure

FORBIDDEN = ["ipywidgets", "qilab.widgets", "qilab.datasets", "qilab.grading", "qilab.cli"]


def test_computing_loads_no_higher_layer() -> None:
    code = (
        "import sys, qilab.measure as m\n"
        "m.qic([1, 2, 3, 2, 1], chart='i').describe()\n"
        f"print(','.join(n for n in {FORBIDDEN!r} if n in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_sources_import_nothing_forbidden() -> None:
    # Altair itself may load ipywidgets for its JupyterChart; our own modules never do.
    for path in Path(qilab.measure.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert not any(name == f or name.startswith(f + ".") for f in FORBIDDEN), path
