"""`qilab cases` on the command line: one-line errors, never a traceback, nothing overwritten."""

from __future__ import annotations

import socket
import subprocess

import pytest
from servers import cases_command

from qilab.cases import load_cases


def qilab_cases(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*cases_command(), *args], capture_output=True, text=True, timeout=120)


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("qilab: error: "), done.stderr
    return lines[0]


def test_list_shows_every_case_with_its_module():
    done = qilab_cases("--list")
    assert done.returncode == 0, done.stderr
    for case in load_cases():
        line = next(x for x in done.stdout.splitlines() if x.startswith(case.slug))
        assert case.module in line and case.title in line


def test_an_unknown_case_is_one_line_with_a_suggestion():
    line = one_line_error(qilab_cases("winter-flow", "--no-browser", "--port", "0"))
    assert "No case study called 'winter-flow'" in line and "winter-discharge-to-assess" in line


def test_a_port_in_use_is_one_line_naming_this_command():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        line = one_line_error(qilab_cases("--port", str(port), "--no-browser"))
    assert f"Port {port} is in use" in line and "qilab cases --port 0" in line


def test_options_that_belong_to_build_or_out_of_range_are_refused():
    assert "add `build`" in one_line_error(qilab_cases("--out", "site"))
    assert "--pool-size 40" in one_line_error(qilab_cases("--pool-size", "40", "--no-browser"))


@pytest.mark.slow
def test_build_never_writes_into_a_folder_it_did_not_make(tmp_path):
    mine = tmp_path / "site"
    mine.mkdir()
    (mine / "index.html").write_text("the academy's own page")
    line = one_line_error(qilab_cases("build", "--out", str(mine)))
    assert "did not write" in line and "nothing was changed" in line
    assert (mine / "index.html").read_text() == "the academy's own page"
    assert sorted(p.name for p in mine.iterdir()) == ["index.html"]
