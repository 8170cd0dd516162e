"""``qilab check curriculum`` passes on the course and explains every problem on a broken copy."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

from qilab.widgets import APPS

from qilab.curriculum.check import check_course

REPO = Path(__file__).resolve().parents[2]
QILAB = str(Path(sys.executable).parent / "qilab")


def check(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QILAB_ROOT": str(root)}
    return subprocess.run(
        [QILAB, "check", "curriculum", *args], capture_output=True, text=True, timeout=120, env=env
    )


def problems(done: subprocess.CompletedProcess[str]) -> list[str]:
    lines = (done.stdout + done.stderr).splitlines()
    return [line for line in lines if line.startswith(("error: ", "warning: "))]


def edit_notebook(path: Path, change) -> None:
    nb = json.loads(path.read_text(encoding="utf-8"))
    change(nb)
    path.write_text(json.dumps(nb, indent=1), encoding="utf-8")


def fingerprint(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_the_course_passes_every_check():
    report = check_course(REPO, known_simulations=APPS)
    assert report.findings == [], "\n".join(map(str, report.findings))


def test_qilab_check_curriculum_on_the_repository():
    done = check(REPO)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == "curriculum OK: 12 modules, every file and link checked."
    assert done.stderr == ""


def test_every_problem_in_a_broken_copy_gets_one_line_with_its_fix(course):
    cur = course / "curriculum"
    # 1. a lesson deleted
    (cur / "foundation" / "pdsa.ipynb").unlink()
    # 2. a broken and 3. an absolute link, 4. outputs left in a notebook
    edit_notebook(
        cur / "practitioner" / "systems.ipynb",
        lambda nb: nb["cells"].append(
            {"cell_type": "markdown", "metadata": {}, "source": "[Next](../advanced/nowhere.ipynb)"}
        ),
    )
    edit_notebook(
        cur / "advanced" / "pdsa.ipynb",
        lambda nb: nb["cells"].append(
            {"cell_type": "markdown", "metadata": {}, "source": "[Home](/curriculum/START.ipynb)"}
        ),
    )

    def add_output(nb):
        cell = next(c for c in nb["cells"] if c["cell_type"] == "code")
        cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "42\n"}]
        cell["execution_count"] = 1

    edit_notebook(cur / "advanced" / "systems.ipynb", add_output)
    # 5. an outcome reworded in the manifest but not in the lesson, 6. an unknown data set,
    # 7. an unknown simulation
    manifest = cur / "escalator.yaml"
    text = manifest.read_text(encoding="utf-8")
    text = text.replace(
        "text: Explain why the design of a system,",
        "text: Explain, with an example, why the design of a system,",
    )
    codesign = "\n    assignment: foundation_codesign"
    text = text.replace(
        f"datasets: [patient_experience]{codesign}", f"datasets: [no_such_data]{codesign}"
    )
    leaders = "\n    datasets: [lean_lead_times]"
    text = text.replace(
        f"simulations: [StakeholderMapApp]{leaders}", f"simulations: [MagicApp]{leaders}"
    )
    manifest.write_text(text, encoding="utf-8")
    # 8. the start page loses a module's links
    edit_notebook(
        cur / "START.ipynb",
        lambda nb: [
            c.update(source="".join(c["source"]).replace("](practitioner/pdsa.ipynb)", ""))
            for c in nb["cells"]
        ],
    )
    # 9. a case study deleted; 10. an assignment deleted; 11. a graded cell tagged wrongly
    (cur / "cases" / "pincer-prescribing-safety.ipynb").unlink()
    existing = sorted(p for p in (course / "assignments" / "source").iterdir() if p.is_dir())
    tagged, deleted = existing[0], existing[1]

    def bad_tag(nb):
        nb["cells"][0]["metadata"].setdefault("qilab", {})["outcomes"] = [f"{tagged.name}.9"]

    edit_notebook(tagged / f"{tagged.name}.ipynb", bad_tag)
    for path in sorted(deleted.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    deleted.rmdir()
    # 12. a notebook in a level folder that no module lists
    (cur / "practitioner" / "extra.ipynb").write_text(
        (cur / "practitioner" / "pdsa.ipynb").read_text(encoding="utf-8"), encoding="utf-8"
    )

    before = fingerprint(course)
    done = check(course)
    found = problems(done)
    report = "\n".join(found)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    expected = [
        "error: curriculum/foundation/pdsa.ipynb: lesson of foundation_pdsa not found. "
        "Fix: create it",
        "error: curriculum/practitioner/systems.ipynb: cell ",
        "links '../advanced/nowhere.ipynb', which does not exist. Fix: correct the path",
        "error: curriculum/advanced/pdsa.ipynb: cell ",
        "links '/curriculum/START.ipynb' with an absolute path. Fix: write the path relative",
        "error: curriculum/advanced/systems.ipynb: has outputs in 1 cell(s). Fix: clear them",
        "error: curriculum/foundation/systems.ipynb: does not state outcome "
        "foundation_systems.1. Fix:",
        "(foundation_codesign): data set 'no_such_data' does not exist. Fix: use a name from "
        "`qilab datasets list`",
        "(advanced_codesign): simulation 'MagicApp' does not exist. Fix: use one of",
        "error: curriculum/advanced/codesign.ipynb: never uses the simulation MagicApp",
        "error: curriculum/START.ipynb: does not link the lesson of practitioner_pdsa. Fix: add [",
        "error: curriculum/cases/pincer-prescribing-safety.ipynb: case study of advanced_pdsa not "
        "found. Fix: create it, or set case_study: null",
        f"error: assignments/source/{deleted.name}: assignment of {deleted.name} not found. Fix: "
        f"create assignments/source/{deleted.name}/{deleted.name}.ipynb",
        f"is tagged with outcome '{tagged.name}.9', which curriculum/escalator.yaml does not "
        "define",
        "warning: curriculum/practitioner/extra.ipynb: is not a lesson in "
        "curriculum/escalator.yaml",
    ]
    for fragment in expected:
        assert fragment in report, f"missing {fragment!r} in:\n{report}"
    assert all(". Fix: " in line for line in found), report
    assert done.stdout.splitlines()[-1].endswith("in 12 modules.")
    assert fingerprint(course) == before, "checking must never change a file"


def test_missing_assignments_are_errors_unless_asked_for_warnings(course):
    source = course / "assignments" / "source"
    for path in sorted(source.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    strict = check(course)
    assert strict.returncode == 1
    assert sum(line.startswith("error: assignments/source/") for line in problems(strict)) == 12
    lenient = check(course, "--missing-assignments", "warning")
    assert lenient.returncode == 0, lenient.stdout + lenient.stderr
    assert sum(line.startswith("warning: assignments/source/") for line in problems(lenient)) == 12


def test_an_invalid_manifest_is_reported_problem_by_problem(course):
    manifest = course / "curriculum" / "escalator.yaml"
    text = manifest.read_text(encoding="utf-8")
    text = text.replace("text: State the three questions", "text: Understand the three questions")
    text = text.replace("    minutes: 45\n", "    minutes: 120\n")
    manifest.write_text(text, encoding="utf-8")
    done = check(course)
    assert done.returncode == 1
    found = problems(done)
    wanted = (
        "error: curriculum/escalator.yaml: modules[2] (foundation_pdsa).outcomes[0].text: "
        "starts with 'understand'"
    )
    assert any(line.startswith(wanted) for line in found), found
    assert any("minutes: is 120" in line for line in found), found


def test_a_yaml_syntax_error_gives_the_line(course):
    manifest = course / "curriculum" / "escalator.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace("levels:\n", "levels: [\n", 1))
    done = check(course)
    assert done.returncode == 1
    (line,) = problems(done)
    assert line.startswith("error: curriculum/escalator.yaml: escalator.yaml line ")
    assert "is not valid YAML" in line and "Fix:" in line
