"""A throw-away PostgreSQL server for tests (Debian's postgresql, a cluster on a free port).

The gradebook tests (tests/grading) and the hub's LMS tests (tests/test_hub_lti.py) use it
through the ``postgres_server`` and ``postgres_url`` fixtures in tests/conftest.py. A missing
server fails the test, never skips it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def pg_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if not found:
        pytest.fail(
            "PostgreSQL is not installed: the gradebook test needs Debian's postgresql. "
            "`python3 make.py test` installs it (as root), or `sudo apt-get install postgresql`."
        )
    return found[-1].parent


def _as_owner(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: use the postgres account the package creates."""
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


@contextmanager
def throwaway_server() -> Iterator[str]:
    """A throw-away PostgreSQL cluster on a free localhost port; yields its base URL."""
    try:
        import psycopg2  # noqa: F401 - SQLAlchemy's PostgreSQL driver
    except ImportError:
        pytest.fail(
            "psycopg2 is missing: install the test extras (`pip install -e .[test]`, which "
            "includes psycopg2-binary) to test the PostgreSQL gradebook."
        )
    from qilab.ports import free_port

    bindir = pg_bin()
    base = Path(tempfile.mkdtemp(prefix="qilab-pg-"))  # /tmp: readable by the postgres user
    data = base / "data"
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    port = free_port()
    subprocess.run(
        _as_owner(
            [str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8"]
        ),
        check=True,
        capture_output=True,
        timeout=120,
    )
    options = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off"
    log = base / "server.log"
    started = subprocess.run(
        [
            *_as_owner(
                [str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log), "-w"]
            ),
            "start",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert started.returncode == 0, started.stdout + started.stderr + log.read_text()
    try:
        yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(
            _as_owner([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(base, ignore_errors=True)


def new_database(postgres_server: str) -> str:
    """A fresh, empty database on the throw-away server ``postgres_server`` (its base URL)."""
    import psycopg2

    name = f"qilab_{int(time.time() * 1000) % 10**9}_{os.getpid()}"
    port = postgres_server.rsplit(":", 1)[1]
    conn = psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    return f"{postgres_server}/{name}"
