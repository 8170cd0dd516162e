"""Project hygiene that CI enforces: lint, clean notebooks, self-explaining folders, layering."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TOP_LEVEL_FOLDERS = [
    "curriculum",
    "assignments",
    "widgets",
    "datasets",
    "grading",
    "tests",
    "benchmarks",
    "deploy",
]

#: The layers, lowest first. A module may import qilab modules from its own layer's package or
#: from lower layers only: imports point down, never back up.
LAYERS: dict[str, int] = {
    "qilab.errors": 0,
    "qilab.paths": 1,
    "qilab.ports": 1,
    "qilab.theme": 1,
    "qilab.levels": 1,
    "qilab.validation": 1,
    "qilab.offline": 1,
    "qilab.measure": 2,
    "qilab.notebook": 2,
    "qilab.datasets": 2,
    "qilab.escalator": 2,
    "qilab.lab": 3,
    "qilab.curriculum": 3,
    "qilab.cases": 3,
    "qilab.widgets": 3,
    "qilab.grading": 3,
    "qilab.hub": 4,
    "qilab.selfstudy": 4,
    "qilab.cli": 5,
}
PACKAGE_DIRS = {
    "qilab": "qilab",
    "widgets": "qilab.widgets",
    "grading": "qilab.grading",
    "datasets": "qilab.datasets",
}


def tracked_files(pattern: str) -> list[Path]:
    done = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", pattern],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    return [REPO / line for line in done.stdout.splitlines() if (REPO / line).exists()]


def test_ruff_is_clean():
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "."], cwd=REPO, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_format_is_clean():
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", "."],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_committed_notebooks_carry_no_outputs():
    notebooks = tracked_files("*.ipynb")
    assert notebooks, "expected notebooks in the repository"
    dirty = []
    for path in notebooks:
        nb = json.loads(path.read_text())
        if any(cell.get("outputs") or cell.get("execution_count") for cell in nb["cells"]):
            dirty.append(str(path.relative_to(REPO)))
    assert not dirty, f"clear outputs before committing (Kernel → Restart & Clear Outputs): {dirty}"


@pytest.mark.parametrize("folder", TOP_LEVEL_FOLDERS)
def test_every_top_level_folder_explains_itself(folder):
    readme = REPO / folder / "README.md"
    assert readme.is_file() and len(readme.read_text().split()) > 30, f"{folder}/ needs a README.md"


def module_name(path: Path) -> str:
    rel = path.relative_to(REPO).with_suffix("")
    parts = list(rel.parts)
    package = PACKAGE_DIRS[parts[0]]
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join([package, *parts[1:]])


def layer_of(module: str) -> tuple[str, int] | None:
    for prefix in sorted(LAYERS, key=len, reverse=True):
        if module == prefix or module.startswith(prefix + "."):
            return prefix, LAYERS[prefix]
    return None


def qilab_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    return [name for name in names if name.startswith("qilab.")]


def test_imports_point_down_never_back_up():
    wrong = []
    for folder in PACKAGE_DIRS:
        for path in (REPO / folder).rglob("*.py"):
            here = layer_of(module_name(path))
            if here is None:
                continue
            for imported in qilab_imports(path):
                there = layer_of(imported)
                if there and there[0] != here[0] and there[1] >= here[1]:
                    wrong.append(f"{path.relative_to(REPO)} imports {imported}")
    assert not wrong, "imports must point down the layers (see LAYERS):\n" + "\n".join(wrong)
