"""A bubblewrap sandbox around every learner's kernel while their work is marked.

A submission is untrusted code. Run as the tutor, in a folder inside the course, it could read
``source/`` (solutions, hidden tests), rewrite the gradebook, overwrite another learner's work,
kill the autograder or leave processes running. So each learner's kernel starts inside
`bubblewrap <https://github.com/containers/bubblewrap>`_ (Debian's ``bubblewrap``; the same
tool Flatpak uses), which sees only:

- the submission's private working copy (its notebook's folder with its data files),
  read-write, and a private, empty ``/tmp``;
- the operating system and the Python environment, read-only (``/usr``, a few files of
  ``/etc``, the virtual environment and QI Lab's own packages) — never the course folder:
  no ``source/``, ``release/``, other submissions, gradebook or config;

and runs with no network (its own, empty network namespace: the kernel talks to the worker
over Unix sockets, ZeroMQ's ``ipc`` transport, in a folder bound into the sandbox), its own
PID namespace (``--die-with-parent``: when the kernel's sandbox ends, every process it started
ends with it; nothing outside is visible, so nothing outside can be signalled), a non-root
user, and a cap on processes (``RLIMIT_NPROC``) set with the memory cap before the first cell.

The learner's code runs as user 1000 inside, mapped (``--unshare-user``) onto the user who
runs autograde: it has no capability outside the sandbox, even when that user is root (CI, a
JupyterHub service). The process cap is a ``pids`` control group when autograde runs as root
(the kernel's ``RLIMIT_NPROC`` does not bind root's processes), and ``RLIMIT_NPROC`` otherwise.

The hub (:mod:`qilab.hub.spawner`) caps each learner's whole server with the same
:class:`ProcessCap`, and its memory with :class:`MemoryCap` (a ``memory`` control group, for
the server and its kernels together), not with the marked kernel's ``RLIMIT_AS``: an
address-space cap crashes vl-convert's V8, which draws the lessons' charts offline.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import os
import shutil
import site
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from qilab.errors import QilabError

#: The user (and group) the learner's code sees inside the sandbox.
INNER_UID = 1000
#: Environment passed into the sandbox: nothing else (no tokens, passwords or paths leak).
ENV_KEEP = ("LANG", "LANGUAGE", "TZ", "MALLOC_ARENA_MAX", "PYTHONHASHSEED", "MPLBACKEND")
ENV_PREFIXES = ("LC_", "QILAB_", "NBGRADER_")
#: The parts of /etc a Python kernel needs (libraries, time zone, fonts, certificates, users).
ETC_KEEP = (
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "localtime",
    "timezone",
    "fonts",
    "ssl",
    "ca-certificates",
    "alternatives",
    "passwd",
    "group",
    "nsswitch.conf",
    "mime.types",
    "locale.alias",
    "matplotlibrc",
)
NO_SANDBOX_HINT = (
    "install bubblewrap (Debian/Ubuntu: `sudo apt-get install bubblewrap`) and run on Linux, "
    "or accept the risk with `--no-sandbox`"
)


class SandboxUnavailable(QilabError):
    """Learners' code cannot be isolated here, so autograde refuses to run it."""


@dataclass(frozen=True)
class SandboxSettings:
    """How one task's sandboxes are made, on the worker that runs it."""

    enabled: bool = True
    #: Where each job's sandbox folder is made (host path the sandbox user can traverse).
    base: str = ""
    #: Most processes and threads the learner's code may have at once.
    max_processes: int = 256
    #: Host paths bound read-only (the Python environment and QI Lab's packages).
    read_only: tuple[str, ...] = field(default_factory=tuple)
    #: Host paths hidden inside the sandbox if a read-only path contains them (the course).
    hidden: tuple[str, ...] = field(default_factory=tuple)


def system_binds(etc: tuple[str, ...] = (), own: Path | None = None) -> list[str]:
    """bubblewrap arguments that show the operating system read-only (after ``/usr``).

    The top-level library and program folders (as symlinks where the system has them so), and
    from ``/etc`` only :data:`ETC_KEEP` plus *etc*. With *own*, ``passwd`` and ``group`` come
    from that folder instead (the sandbox's own users). One list for every QI Lab sandbox: a
    marked learner kernel (:class:`Sandbox`) and a learner's server on the hub.
    """
    args: list[str] = []
    for top in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = Path("/", top)
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    for name in (*ETC_KEEP, *etc):
        path = Path("/etc", name)
        if own is not None and name in ("passwd", "group"):
            args += ["--ro-bind", str(own / name), str(path)]
        elif path.exists():
            args += ["--ro-bind", str(path), str(path)]
    return args


def _bwrap() -> str | None:
    return shutil.which("bwrap")


def unavailable_reason() -> str | None:
    """Why learners' kernels cannot be sandboxed here, or None when they can."""
    if not sys.platform.startswith("linux"):
        return f"this is {sys.platform}, and the sandbox (bubblewrap) needs Linux"
    if _bwrap() is None:
        return "bubblewrap (`bwrap`) is not installed"
    return None


def python_paths() -> list[str]:
    """Folders the kernel's Python needs, read-only: the environment and editable installs.

    An editable install (``pip install -e .``) points into the checkout; only the mapped
    package folders are bound (``qilab/``, ``grading/`` …), never the checkout itself, which
    also holds the course's own assignment sources.
    """
    paths = {sys.prefix, sys.base_prefix, str(Path(sys.executable).resolve().parent)}
    for folder in site.getsitepackages([sys.prefix]):
        base = Path(folder)
        if not base.is_dir():
            continue
        for pth in base.glob("*.pth"):
            for line in pth.read_text(errors="replace").splitlines():
                line = line.strip()
                if line and not line.startswith(("#", "import")) and Path(line).is_dir():
                    paths.add(str(Path(line).resolve()))
        for finder in base.glob("__editable__*finder.py"):
            paths.update(_editable_mapping(finder))
    return sorted(p for p in paths if p and Path(p).exists() and not _is_system(p))


def _is_system(path: str) -> bool:
    return path == "/usr" or path.startswith("/usr/")


def _editable_mapping(finder: Path) -> list[str]:
    """The package folders a setuptools editable finder maps (its ``MAPPING``)."""
    spec = importlib.util.spec_from_file_location(f"_qilab_probe_{finder.stem}", finder)
    if spec is None or spec.loader is None:
        return []
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception:
        return []
    mapping = getattr(module, "MAPPING", {})
    return [str(Path(p).resolve()) for p in mapping.values() if Path(p).exists()]


@dataclass
class JobSandbox:
    """One submission's sandbox folder on the host: ``work/`` (its files) and ``ipc/``."""

    root: Path
    settings: SandboxSettings

    @property
    def work(self) -> Path:
        return self.root / "work"

    @property
    def ipc(self) -> Path:
        return self.root / "ipc"

    @classmethod
    def create(cls, settings: SandboxSettings, files: Path | None) -> JobSandbox:
        """A new sandbox folder with a submission's private files (none: empty, filled later)."""
        root = Path(tempfile.mkdtemp(prefix="job-", dir=settings.base or None))
        box = cls(root, settings)
        box.work.mkdir()
        box.ipc.mkdir(mode=0o700)
        if files is not None:
            box.fill(files)
        return box

    def fill(self, files: Path) -> None:
        """Copy a submission's private files (not its notebooks) into ``work/``."""
        ignore = shutil.ignore_patterns("*.ipynb")
        shutil.copytree(files, self.work, ignore=ignore, dirs_exist_ok=True)

    def remove(self) -> None:
        """Delete the folder, whatever modes the learner's code left on its files."""
        remove_tree(self.root)

    def command(self, argv: list[str]) -> list[str]:
        """``argv`` (the kernel's command) wrapped so that it starts inside the sandbox."""
        bwrap = _bwrap()
        if bwrap is None:
            raise SandboxUnavailable(f"bubblewrap disappeared: {NO_SANDBOX_HINT}.")
        cmd = [
            bwrap,
            "--unshare-user",
            "--unshare-pid",
            "--unshare-net",
            "--unshare-ipc",
            "--unshare-uts",
            "--unshare-cgroup-try",
            "--uid",
            str(INNER_UID),
            "--gid",
            str(INNER_UID),
            "--hostname",
            "qilab-sandbox",
            "--die-with-parent",
            "--new-session",
            "--cap-drop",
            "ALL",
            "--ro-bind",
            "/usr",
            "/usr",
        ]
        cmd += system_binds()
        for path in self.settings.read_only:
            cmd += ["--ro-bind", path, path]
        for hidden in self.settings.hidden:
            if any(_inside(hidden, path) for path in self.settings.read_only):
                cmd += ["--tmpfs", hidden]  # the course folder sits inside a bound path
        cmd += [
            "--proc",
            "/proc",
            "--dev",
            "/dev",
            "--tmpfs",
            "/tmp",
            "--tmpfs",
            "/var/tmp",
            "--bind",
            str(self.work),
            str(self.work),
            "--bind",
            str(self.ipc),
            str(self.ipc),
            "--chdir",
            str(self.work),
            "--clearenv",
        ]
        for key, value in self.environment().items():
            cmd += ["--setenv", key, value]
        return [*cmd, "--", *argv]

    def environment(self) -> dict[str, str]:
        """The kernel's environment: a whitelist, so no secret of the tutor's gets in."""
        env = {
            key: value
            for key, value in os.environ.items()
            if key in ENV_KEEP or key.startswith(ENV_PREFIXES)
        }
        bindir = str(Path(sys.executable).parent)
        env.update(
            {
                "PATH": f"{bindir}:/usr/local/bin:/usr/bin:/bin",
                "HOME": "/tmp",
                "TMPDIR": "/tmp",
                "USER": "learner",
                "IPYTHONDIR": "/tmp/.ipython",
                "MPLCONFIGDIR": "/tmp/.matplotlib",
                "XDG_CACHE_HOME": "/tmp/.cache",
                "JUPYTER_RUNTIME_DIR": str(self.ipc),
                "PYDEVD_DISABLE_FILE_VALIDATION": "1",
            }
        )
        env.setdefault("MALLOC_ARENA_MAX", "2")
        return env


def remove_tree(root: Path) -> None:
    """Delete a folder, whatever modes the learner's code left on its files."""

    def fix(func: Any, path: str, _exc: Any) -> None:
        with contextlib.suppress(OSError):
            os.chmod(os.path.dirname(path), 0o700)
            os.chmod(path, 0o700)
            func(path)

    shutil.rmtree(root, onerror=fix)


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


@functools.cache
def kernel_manager_class() -> type:
    """A jupyter_client ``KernelManager`` that starts its kernel in a :class:`JobSandbox`.

    It uses ZeroMQ's ``ipc`` transport (Unix sockets in the sandbox's ``ipc/`` folder), since
    the sandbox has no network, not even the host's localhost.
    """
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import Any as AnyTrait

    class SandboxedKernelManager(AsyncKernelManager):
        sandbox = AnyTrait(None, allow_none=True)

        def __init__(self, sandbox: JobSandbox, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.sandbox = sandbox
            self.transport = "ipc"
            self.connection_file = str(sandbox.ipc / "kernel.json")
            self.ip = str(sandbox.ipc / "k")

        def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
            argv = super().format_kernel_cmd(extra_arguments)
            # A signal would reach bubblewrap, not the kernel inside (and end the sandbox):
            # interrupt (nbgrader's cell time-out) with a message the kernel acts on itself.
            if self.kernel_spec is not None:
                self.kernel_spec.interrupt_mode = "message"
            return self.sandbox.command(argv)

    return SandboxedKernelManager


@functools.cache
def probe() -> str | None:
    """Start a tiny sandbox once per process: None if it works, else what went wrong."""
    reason = unavailable_reason()
    if reason:
        return reason
    settings = SandboxSettings(read_only=tuple(python_paths()))
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        files = base / "files"
        files.mkdir()
        settings = SandboxSettings(base=str(base), read_only=settings.read_only)
        box = JobSandbox.create(settings, files)
        argv = [sys.executable, "-c", "import ipykernel, os; print(os.getuid())"]
        try:
            done = subprocess.run(box.command(argv), capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"bubblewrap could not start ({exc})"
        finally:
            box.remove()
    if done.returncode != 0 or done.stdout.strip() != str(INNER_UID):
        detail = (done.stderr or done.stdout).strip().splitlines()
        return f"bubblewrap could not start a kernel here ({detail[-1] if detail else '?'})"
    return None


def require() -> None:
    """Raise :class:`SandboxUnavailable` (one line: the risk and the fix) if no sandbox."""
    reason = probe()
    if reason:
        raise SandboxUnavailable(
            f"refusing to autograde: {reason}, so learners' code would run as you, able to "
            f"read the solutions and change the gradebook. To fix: {NO_SANDBOX_HINT}."
        )


def processes_in(pid: int | None) -> list[int]:
    """A sandbox's processes: its launcher and everything below it (host pids)."""
    if pid is None:
        return []
    try:
        root = psutil.Process(pid)
        return [pid, *(child.pid for child in root.children(recursive=True))]
    except psutil.NoSuchProcess:
        return [pid]


class ProcessCap:
    """At most N processes and threads in one sandbox, whoever runs autograde.

    As root: a ``pids`` control group per sandbox (root's ``RLIMIT_NPROC`` is not enforced).
    Otherwise: ``RLIMIT_NPROC``, which counts all of the user's tasks, so it is set that many
    above what the user already runs. :meth:`apply` is called before the first learner cell,
    on every process of the sandbox; whatever they start stays under the cap. Calling it again
    adds processes to the same cap (the hub enrols a learner's server as it starts up).
    """

    def __init__(self, max_processes: int) -> None:
        self.max = max_processes
        self.group: Path | None = None
        self.how = "none"

    def apply(self, pids: list[int]) -> str:
        """Cap the sandbox's processes; say how ("cgroup", "rlimit" or "none")."""
        if self.max <= 0 or not pids:
            return self.how
        if os.geteuid() == 0 and self.how != "rlimit":
            group = self.group or _new_pids_group()  # called again: more pids, same group
            if group is not None:
                with contextlib.suppress(OSError):
                    (group / "pids.max").write_text(str(self.max))
                    for pid in pids:
                        (group / "cgroup.procs").write_text(str(pid))
                    self.group, self.how = group, "cgroup"
                    return self.how
                with contextlib.suppress(OSError):
                    group.rmdir()
        import resource

        if hasattr(resource, "prlimit"):
            cap = self.max if os.geteuid() == 0 else _own_tasks() + self.max
            for pid in pids:
                with contextlib.suppress(OSError):
                    resource.prlimit(pid, resource.RLIMIT_NPROC, (cap, cap))
            self.how = "rlimit"
        return self.how

    def release(self) -> None:
        """Remove the control group (the sandbox has ended, so it is empty)."""
        _remove_group(self.group)
        self.group = None

    def refusals(self) -> int:
        """How many times the cap refused a new process (the ``pids`` group's count; 0 with
        ``RLIMIT_NPROC``, which keeps none)."""
        return _event_count(self.group, "pids.events", "max")


class _GroupCap:
    """A control group that holds a sandbox's processes under one controller's limit.

    The group is made inside the caller's own group (cgroup v1) or at the root (v2), so every
    limit someone set on the caller still holds. It needs a writable controller (the hub run
    as root, or a delegated systemd slice); where there is none, :meth:`apply` says ``"none"``
    and the caller must say so.
    """

    controller = ""

    def __init__(self) -> None:
        self.group: Path | None = None
        self.how = "none"

    def wanted(self) -> bool:
        raise NotImplementedError

    def set_limit(self, group: Path) -> None:
        """Write the limit into a new group's files (raises OSError if it cannot)."""
        raise NotImplementedError

    def apply(self, pids: list[int]) -> str:
        """Put the sandbox's processes under the cap; say how ("cgroup" or "none")."""
        if not self.wanted() or not pids:
            return self.how
        group = self.group or _new_group_under_own(self.controller)
        if group is None:
            return self.how
        try:
            if self.group is None:
                self.set_limit(group)
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    (group / "cgroup.procs").write_text(str(pid))
        except OSError:
            _remove_group(group)
            return self.how
        self.group, self.how = group, "cgroup"
        return self.how

    def release(self) -> None:
        """Remove the control group (its processes have ended), and its parent once empty.

        The parent sits inside the caller's own group, which whoever made that (systemd, a
        container runtime) must be able to remove in turn.
        """
        _remove_group(self.group)
        if self.group is not None:
            with contextlib.suppress(OSError):  # other sandboxes still running: it stays
                self.group.parent.rmdir()
        self.group = None


class MemoryCap(_GroupCap):
    """At most N MiB of memory for a sandbox and everything in it, together.

    A ``memory`` control group: it counts what the processes really use (resident memory and
    page cache), not the address space they reserve, so code that maps a lot and uses little
    (V8 inside vl-convert reserves tens of GiB for a chart) runs, while a memory bomb is stopped
    by the kernel's out-of-memory killer inside the group — the largest process there, usually
    the runaway kernel — and nothing outside the group is touched.
    """

    controller = "memory"

    def __init__(self, megabytes: int) -> None:
        super().__init__()
        self.megabytes = megabytes

    def wanted(self) -> bool:
        return self.megabytes > 0

    def set_limit(self, group: Path) -> None:
        limit = str(self.megabytes * 1024 * 1024)
        v2 = (group / "memory.max").is_file()
        (group / ("memory.max" if v2 else "memory.limit_in_bytes")).write_text(limit)
        for swap in ("memory.swap.max", "memory.memsw.limit_in_bytes"):
            with contextlib.suppress(OSError):  # no swap accounting: nothing to cap
                (group / swap).write_text("0" if v2 else limit)

    def oom_kills(self) -> int:
        """Processes the out-of-memory killer ended inside the group so far."""
        count = _event_count(self.group, "memory.events", "oom_kill")
        return count or _event_count(self.group, "memory.oom_control", "oom_kill")


class CpuCap(_GroupCap):
    """At most N cores of CPU time for a sandbox and everything in it, together.

    A ``cpu`` control group's quota (CFS bandwidth): code that spins — a loop that never ends,
    a learner's simulation run a million times — is slowed to its share, so the other learners
    on the machine keep theirs; nothing is killed.
    """

    controller = "cpu"
    PERIOD_US = 100_000

    def __init__(self, cores: float) -> None:
        super().__init__()
        self.cores = cores

    def wanted(self) -> bool:
        return self.cores > 0

    def set_limit(self, group: Path) -> None:
        quota = max(1000, int(self.cores * self.PERIOD_US))
        if (group / "cpu.max").is_file():
            (group / "cpu.max").write_text(f"{quota} {self.PERIOD_US}")
        else:
            (group / "cpu.cfs_period_us").write_text(str(self.PERIOD_US))
            (group / "cpu.cfs_quota_us").write_text(str(quota))

    def throttled(self) -> int:
        """Periods in which the group used its whole quota and waited (``cpu.stat``)."""
        return _event_count(self.group, "cpu.stat", "nr_throttled")


def _remove_group(group: Path | None) -> None:
    """rmdir a control group, waiting up to 5 s for its last processes to exit."""
    if group is None:
        return
    for _ in range(50):
        try:
            group.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.1)


def _event_count(group: Path | None, name: str, key: str) -> int:
    """The number after *key* in a control group's flat-keyed file *name* (0 if none)."""
    if group is None:
        return 0
    for line in _read(group / name).splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == key and parts[1].isdigit():
            return int(parts[1])
    return 0


def _new_group_under_own(controller: str) -> Path | None:
    """A new, empty *controller* group inside this process's own group (v1) or the root (v2).

    Inside its own group, so every limit someone set on the caller (systemd, a container)
    still holds for what it starts.
    """
    v1 = Path("/sys/fs/cgroup", controller)
    if (v1 / "cgroup.procs").is_file():
        own = next(
            (
                line.split(":", 2)[2]
                for line in _read(Path("/proc/self/cgroup")).splitlines()
                if controller in line.split(":", 2)[1].split(",")
            ),
            "/",
        )
        base = v1 / own.strip().lstrip("/")
    elif controller in _read(Path("/sys/fs/cgroup/cgroup.controllers")).split():
        base = Path("/sys/fs/cgroup")
    else:
        return None
    if not os.access(base, os.W_OK):
        return None
    return _new_job_group(base, controller)


def _pids_root() -> Path | None:
    for candidate in (Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup")):
        usable = (candidate / "cgroup.procs").is_file() and os.access(candidate, os.W_OK)
        has_pids = candidate.name == "pids" or "pids" in _read(candidate / "cgroup.controllers")
        if usable and has_pids:
            return candidate
    return None


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _new_pids_group() -> Path | None:
    root = _pids_root()
    if root is None:
        return None
    return _new_job_group(root, "pids")


def _new_job_group(base: Path, controller: str) -> Path | None:
    """A new, empty control group ``base/qilab-sandbox/job-*`` for *controller*.

    A group whose processes were still exiting when its run released it (or whose hub was
    killed) stays behind, empty; those older than ten minutes are tidied here (rmdir removes
    only empty groups; new ones are left alone). On cgroup v2 the controller is delegated down.
    """
    try:
        parent = base / "qilab-sandbox"
        parent.mkdir(exist_ok=True)
        for old in parent.glob("job-*"):
            with contextlib.suppress(OSError):
                if time.time() - old.stat().st_mtime > 600:
                    old.rmdir()
        if (parent / "cgroup.subtree_control").is_file():
            with contextlib.suppress(OSError):
                (base / "cgroup.subtree_control").write_text(f"+{controller}")
                (parent / "cgroup.subtree_control").write_text(f"+{controller}")
        return Path(tempfile.mkdtemp(prefix="job-", dir=parent))
    except OSError:
        return None


def _own_tasks() -> int:
    """Threads of all this user's processes (what RLIMIT_NPROC counts)."""
    uid, count = os.getuid(), 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if entry.stat().st_uid == uid:
                    count += len(os.listdir(entry / "task"))
    return count
