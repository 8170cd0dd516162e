"""Benchmark parallel autograding: ``.venv/bin/python benchmarks/autograde.py``.

Builds a synthetic cohort of 40 submissions (solutions, partial answers, blanks and a correct
answer that prints a warning — see ``qilab.grading.synthetic``), then grades identical copies
of it with plain ``nbgrader autograde`` and with ``qilab course autograde`` at 1 and 2 workers
(``--workers 1,2,4`` for more where the machine has the cores; a Dask ``LocalCluster`` of that
many worker processes, started and closed inside each run),
each as its own process, as a tutor would run them — QI Lab's with every learner's kernel in
its bubblewrap sandbox, as tutors run it (plain nbgrader has none). Prints each wall time, the
speed-up over plain nbgrader (target ≥ 2.5× on 2 cores), one worker against plain nbgrader
(target: no slower), the throughput, speed-up and efficiency at each worker count (target
≥ 0.8 per added worker when each worker has a core of its own), whether every cell's score is
identical, and the load average before and after (figures on a shared machine are noisy).
Takes a few minutes; ``--submissions 12`` for a quick look.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from qilab.grading import synthetic
from qilab.grading.course import Course, init_course
from qilab.grading.release import release
from qilab.grading.results import load_gradebook

A = synthetic.ASSIGNMENT
TARGET = 2.5
#: Efficiency goal per added worker (speed-up over 1 worker / workers), when each worker has a
#: core of its own: the marking process needs part of a core too (it alone writes the gradebook).
EFFICIENCY = 0.8
KINDS = ["solution", "partial", "blank", "warns"]
BIN = Path(sys.executable).parent

#: `qilab course …` whether or not the CLI lists it yet (it is a module with register/run).
RUN_COURSE_CLI = (
    "import argparse, sys\n"
    "from qilab.cli import course\n"
    "parser = argparse.ArgumentParser(prog='qilab')\n"
    "course.register(parser.add_subparsers())\n"
    "args = parser.parse_args(sys.argv[1:])\n"
    "sys.exit(args.func(args))\n"
)

ACROSS_MACHINES = """\
Across machines: each submission is a Dask task carrying its notebooks and files as bytes, so
`qilab course autograde ASSIGNMENT --scheduler tcp://HOST:8786` fans a cohort out over an
academy's Dask cluster (no shared course folder; the gradebook is still written by this one
process). tests/grading/test_dask_cluster.py runs it on a real scheduler and two workers.
"""


def build(root: Path, count: int) -> Course:
    learners = [f"d{i:03d}" for i in range(count)]
    sources = root / "sources"
    synthetic.write_source(sources)
    init_course(
        root / "cohort",
        synthetic.write_roster(root / "roster.csv", learners),
        source=sources / "source",
    )
    course = Course.open(root / "cohort")
    result = release(course, exchange=False)
    assert not result.errors, result
    released = nbformat.read(course.root / "release" / A / f"{A}.ipynb", 4)
    for index, learner in enumerate(learners):
        folder = course.root / "submitted" / learner / A
        folder.mkdir(parents=True)
        kind = KINDS[index % len(KINDS)]
        nbformat.write(synthetic.submission(released, kind), folder / f"{A}.ipynb")
    return course


def timed(command: list[str], cwd: Path) -> float:
    env = {**os.environ, "PATH": os.pathsep.join([str(BIN), os.environ.get("PATH", "")])}
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        print(done.stdout[-2000:], done.stderr[-2000:], sep="\n", file=sys.stderr)
        raise SystemExit(f"benchmark: `{' '.join(command[:3])} …` failed")
    return seconds


def scores(folder: Path) -> dict[tuple[str, str], float | None]:
    grades = load_gradebook(Course.open(folder)).grades
    return {
        (row.learner, row.cell): None if row.auto_score != row.auto_score else row.auto_score
        for row in grades.itertuples()
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=40)
    parser.add_argument(
        "--workers",
        type=lambda text: sorted({int(n) for n in text.split(",")} | {1}),
        default=[1, 2],
        help="worker counts to run, e.g. 1,2,4 (1 is always run: the base of the efficiency)",
    )
    args = parser.parse_args()
    counts: list[int] = args.workers
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    with tempfile.TemporaryDirectory(prefix="qilab-bench-") as tmp:
        base = build(Path(tmp), args.submissions)
        runs: dict[str, Path] = {}
        for name in ("plain", *(f"workers-{w}" for w in counts)):
            runs[name] = Path(tmp, name)
            shutil.copytree(base.root, runs[name])
        print(
            f"{args.submissions} submissions of {A}; {cores} CPU core(s); load average "
            f"{os.getloadavg()[0]:.1f} at the start"
        )
        times = {"plain": timed([str(BIN / "nbgrader"), "autograde", A], runs["plain"])}
        for workers in counts:
            name = f"workers-{workers}"
            command = [
                sys.executable,
                "-c",
                RUN_COURSE_CLI,
                "course",
                "autograde",
                A,
                "-C",
                str(runs[name]),
                "--workers",
                str(workers),
                "--no-progress",
            ]
            times[name] = timed(command, runs[name])
        reference = scores(runs["plain"])
        same = all(scores(runs[f"workers-{w}"]) == reference for w in counts)
        n = args.submissions
        rows = [("plain `nbgrader autograde` (serial)", times["plain"])]
        rows += [
            (f"`qilab course autograde`, {w} worker{'s' if w > 1 else ''} *", times[f"workers-{w}"])
            for w in counts
        ]
        print(f"{'run':<42} {'wall time':>10} {'per submission':>15} {'per minute':>11}")
        for label, seconds in rows:
            print(f"{label:<42} {seconds:>9.1f}s {seconds / n:>14.2f}s {60 * n / seconds:>11.1f}")
        if 2 in counts:
            ratio = times["plain"] / times["workers-2"]
            verdict = "met" if ratio >= TARGET else "MISSED"
            print(
                f"speed-up, 2 workers vs plain nbgrader: {ratio:.2f}× "
                f"(target ≥ {TARGET}× on 2 cores: {verdict})"
            )
        one = times["plain"] / times["workers-1"]
        print(
            f"1 worker vs plain nbgrader: {one:.2f}× "
            f"({'no slower' if one >= 1 else 'SLOWER'}; plain {times['plain']:.1f} s, "
            f"1 worker {times['workers-1']:.1f} s)"
        )
        for workers in counts[1:]:
            speedup = times["workers-1"] / times[f"workers-{workers}"]
            efficiency = speedup / workers
            own_cores = workers + 1 <= (cores or 1)  # each worker, and the marking process
            verdict = (
                ("met" if efficiency >= EFFICIENCY else "MISSED")
                if own_cores
                else f"not measurable here: {workers} workers and the marking process share "
                f"{cores} core(s)"
            )
            print(
                f"{workers} workers vs 1: speed-up {speedup:.2f}×, efficiency {efficiency:.2f} "
                f"(goal ≥ {EFFICIENCY} with a core per worker: {verdict})"
            )
        print(f"identical scores in every cell ({len(reference)} cells): {'yes' if same else 'NO'}")
        print(
            "* every learner's kernel in its bubblewrap sandbox (qilab.grading.sandbox), on a "
            "Dask LocalCluster"
        )
        print(f"load average at the end: {os.getloadavg()[0]:.1f} (other users share the machine)")
        print()
        print(ACROSS_MACHINES)
        return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
