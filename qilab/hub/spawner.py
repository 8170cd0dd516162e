"""Each person's own JupyterLab on the hub: learners sandboxed, tutors with the course.

Why bubblewrap and not Unix accounts: JupyterHub's usual isolation is one Unix account per
person (``LocalProcessSpawner``), which needs root to create and switch to those accounts, and
Unix permissions on a shared exchange. QI Lab's hub must also run where there is no root (a
department's VM, a developer's laptop, CI), and the course already trusts bubblewrap to fence
learners' code in while it is marked (:mod:`qilab.grading.sandbox`). So a learner's whole
single-user server — and therefore every kernel it starts — runs inside bubblewrap, in its own
mount, PID, IPC and user namespaces, and sees only:

- the operating system and QI Lab's Python environment, read-only (as the marking sandbox);
- the course's lessons (``curriculum/``), read-only, and their own folder, read-write (with
  their own copy of the lessons, made on first start, so their work is kept);
- the course's released assignments (``outbound/``), read-only, and their own
  ``inbound/LEARNER`` and ``feedback/LEARNER`` exchange folders (:mod:`qilab.grading.exchange`).

Another learner's folder, the course folder (``source/``, the gradebook, ``nbgrader_config.py``),
the hub's database and cookie secret are simply not there. The sandbox shares the machine's
network (the proxy must reach the server), like any JupyterHub single-user server; each
server still demands the hub's OAuth log-in of its owner.

Tutors' servers are not sandboxed: they run as the hub's user with the course folder and
nbgrader's tutor tools, so ``qilab course`` marks there (its own sandbox around each kernel).

Limits: one learner's runaway code must not take the machine from the others, so a learner's
server and everything it starts share a memory cap (``Spawner.mem_limit``, enforced here with
:class:`~qilab.grading.sandbox.MemoryCap`: LocalProcessSpawner itself only passes it on) and
a process cap (``max_processes``, the marking sandbox's :class:`~qilab.grading.sandbox.ProcessCap`)
and a CPU cap (``Spawner.cpu_limit`` in cores, :class:`~qilab.grading.sandbox.CpuCap`: a loop
that never ends is slowed to its share, not killed). When a cap stops or slows something, the
hub's log says whose server, which cap and what to change.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from jupyterhub.spawner import LocalProcessSpawner
from traitlets import Float, Integer, Unicode, default

from qilab import paths
from qilab.grading import sandbox
from qilab.grading.exchange import learner_folders
from qilab.lab import JUPYTER_CONFIG_DIR, LEARNER_CONFIG_DIR, START_PAGE

#: The host paths of /etc a JupyterLab server needs besides the kernel's (names, hosts).
ETC_SERVER = ("hosts", "host.conf", "resolv.conf", "mime.types")


def learner_sandbox(
    *,
    home: Path,
    root: Path,
    exchange: dict[str, Path],
    exchange_course: Path,
    learner_config: Path,
    identity: Path,
    hidden: list[Path],
) -> list[str]:
    """The bubblewrap command line that fences a learner's server in (before ``--``).

    ``identity`` holds the sandbox's own ``passwd`` and ``group``: inside, user 1000 *is* the
    learner (nbgrader names a submission after the user that runs it, not an environment
    variable the learner could change).
    """
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise sandbox.SandboxUnavailable(
            "learners' servers cannot be isolated: bubblewrap is missing: "
            f"{sandbox.NO_SANDBOX_HINT}."
        )
    cmd = [
        bwrap,
        "--unshare-user",
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--uid",
        str(sandbox.INNER_UID),
        "--gid",
        str(sandbox.INNER_UID),
        "--hostname",
        "qilab-learner",
        "--die-with-parent",
        "--cap-drop",
        "ALL",
        "--ro-bind",
        "/usr",
        "/usr",
    ]
    cmd += sandbox.system_binds(etc=ETC_SERVER, own=identity)
    read_only = sandbox.python_paths()
    for path in read_only:
        cmd += ["--ro-bind", path, path]
    for secret in hidden:  # never visible, even if a read-only path above contains it
        if any(sandbox._inside(str(secret), ro) for ro in read_only):
            cmd += ["--tmpfs", str(secret)]
    # The lessons and the marker of a QI Lab course folder (qilab.paths finds the course by it).
    for name in ("curriculum", "pyproject.toml"):
        cmd += ["--ro-bind", str(root / name), str(root / name)]
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
        str(home),
        str(home),
        "--ro-bind",
        str(learner_config),
        str(learner_config),
        "--ro-bind",
        str(exchange["outbound"]),
        str(exchange_course / "outbound"),
        "--bind",
        str(exchange["inbound"]),
        str(exchange_course / "inbound"),
        "--ro-bind",
        str(exchange["feedback"]),
        str(exchange_course / "feedback"),
        "--chdir",
        str(home),
    ]
    return cmd


def write_identity(folder: Path, name: str, home: Path) -> None:
    """``passwd`` and ``group`` for a learner's sandbox: user and group 1000 are the learner."""
    uid = sandbox.INNER_UID
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "passwd").write_text(
        "root:x:0:0:root:/root:/usr/sbin/nologin\n"
        f"{name}:x:{uid}:{uid}:{name}:{home}:/bin/bash\n"
        "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
        encoding="utf-8",
    )
    (folder / "group").write_text(
        f"root:x:0:\n{name}:x:{uid}:\nnogroup:x:65534:\n", encoding="utf-8"
    )


class QilabSpawner(LocalProcessSpawner):
    """Starts a learner's JupyterLab in a bubblewrap sandbox, a tutor's with the course."""

    users_root = Unicode(config=True, help="Folder holding each person's own folder.")
    course = Unicode(config=True, help="The course folder (qilab course init) tutors work in.")
    course_id = Unicode(config=True, help="The nbgrader course id.")
    exchange = Unicode(config=True, help="The nbgrader exchange's root (private to the hub).")
    learner_config = Unicode(config=True, help="Folder with the learners' nbgrader_config.py.")
    tutors_group = Unicode("tutors", config=True, help="Members get the tutor tools.")
    max_processes = Integer(
        0, config=True, help="Most processes and threads a learner's server may run (0: no cap)."
    )
    #: The running server's control groups and the task watching them (set in start()).
    _caps: tuple[sandbox.MemoryCap | sandbox.ProcessCap | sandbox.CpuCap, ...] = ()
    _watch: asyncio.Task[None] | None = None
    limits_check_interval = Float(
        5.0, config=True, help="Seconds between looks at whether a learner's caps stopped code."
    )

    @default("cmd")
    def _default_cmd(self) -> list[str]:
        return [str(Path(sys.executable).parent / "jupyterhub-singleuser")]

    @property
    def is_tutor(self) -> bool:
        return any(group.name == self.tutors_group for group in self.user.groups)

    @property
    def home(self) -> Path:
        return Path(self.users_root) / self.user.name

    def make_preexec_fn(self, name: str) -> Any:
        """No switch of Unix user (people are not Unix accounts here); start in their folder."""
        home = str(self.course if self.is_tutor else self.home)

        def preexec() -> None:
            os.chdir(home)

        return preexec

    def user_env(self, env: dict[str, str]) -> dict[str, str]:
        env["USER"] = self.user.name
        env["HOME"] = str(self.home)
        return env

    def get_env(self) -> dict[str, str]:
        env = super().get_env()
        root = paths.project_root()
        config_dirs = [str(JUPYTER_CONFIG_DIR)]
        if self.is_tutor:
            config_dirs.append(self.course)  # the course's nbgrader_config.py: every tool
        else:
            config_dirs = [str(LEARNER_CONFIG_DIR), *config_dirs, self.learner_config]
        env.update(
            {
                "JUPYTER_CONFIG_PATH": os.pathsep.join(config_dirs),
                "JUPYTER_PATH": str(paths.JUPYTER_DATA_DIR),
                "PYTHONSTARTUP": str(JUPYTER_CONFIG_DIR / "kernel_startup.py"),
                "QILAB_ROOT": str(root),
                "PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/bin", "/bin"]),
                "MALLOC_ARENA_MAX": "2",
            }
        )
        return env

    def get_args(self) -> list[str]:
        args = super().get_args()
        args += [f"--LabApp.app_settings_dir={JUPYTER_CONFIG_DIR / 'lab-settings'}"]
        if self.is_tutor:
            args += [f"--ServerApp.root_dir={self.course}"]
            if os.geteuid() == 0:  # the hub runs as root (a container, CI): the tutor's too
                args += ["--ServerApp.allow_root=True"]
        else:
            args += [
                f"--ServerApp.root_dir={self.home}",
                f"--ServerApp.default_url=/lab/tree/curriculum/{START_PAGE}",
            ]
        return args

    def _prepare_learner(self) -> list[str]:
        """Make the learner's folder and exchange folders; the sandbox around their server."""
        reason = sandbox.probe()
        if reason:
            raise sandbox.SandboxUnavailable(
                f"refusing to start {self.user.name}'s server: {reason}, so their code could "
                f"read every other learner's work. To fix: {sandbox.NO_SANDBOX_HINT}."
            )
        root = paths.project_root()
        self.home.mkdir(parents=True, exist_ok=True)
        os.chmod(self.home, 0o700)
        lessons = self.home / "curriculum"
        if not lessons.exists():  # their own copy to work in; never replaced once made
            shutil.copytree(
                root / "curriculum", lessons, ignore=shutil.ignore_patterns(".ipynb_checkpoints")
            )
        exchange = learner_folders(Path(self.exchange), self.course_id, self.user.name)
        state = Path(self.users_root).parent
        identity = state / "identities" / self.user.name
        write_identity(identity, self.user.name, self.home)
        return learner_sandbox(
            home=self.home,
            root=root,
            exchange=exchange,
            exchange_course=Path(self.exchange) / self.course_id,
            learner_config=Path(self.learner_config),
            identity=identity,
            # The checkout's own course (its solutions) too, should an install bind its root.
            hidden=[Path(self.course), state, root / "assignments"],
        )

    async def start(self) -> Any:
        base = self._default_cmd()
        if self.is_tutor:
            self.cmd = base
        else:
            self.cmd = [*self._prepare_learner(), "--", *base]
        started = await super().start()
        if not self.is_tutor:
            await self._cap_learner()
        return started

    async def _cap_learner(self) -> None:
        """Put the learner's new server under its memory and process caps, and watch them."""
        megabytes = (self.mem_limit or 0) // (1024 * 1024)
        memory = sandbox.MemoryCap(megabytes)
        processes = sandbox.ProcessCap(self.max_processes)
        cpu = sandbox.CpuCap(self.cpu_limit or 0)
        # The sandbox forks its server within milliseconds of starting: enrol what is there,
        # then look again (a process already capped only starts capped children).
        for _ in range(3):
            pids = sandbox.processes_in(self.pid)
            for cap in (memory, processes, cpu):
                cap.apply(pids)
            await asyncio.sleep(0.2)
        self._caps = (memory, processes, cpu)
        name = self.user.name
        for wanted, cap, what in ((megabytes, memory, "memory"), (self.cpu_limit, cpu, "cpu")):
            if wanted and cap.how == "none":
                self.log.warning(
                    "QI Lab limits: %s's server has NO %s cap: the hub cannot make a %s "
                    "control group here (run the hub as root, or under systemd with "
                    "Delegate=yes).",
                    name,
                    what,
                    what,
                )
        self.log.info(
            "QI Lab limits: %s's server and its kernels: memory %s, processes %s, CPU %s.",
            name,
            f"{megabytes} MiB together (cgroup)" if memory.how == "cgroup" else "not capped",
            f"{self.max_processes} ({processes.how})" if processes.how != "none" else "not capped",
            f"{self.cpu_limit:g} core(s) together" if cpu.how == "cgroup" else "not capped",
        )
        self._watch = asyncio.ensure_future(self._watch_caps(memory, processes, megabytes, cpu))

    async def _watch_caps(
        self,
        memory: sandbox.MemoryCap,
        processes: sandbox.ProcessCap,
        megabytes: int,
        cpu: sandbox.CpuCap,
    ) -> None:
        """Say in the hub's log, for the tutor or IT, each time a cap stopped this learner."""
        killed, refused, throttled = 0, 0, False
        while True:
            await asyncio.sleep(self.limits_check_interval)
            now_killed, now_refused = memory.oom_kills(), processes.refusals()
            if not throttled and cpu.throttled():
                throttled = True  # said once: a long computation hits it all the time
                self.log.info(
                    "QI Lab limits: learner %s's server used its whole CPU share (%g core(s)) "
                    "and was slowed to it; other learners keep theirs. If their work really "
                    "needs more: qilab hub --cpu-limit.",
                    self.user.name,
                    self.cpu_limit,
                )
            if now_killed > killed:
                self.log.warning(
                    "QI Lab limits: learner %s's server reached its memory cap (%d MiB for the "
                    "server and all its kernels): the out-of-memory killer stopped its largest "
                    "process (%d time(s) so far), usually the notebook kernel running the code; "
                    "JupyterLab restarts the kernel and their files are kept. Other learners "
                    "are not affected. If their work really needs more: qilab hub --memory-limit.",
                    self.user.name,
                    megabytes,
                    now_killed,
                )
            if now_refused > refused:
                self.log.warning(
                    "QI Lab limits: learner %s's server reached its process cap (%d processes "
                    "and threads): %d attempt(s) to start another were refused, as for a fork "
                    "bomb or a loop starting programs. Other learners are not affected. If "
                    "their work really needs more: qilab hub --max-processes.",
                    self.user.name,
                    self.max_processes,
                    now_refused - refused,
                )
            killed, refused = now_killed, now_refused

    async def stop(self, now: bool = False) -> None:
        await super().stop(now=now)
        watch = self._watch
        if watch is not None:
            watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watch
        for cap in self._caps:  # frees the control groups once all have exited
            group = cap.group
            await asyncio.to_thread(cap.release)
            if group is not None and group.exists():
                self.log.warning("QI Lab limits: %s is still busy; left for later.", group)
        self._caps, self._watch = (), None
