"""Zero to JupyterHub (deploy/z2jh/values.yaml) logs people in and mounts the exchange as
``qilab hub`` does.

There is no Kubernetes cluster here, so the hub's configuration is built from values.yaml the
way the z2jh chart's hub (4.4.0, files/hub/jupyterhub_config.py) builds it: the chart's
spawner class, ``singleuser.extraEnv`` and ``singleuser.storage.extraVolumes/extraVolumeMounts``
into KubeSpawner, each ``hub.config`` section into ``c.<Class>``, then each ``hub.extraConfig``
snippet run with ``c``. The course volume is the test's course folder, as mounted into the hub
pod. From that configuration:

- the configured authenticator class logs in launches signed by tests/lti_platform.py (an LMS
  with its own key set): a learner by the name the roster gives them, the linked course's
  instructor as a tutor; an instructor of another LMS course, a replayed launch and someone not
  on the roster are refused;
- the real KubeSpawner (the version of the chart's hub image) builds the pod of a learner whose
  id has a dot, an underscore, a hyphen and an ``@``, and of a tutor; their volume mounts are
  read from the pod manifest. No pod is made: nothing talks to a Kubernetes API;
- nbgrader's own submit through the learner pod's mounts, then the tutor's ``qilab course
  collect``: her submission is collected for her.
"""

from __future__ import annotations

import asyncio
import csv
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jwt
import pytest
import yaml
from lti_platform import INSTRUCTOR, LTI, Platform, link_course, member
from qilab.grading import synthetic
from qilab.grading.collect import collect
from qilab.grading.course import Course, init_course
from qilab.grading.exchange import learner_folders
from qilab.grading.lti.launch import LaunchRefused
from qilab.grading.lti.nrps import read_users, sync_roster
from qilab.grading.release import release
from tornado.web import HTTPError
from traitlets.config import Config
from traitlets.utils.importstring import import_item

REPO = Path(__file__).resolve().parent.parent
VALUES = REPO / "deploy" / "z2jh" / "values.yaml"
#: A learner id as an academy's roster may have it: its email address.
ODD = "d.o_brien-2@nhs.example"
LEARNERS = {"101": "alice", "102": ODD}
#: A roster id a hub user name cannot be (JupyterHub lower-cases names; folders would differ).
CAPITALS = "B.Jones"
TEACHER = "901"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"


def run_coroutine(coroutine: Any) -> Any:
    """Run a coroutine to its end in a thread of its own: in the full suite, Playwright's event
    loop runs in pytest's thread, where ``asyncio.run`` refuses to start another."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


def values() -> dict[str, Any]:
    return yaml.safe_load(VALUES.read_text())


def hub_mount(settings: dict[str, Any], claim: str) -> str:
    """Where the hub pod mounts the PVC ``claim`` (hub.extraVolumes/extraVolumeMounts)."""
    hub = settings["hub"]
    (volume,) = [
        v["name"]
        for v in hub.get("extraVolumes", [])
        if v.get("persistentVolumeClaim", {}).get("claimName") == claim
    ]
    (path,) = [m["mountPath"] for m in hub.get("extraVolumeMounts", []) if m["name"] == volume]
    return str(path)


def hub_config(settings: dict[str, Any], course: Path) -> Config:
    """The hub's configuration as z2jh's jupyterhub_config.py makes it from ``settings``, with
    the course volume (mounted where ``hub.config`` says the course is) at ``course``."""
    c = Config()
    c.JupyterHub.spawner_class = "kubespawner.KubeSpawner"
    single = settings["singleuser"]
    c.KubeSpawner.environment = dict(single.get("extraEnv", {}))
    storage = single["storage"]
    c.KubeSpawner.volumes = {v["name"]: v for v in storage.get("extraVolumes", [])}
    c.KubeSpawner.volume_mounts = {
        f"{n}-{m['name']}": m for n, m in enumerate(storage.get("extraVolumeMounts", []))
    }
    for section, traits in settings["hub"]["config"].items():
        c[section].update(traits)
    # The hub reads the course where its pod mounts the qilab-course volume: here, the test's.
    assert c.QilabLTI13Authenticator.course == hub_mount(settings, "qilab-course")
    c.QilabLTI13Authenticator.course = str(course)
    for _, snippet in sorted(settings["hub"].get("extraConfig", {}).items()):
        exec(compile(snippet, "hub.extraConfig", "exec"), {"c": c})
    return c


@pytest.fixture(scope="module")
def lms_course(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A course whose roster came from the LMS (alice, and a learner named by her email)."""
    tmp = tmp_path_factory.mktemp("z2jh")
    synthetic.write_source(tmp / "sources")
    roster = tmp / "roster.csv"
    with roster.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "name", "email"])
        writer.writerow(["alice", "Dr Alice Example", "alice@nhs.example"])
        writer.writerow([ODD, "Dr Dee O'Brien", ODD])
        writer.writerow([CAPITALS, "Dr Bea Jones", "b.jones@nhs.example"])
    init_course(
        tmp / "course", roster, source=tmp / "sources" / "source", exchange=tmp / "exchange"
    )
    course = Course.open(tmp / "course")
    assert not release(course).errors
    platform = Platform(
        members=[
            member("101", "Dr Alice Example", "alice@nhs.example"),
            member("102", "Dr Dee O'Brien", ODD),
            member("104", "Dr Bea Jones", "b.jones@nhs.example"),
            member(TEACHER, "Dr Tess Jones", "t.jones@nhs.example", role=INSTRUCTOR),
        ]
    ).start()
    try:
        sync_roster(course, link_course(course.root, platform))
        assert read_users(course.root) == {**LEARNERS, "104": CAPITALS}
        yield course, platform
    finally:
        platform.stop()


def log_in(authenticator: Any, token: str) -> dict[str, Any]:
    """What the hub's LTI callback does with a posted id_token: QI Lab's launch checks
    (``check_launch``), then JupyterHub's log-in with the launch's claims (the library has
    verified them by then): authenticate, normalise the name, check it is allowed."""
    identity = authenticator.check_launch(token)
    handler = SimpleNamespace(qilab_launch=identity)  # what the callback handler carries
    claims = jwt.decode(token, options={"verify_signature": False})
    return run_coroutine(authenticator.get_authenticated_user(handler, claims))


def test_the_hub_logs_people_in_as_qilab_hub_does(lms_course) -> None:
    course, platform = lms_course
    settings = values()
    assert "loadGroups" not in settings["hub"]  # not a key of the chart: helm refuses it
    c = hub_config(settings, course.root)
    authenticator = import_item(c.JupyterHub.authenticator_class)(config=c)
    # The LMS's settings are the course's lti.yaml's (the file QI Lab's checks read too).
    assert authenticator.issuer == platform.url
    assert set(authenticator.client_id) == {platform.client_id}
    assert authenticator.jwks_endpoint == f"{platform.url}/jwks"
    # Groups are the authenticator's: JupyterHub refuses to start with load_groups as well.
    assert authenticator.manage_groups and not c.JupyterHub.get("load_groups")
    assert not c.Authenticator.get("allow_all")

    # Learners arrive as the roster names them (not as their LMS user id), in no group.
    for lms_id, learner in LEARNERS.items():
        user = log_in(authenticator, platform.launch_token(lms_id))
        assert (user["name"], user["groups"]) == (learner, [])
    # The linked course's instructor is a tutor.
    user = log_in(authenticator, platform.launch_token(TEACHER))
    assert (user["name"], user["groups"]) == (TEACHER, ["tutors"])

    # A replayed launch: the second use of the same id_token.
    token = platform.launch_token("101")
    log_in(authenticator, token)
    with pytest.raises(LaunchRefused) as refused:
        log_in(authenticator, token)
    assert refused.value.reason == "replayed nonce"
    # An instructor of another LMS course on the same LMS (same deployment, valid token).
    other = {
        NRPS_CLAIM: {
            "context_memberships_url": f"{platform.url}/nrps/course-10/memberships",
            "service_versions": ["2.0"],
        },
        LTI + "context": {"id": "course-10", "title": "Another course"},
    }
    platform.members.append(member("902", "Dr Ola Other", "o.other@nhs.example", INSTRUCTOR))
    with pytest.raises(HTTPError) as error:
        log_in(authenticator, platform.launch_token("902", **other))
    assert error.value.status_code == 403
    assert "not of the LMS course this QI Lab course is linked to" in (
        error.value.jupyterhub_message  # type: ignore[attr-defined]
    )
    # Someone the roster does not have yet: one page saying what to ask the tutor for.
    platform.members.append(member("103", "Dr Carol Example", "carol@nhs.example"))
    with pytest.raises(HTTPError) as error:
        log_in(authenticator, platform.launch_token("103"))
    assert error.value.status_code == 403 and error.value.reason == "Not on the roster yet"
    # A roster id with capitals: refused with one page saying what the tutor changes, rather
    # than a hub user whose folders differ from the gradebook's id.
    with pytest.raises(HTTPError) as error:
        log_in(authenticator, platform.launch_token("104"))
    assert error.value.status_code == 403
    assert "learner ids must be lower-case letters, digits and . _ - @" in (
        error.value.jupyterhub_message  # type: ignore[attr-defined]
    )


KUBECONFIG = """\
apiVersion: v1
kind: Config
clusters: [{name: none, cluster: {server: "https://127.0.0.1:9"}}]
users: [{name: none, user: {token: not-used}}]
contexts: [{name: none, context: {cluster: none, user: none, namespace: qilab}}]
current-context: none
"""


def pod(c: Config, name: str, groups: list[str]) -> tuple[Any, Any]:
    """The real KubeSpawner's pod manifest for hub user ``name``, after the pre-spawn hook."""
    from kubespawner import KubeSpawner

    async def build() -> tuple[Any, Any]:
        user = SimpleNamespace(
            name=name, id=7, url=f"/user/{name}/", groups=[SimpleNamespace(name=g) for g in groups]
        )
        # _mock: KubeSpawner's own stand-in for the hub app; the manifest is its real code.
        spawner = KubeSpawner(config=c, user=user, _mock=True)
        result = spawner.run_pre_spawn_hook()
        if asyncio.iscoroutine(result):
            await result
        return spawner, await spawner.get_pod_manifest()

    return run_coroutine(build())


def mounts_of(manifest: Any) -> dict[str, tuple[str, str | None, bool]]:
    """The container's mounts of the course's volumes: mountPath → (volume, subPath, ro)."""
    (container,) = manifest.spec.containers
    return {
        m.mount_path: (m.name, m.sub_path, bool(m.read_only))
        for m in container.volume_mounts
        if m.name.startswith("qilab-")
    }


@pytest.fixture
def kubeconfig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """KubeSpawner loads a cluster's address when made: one nothing ever connects to."""
    path = tmp_path / "kubeconfig"
    path.write_text(KUBECONFIG)
    monkeypatch.setenv("KUBECONFIG", str(path))


def test_each_pod_mounts_the_exchange_where_the_tutors_commands_look(
    lms_course, kubeconfig
) -> None:
    course, _ = lms_course
    c = hub_config(values(), course.root)
    exchange, course_id = course.exchange_root(), course.course_id
    learner_view = exchange / course_id  # the folder nbgrader's learner side uses in the pod

    spawner, manifest = pod(c, ODD, [])
    # KubeSpawner's own {username} is a slug of the name, in either of its schemes: a subPath
    # with it would file this learner's submissions where `qilab course collect` never looks.
    for scheme in ("safe", "escape"):
        assert spawner._expand_user_properties("{username}", slug_scheme=scheme) != ODD
    # Hers are her own folders, by her name verbatim, as grading/exchange.py names them.
    own = learner_folders(exchange, course_id, ODD)
    assert mounts_of(manifest) == {
        str(learner_view / "outbound"): ("qilab-exchange", f"{course_id}/outbound", True),
        str(learner_view / "inbound"): ("qilab-exchange", f"{course_id}/inbound/{ODD}", False),
        str(learner_view / "feedback"): ("qilab-exchange", f"{course_id}/feedback/{ODD}", True),
    }
    for role in ("inbound", "feedback"):
        assert exchange / f"{course_id}/{role}/{ODD}" == own[role]
        assert own[role].is_dir()  # made by the hub before the pod starts (not by kubelet)
    # The course volume is not even declared in a learner's pod.
    assert {v.name for v in manifest.spec.volumes} & {"qilab-course"} == set()
    assert "qilab-exchange" in {v.name for v in manifest.spec.volumes}
    assert spawner.environment["JUPYTER_CONFIG_PATH"].startswith("/opt/qilab/learner-config")

    # Alice's pod: only her own folders, none of the other learner's.
    _, manifest = pod(c, "alice", [])
    subpaths = {sub for _, sub, _ in mounts_of(manifest).values()}
    assert subpaths == {f"{course_id}/{r}" for r in ("outbound", "inbound/alice", "feedback/alice")}

    # A tutor's pod: the whole exchange and the course, with every nbgrader tool.
    spawner, manifest = pod(c, TEACHER, ["tutors"])
    assert mounts_of(manifest) == {
        str(exchange): ("qilab-exchange", None, False),
        str(course.root): ("qilab-course", None, False),
    }
    assert {"qilab-course", "qilab-exchange"} <= {v.name for v in manifest.spec.volumes}
    assert spawner.environment["JUPYTER_CONFIG_PATH"].endswith(f":{course.root}")


def pod_exchange(manifest: Any, exchange: Path, view: Path) -> Path:
    """What the pod sees of the exchange volume, laid out under ``view``: each of its
    mounts a link to the volume's ``subPath`` (the volume's root is ``exchange``, where the hub
    and the tutors mount it). Returns the pod's exchange root (its c.Exchange.root)."""
    (container,) = manifest.spec.containers
    for mount in container.volume_mounts:
        if mount.name == "qilab-exchange":
            seen = view / Path(mount.mount_path).relative_to(exchange)
            seen.parent.mkdir(parents=True, exist_ok=True)
            seen.symlink_to(exchange / (mount.sub_path or ""), target_is_directory=True)
    return view


def submit_from_pod(course: Course, exchange_view: Path, home: Path, learner: str) -> None:
    """nbgrader's own `submit` in the learner's pod: the OS user is jovyan there, so nbgrader
    names the submission by JUPYTERHUB_USER, the hub user name."""
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.exchange.default.submit import ExchangeSubmit

    assignment = synthetic.ASSIGNMENT
    released = exchange_view / course.course_id / "outbound" / assignment
    work = home / assignment
    work.mkdir(parents=True)
    for notebook in released.glob("*.ipynb"):
        (work / notebook.name).write_bytes(notebook.read_bytes())
    config = Config()
    config.CourseDirectory.course_id = course.course_id
    config.CourseDirectory.assignment_id = assignment
    config.CourseDirectory.student_id = learner
    config.Exchange.root = str(exchange_view)
    config.Exchange.cache = str(home / ".nbgrader-cache")
    config.Exchange.assignment_dir = str(home)
    ExchangeSubmit(
        coursedir=CourseDirectory(config=config),
        authenticator=Authenticator(config=config),
        config=config,
    ).start()


def test_a_learner_submits_from_her_pod_and_the_tutor_collects_it(
    lms_course, kubeconfig, tmp_path
) -> None:
    """The whole way: nbgrader submits in the learner's pod through its mounts; the tutor's
    `qilab course collect` (its own code) finds it, for her. With KubeSpawner's `{username}` in
    the subPath (what values.yaml had), the same submission is not collected for her."""
    course, _ = lms_course
    c = hub_config(values(), course.root)
    exchange = course.exchange_root()
    spawner, manifest = pod(c, ODD, [])
    view = pod_exchange(manifest, exchange, tmp_path / "pod" / "exchange")
    submit_from_pod(course, view, tmp_path / "pod" / "home", ODD)
    report = collect(course, synthetic.ASSIGNMENT)
    assert report.collected == [ODD] and not report.problems, str(report)
    assert (course.root / "submitted" / ODD / synthetic.ASSIGNMENT).is_dir()

    # The old mounts: the chart fills {username} in with a slug of her name.
    slug = spawner._expand_user_properties("{username}")
    (container,) = manifest.spec.containers
    for mount in container.volume_mounts:
        if mount.name == "qilab-exchange" and mount.sub_path.endswith(f"/{ODD}"):
            mount.sub_path = mount.sub_path[: -len(ODD)] + slug
    (exchange / course.course_id / "inbound" / slug).mkdir()
    view = pod_exchange(manifest, exchange, tmp_path / "old-pod" / "exchange")
    submit_from_pod(course, view, tmp_path / "old-pod" / "home", ODD)
    report = collect(course, synthetic.ASSIGNMENT)
    assert ODD not in report.collected + [who for who, _ in report.replaced], str(report)
    assert any(f"in {slug}'s own exchange folder but names {ODD}" in p for p in report.problems)


def test_a_course_not_yet_linked_to_the_lms_stops_the_hub_with_one_clear_message(
    tmp_path,
) -> None:
    from qilab.hub.config import HubConfigError

    (tmp_path / "course").mkdir()
    with pytest.raises(HubConfigError) as error:
        hub_config(values(), tmp_path / "course")
    assert str(error.value) == (
        f"{tmp_path / 'course' / 'lti.yaml'} does not exist: link the course to the LMS first "
        "(`qilab course lms`, grading/README.md §9) on the course volume, then restart the hub."
    )
