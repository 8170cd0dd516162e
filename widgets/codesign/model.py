"""Co-design tools: who to involve, how much power they share, and what patients feel.

Three small models, each exportable so a team can paste it into their project record:

* :class:`StakeholderMap` – Mendelow's power/interest grid (Mendelow, "Environmental scanning:
  the impact of the stakeholder concept", *Proc. ICIS* 1981; widely used in NHS QI guidance):
  manage closely, keep satisfied, keep informed, monitor.
* :class:`LadderAssessment` – Arnstein's ladder of citizen participation (Arnstein, *Journal of
  the American Institute of Planners* 35(4), 1969): eight rungs from manipulation to citizen
  control, grouped as non-participation, tokenism and citizen power.
* :class:`EmotionalMap` – the emotional mapping step of experience-based co-design (Bate &
  Robert, *Bringing User Experience to Healthcare Improvement*, 2007; The Point of Care
  Foundation EBCD toolkit): the touchpoints of a patient journey, each with how it felt; the
  low points are where co-design starts.
"""

from __future__ import annotations

import io
import json
from dataclasses import asdict, dataclass, field

import pandas as pd

from qilab.errors import QilabError

# ---------------------------------------------------------------------- stakeholders

QUADRANTS = {
    (True, True): "Manage closely",
    (True, False): "Keep satisfied",
    (False, True): "Keep informed",
    (False, False): "Monitor",
}
QUADRANT_ADVICE = {
    "Manage closely": "Key players: involve them in decisions and the project team.",
    "Keep satisfied": "Powerful but less engaged: brief them and ask for views before big steps.",
    "Keep informed": "Interested but with less power: keep them updated; they make good allies "
    "and often know the process best (patients, carers, ward staff).",
    "Monitor": "Keep an eye on them; their power or interest may change.",
}
MIDPOINT = 5.0


@dataclass
class Stakeholder:
    name: str
    power: float  # 0–10
    interest: float  # 0–10
    note: str = ""

    @property
    def quadrant(self) -> str:
        return QUADRANTS[(self.power > MIDPOINT, self.interest > MIDPOINT)]


class StakeholderMap:
    """A power/interest grid of the people who can affect, or are affected by, the project.

    Examples
    --------
    >>> m = StakeholderMap()
    >>> m.add("Ward sister", power=7, interest=9)
    >>> m.add("Patients on Ward 7", power=3, interest=9)
    >>> m.frame()["quadrant"].tolist()
    ['Manage closely', 'Keep informed']
    """

    def __init__(self) -> None:
        self.people: list[Stakeholder] = []

    def add(self, name: str, power: float, interest: float, note: str = "") -> None:
        name = name.strip()
        if not name:
            raise QilabError("Type the stakeholder's name or role first.")
        for label, value in (("Power", power), ("Interest", interest)):
            if not 0 <= value <= 10:
                raise QilabError(f"{label} is scored from 0 (none) to 10 (a great deal).")
        if any(p.name.lower() == name.lower() for p in self.people):
            raise QilabError(f"'{name}' is already on the map: remove it first to move it.")
        self.people.append(Stakeholder(name, float(power), float(interest), note.strip()))

    def remove(self, name: str) -> None:
        before = len(self.people)
        self.people = [p for p in self.people if p.name != name]
        if len(self.people) == before:
            raise QilabError(f"There is no stakeholder called '{name}'.")

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {**asdict(p), "quadrant": p.quadrant, "advice": QUADRANT_ADVICE[p.quadrant]}
                for p in self.people
            ],
            columns=["name", "power", "interest", "note", "quadrant", "advice"],
        )

    def to_csv(self) -> str:
        return self.frame().to_csv(index=False)

    def to_markdown(self) -> str:
        lines = ["# Stakeholder map (power/interest grid)\n"]
        for quadrant in QUADRANTS.values():
            names = [p.name for p in self.people if p.quadrant == quadrant]
            lines.append(f"## {quadrant}\n\n*{QUADRANT_ADVICE[quadrant]}*\n")
            lines += [f"- {n}" for n in names] or ["- (nobody yet)"]
            lines.append("")
        return "\n".join(lines)


def example_stakeholders() -> StakeholderMap:
    m = StakeholderMap()
    for name, power, interest in [
        ("Ward sister / charge nurse", 7, 9),
        ("Clinical director", 9, 4),
        ("Patients and carers on the ward", 3, 9),
        ("Junior doctors on the rota", 4, 7),
        ("Finance business partner", 6, 2),
        ("Porters", 2, 3),
    ]:
        m.add(name, power, interest)
    return m


# ---------------------------------------------------------------------- Arnstein's ladder


@dataclass(frozen=True)
class Rung:
    number: int
    name: str
    group: str
    meaning: str


RUNGS: tuple[Rung, ...] = (
    Rung(1, "Manipulation", "Non-participation", "People are 'educated' or persuaded to agree."),
    Rung(2, "Therapy", "Non-participation", "People's views are treated as something to fix."),
    Rung(
        3, "Informing", "Tokenism", "People are told what is happening; information flows one way."
    ),
    Rung(
        4,
        "Consultation",
        "Tokenism",
        "Views are asked for (surveys, meetings) but with no promise they will shape decisions.",
    ),
    Rung(
        5,
        "Placation",
        "Tokenism",
        "A few people are on a committee, but the powerful still decide.",
    ),
    Rung(
        6,
        "Partnership",
        "Citizen power",
        "Patients and staff plan and decide together, "
        "sharing responsibility (co-design, as in EBCD).",
    ),
    Rung(
        7,
        "Delegated power",
        "Citizen power",
        "Patients hold the majority of decisions on part of the work.",
    ),
    Rung(8, "Citizen control", "Citizen power", "Patients run the work and control its resources."),
)

#: Self-assessment questions; each answer is placed on a rung of Arnstein's ladder.
QUESTIONS: tuple[tuple[str, tuple[tuple[str, int], ...]], ...] = (
    (
        "Who chose the problem the project works on?",
        (
            ("Staff chose it and told patients why it matters", 2),
            ("Staff chose it; patients were informed", 3),
            ("Staff chose it after a patient survey", 4),
            ("Staff and patients chose it together", 6),
            ("Patients chose it", 8),
        ),
    ),
    (
        "How do patients take part in designing changes?",
        (
            ("They don't", 1),
            ("They hear about changes once decided", 3),
            ("They comment on staff's ideas", 4),
            ("One patient representative sits on the project group", 5),
            ("Patients and staff co-design changes in joint events", 6),
            ("Patients lead the design of some changes", 7),
        ),
    ),
    (
        "What happens to what patients say?",
        (
            ("It is used to persuade them the service is fine", 1),
            ("It is reported back to them", 3),
            ("It is noted; staff decide what to do", 4),
            ("Staff and patients agree together what to do", 6),
            ("Patients decide what to do with it", 7),
        ),
    ),
    (
        "Who controls the project's resources (time, money)?",
        (
            ("Managers, without patient input", 3),
            ("Managers, after consulting patients", 4),
            ("Shared between staff and patients", 6),
            ("Patients hold part of the budget", 7),
            ("Patients hold the budget", 8),
        ),
    ),
)


class LadderAssessment:
    """Answer the self-assessment questions to see where a project sits on Arnstein's ladder.

    The overall rung is the *median* of the answers (rounded down): one good practice does not
    lift a project that is otherwise tokenistic.

    Examples
    --------
    >>> a = LadderAssessment()
    >>> a.answer(0, 2); a.answer(1, 2); a.answer(2, 2); a.answer(3, 1)
    >>> a.rung().name
    'Consultation'
    """

    def __init__(self) -> None:
        self.answers: dict[int, int] = {}

    def answer(self, question: int, choice: int) -> None:
        if not 0 <= question < len(QUESTIONS):
            raise QilabError(f"There is no question {question + 1}.")
        options = QUESTIONS[question][1]
        if not 0 <= choice < len(options):
            raise QilabError(f"Question {question + 1} has {len(options)} answers to choose from.")
        self.answers[question] = choice

    def rungs(self) -> list[int]:
        return [QUESTIONS[q][1][c][1] for q, c in sorted(self.answers.items())]

    def rung(self) -> Rung:
        if not self.answers:
            raise QilabError("Answer at least one question to see where your project sits.")
        values = sorted(self.rungs())
        median = values[(len(values) - 1) // 2]
        return RUNGS[median - 1]

    def next_step(self) -> str:
        r = self.rung()
        if r.number >= 6:
            return (
                "You already share power with patients: protect it when deadlines loom, "
                "and check that the patients involved reflect those who use the service."
            )
        return (
            "To move up the ladder, go from asking for views to deciding together: for "
            "example, run an experience-based co-design event where patients and staff "
            "agree priorities from the emotional map."
        )

    def to_markdown(self) -> str:
        lines = ["# Ladder of participation self-assessment (Arnstein 1969)\n"]
        for q, c in sorted(self.answers.items()):
            text, opts = QUESTIONS[q]
            lines.append(
                f"- **{text}** {opts[c][0]} (rung {opts[c][1]}: {RUNGS[opts[c][1] - 1].name})"
            )
        if self.answers:
            r = self.rung()
            lines.append(
                f"\n**Overall:** rung {r.number}, {r.name} ({r.group}). {self.next_step()}"
            )
        return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------- emotional mapping

#: EBCD emotion words, each with a valence from −2 (very negative) to +2 (very positive).
EMOTIONS: dict[str, int] = {
    "happy": 2,
    "relieved": 2,
    "reassured": 1,
    "safe": 1,
    "satisfied": 1,
    "neutral": 0,
    "confused": -1,
    "anxious": -1,
    "frustrated": -1,
    "lonely": -1,
    "angry": -2,
    "scared": -2,
    "humiliated": -2,
    "in pain": -2,
}


@dataclass
class Touchpoint:
    name: str
    emotion: str
    comment: str = ""

    @property
    def score(self) -> int:
        return EMOTIONS[self.emotion]


@dataclass
class EmotionalMap:
    """Touchpoints of a patient journey with the emotion each one brought.

    Examples
    --------
    >>> m = EmotionalMap("Attending ED with chest pain")
    >>> m.add("Arrival", "anxious"); m.add("Triage", "reassured"); m.add("Waiting", "lonely")
    >>> m.hotspots()
    ['Arrival', 'Waiting']
    """

    journey: str = "A patient journey"
    touchpoints: list[Touchpoint] = field(default_factory=list)

    def add(self, name: str, emotion: str, comment: str = "") -> None:
        name = name.strip()
        if not name:
            raise QilabError("Name the touchpoint (e.g. 'Arrival at reception').")
        if emotion not in EMOTIONS:
            raise QilabError(f"Choose an emotion from the list: {', '.join(EMOTIONS)}.")
        self.touchpoints.append(Touchpoint(name, emotion, comment.strip()))

    def remove(self, index: int) -> None:
        if not 0 <= index < len(self.touchpoints):
            raise QilabError("There is no touchpoint at that position.")
        del self.touchpoints[index]

    def move(self, index: int, step: int) -> None:
        """Move a touchpoint earlier (step −1) or later (+1) in the journey."""
        j = index + step
        if not (0 <= index < len(self.touchpoints) and 0 <= j < len(self.touchpoints)):
            return
        tp = self.touchpoints
        tp[index], tp[j] = tp[j], tp[index]

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {"step": i + 1, **asdict(t), "score": t.score}
                for i, t in enumerate(self.touchpoints)
            ],
            columns=["step", "name", "emotion", "comment", "score"],
        )

    def hotspots(self) -> list[str]:
        """Touchpoints that felt negative: candidates for co-design priorities."""
        return [t.name for t in self.touchpoints if t.score < 0]

    def to_csv(self) -> str:
        buf = io.StringIO()
        self.frame().to_csv(buf, index=False)
        return buf.getvalue()

    def to_json(self) -> str:
        return json.dumps(
            {"journey": self.journey, "touchpoints": [asdict(t) for t in self.touchpoints]},
            indent=2,
            ensure_ascii=False,
        )

    def to_markdown(self) -> str:
        lines = [
            f"# Emotional map: {self.journey}\n",
            "| Step | Touchpoint | Emotion | Comment |",
            "|---|---|---|---|",
        ]
        for i, t in enumerate(self.touchpoints, 1):
            lines.append(f"| {i} | {_md(t.name)} | {t.emotion} | {_md(t.comment)} |")
        if self.hotspots():
            lines.append("\n**Low points to start co-design with:** " + ", ".join(self.hotspots()))
        return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def example_journey() -> EmotionalMap:
    m = EmotionalMap("An older person admitted through ED with a fall")
    for name, emotion, comment in [
        ("Ambulance arrives", "scared", "Lying on the floor for hours before help came"),
        ("Triage", "reassured", "The nurse explained what would happen"),
        ("Waiting on a trolley", "lonely", "Nobody told my daughter where I was"),
        ("Seen by the doctor", "relieved", ""),
        ("Moved to the ward at 2 am", "confused", "Woken and moved in the night"),
        ("Ward care", "safe", ""),
        ("Waiting for care package", "frustrated", "Medically fit but stuck for 9 days"),
        ("Home", "happy", ""),
    ]:
        m.add(name, emotion, comment)
    return m
