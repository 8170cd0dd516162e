"""What every lesson and the start page contain, read from the notebooks without running them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from qilab.curriculum import load_manifest
from qilab.curriculum import notebooks as nbs
from qilab.curriculum.check import LESSON_SECTIONS
from qilab.curriculum.quiz import MultipleChoice, Numeric, Option, Quiz

REPO = Path(__file__).resolve().parents[2]
CURRICULUM = REPO / "curriculum"
MANIFEST = load_manifest(REPO)
MODULES = {m.id: m for m in MANIFEST.modules}


def lesson(module_id: str) -> dict:
    return nbs.read_notebook(CURRICULUM / MODULES[module_id].lesson)


@pytest.mark.parametrize("module_id", sorted(MODULES))
def test_a_lesson_opens_with_its_outcomes_and_import_qilab(module_id):
    nb = lesson(module_id)
    first_code = nbs.first_code(nb).splitlines()
    assert first_code[0] == "import qilab"
    assert any(line.startswith("qilab.setup_notebook()") for line in first_code)
    heading_cells = [text for _, text in nbs.cells(nb, "markdown")][:2]
    assert heading_cells[0].startswith("# "), "the first cell is the lesson's title"
    outcomes = heading_cells[1]
    assert outcomes.startswith("## Learning outcomes")
    for n, outcome in enumerate(MODULES[module_id].outcomes, 1):
        assert f"{n}. {outcome.text}" in outcomes


@pytest.mark.parametrize("module_id", sorted(MODULES))
def test_a_lesson_has_every_section_and_cites_its_sources(module_id):
    nb = lesson(module_id)
    headings = [h.lower() for h in nbs.headings(nb)]
    for key in LESSON_SECTIONS:
        assert any(key in h for h in headings), f"no {key!r} section"
    order = [next(i for i, h in enumerate(headings) if key in h) for key in LESSON_SECTIONS]
    assert order == sorted(order), "sections run outcomes → quiz → reflect → summary → references"
    references = next(t for _, t in nbs.cells(nb, "markdown") if t.startswith("## References"))
    for source in MODULES[module_id].sources:
        assert source in references
    assert "synthetic" in nbs.markdown(nb).lower()


@pytest.mark.parametrize("module_id", sorted(MODULES))
def test_a_lesson_uses_its_simulations_and_data(module_id):
    code = nbs.code(lesson(module_id))
    for app in MODULES[module_id].simulations:
        assert f"{app}(" in code, f"{app} is listed but never shown"
    for name in MODULES[module_id].datasets:
        assert f'datasets.load("{name}")' in code, name


def quiz_cells(module_id: str) -> list[str]:
    return [text for _, text in nbs.cells(lesson(module_id), "code") if text.startswith("Quiz(")]


@pytest.mark.parametrize("module_id", sorted(MODULES))
def test_a_lesson_quiz_builds_and_accepts_its_own_answers(module_id):
    """Build the quiz exactly as the lesson does, then answer every question correctly."""
    (source,) = quiz_cells(module_id)
    ast.parse(source)
    quiz = eval(
        source,
        {"Quiz": Quiz, "MultipleChoice": MultipleChoice, "Numeric": Numeric, "Option": Option},
    )
    assert len(quiz.views) >= 3
    for view in quiz.views:
        q = view.question
        if isinstance(q, MultipleChoice):
            right = [i for i, o in enumerate(q.options) if o.correct]
            assert len(right) == 1, f"{q.prompt!r}: one best answer"
            view.answer(right[0])
            wrong = next(i for i, o in enumerate(q.options) if not o.correct)
            assert not q.check(wrong).correct and q.check(wrong).message
        else:
            view.answer(str(q.answer))
    assert quiz.score == (len(quiz.views), len(quiz.views))


def test_the_start_page_links_every_lesson_in_the_escalator_grid():
    start = nbs.read_notebook(CURRICULUM / "START.ipynb")
    grid = next(t for _, t in nbs.cells(start, "markdown") if t.startswith("## Every module"))
    for m in MANIFEST.modules:
        assert f"]({m.lesson})" in grid, m.id
    for level in MANIFEST.levels:
        assert f"**{level.title}**" in grid


def test_the_start_page_keeps_the_slider_demo_the_browser_test_drives():
    start = nbs.read_notebook(CURRICULUM / "START.ipynb")
    code = nbs.code(start)
    assert "widgets.FloatSlider(" in code and "value=5, min=0, max=20, step=1" in code
    assert '"A stable process still varies", subtitle=' in code
    assert "alt.JupyterChart(" in code and 'spread.observe(redraw, names="value")' in code
    first_code = nbs.cells(start, "code")[0][1]
    assert "show_progress()" in first_code  # progress first, and as HTML (no second chart)
    assert "FloatSlider" not in first_code and "JupyterChart" not in first_code


def test_the_start_page_tells_tutors_the_formgrader_needs_the_tutor_option():
    """`python3 make.py lab` serves learners, with no Formgrader (tests/test_lab_browser.py):
    a tutor told only "the Formgrader (under Nbgrader)" looks for a menu item that is not there.
    """
    start = nbs.read_notebook(CURRICULUM / "START.ipynb")
    for _, text in nbs.cells(start, "markdown"):
        for item in text.split("\n- "):
            if "Formgrader" in item:
                assert "qilab lab --tutor" in item, item
    where_next = next(t for _, t in nbs.cells(start, "markdown") if t.startswith("## Where next"))
    # `qilab lab` releases the course's assignments itself (qilab.selfstudy; on a hub the tutor
    # does): the learner is told where they are, and where fetched work is kept
    assert "`qilab lab` releases this course's" in where_next
    assert "`my-work/`" in where_next
