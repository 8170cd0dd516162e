"""Sources and wording the faculty review corrected (issue 13): each stays as the source says.

The founding reports (shared/seeds) are quoted carefully: who found what, what a figure
measures, and what a report recommends rather than describes. These checks keep the corrected
sentences from drifting back.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from qilab.curriculum import notebooks as nbs

REPO = Path(__file__).resolve().parents[2]


def text(path: str) -> str:
    nb = nbs.read_notebook(REPO / path)
    cells = (
        "".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in nb["cells"]
    )
    return re.sub(r"\s+", " ", " ".join(cells).replace("**", "").replace("*", ""))


@pytest.mark.parametrize(
    ("path", "present", "absent"),
    [
        (
            "curriculum/foundation/pdsa.ipynb",
            ["Taylor and colleagues (BMJ Qual Saf 2014;23:290–8) found that many published 'PDSA'"],
            ["Reed & Card (2016) found"],
        ),
        (
            "assignments/source/foundation_pdsa/foundation_pdsa.ipynb",
            ["Specific, Measurable, Assignable (someone owns it), Realistic and Time-related"],
            ["specific, measurable, achievable, relevant and time-bound (Doran 1981)"],
        ),
        (
            "curriculum/advanced/codesign.ipynb",
            [
                "were found to have strong social ties",
                "it does not say PROMPT created it",
                "recommends developing a cohort of patient leaders",
                "the guide does not say relative or absolute (relative is our inference)",
            ],
            ["fostered strong social ties", "describes cohorts of patient leaders"],
        ),
        (
            "curriculum/practitioner/pdsa.ipynb",
            ["spread across the NHS in waves"],
            ["hundreds of practices"],
        ),
        (
            "curriculum/advanced/pdsa.ipynb",
            [
                "reduction in the proportion of patients exposed' and does not say which",
                "Reading it as a relative reduction is an inference",
            ],
            ["'24 %' in the Health Foundation's guide is a relative reduction"],
        ),
        (
            "assignments/source/advanced_pdsa/advanced_pdsa.ipynb",
            ["The report does not say whether PINCER's 24 % is a relative or an absolute"],
            [],
        ),
        (
            "curriculum/cases/pincer-prescribing-safety.ipynb",
            ['The guide does not say whether that "24 %" is relative or absolute'],
            ['That "24 %" is a relative fall'],
        ),
        (
            "curriculum/practitioner/codesign.ipynb",
            [
                "Staff feedback event",
                "Patient feedback event, held separately",
                "Joint patient–staff event: staff watch the film",
            ],
            ["The crucial step is the fifth"],
        ),
        (
            "assignments/source/practitioner_codesign/practitioner_codesign.ipynb",
            [
                "G A staff feedback event",
                "H A patient feedback event, held separately",
                'ebcd_order = ["D", "B", "E", "G", "H", "A", "C", "F"]',
                "At separate staff and patient feedback events",
            ],
            ['ebcd_order = ["D", "B", "E", "A", "C", "F"]', "list of the six"],
        ),
    ],
)
def test_corrected_wording_stays(path: str, present: list[str], absent: list[str]) -> None:
    body = text(path)
    for phrase in present:
        assert phrase in body, f"{path}: expected {phrase!r}"
    for phrase in absent:
        assert phrase not in body, f"{path}: {phrase!r} came back"


def test_ebcd_stages_are_in_the_toolkits_order() -> None:
    body = text("curriculum/practitioner/codesign.ipynb")
    order = [
        "Gather staff experiences",
        "Gather patient and carer experiences",
        "Edit a trigger film",
        "Staff feedback event",
        "Patient feedback event",
        "Joint patient–staff event",
        "Co-design groups",
        "Celebrate and review",
    ]
    positions = [body.index(stage) for stage in order]
    assert positions == sorted(positions)


def test_taylor_review_is_cited_in_the_lesson_and_the_manifest() -> None:
    cite = "Taylor MJ, McNicholas C, Nicolay C, Darzi A, Bell D, Reed JE."
    assert cite in text("curriculum/foundation/pdsa.ipynb")
    assert cite in (REPO / "curriculum" / "escalator.yaml").read_text(encoding="utf-8")


def test_ebcd_assignment_hidden_test_and_model_answer_agree_with_the_toolkit() -> None:
    """Q1's accepted orders all put both separate feedback events before the joint event."""
    nb = nbs.read_notebook(
        REPO / "assignments/source/practitioner_codesign/practitioner_codesign.ipynb"
    )
    source = {c["id"]: "".join(c["source"]) for c in nb["cells"]}
    accepted = re.search(r"_accepted = \{(.*?)\}", source["q1_check_order"]).group(1)
    orders = re.findall(r'"([A-H]{8})"', accepted)
    model = "".join(re.findall(r'"([A-H])"', source["q1_answer"]))
    assert model in orders and len(orders) == 4
    for order in orders:  # set-up, gathering, staff and patient events, joint, groups, review
        assert order[0] == "D" and set(order[1:3]) == {"B", "E"} and set(order[3:5]) == {"G", "H"}
        assert order[5:] == "ACF"
    lesson = text("curriculum/practitioner/codesign.ipynb")
    assert lesson.index("Staff feedback event") < lesson.index("Joint patient–staff event")
    assert lesson.index("Patient feedback event") < lesson.index("Joint patient–staff event")
    assert "Point of Care Foundation's EBCD toolkit" in lesson
