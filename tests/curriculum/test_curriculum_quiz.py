"""The 'check your understanding' widget gives the right feedback, driven as a learner would."""

from __future__ import annotations

import pytest

from qilab.curriculum.quiz import (
    Feedback,
    MultipleChoice,
    Numeric,
    Option,
    Quiz,
    QuizInputError,
)
from qilab.errors import QilabError

CHART = MultipleChoice(
    "Falls per 1,000 bed days: which chart?",
    [
        Option("p chart", "A p chart is for proportions, not counts of events."),
        Option("u chart", "Yes: counts per unit of exposure.", correct=True),
        Option("c chart", "Bed days vary, so the area of opportunity is not constant."),
    ],
)
LITTLE = Numeric(
    "L = λW with 6 an hour for 8 hours?",
    answer=48,
    unit="patients",
    feedback="Right: 6 × 8 = 48.",
    mistakes={14: "Multiply, do not add."},
    too_low="Too low.",
    too_high="Too high.",
)


@pytest.mark.parametrize(
    ("choice", "correct", "message"),
    [
        (0, False, "A p chart is for proportions, not counts of events."),
        (1, True, "Yes: counts per unit of exposure."),
        (2, False, "Bed days vary, so the area of opportunity is not constant."),
    ],
)
def test_each_option_explains_itself(choice, correct, message):
    assert CHART.check(choice) == Feedback(correct, message)


@pytest.mark.parametrize(
    ("typed", "correct", "message"),
    [
        ("48", True, "Right: 6 × 8 = 48."),
        (" 48.0 ", True, "Right: 6 × 8 = 48."),
        ("14", False, "Multiply, do not add."),
        ("12", False, "Too low."),
        ("1,200", False, "Too high."),  # a thousands separator is read as one number
        ("47,9", False, "Too low."),  # a decimal comma is read as 47.9
    ],
)
def test_numeric_answers_get_the_feedback_for_their_mistake(typed, correct, message):
    assert LITTLE.check(typed) == Feedback(correct, message)


def test_tolerance_accepts_rounding_and_percent_signs():
    q = Numeric("Compliance?", answer=72.4, tolerance=0.5, unit="%")
    assert q.check("72%").correct
    assert q.check("72.9").correct
    assert not q.check("73").correct


def test_text_in_a_number_box_is_a_plain_message_not_a_crash():
    with pytest.raises(QuizInputError, match=r"'forty' is not a number.*12\.5.*patients"):
        LITTLE.check("forty")


def test_checking_without_choosing_says_what_to_do():
    with pytest.raises(QuizInputError, match="Choose one of the options"):
        CHART.check(None)


@pytest.mark.parametrize(
    ("build", "problem"),
    [
        (lambda: MultipleChoice("Q?", [Option("a", "x"), Option("b", "y")]), "no correct option"),
        (lambda: MultipleChoice("Q?", [Option("a", "x", correct=True)]), "at least two options"),
        (lambda: Numeric("Q?", answer=10, tolerance=1, mistakes={10.5: "no"}), "would be accepted"),
        (lambda: Quiz([]), "at least one question"),
    ],
)
def test_an_author_mistake_is_caught_when_the_quiz_is_built(build, problem):
    with pytest.raises(QilabError, match=problem):
        build()


def test_the_widget_shows_feedback_and_keeps_score():
    quiz = Quiz([CHART, LITTLE])
    first, second = quiz.views
    assert quiz.score == (0, 2)

    first.answer(0)  # pick the wrong option, then press Check answer
    assert "qilab-quiz-wrong" in first.feedback._dom_classes
    assert first.text == "✘ Not quite. A p chart is for proportions, not counts of events."

    first.input.value = 1  # the learner changes their mind and presses the button
    first.button.click()
    assert "qilab-quiz-correct" in first.feedback._dom_classes
    assert "qilab-quiz-wrong" not in first.feedback._dom_classes
    assert first.text == "✔ Correct. Yes: counts per unit of exposure."
    assert quiz.score == (1, 2)
    assert "1 of 2" in quiz.summary.value

    second.answer("48")
    assert quiz.score == (2, 2)


def test_enter_in_the_number_box_checks_the_answer():
    """Keyboard use: typing a number and pressing Enter is the same as pressing the button."""
    quiz = Quiz([LITTLE])
    view = quiz.views[0]
    assert view.input.continuous_update is False  # the value arrives on Enter, not per key
    view.input.value = "48"  # what JupyterLab sends when the learner presses Enter
    assert view.result == Feedback(True, "Right: 6 × 8 = 48.")
    assert quiz.score == (1, 1)


def test_bad_input_in_the_widget_is_a_note_and_loses_the_previous_verdict():
    quiz = Quiz([LITTLE])
    view = quiz.views[0]
    view.answer("48")
    view.answer("about fifty")
    assert view.result is None
    assert "qilab-quiz-note" in view.feedback._dom_classes
    assert "is not a number" in view.text
    assert quiz.score == (0, 1)


def test_controls_are_keyboard_reachable_native_inputs():
    view = Quiz([CHART]).views[0]
    # RadioButtons render as native radio inputs (arrow keys move), Button as a <button>.
    assert type(view.input).__name__ == "RadioButtons" and view.input.value is None
    assert view.button.description == "Check answer" and not view.button.disabled
    assert 'role="status"' in (view.answer(1) and view.feedback.value)


def test_feedback_says_correct_once_not_twice():
    """Seen in a lesson: "✔ Correct. Correct: 48 patients." and "✔ Correct. Correct. His …"."""
    plain = Numeric("L = λW with 6 an hour for 8 hours?", answer=48, unit="patients")
    authored = MultipleChoice(
        "Is Willie a poor worker?",
        [
            Option("Yes", "No: his results vary like everyone's."),
            Option("No", "Correct. His results lie inside the limits.", correct=True),
        ],
    )
    first, second = Quiz([plain, authored]).views
    first.answer("48")
    second.answer(1)
    for view in (first, second):
        assert view.text.count("Correct") == 1, view.text
    assert first.text == "✔ Correct. The answer is 48 patients."
    assert second.text == "✔ Correct. His results lie inside the limits."
