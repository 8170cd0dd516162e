"""How ``qilab lab`` decides what to serve (no server started here)."""

from __future__ import annotations

import json
import socket

import pytest

from qilab import lab, paths, ports
from qilab.errors import QilabError


def test_default_notebook_is_the_start_page():
    assert lab.find_notebook(None, paths.curriculum_dir()).name == "START.ipynb"


def test_lesson_names_work_with_or_without_the_suffix():
    curriculum = paths.curriculum_dir()
    assert lab.find_notebook("START", curriculum) == lab.find_notebook("START.ipynb", curriculum)


def test_a_notebook_outside_the_curriculum_is_refused(repo):
    with pytest.raises(QilabError, match="No lesson called"):
        lab.find_notebook("../README", paths.curriculum_dir())


def test_launch_serves_the_repo_and_opens_the_start_page(repo):
    launch = lab.lab_launch(port=0, open_browser=False)
    argv = " ".join(launch.argv)
    assert f"--ServerApp.root_dir={repo}" in argv
    assert "--LabApp.default_url=/lab/tree/curriculum/START.ipynb" in argv
    assert "--ServerApp.open_browser=False" in argv
    config_path = launch.env["JUPYTER_CONFIG_PATH"]
    assert str(repo / "assignments") in config_path
    assert str(lab.JUPYTER_CONFIG_DIR) in config_path
    assert "/lab/tree/curriculum/START.ipynb?token=" in launch.url


def test_learners_get_no_tutor_tools_and_tutors_do(repo):
    learner = lab.lab_launch(port=0, open_browser=False).env["JUPYTER_CONFIG_PATH"]
    tutor = lab.lab_launch(port=0, open_browser=False, tutor=True).env["JUPYTER_CONFIG_PATH"]
    assert learner.split(":")[0] == str(lab.LEARNER_CONFIG_DIR)
    assert str(lab.LEARNER_CONFIG_DIR) not in tutor
    page = json.loads((lab.LEARNER_CONFIG_DIR / "labconfig" / "page_config.json").read_text())
    hidden = page["disabledExtensions"]
    assert hidden["@jupyter/nbgrader:formgrader"] and hidden["@jupyter/nbgrader:create-assignment"]
    assert "@jupyter/nbgrader:assignment-list" not in hidden  # learners fetch and submit


def test_the_printed_address_carries_the_token_the_server_uses(monkeypatch):
    monkeypatch.delenv("JUPYTER_TOKEN", raising=False)
    launch = lab.lab_launch(port=0, open_browser=False)
    token = launch.url.split("?token=")[1]
    assert f"--IdentityProvider.token={token}" in launch.argv and len(token) >= 32
    mine = lab.lab_launch(port=0, open_browser=False, extra_args=["--ServerApp.token=abc"])
    assert mine.url.endswith("?token=abc")
    assert not any(a.startswith("--IdentityProvider.token") for a in mine.argv)


def test_shipped_jupyter_config_keeps_jupyterlab_offline():
    config = json.loads((lab.JUPYTER_CONFIG_DIR / "jupyter_server_config.json").read_text())
    assert config["LabApp"]["news_url"] is None
    assert config["LabApp"]["extension_manager"] == "readonly"
    overrides = json.loads((lab.JUPYTER_CONFIG_DIR / "lab-settings" / "overrides.json").read_text())
    assert overrides["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"


def test_free_port_is_really_free():
    port = ports.free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


@pytest.mark.parametrize("port", [-1, 70000])
def test_impossible_ports_are_refused(port):
    with pytest.raises(QilabError, match="not a valid port"):
        ports.check_port(port)


@pytest.mark.slow
def test_qilab_lab_loads_qilabs_prebuilt_jupyterlab_plugin(repo):
    """The plugin that makes Run All wait for the kernel is found, enabled and complete."""
    import re
    import subprocess
    import sys
    from pathlib import Path

    launch = lab.lab_launch(port=0, open_browser=False)
    assert str(paths.JUPYTER_DATA_DIR) in launch.env["JUPYTER_PATH"].split(":")
    jupyter = Path(sys.executable).parent / "jupyter"
    env = {**__import__("os").environ, **launch.env}
    listing = subprocess.run(
        [str(jupyter), "labextension", "list"], capture_output=True, text=True, env=env
    )
    text = re.sub(r"\x1b\[[0-9;]*m", "", listing.stdout + listing.stderr)
    assert re.search(r"@qilab/lab-extension v\S+ enabled OK", text), text
    built = paths.JUPYTER_DATA_DIR / "labextensions" / "@qilab" / "lab-extension"
    entry = json.loads((built / "package.json").read_text())["jupyterlab"]["_build"]["load"]
    assert (built / entry).is_file()
    source = (repo / "qilab" / "labextension" / "src" / "index.js").read_text()
    bundle = "".join(p.read_text() for p in (built / "static").glob("*.js"))
    for plugin_id in re.findall(r"id: '(@qilab/lab-extension:[a-z-]+)'", source):
        assert plugin_id in bundle, f"{plugin_id} is in src/ but not in the build: rebuild it"
