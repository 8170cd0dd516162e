"""The tutor's progress bar draws on a terminal and keeps logs clean."""

from __future__ import annotations

import io

from qilab.grading.progress import progress_bar


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_sees_the_count_and_the_last_learner():
    screen = Terminal()
    with progress_bar(2, "autograde week1", stream=screen) as bar:
        for learner in ("d1", "d2"):
            bar.set_postfix_str(f"{learner}: graded", refresh=False)
            bar.update()
    shown = screen.getvalue()
    assert "autograde week1" in shown and "2/2" in shown and "d2: graded" in shown


def test_a_log_file_or_library_use_gets_no_bar():
    log = io.StringIO()
    with progress_bar(3, "autograde", stream=log) as bar:
        bar.update(3)
    with progress_bar(3, "autograde", show=False, stream=Terminal()) as quiet:
        quiet.update(3)
    assert log.getvalue() == ""
