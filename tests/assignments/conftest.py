"""One real nbgrader run of every assignment, shared by the whole session.

Two synthetic learners hand in each assignment: ``solution`` submits the instructor's source
notebook (model answers included) and ``blank`` submits the generated student version unchanged.
Real nbgrader runs are slow (a kernel per notebook), so the course is built once per session,
split into as many course copies as there are cores and graded side by side. Each copy has its
own gradebook (the config puts it at ``<copy>/.qilab/gradebook.db``): the developer's own
``.qilab/`` is never touched, and no two nbgrader processes share a SQLite file.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from .course import MODULES, SOURCE

NBGRADER = str(Path(sys.executable).parent / "nbgrader")
#: Generous limits for a busy shared machine: importing the plotting stack in a fresh kernel can
#: take more than nbgrader's default 30 s per cell, and IOPub messages can lag more than 4 s.
EXECUTE_LIMITS = ("--Execute.timeout=240", "--Execute.iopub_timeout=60")


@dataclass
class Shard:
    """One temporary copy of the course (``root`` is its nbgrader course directory)."""

    root: Path
    modules: list[str]
    log: list[str] = field(default_factory=list)

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.root.parent / '.qilab' / 'gradebook.db'}"

    def nbgrader(self, *args: str) -> None:
        done = subprocess.run(
            [NBGRADER, *args], cwd=self.root, capture_output=True, text=True, timeout=1800
        )
        self.log.append(f"$ nbgrader {' '.join(args)} -> {done.returncode}\n{done.stderr[-6000:]}")

    def grade(self) -> None:
        """Generate every assignment, hand in both learners, autograde (one process each)."""
        self.nbgrader("generate_assignment", "*")
        for module in self.modules:
            handed_in = {
                "solution": self.root / "source" / module / f"{module}.ipynb",
                "blank": self.root / "release" / module / f"{module}.ipynb",
            }
            for learner, notebook in handed_in.items():
                folder = self.root / "submitted" / learner / module
                folder.mkdir(parents=True)
                if notebook.exists():
                    shutil.copy(notebook, folder)
        self.nbgrader("autograde", "*", "--create", *EXECUTE_LIMITS)


@dataclass
class GradedCourse:
    """Where each module was graded, and what nbgrader said."""

    shards: dict[str, Shard]

    def root(self, module: str) -> Path:
        return self.shards[module].root

    def db_url(self, module: str) -> str:
        return self.shards[module].db_url

    def log(self, module: str) -> str:
        return "\n".join(self.shards[module].log)


def wanted_modules(session: pytest.Session) -> list[str]:
    """The modules this run's selected tests grade (all of them, unless ``-k`` narrowed it)."""
    wanted = {
        item.callspec.params["module"]
        for item in session.items
        if "graded_course" in getattr(item, "fixturenames", ())
        and "module" in getattr(getattr(item, "callspec", None), "params", {})
    }
    return [m for m in MODULES if m in wanted] or list(MODULES)


@pytest.fixture(scope="session")
def graded_course(
    repo: Path, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> GradedCourse:
    selected = wanted_modules(request.session)
    present = [m for m in selected if (SOURCE / m / f"{m}.ipynb").is_file()]
    # One nbgrader process at a time: concurrent processes each starting kernels (ports chosen
    # by bind-then-release) made a learner's autograde fail now and then on a 2-core CI run.
    workers = 1
    shards = []
    for k in range(workers):
        root = tmp_path_factory.mktemp(f"course{k}") / "assignments"
        (root / "source").mkdir(parents=True)
        shutil.copy(repo / "assignments" / "nbgrader_config.py", root)
        modules = present[k::workers]
        for module in modules:
            shutil.copytree(SOURCE / module, root / "source" / module)
        shards.append(Shard(root, modules))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(Shard.grade, shards))
    return GradedCourse({m: shard for shard in shards for m in shard.modules})
