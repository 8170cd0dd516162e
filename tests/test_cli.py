"""The ``qilab`` command as a person types it: real processes, real exit codes."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

QILAB = str(Path(sys.executable).parent / "qilab")


def qilab(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([QILAB, *args], capture_output=True, text=True, timeout=60, env=env)


def assert_one_line_error(done: subprocess.CompletedProcess[str], *words: str) -> None:
    assert done.returncode == 2, done
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("qilab: error:"), done.stderr
    for word in words:
        assert word in lines[0], lines[0]


def test_help_lists_the_commands():
    done = qilab("--help")
    assert done.returncode == 0
    assert "lab" in done.stdout and "QI Lab" in done.stdout


def test_lab_help_explains_options():
    done = qilab("lab", "--help")
    assert done.returncode == 0
    for option in ("--port", "--no-browser", "LESSON", "examples"):
        assert option in done.stdout


def test_no_command_prints_help_and_fails():
    done = qilab()
    assert done.returncode == 2
    assert "usage: qilab" in done.stdout


def test_unknown_lesson_is_one_line_with_a_hint():
    done = qilab("lab", "STAR", "--no-browser", "--port", "0")
    assert_one_line_error(done, "No lesson called 'STAR'", "START")


def test_port_in_use_is_reported_before_jupyter_starts():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = qilab("lab", "--no-browser", "--port", str(port))
    assert_one_line_error(done, f"Port {port} is in use", "--port 0")


def test_missing_course_folder_is_reported(tmp_path):
    import os

    env = {**os.environ, "QILAB_ROOT": str(tmp_path)}
    done = qilab("lab", "--no-browser", "--port", "0", env=env)
    assert_one_line_error(done, "QILAB_ROOT", "curriculum/")


def test_bad_argument_types_are_usage_errors():
    done = qilab("lab", "--port", "eighty")
    assert done.returncode == 2
    assert "invalid int value" in done.stderr and "Traceback" not in done.stderr


def test_output_cut_short_by_a_pipe_is_not_an_error():
    done = subprocess.run(
        f"'{QILAB}' datasets list | head -1", shell=True, capture_output=True, text=True, timeout=60
    )
    assert len(done.stdout.splitlines()) == 1
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr


def test_every_lesson_named_in_help_exists():
    """`qilab --help` and `qilab lab --help` examples must open real lessons."""
    import re

    from qilab import paths

    for args in (("--help",), ("lab", "--help")):
        text = qilab(*args).stdout
        for lesson in re.findall(r"qilab lab ([a-z]+/[a-z_-]+)", text):
            assert (paths.curriculum_dir() / f"{lesson}.ipynb").is_file(), lesson


@pytest.mark.slow
def test_arguments_after_a_double_dash_reach_jupyter(tmp_path):
    """`qilab lab -- --ServerApp.token=...` (as --help documents) starts a server with it."""
    import os
    import time
    import urllib.request

    from servers import course_copy

    from qilab.ports import free_port

    port = free_port()
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path)}
    # A copy of the course: `qilab lab` releases the assignments into its .qilab/ on first start.
    env["QILAB_ROOT"] = str(course_copy(tmp_path / "course"))
    env.pop("JUPYTER_TOKEN", None)
    argv = [QILAB, "lab", "--port", str(port), "--no-browser", "--", "--ServerApp.token=letmein"]
    with (tmp_path / "err.txt").open("w") as err:
        server = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err, env=env)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/api/status?token=letmein", timeout=5
                ) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert server.poll() is None, (tmp_path / "err.txt").read_text()
                time.sleep(0.5)
        else:
            raise AssertionError((tmp_path / "err.txt").read_text())
        printed = (tmp_path / "err.txt").read_text()
        url = next(w for w in printed.split() if w.startswith("http://"))
        assert url.endswith("?token=letmein")
        with urllib.request.urlopen(url, timeout=30) as page:  # the printed address just works
            assert page.status == 200 and "/login" not in page.url
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_double_dash_on_another_command_is_a_usage_error():
    done = qilab("datasets", "list", "--", "--oops")
    assert done.returncode == 2 and "nothing may follow '--'" in done.stderr


def test_help_and_usage_errors_import_no_heavy_library():
    """Every `qilab` command builds every sub-command's parser first: a library imported there
    (nbgrader, pandas, Jupyter…) costs seconds on every `qilab --help` and every typo. Those
    imports belong in each command's ``run``."""
    heavy = {"nbformat", "nbgrader", "pandas", "numpy", "altair", "jsonschema", "jupyterhub"}
    heavy |= {"jupyter_server", "distributed", "ipywidgets", "voila", "sqlalchemy", "tornado"}
    probe = (
        "import sys\n"
        "from qilab.cli import build_parser\n"
        "build_parser()\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    imported = set(done.stdout.split())
    assert not imported & heavy, f"imported while building the parsers: {imported & heavy}"
