"""``qilab hub``'s configuration: what the IT team's jupyterhub_config.py says, and bad input.

The hub itself (real JupyterHub, proxy, sandboxed learners, the exchange round trip) is driven
in a browser in tests/test_hub_browser.py.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from qilab.grading import synthetic
from qilab.grading.course import init_course
from qilab.grading.exchange import COURSE_MARKER, ensure_course_settings

from qilab.hub import config as hubconfig
from qilab.hub.spawner import learner_sandbox, write_identity

BIN = Path(sys.executable).parent


def QILAB_HUB(course: Path, tmp: Path) -> list[str]:
    return [str(BIN / "qilab"), "hub", "-C", str(course), "--state", str(tmp / "s"), "--tutor", "t"]


@pytest.fixture
def course(tmp_path: Path) -> Path:
    synthetic.write_source(tmp_path / "sources")
    roster = synthetic.write_roster(tmp_path / "roster.csv", ["d001", "d002"])
    init_course(
        tmp_path / "cohort", roster, source=tmp_path / "sources" / "source", exchange=tmp_path / "x"
    )
    return tmp_path / "cohort"


def test_the_config_names_the_course_people_and_persistent_state(tmp_path, course):
    settings = hubconfig.describe(
        tmp_path / "state", course, tutors=["t.jones"], proxy_command=["/opt/chp"]
    )
    text = hubconfig.config_text(settings)
    compile(text, "jupyterhub_config.py", "exec")  # valid Python for JupyterHub to load
    state = (tmp_path / "state").resolve()
    assert f'"sqlite:///{state}/jupyterhub.sqlite"' in text
    assert f'"{state}/jupyterhub_cookie_secret"' in text
    assert 'c.Authenticator.allowed_users = ["d001", "d002", "t.jones"]' in text  # the roster
    assert 'c.JupyterHub.load_groups = {"tutors": {"users": ["t.jones"]}}' in text
    assert "qilab.hub.spawner.QilabSpawner" in text and '["/opt/chp"]' in text
    assert 'os.environ["QILAB_HUB_PASSWORD"]' in text  # passwords never in the file


def test_the_learners_own_nbgrader_config_has_no_gradebook(tmp_path, course):
    settings = hubconfig.describe(tmp_path / "state", course, tutors=["t"])
    hubconfig.write_state(settings)
    learner = (settings.learner_config / "nbgrader_config.py").read_text()
    assert str(settings.exchange) in learner and "db_url" not in learner
    assert (settings.state.stat().st_mode & 0o777) == 0o700


def test_the_courses_lti_yaml_switches_the_log_in_to_the_lms(tmp_path, course):
    """The hub loads QI Lab's LTI 1.3 authenticator (jupyterhub-ltiauthenticator's, with the
    course's launch checks and roster) with the course's own LTI 1.3 settings."""
    from traitlets.config import Config

    from qilab.hub.lti import QilabLTI13Authenticator

    state = tmp_path / "state"
    (course / "lti.yaml").write_text(
        "issuer: https://lms.example\nclient_id: abc\nlearner_id: email\n"
        "auth_login_url: https://lms.example/auth\nkey_set_url: https://lms.example/jwks\n"
    )
    text = hubconfig.config_text(hubconfig.describe(state, course, tutors=["t"]))
    namespace = {"get_config": Config}
    exec(compile(text, "jupyterhub_config.py", "exec"), namespace)
    config = namespace["c"]
    assert config.JupyterHub.authenticator_class == "qilab.hub.lti.QilabLTI13Authenticator"
    authenticator = QilabLTI13Authenticator(config=config)
    assert authenticator.issuer == "https://lms.example"
    assert authenticator.client_id == {"abc"}
    assert authenticator.authorize_url == "https://lms.example/auth"
    assert authenticator.jwks_endpoint == "https://lms.example/jwks"
    assert authenticator.username_key == "email"  # names instructors (learners: the roster)
    assert authenticator.course == str(course.resolve())
    # The tutors group is set at each launch (JupyterHub refuses load_groups with that).
    assert authenticator.manage_groups and "load_groups" not in config.JupyterHub
    handlers = dict(authenticator.get_handlers(None))
    assert {"lti13/oauth_login", "lti13/oauth_callback", "lti13/jwks"} <= set(handlers)
    # Learners named by their SIS id (learner_id: sourcedid) come from the roster as ever; a
    # tutor, not on the roster, is named by their LMS user id (the launch's "sub").
    sis = (course / "lti.yaml").read_text().replace("learner_id: email", "learner_id: sourcedid")
    (course / "lti.yaml").write_text(sis)
    text = hubconfig.config_text(hubconfig.describe(state, course, tutors=["t"]))
    namespace = {"get_config": Config}
    exec(compile(text, "jupyterhub_config.py", "exec"), namespace)
    assert QilabLTI13Authenticator(config=namespace["c"]).username_key == "sub"
    (course / "lti.yaml").write_text(sis.replace("sourcedid", "student_number"))
    with pytest.raises(hubconfig.HubConfigError, match="'student_number' is not one QI Lab knows"):
        hubconfig.describe(state, course, tutors=["t"])
    (course / "lti.yaml").write_text("issuer: https://lms.example\n")
    with pytest.raises(hubconfig.HubConfigError, match="lacks client_id, auth_login_url"):
        hubconfig.describe(state, course, tutors=["t"])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tutors": []}, "the hub has no tutor"),
        ({"tutors": ["Bad Name"]}, "'Bad Name' is not a usable hub user name"),
        ({"tutors": ["d001"]}, "d001 cannot be both a tutor and a learner"),
    ],
)
def test_bad_people_get_one_clear_message(tmp_path, course, kwargs, message):
    with pytest.raises(hubconfig.HubConfigError, match=message):
        hubconfig.describe(tmp_path / "state", course, **kwargs)


def test_a_users_file_lists_people_by_role(tmp_path, course):
    users = tmp_path / "users.yaml"
    users.write_text("tutors: [t1]\nlearners: [l1, l2]\n")
    settings = hubconfig.describe(tmp_path / "state", course, tutors=[], users_file=users)
    assert settings.tutors == ("t1",) and settings.learners == ("l1", "l2")
    users.write_text("teachers: [t1]\n")
    with pytest.raises(hubconfig.HubConfigError, match="only the lists tutors:, learners:"):
        hubconfig.describe(tmp_path / "state", course, tutors=[], users_file=users)


def test_qilab_hub_prints_the_config_for_the_it_team(tmp_path, course):
    done = subprocess.run(
        [*QILAB_HUB(course, tmp_path), "--print-config"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("# jupyterhub_config.py for the QI Lab course 'cohort'.")
    assert not (tmp_path / "s").exists()  # printing changes nothing


def test_qilab_hub_refuses_to_start_without_the_course_password(tmp_path, course):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run(
        [*QILAB_HUB(course, tmp_path), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert done.returncode == 2
    assert "set the course password in QILAB_HUB_PASSWORD" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_course_gets_the_per_learner_exchange_settings_once(course):
    assert ensure_course_settings(course) is True
    assert ensure_course_settings(course) is False
    assert (course / "nbgrader_config.py").read_text().count(COURSE_MARKER) == 1


def test_a_learner_sandbox_binds_only_their_own_folders(tmp_path):
    home, exchange = tmp_path / "users" / "alice", tmp_path / "x" / "c"
    folders = {
        "outbound": exchange / "outbound",
        "inbound": exchange / "inbound" / "alice",
        "feedback": exchange / "feedback" / "alice",
    }
    write_identity(tmp_path / "id", "alice", home)
    cmd = learner_sandbox(
        home=home,
        root=Path(__file__).resolve().parent.parent,
        exchange=folders,
        exchange_course=exchange,
        learner_config=tmp_path / "cfg",
        identity=tmp_path / "id",
        hidden=[tmp_path / "course"],
    )
    pairs = list(zip(cmd, cmd[1:], cmd[2:], strict=False))
    assert ("--bind", str(folders["inbound"]), str(exchange / "inbound")) in pairs
    assert ("--ro-bind", str(folders["feedback"]), str(exchange / "feedback")) in pairs
    assert ("--ro-bind", str(tmp_path / "id" / "passwd"), "/etc/passwd") in pairs
    assert str(exchange / "inbound" / "bob") not in cmd
    assert "alice:x:1000:1000" in (tmp_path / "id" / "passwd").read_text()


@pytest.mark.slow
def test_the_installed_proxy_is_the_pinned_version():
    """make.py's `npm ci` installed exactly the configurable-http-proxy package.json pins."""
    import json

    from qilab.hub.proxy import NODE_PACKAGE, proxy_command

    pinned = json.loads((NODE_PACKAGE / "package.json").read_text())["dependencies"]
    done = subprocess.run([*proxy_command(), "--version"], capture_output=True, text=True)
    assert done.stdout.strip() == pinned["configurable-http-proxy"]


def test_the_config_caps_each_learner_and_culls_idle_servers(tmp_path, course, monkeypatch):
    """mem_limit and the process cap reach the spawner; the culler runs with a narrow role."""
    from traitlets.config import Config

    monkeypatch.setenv("QILAB_HUB_PASSWORD", "not-used-here")

    settings = hubconfig.describe(
        tmp_path / "state", course, tutors=["t"], memory_limit_mb=1536, cull_idle=1800
    )
    namespace = {"get_config": Config}
    exec(compile(hubconfig.config_text(settings), "jupyterhub_config.py", "exec"), namespace)
    c = namespace["c"]
    assert c.QilabSpawner.mem_limit == 1536 * 1024 * 1024
    assert c.QilabSpawner.max_processes == hubconfig.DEFAULT_MAX_PROCESSES
    (culler,) = c.JupyterHub.services
    assert "jupyterhub_idle_culler" in culler["command"] and "--timeout=1800" in culler["command"]
    (role,) = c.JupyterHub.load_roles
    assert role["services"] == ["idle-culler"]
    assert set(role["scopes"]) == {
        "list:users",
        "read:users:activity",
        "read:servers",
        "delete:servers",  # stops servers; never deletes users (their folders stay)
    }
    off = hubconfig.describe(
        tmp_path / "state", course, tutors=["t"], memory_limit_mb=0, cull_idle=0
    )
    text = hubconfig.config_text(off)
    assert "c.QilabSpawner.mem_limit = null" not in text and "idle_culler" not in text
    namespace = {"get_config": Config}
    exec(compile(text, "jupyterhub_config.py", "exec"), namespace)
    assert namespace["c"].QilabSpawner.mem_limit is None


def test_the_default_memory_cap_is_sized_from_the_machine():
    assert hubconfig.default_memory_limit_mb(24 * 1024**3) == 3072
    assert hubconfig.default_memory_limit_mb(2 * 1024**3) == 1024  # never below 1 GiB
    assert hubconfig.default_memory_limit_mb(256 * 1024**3) == 4096


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--memory-limit", "100"], "--memory-limit 100 MiB is too little"),
        (["--max-processes", "10"], "--max-processes 10 is too few"),
        (["--cull-idle", "-5"], "--cull-idle -5: give seconds"),
    ],
)
def test_bad_limits_get_one_clear_message(tmp_path, course, option, message):
    done = subprocess.run(
        [*QILAB_HUB(course, tmp_path), *option, "--print-config"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_the_hub_process_logs_each_request_once():
    """JupyterHub loads QI Lab's spawner and LTI authenticator (they import
    :mod:`qilab.grading`). ``distributed``, once imported, puts a handler of its own on the
    ``tornado`` loggers, and the hub's log then showed every access line twice, once in Dask's
    format. Nothing the hub loads may import it; marking imports it when it runs."""
    script = (
        "import logging, sys\n"
        "import jupyterhub.app, qilab.hub.spawner, qilab.hub.lti, qilab.grading.autograde\n"
        "handlers = [n for n in ('tornado', 'tornado.access', 'tornado.application', '')\n"
        "            if logging.getLogger(n or None).handlers]\n"
        "print(sorted(m for m in ('dask', 'distributed') if m in sys.modules), handlers)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[] []"
