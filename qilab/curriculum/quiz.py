"""'Check your understanding' questions with immediate, ungraded feedback in a lesson.

A doctor learns most when a wrong answer is explained at once, so every option of a multiple
choice question carries its own feedback, and a numeric question can name the common mistakes
(e.g. the mean given instead of the median). Nothing is recorded or graded: marked work lives
in the nbgrader assignments.

The checking (:class:`MultipleChoice`, :class:`Numeric`) is plain Python, testable without a
browser; :class:`Quiz` is the ipywidgets view. Everything is keyboard-usable: radio buttons move
with the arrow keys, *Check answer* is a focusable button, and pressing Enter in a number box
checks it.

Examples
--------
>>> q = Numeric("Median of 3, 9, 4?", answer=4, mistakes={5.33: "That is the mean."})
>>> q.check("5.33").message
'That is the mean.'
>>> q.check("4").correct
True
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import ipywidgets as widgets

from qilab.errors import QilabError

CORRECT_COLOUR, WRONG_COLOUR, NOTE_COLOUR = "#1B6E3A", "#B00020", "#1F4E79"


class QuizInputError(QilabError):
    """An answer that cannot be checked (e.g. text in a number box); the message says why."""


@dataclass(frozen=True)
class Feedback:
    """The verdict on one answer: right or wrong, and why."""

    correct: bool
    message: str


@dataclass(frozen=True)
class Option:
    """One choice of a multiple choice question, with the feedback a learner sees on picking it."""

    text: str
    feedback: str
    correct: bool = False


@dataclass(frozen=True)
class MultipleChoice:
    """A question with one or more right options; each option explains itself when chosen.

    Examples
    --------
    >>> q = MultipleChoice("Which chart for counts of falls per bed day?", [
    ...     Option("p chart", "A p chart is for proportions (a yes/no per patient)."),
    ...     Option("u chart", "Yes: counts per unit of exposure (bed days).", correct=True),
    ... ])
    >>> q.check(1)
    Feedback(correct=True, message='Yes: counts per unit of exposure (bed days).')
    """

    prompt: str
    options: Sequence[Option]

    def __post_init__(self) -> None:
        if len(self.options) < 2:
            raise QilabError(f"Question {self.prompt!r} needs at least two options; add more.")
        if not any(o.correct for o in self.options):
            raise QilabError(
                f"Question {self.prompt!r} has no correct option: mark one with correct=True."
            )

    def check(self, choice: int | None) -> Feedback:
        """Feedback for the option at position ``choice`` (0-based)."""
        if choice is None:
            raise QuizInputError("Choose one of the options first, then check your answer.")
        if not isinstance(choice, int) or not 0 <= choice < len(self.options):
            raise QuizInputError(
                f"There is no option {choice!r}: choose a number from 0 to {len(self.options) - 1}."
            )
        option = self.options[choice]
        return Feedback(option.correct, option.feedback)


@dataclass(frozen=True)
class Numeric:
    """A question answered with a number, right within ``tolerance``.

    ``mistakes`` maps common wrong answers to the feedback that explains them (matched within
    the same tolerance); ``too_low`` and ``too_high`` help the rest.

    Examples
    --------
    >>> q = Numeric("Little's law: 12 arrivals an hour, 3 hours each. How many in the ED?", 36)
    >>> q.check("36").correct, q.check("4").correct
    (True, False)
    """

    prompt: str
    answer: float
    tolerance: float = 0.0
    unit: str = ""
    feedback: str = ""
    mistakes: Mapping[float, str] = field(default_factory=dict)
    too_low: str = ""
    too_high: str = ""

    def __post_init__(self) -> None:
        if not math.isfinite(float(self.answer)) or self.tolerance < 0:
            raise QilabError(
                f"Question {self.prompt!r}: the answer must be a number and the tolerance "
                "zero or more."
            )
        for wrong in self.mistakes:
            if abs(float(wrong) - float(self.answer)) <= self.tolerance:
                raise QilabError(
                    f"Question {self.prompt!r}: the common mistake {wrong} would be accepted as "
                    "the right answer; remove it or narrow the tolerance."
                )

    def parse(self, text: str | float) -> float:
        """The learner's number; accepts '1,234', '12,5' (decimal comma) and a trailing '%'."""
        if isinstance(text, int | float) and not isinstance(text, bool):
            return float(text)
        raw = str(text).strip().rstrip("%").strip()
        if re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", raw):
            raw = raw.replace(",", "")
        elif re.fullmatch(r"-?\d+,\d+", raw):
            raw = raw.replace(",", ".")
        try:
            value = float(raw)
        except ValueError:
            raise QuizInputError(
                f"'{text}' is not a number: type digits only, e.g. 12.5"
                + (f" (in {self.unit})." if self.unit else ".")
            ) from None
        if not math.isfinite(value):
            raise QuizInputError(f"'{text}' is not a number you can check: type e.g. 12.5.")
        return value

    def check(self, response: str | float) -> Feedback:
        """Feedback for a typed answer (text as typed, or a number)."""
        value = self.parse(response)
        close = max(self.tolerance, 1e-9 * max(1.0, abs(self.answer)))
        if abs(value - self.answer) <= close:
            unit = f" {self.unit}" if self.unit else ""
            return Feedback(True, self.feedback or f"The answer is {_fmt(self.answer)}{unit}.")
        for wrong, why in self.mistakes.items():
            if abs(value - float(wrong)) <= close:
                return Feedback(False, why)
        hint = self.too_low if value < self.answer else self.too_high
        return Feedback(False, hint or "Not quite: look again at the worked example above.")


Question = MultipleChoice | Numeric


class QuestionView(widgets.VBox):
    """One question: prompt, answer control, *Check answer* button and a feedback line."""

    def __init__(
        self, question: Question, number: int, on_checked: Callable[[], None] | None = None
    ) -> None:
        self.question = question
        self.number = number
        self.result: Feedback | None = None
        self._on_checked = on_checked
        self.prompt = widgets.HTML(
            f"<p><b>{number}.</b> {html.escape(question.prompt)}</p>",
        )
        if isinstance(question, MultipleChoice):
            self.input: widgets.Widget = widgets.RadioButtons(
                options=[(o.text, i) for i, o in enumerate(question.options)],
                value=None,
                layout=widgets.Layout(width="auto"),
            )
        else:
            # With continuous_update off, JupyterLab sends the value when the learner presses
            # Enter (or leaves the box): that is the keyboard route to checking an answer.
            self.input = widgets.Text(
                placeholder=f"your answer{f' ({question.unit})' if question.unit else ''}",
                continuous_update=False,
                layout=widgets.Layout(width="16em"),
            )
            self.input.observe(lambda _: self.check(), names="value")
        self.input.add_class("qilab-quiz-input")
        self.button = widgets.Button(
            description="Check answer",
            tooltip="See whether your answer is right, and why",
            button_style="info",
        )
        self.button.add_class("qilab-quiz-check")
        self.button.on_click(lambda _: self.check())
        self.feedback = widgets.HTML("")
        self.feedback.add_class("qilab-quiz-feedback")
        super().__init__(children=[self.prompt, self.input, self.button, self.feedback])
        self.add_class("qilab-quiz-question")

    def answer(self, response: int | str | float) -> Feedback | None:
        """Give an answer and check it, as a learner would (for tests and tutors' demos)."""
        if isinstance(self.question, MultipleChoice):
            self.input.value = response
        elif self.input.value != str(response):
            self.input.value = str(response)  # committing a new value checks it
            return self.result
        return self.check()

    def check(self) -> Feedback | None:
        """Check the current answer and show the feedback; bad input gets a plain message."""
        try:
            self.result = self.question.check(self.input.value)
        except QuizInputError as exc:
            self.result = None
            self._show(str(exc), NOTE_COLOUR, "qilab-quiz-note", "Try again")
        else:
            good = self.result.correct
            self._show(
                self.result.message,
                CORRECT_COLOUR if good else WRONG_COLOUR,
                "qilab-quiz-correct" if good else "qilab-quiz-wrong",
                "Correct" if good else "Not quite",
            )
        if self._on_checked is not None:
            self._on_checked()
        return self.result

    @property
    def text(self) -> str:
        """The feedback as plain text (what a screen reader announces)."""
        return re.sub(r"<[^>]+>", "", html.unescape(self.feedback.value)).strip()

    def _show(self, message: str, colour: str, css: str, lead: str) -> None:
        for old in ("qilab-quiz-correct", "qilab-quiz-wrong", "qilab-quiz-note"):
            self.feedback.remove_class(old)
        self.feedback.add_class(css)
        mark = {"Correct": "✔", "Not quite": "✘"}.get(lead, "ℹ")
        # An author's feedback may itself open with "Correct." — say it once, not twice.
        message = re.sub(rf"^\s*{re.escape(lead)}\s*[.:!,]?\s*", "", message, flags=re.IGNORECASE)
        message = message[:1].upper() + message[1:]
        self.feedback.value = (
            f'<div role="status" aria-live="polite" style="color:{colour};'
            f'border-left:4px solid {colour};padding:4px 8px;">'
            f"<b>{mark} {lead}.</b> {html.escape(message)}</div>"
        )


class Quiz(widgets.VBox):
    """A short set of ungraded questions with immediate feedback.

    Parameters
    ----------
    questions
        :class:`MultipleChoice` and :class:`Numeric` questions, in order.
    title
        Heading shown above the questions.

    Examples
    --------
    >>> quiz = Quiz([Numeric("2 + 2?", 4)])
    >>> quiz.views[0].answer("4").correct
    True
    >>> quiz.score
    (1, 1)
    """

    def __init__(self, questions: Sequence[Question], title: str = "Check your understanding"):
        if not questions:
            raise QilabError("A quiz needs at least one question.")
        self.questions = list(questions)
        self.summary = widgets.HTML("")
        self.summary.add_class("qilab-quiz-score")
        self.views = [
            QuestionView(q, i, on_checked=self._update) for i, q in enumerate(questions, 1)
        ]
        heading = widgets.HTML(
            f"<h4 style='margin:0.2em 0'>{html.escape(title)}</h4>"
            "<p style='margin:0'><i>Not marked: pick an answer and press <b>Check answer</b> "
            "(or Tab to it and press Enter). Try again as often as you like.</i></p>"
        )
        super().__init__(children=[heading, *self.views, self.summary])
        self.add_class("qilab-quiz")

    @property
    def score(self) -> tuple[int, int]:
        """(questions answered correctly so far, questions)."""
        right = sum(1 for v in self.views if v.result is not None and v.result.correct)
        return right, len(self.views)

    def _update(self) -> None:
        right, total = self.score
        self.summary.value = f"<p><b>{right} of {total}</b> answered correctly so far.</p>"


def _fmt(value: float) -> str:
    return f"{value:g}" if abs(value) < 1e6 else f"{value:,.0f}"
