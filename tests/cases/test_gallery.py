"""Gallery page and thumbnails: every case listed, accessible SVG drawn from its own data."""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET

import pytest
import yaml

from qilab import datasets
from qilab.cases import CaseIndexError, load_cases
from qilab.cases.catalogue import Thumbnail
from qilab.cases.gallery import gallery_html
from qilab.cases.thumbnails import series, sparkline_svg, thumbnail_svg
from qilab.theme import COLOURS

SVG = "{http://www.w3.org/2000/svg}"
CASES = load_cases()


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.slug)
def test_thumbnail_is_valid_svg_with_one_dot_per_point_of_the_case_data(case):
    svg = ET.fromstring(thumbnail_svg(case))
    points = series(case.thumbnail)
    dots = svg.findall(f"{SVG}circle")
    assert len(dots) == len(points) >= 6
    assert svg.find(f"{SVG}title").text.startswith("Sparkline")
    assert svg.get("role") == "img"
    after = [d.get("fill") == COLOURS["improvement"] for d in dots]
    assert any(after) and not all(after), "points after the change are highlighted"
    assert after == sorted(after), "highlighted points are the later ones"


def test_sparkline_puts_high_values_at_the_top():
    frame = series(Thumbnail("ward_falls", x="month", y="falls", n="occupied_bed_days"))
    svg = ET.fromstring(sparkline_svg(frame, None, "test"))
    ys = [float(c.get("cy")) for c in svg.findall(f"{SVG}circle")]
    assert ys[int(frame["y"].idxmax())] == min(ys)


def test_thumbnail_of_a_missing_column_says_which_columns_exist():
    with pytest.raises(CaseIndexError, match="does not have: use one of month"):
        series(Thumbnail("ward_falls", x="month", y="no_such_column"))


def test_a_survey_thumbnail_is_the_share_giving_one_answer_and_mistakes_say_the_fix():
    spec = Thumbnail(
        "patient_experience",
        x="month",
        y="staff_introduced",
        where={"ward": "Beech Ward"},
        equals="Yes, all of them",
    )
    frame = series(spec)
    rows = datasets.load("patient_experience").query("ward == 'Beech Ward'")
    march = rows[rows["month"] == rows["month"].max()]
    expected = (march["staff_introduced"] == "Yes, all of them").mean()
    assert len(frame) == 12 and frame["y"].iloc[-1] == pytest.approx(expected)
    assert frame["y"].between(0, 1).all()
    with pytest.raises(CaseIndexError, match=r"holds answers, not numbers: add `equals:`"):
        series(Thumbnail("patient_experience", x="month", y="staff_introduced"))
    wrong = r"equal to 'Yes all': use one of .*'Yes, all of them'"
    with pytest.raises(CaseIndexError, match=wrong):
        series(Thumbnail("patient_experience", x="month", y="staff_introduced", equals="Yes all"))


def test_gallery_lists_every_case_with_its_level_theme_module_and_link():
    page = gallery_html(CASES, lambda c: f"{c.slug}.html")
    for case in CASES:
        card = re.search(rf'<li class="qilab-case" data-slug="{case.slug}".*?</li>', page, re.S)
        assert card, case.slug
        text = card.group(0)
        assert f'href="{case.slug}.html"' in text
        for label in (case.level_label, case.theme_label, case.module):
            assert label in text
        assert "<svg" in text
    assert page.count('class="qilab-case"') == len(CASES)
    urls = set(re.findall(r"https?://[^\s\"'<>]+", page))
    assert urls <= {"http://www.w3.org/2000/svg"}, urls
    assert "<script" not in page


def test_gallery_escapes_what_an_academy_writes_in_cases_yaml(tmp_path):
    shutil.copy(CASES[0].notebook, tmp_path / "demo-case.ipynb")
    doc = {
        "cases": [
            {
                "slug": "demo-case",
                "title": "<script>alert(1)</script> & more",
                "level": "foundation",
                "theme": "systems",
                "module": "foundation_systems",
                "summary": "A <b>bold</b> claim.",
                "thumbnail": {"dataset": "ward_falls", "x": "month", "y": "falls"},
            }
        ]
    }
    (tmp_path / "cases.yaml").write_text(yaml.safe_dump(doc))
    page = gallery_html(load_cases(tmp_path), lambda c: "x.html")
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page
    assert "A &lt;b&gt;bold&lt;/b&gt; claim." in page
