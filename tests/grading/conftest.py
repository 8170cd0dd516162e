"""Fixtures for the tutor tooling: synthetic courses, real nbgrader, a real PostgreSQL server.

Courses are built in tmp from :mod:`qilab.grading.synthetic` (never from the repository's
assignments, which another part of the project owns). PostgreSQL (tests/postgres_server.py,
fixtures in tests/conftest.py) is a throw-away cluster; a missing server fails, never skips.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import nbformat
import pytest
from qilab.grading import synthetic
from qilab.grading.course import Course, init_course
from qilab.grading.release import release

ASSIGNMENT = synthetic.ASSIGNMENT


@pytest.fixture(scope="session")
def source_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of nbgrader source assignments holding the synthetic assignment."""
    root = tmp_path_factory.mktemp("sources")
    synthetic.write_source(root)
    return root / "source"


@pytest.fixture
def make_course(tmp_path: Path, source_dir: Path) -> Callable[..., Course]:
    """Build a released synthetic course for the given learner ids."""

    def make(learners: list[str], name: str = "cohort", **settings: object) -> Course:
        roster = synthetic.write_roster(tmp_path / f"{name}-roster.csv", learners)
        init_course(tmp_path / name, roster, source=source_dir, **settings)  # type: ignore[arg-type]
        course = Course.open(tmp_path / name)
        result = release(course)
        assert not result.errors, result
        return course

    return make


def released_notebook(course: Course) -> nbformat.NotebookNode:
    return nbformat.read(course.root / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4)


def place_submission(course: Course, learner: str, kind: str, timestamp: str | None = None) -> Path:
    """Put a synthetic submission straight into submitted/ (as a tutor copying files would)."""
    folder = course.root / "submitted" / learner / ASSIGNMENT
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{ASSIGNMENT}.ipynb"
    if kind == "corrupted":
        path.write_bytes(synthetic.CORRUPTED)
    else:
        nbformat.write(synthetic.submission(released_notebook(course), kind), path)
    if timestamp:
        (folder / "timestamp.txt").write_text(timestamp)
    return path


def nbgrader_submit(course: Course, learner: str, kind: str, home: Path) -> None:
    """A learner submits through the exchange with nbgrader's own ``ExchangeSubmit``.

    The same code `nbgrader submit` runs, in-process (a subprocess per learner would spend
    seconds importing nbgrader), with the learner's files and nbgrader's cache in ``home``.
    """
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.exchange.default.submit import ExchangeSubmit
    from traitlets.config import Config

    work = home / learner / ASSIGNMENT
    work.mkdir(parents=True, exist_ok=True)
    nbformat.write(
        synthetic.submission(released_notebook(course), kind), work / f"{ASSIGNMENT}.ipynb"
    )
    config = Config()
    config.CourseDirectory.course_id = course.course_id
    config.CourseDirectory.assignment_id = ASSIGNMENT
    config.CourseDirectory.student_id = learner
    config.Exchange.root = str(course.exchange_root())
    config.Exchange.cache = str(home / learner / ".nbgrader-cache")
    config.Exchange.assignment_dir = str(home / learner)
    submit = ExchangeSubmit(
        coursedir=CourseDirectory(config=config),
        authenticator=Authenticator(config=config),
        config=config,
    )
    submit.start()


@pytest.fixture
def place() -> Callable[..., Path]:
    """``place(course, learner, kind, timestamp=None)``: see :func:`place_submission`."""
    return place_submission


@pytest.fixture(scope="session")
def exchange_submit() -> Callable[[Course, str, str, Path], None]:
    """``exchange_submit(course, learner, kind, home)``: see :func:`nbgrader_submit`."""
    return nbgrader_submit


@pytest.fixture
def submit(tmp_path: Path) -> Callable[[Course, str, str], None]:
    """``submit(course, learner, kind)``: a real `nbgrader submit` into the exchange."""
    home = tmp_path / "homes"
    return lambda course, learner, kind: nbgrader_submit(course, learner, kind, home)


@pytest.fixture
def released() -> Callable[[Course], nbformat.NotebookNode]:
    return released_notebook


@pytest.fixture
def local_cluster(
    tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[[int], object]]:
    """``local_cluster(workers)``: a ``distributed.Client`` to a LocalCluster made exactly as
    autograde makes its own. Tests pass ``client.scheduler.address`` as autograde's scheduler
    and change what its workers do with ``client.run`` (they are separate processes, so a
    monkeypatch in the test process does not reach them)."""
    import cloudpickle
    from distributed import Client
    from qilab.grading.cluster import local_cluster as make_cluster

    # The test's own functions go to the workers by value (its module is not importable there).
    cloudpickle.register_pickle_by_value(request.module)
    made: list[tuple[object, object]] = []
    scratches: list[Path] = []

    def start(workers: int = 1) -> object:
        # Not under tmp_path: pytest removes old numbered folders, and so may a concurrent run.
        scratch = Path(tempfile.mkdtemp(prefix="qilab-dask-test-"))
        scratches.append(scratch)
        cluster = make_cluster(workers, scratch)
        client = Client(cluster)
        made.append((client, cluster))
        return client

    yield start
    for client, cluster in made:
        client.close()  # type: ignore[attr-defined]
        cluster.close()  # type: ignore[attr-defined]
    cloudpickle.unregister_pickle_by_value(request.module)
    for scratch in scratches:
        shutil.rmtree(scratch, ignore_errors=True)
