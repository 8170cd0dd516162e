#!/usr/bin/env python3
"""QI Lab's two commands, needing nothing but Python 3.11+ (Windows, macOS or Linux):

    python3 make.py lab     set up, then serve the course in JupyterLab
    python3 make.py test    set up, then run the whole test suite
    python3 make.py hub     set up, then serve a cohort on JupyterHub (`qilab hub --help`)
    python3 make.py test --fast
                            the developer's loop: only the tests that need no browser, server,
                            PostgreSQL or real nbgrader run (markers ``slow``/``browser``/``sweep``
                            deselected); add a path or ``-k`` for the room you touch

"Set up" makes a virtual environment in ``.venv`` and installs QI Lab into it (editable, so
changes to the code take effect at once), with exactly the tested versions pinned in
``constraints.txt``. It is done once and redone only when ``pyproject.toml`` or
``constraints.txt`` changes, so both commands are quick and safe to run again. For tests it also
makes sure Debian's ``chromium`` (the browser tests drive it), ``postgresql`` (a gradebook test
starts a throw-away server) and ``bubblewrap`` (autograde's sandbox) are present, installing
them with apt-get when run as root on Debian, as CI does. ``test`` and ``hub`` also install
JupyterHub's proxy, configurable-http-proxy, at the exact versions of
``qilab/hub/node/package-lock.json`` into ``.qilab/node/`` (``npm ci``; Node.js 20+ and npm).

Anything after the command is passed on: ``python3 make.py lab --port 0``,
``python3 make.py test -k measure``, ``python3 make.py test --fast tests/measure``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / "qilab-install.json"
#: The tested versions of every dependency; set-up installs exactly these.
CONSTRAINTS = ROOT / "constraints.txt"
INSTALL_LOG = VENV / "qilab-install.log"
CHROMIUM = Path("/usr/bin/chromium")
#: PostgreSQL's server binaries (any major version) for the gradebook test's throw-away server.
PG_CTL = next(
    iter(sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), reverse=True)),
    Path("/usr/lib/postgresql/bin/pg_ctl"),  # absent: ensure_system_packages installs it
)
#: bubblewrap: every learner kernel runs in its sandbox during autograde (qilab.grading.sandbox).
BWRAP = Path("/usr/bin/bwrap")
#: The fast loop's selection: everything not marked as needing a browser, a server or a real run
#: (tests/conftest.py refuses a test that uses such a fixture without its marker).
FAST_MARKERS = "not slow and not browser and not sweep"
#: Debian packages the tests need, by the file that shows each is installed.
TEST_SYSTEM_PACKAGES = {"chromium": CHROMIUM, "postgresql": PG_CTL, "bubblewrap": BWRAP}
#: JupyterHub's proxy for `qilab hub`: its npm lock file, and where `npm ci` installs it.
PROXY_PACKAGE = ROOT / "qilab" / "hub" / "node"
PROXY_DIR = ROOT / ".qilab" / "node"
PROXY = PROXY_DIR / "node_modules" / ".bin" / "configurable-http-proxy"
#: Node.js and npm, which install and run the proxy (Debian's, if none is installed).
NODE_PACKAGES = {"nodejs": Path("/usr/bin/node"), "npm": Path("/usr/bin/npm")}


def say(message: str) -> None:
    print(f"make.py: {message}", flush=True)


def fail(message: str) -> None:
    print(f"make.py: error: {message}", file=sys.stderr, flush=True)
    sys.exit(2)


def wanted_install(extras: list[str]) -> dict[str, object]:
    digest = hashlib.sha256(
        (ROOT / "pyproject.toml").read_bytes() + CONSTRAINTS.read_bytes()
    ).hexdigest()
    return {"pyproject": digest, "python": sys.version.split()[0], "extras": sorted(extras)}


def installed_covers(want: dict[str, object]) -> bool:
    try:
        have = json.loads(STAMP.read_text())
    except (OSError, ValueError):
        return False
    return (
        have.get("pyproject") == want["pyproject"]
        and have.get("python") == want["python"]
        and set(want["extras"]) <= set(have.get("extras", []))  # type: ignore[arg-type]
    )


def ensure_venv(extras: list[str]) -> None:
    """Create .venv and install QI Lab into it, unless the last install still fits."""
    if sys.version_info < (3, 11):  # noqa: UP036 - make.py runs under any python3
        fail(f"QI Lab needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    want = wanted_install(extras)
    if PYTHON.exists() and installed_covers(want):
        return
    if not PYTHON.exists():
        say(f"creating a virtual environment in {VENV.relative_to(ROOT)}")
        try:
            venv.EnvBuilder(with_pip=True).create(VENV)
        except Exception as exc:  # any failure here has the same remedy
            fail(
                f"could not create {VENV} ({exc}). On Debian/Ubuntu install python3-venv "
                "(`apt-get install python3-venv`), then run this again."
            )
    target = f".[{','.join(extras)}]" if extras else "."
    say(
        "installing QI Lab and its dependencies into .venv "
        f"(first time: a few minutes; log: {INSTALL_LOG.relative_to(ROOT)})"
    )
    with INSTALL_LOG.open("w") as log:
        done = subprocess.run(
            [
                str(PYTHON),
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "--constraint",
                str(CONSTRAINTS),
                "-e",
                target,
            ],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    if done.returncode != 0:
        tail = INSTALL_LOG.read_text(errors="replace").splitlines()[-25:]
        print("\n".join(tail), file=sys.stderr)
        fail(
            f"pip could not install QI Lab (full log: {INSTALL_LOG}). "
            "Fix the error above and run this again."
        )
    STAMP.write_text(json.dumps(want))
    say("set-up done")


def ensure_system_packages(packages: dict[str, Path]) -> None:
    """Install missing Debian packages when we can (root on Debian); otherwise say how."""
    missing = [name for name, marker in packages.items() if not marker.exists()]
    if not missing:
        return
    names = " ".join(missing)
    can_apt = shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0
    if not can_apt:
        fail(
            f"the tests need Debian's {names} (real-browser and PostgreSQL gradebook tests). "
            "Install with "
            f"`sudo apt-get install {names}`, then run this again."
        )
    say(f"installing Debian packages: {names}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", *missing]):
        if subprocess.run(command, env=env, stdout=subprocess.DEVNULL).returncode != 0:
            fail(f"`{' '.join(command)}` failed; install {names} by hand, then run this again.")


def ensure_proxy() -> None:
    """Install configurable-http-proxy at the locked versions, unless that install still fits."""
    lock = (PROXY_PACKAGE / "package-lock.json").read_bytes()
    stamp = PROXY_DIR / "qilab-lock.sha256"
    digest = hashlib.sha256(lock).hexdigest()
    if PROXY.exists() and stamp.is_file() and stamp.read_text() == digest:
        return
    if shutil.which("npm") is None:
        ensure_system_packages(NODE_PACKAGES)
    npm = shutil.which("npm")
    if npm is None:
        fail(
            "JupyterHub's proxy needs Node.js 20+ and npm (Debian: `apt-get install nodejs npm`); "
            "install them, then run this again."
        )
    say("installing JupyterHub's proxy (configurable-http-proxy) into .qilab/node")
    PROXY_DIR.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(PROXY_PACKAGE / name, PROXY_DIR / name)
    done = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=PROXY_DIR,
        stdout=subprocess.DEVNULL,
    )
    if done.returncode != 0 or not PROXY.exists():
        fail(f"`npm ci` in {PROXY_DIR} failed; fix the error above, then run this again.")
    stamp.write_text(digest)


def run(command: list[str]) -> int:
    """Run a command as if .venv were activated (tools such as nbgrader call others by name)."""
    env = {
        **os.environ,
        "VIRTUAL_ENV": str(VENV),
        "PATH": os.pathsep.join([str(BIN), os.environ.get("PATH", "")]),
    }
    try:
        return subprocess.run(command, cwd=ROOT, env=env).returncode
    except KeyboardInterrupt:
        return 130


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"lab", "test", "hub"}:
        print(__doc__)
        return 0 if argv and argv[0] in {"-h", "--help"} else 2
    command, rest = argv[0], argv[1:]
    if command == "lab":
        ensure_venv([])
        return run([str(BIN / "qilab"), "lab", *rest])
    if command == "hub":
        ensure_venv([])
        ensure_proxy()
        return run([str(BIN / "qilab"), "hub", *rest])
    ensure_venv(["test"])
    if rest[:1] == ["--fast"]:
        return run([str(PYTHON), "-m", "pytest", "-m", FAST_MARKERS, *rest[1:]])
    ensure_system_packages(TEST_SYSTEM_PACKAGES)
    ensure_proxy()
    return run([str(PYTHON), "-m", "pytest", *rest])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
