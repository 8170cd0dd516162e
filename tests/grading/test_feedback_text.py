"""Feedback sentences and the removal of hidden regions (the pages themselves: end to end)."""

from __future__ import annotations

import nbformat
from qilab.grading.feedback import (
    HIDDEN_NOTE,
    PlainWordsFeedback,
    hidden_regions,
    page_text,
    plain_reason,
    remove_region,
    summarise_check,
)

SOURCE = (
    "assert f(1) == 1\n"
    "### BEGIN HIDDEN TESTS\n"
    "assert f(2) == 4  # secret\n"
    "### END HIDDEN TESTS\n"
    "print('done')"
)


def graded(outputs, score, points=2, restored=False):
    meta = {
        "nbgrader": {
            "grade": True,
            "grade_id": "t",
            "locked": True,
            "points": points,
            "score": score,
            "solution": False,
            "schema_version": 3,
        }
    }
    if restored:
        meta["qilab_restored"] = True
    cell = nbformat.v4.new_code_cell(SOURCE, metadata=meta)
    cell.outputs = [nbformat.from_dict(o) for o in outputs]
    return cell


def error(ename, evalue):
    return {"output_type": "error", "ename": ename, "evalue": evalue, "traceback": [SOURCE]}


def test_hidden_regions_are_removed_and_flagged():
    text, found = remove_region(SOURCE, "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
    assert found and "secret" not in text and HIDDEN_NOTE in text and "print('done')" in text
    assert hidden_regions(SOURCE, "BEGIN HIDDEN TESTS", "END HIDDEN TESTS") == [
        "assert f(2) == 4  # secret"
    ]


def test_reasons_are_plain_words():
    assert (
        plain_reason("AssertionError", "the median of 3, 1 and 2 is 2")
        == "the check says: the median of 3, 1 and 2 is 2."
    )
    assert "Define it in your answer cell" in plain_reason(
        "NameError", "name 'run_median' is not defined"
    )
    assert "NotImplementedError()" in plain_reason("NotImplementedError", "")
    assert "loop that never ends" in plain_reason("CellTimeoutError", "")
    assert "memory" in plain_reason("MemoryError", "")
    assert "ZeroDivisionError (division by zero)" in plain_reason(
        "ZeroDivisionError", "division by zero"
    )


def test_summary_says_marks_and_why():
    failed = summarise_check(graded([error("AssertionError", "")], score=0))
    assert "Not passed: 0 of 2 marks" in failed and "Why:" in failed
    assert "Passed: 2 of 2 marks" in summarise_check(graded([], score=2))
    partly = summarise_check(graded([error("NameError", "name 'g' is not defined")], score=1))
    assert "Partly passed: 1 of 2" in partly and "Name 'g' is not defined" in partly
    assert "put back before marking" in summarise_check(graded([], 2, restored=True))


def test_feedback_preprocessor_replaces_tracebacks_that_quote_hidden_tests():
    cell = graded([error("AssertionError", "")], score=0)
    nb = nbformat.v4.new_notebook(cells=[cell])
    nb, _ = PlainWordsFeedback().preprocess(nb, {})
    shown = nb.cells[0].source + "".join(o.get("text", "") for o in nb.cells[0].outputs)
    assert "secret" not in shown and "f(2)" not in shown
    assert [o.output_type for o in nb.cells[0].outputs] == ["stream"]


def test_mark_schemes_are_removed_too():
    cell = nbformat.v4.new_markdown_cell(
        "Task\n### BEGIN MARK SCHEME\nModel answer: common-cause variation\n### END MARK SCHEME"
    )
    nb, _ = PlainWordsFeedback().preprocess(nbformat.v4.new_notebook(cells=[cell]), {})
    assert "Model answer" not in nb.cells[0].source and "not shown" in nb.cells[0].source


def test_page_text_drops_markup_and_scripts():
    page = "<p>a&lt;b</p><script>var secret = 1;</script><span>c</span>"
    assert page_text(page) == "a<b c"


def test_leak_check_finds_hidden_lines_encoded_in_any_usual_way():
    import base64
    import bz2
    import json
    import textwrap
    import zlib

    from qilab.grading.feedback import find_leaks

    secret = 'assert run_median([10, 40, 20, 30]) == 25.0, "an even number of points"'
    # the whole source notebook, as a learner who could read it would print it
    notebook = json.dumps({"cells": [{"source": ["x = 1\n", secret + "\n"]}]}, indent=1)
    raw = ("pad" + notebook).encode()
    encoded = {
        "base64": base64.b64encode(raw).decode(),
        "base64, wrapped at 76": "\n".join(textwrap.wrap(base64.b64encode(raw).decode(), 76)),
        "url-safe base64, cut": base64.urlsafe_b64encode(raw).decode()[7:],
        "hex": raw.hex(),
        "hex with spaces": raw.hex(" "),
        "zlib + base64": base64.b64encode(zlib.compress(raw)).decode(),
        "bz2 + hex": bz2.compress(raw).hex(),
        "plain JSON": notebook,
    }
    for how, text in encoded.items():
        assert find_leaks(f"<pre>{text}</pre>", [secret]) == [secret], how
    innocent = base64.b64encode(b"a chart of falls per week, nothing hidden").decode()
    assert find_leaks(f"<pre>{innocent}</pre><p>abcdef0123456789abcdef0123</p>", [secret]) == []


def test_a_decompression_bomb_in_a_page_is_not_unpacked_whole():
    import base64
    import zlib

    from qilab.grading.feedback import UNPACK_LIMIT, _decodings

    bomb = base64.b64encode(zlib.compress(b"\0" * 50_000_000, 9)).decode()
    assert max(len(text) for text in _decodings(bomb)) <= UNPACK_LIMIT
