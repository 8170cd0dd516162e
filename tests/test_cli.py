"""The ``qilab`` command as a person types it: real processes, real exit codes."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

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
