"""Code a mischievous learner puts in a submission, shared by the tests that mark it."""

from __future__ import annotations

import sys


def fork_bomb(marker: str, detached: int = 40) -> str:
    """Leave ``detached`` processes behind (their command line holds ``marker``, so a test can
    find any that survive), then fork until refused — at most 2000 — and say when it stopped."""
    return f"""
import subprocess, os, time
for _ in range({detached}):
    subprocess.Popen(["{sys.executable}", "-c", "import time; time.sleep(600)", "{marker}"],
                     start_new_session=True)
children = 0
try:
    for _ in range(2000):
        if os.fork() == 0:
            time.sleep(60)
            os._exit(0)
        children += 1
except OSError as exc:
    print("stopped after", children, "processes:", type(exc).__name__)
"""
