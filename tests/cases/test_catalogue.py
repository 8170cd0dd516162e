"""The case index (cases.yaml), the case notebooks' shape and content rules, server settings."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from qilab.cases import (
    CaseIndexError,
    CaseSettingsError,
    ServerSettings,
    cases_launch,
    find_case,
    load_cases,
)
from qilab.cases.catalogue import LEVELS, THEMES, cases_dir
from qilab.cases.server import voila_config
from qilab.cases.settings import from_index
from qilab.errors import QilabError
from qilab.ports import free_port

MODULES = {f"{level}_{theme}" for level in LEVELS for theme in THEMES}
ARC = [
    "The problem",
    "The system",
    "The measures",
    "Change ideas and PDSA cycles",
    "Before and after",
    "What was learned",
    "Questions for discussion",
]
#: The founding reports, by title: every case cites at least one.
REPORTS = [
    "A guide to making the case for improvement",
    "Improving quality in the English NHS",
    "Embedding a culture of quality improvement",
    "Moving improvement from the margins to the mainstream",
    "Five principles for implementing the NHS Impact approach",
]
CASES = load_cases()


def markdown(case) -> str:
    nb = json.loads(case.notebook.read_text())
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")


def test_at_least_five_cases_each_mapped_to_a_real_module():
    assert len(CASES) >= 5
    assert len({c.slug for c in CASES}) == len(CASES)
    for case in CASES:
        assert case.module in MODULES
        assert case.module == f"{case.level}_{case.theme}"
        assert case.notebook.is_file()
        assert case.summary and len(case.summary) < 240, "a summary is one line in the gallery"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.slug)
def test_every_case_follows_the_arc_and_says_its_data_are_illustrative(case):
    text = markdown(case)
    headings = re.findall(r"^## (.+)$", text, flags=re.MULTILINE)
    positions = []
    for step in ARC:
        found = [i for i, h in enumerate(headings) if h.startswith(step)]
        assert found, f"{case.slug} lacks the '{step}' section: {headings}"
        positions.append(found[0])
    assert positions == sorted(positions), f"{case.slug}: arc out of order: {headings}"
    first = "".join(json.loads(case.notebook.read_text())["cells"][0]["source"])
    assert "Illustrative data" in first and "synthetic" in first
    assert case.module in first, "the first cell names the module the case illustrates"
    assert any(title in text for title in REPORTS), "cite a founding report by title"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.slug)
def test_case_notebooks_hold_no_logic_and_start_with_the_offline_setup(case):
    nb = json.loads(case.notebook.read_text())
    code = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    assert "live.setup()" in code[0]
    for source in code:
        assert not re.search(r"^\s*(def|class|for|while|if) ", source, flags=re.MULTILINE), (
            f"{case.slug}: put logic in qilab.cases.stories, not the notebook:\n{source}"
        )


def test_the_halving_of_cardiac_arrests_is_called_an_aim_never_a_result():
    text = markdown(find_case("deteriorating-patient-collaborative", CASES))
    assert "That is an aim, not a result" in text or "an aim is not a result" in text
    assert not re.search(r"(reported|achieved|led to)[^.]{0,40}50 ?(%|per cent)", text)


def test_find_case_suggests_close_names():
    with pytest.raises(QilabError, match="Did you mean: pincer-prescribing-safety"):
        find_case("pincer-prescribing", CASES)
    assert find_case("pincer-prescribing-safety.ipynb", CASES).slug == "pincer-prescribing-safety"


def write_index(folder: Path, cases: list[dict], server: dict | None = None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    doc = {"cases": cases, **({"server": server} if server else {})}
    (folder / "cases.yaml").write_text(yaml.safe_dump(doc))


def entry(**overrides) -> dict:
    base = {
        "slug": "demo-case",
        "title": "Demo",
        "level": "foundation",
        "theme": "systems",
        "module": "foundation_systems",
        "summary": "A demo.",
        "thumbnail": {"dataset": "ward_falls", "x": "month", "y": "falls"},
    }
    return {**base, **overrides}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"module": "foundation_pdsa"},
            "does not match its level and theme: use 'foundation_systems'",
        ),
        ({"level": "expert"}, "level 'expert' is not one of"),
        ({"slug": "Demo Case"}, "slug must be lower-case words"),
        ({"slug": "build"}, "and not build"),
        ({"summary": ""}, "`summary` is missing or empty"),
        ({"thumbnail": "ward_falls"}, "`thumbnail` must be a mapping"),
        ({"slug": "no-notebook"}, "no-notebook.ipynb is missing"),
    ],
)
def test_index_mistakes_name_the_case_the_field_and_the_fix(tmp_path, overrides, message):
    shutil.copy(CASES[0].notebook, tmp_path / "demo-case.ipynb")
    write_index(tmp_path, [entry(**overrides)])
    with pytest.raises(CaseIndexError, match=re.escape(message)):
        load_cases(tmp_path)


def test_duplicate_slugs_and_missing_index_are_refused(tmp_path):
    with pytest.raises(CaseIndexError, match=r"cases\.yaml is missing"):
        load_cases(tmp_path)
    shutil.copy(CASES[0].notebook, tmp_path / "demo-case.ipynb")
    write_index(tmp_path, [entry(), entry()])
    with pytest.raises(CaseIndexError, match="appears twice"):
        load_cases(tmp_path)


def test_server_settings_come_from_the_index_and_reject_what_would_exhaust_the_machine():
    raw = yaml.safe_load((cases_dir() / "cases.yaml").read_text())
    settings = from_index(raw, Path("cases.yaml"))
    assert settings.pool_size >= 1 and settings.execution_timeout > 0
    assert settings.cull_idle_timeout > 0 and settings.cull_interval > 0
    for bad in ({"pool_size": 500}, {"execution_timeout": 0}, {"cull_interval": "often"}):
        with pytest.raises(CaseSettingsError, match=next(iter(bad))):
            from_index({"server": bad}, Path("cases.yaml"))
    with pytest.raises(CaseSettingsError, match=r"server\.pool: unknown key\. Fix: remove it"):
        from_index({"server": {"pool": 2}}, Path("cases.yaml"))
    with pytest.raises(CaseSettingsError) as caught:
        from_index({"server": {"pool_size": 500}}, Path("cases.yaml"))
    assert str(caught.value) == (
        "cases.yaml: server.pool_size: is 500; it must be a whole number from 0 to 16. "
        "Fix: set pool_size: to a whole number from 0 to 16"
    )
    per_case = ServerSettings(pool_size=1, pool_sizes={"a": 3})
    assert per_case.pool_for("a") == 3 and per_case.pool_for("b") == 1
    assert per_case.with_overrides(pool_size=0).pool_for("a") == 0
    with pytest.raises(CaseSettingsError, match="--pool-size 99"):
        per_case.with_overrides(pool_size=99)


def test_the_kernel_cap_is_sized_from_memory_unless_set_and_leaves_room_for_the_pools():
    import psutil

    from qilab.cases.settings import KERNEL_MB, kernels_for_memory

    assert kernels_for_memory(4 * 1024**3) == 10  # half of 4 GB, 200 MB a kernel
    assert kernels_for_memory(100 * 1024**2) == 2  # never below two
    machine = kernels_for_memory()
    assert machine * KERNEL_MB * 1024**2 <= psutil.virtual_memory().total
    assert ServerSettings().visitor_cap(pooled=6) == machine - 6 or machine - 6 < 1
    assert ServerSettings(max_kernels=10).visitor_cap(pooled=6) == 4
    assert ServerSettings(max_kernels=3).visitor_cap(pooled=6) == 1  # one visitor still fits
    with pytest.raises(CaseSettingsError, match="max_kernels"):
        from_index({"server": {"max_kernels": -1}}, Path("cases.yaml"))
    with pytest.raises(CaseSettingsError, match="allowed_hosts"):
        from_index({"server": {"allowed_hosts": "evil.example"}}, Path("cases.yaml"))
    hosts = from_index({"server": {"allowed_hosts": ["a.example"]}}, Path("cases.yaml"))
    assert hosts.allowed_hosts == ("a.example",)


def test_voila_is_configured_locked_down_with_limits_and_preheated_pools():
    settings = ServerSettings(pool_size=2, pool_sizes={CASES[0].slug: 0}, execution_timeout=42)
    cfg = voila_config(
        CASES[0].folder, CASES, settings, port=1234, ip="127.0.0.1", open_browser=False
    )
    voila = cfg["VoilaConfiguration"]
    assert voila["show_tracebacks"] is False and cfg["VoilaExecutor"]["show_tracebacks"] is False
    assert voila["strip_sources"] is True
    assert voila["file_allowlist"] == []
    assert voila["preheat_kernel"] is True
    pools = cfg["VoilaKernelManager"]["kernel_pools_config"]
    assert pools[CASES[0].notebook.name]["pool_size"] == 0
    assert pools[CASES[1].notebook.name]["pool_size"] == 2
    assert cfg["VoilaExecutor"]["timeout"] == 42
    culling = cfg["MappingKernelManager"]
    assert culling["cull_idle_timeout"] == settings.cull_idle_timeout
    assert culling["cull_interval"] == settings.cull_interval
    none = voila_config(
        CASES[0].folder,
        CASES,
        ServerSettings(pool_size=0),
        port=1,
        ip="127.0.0.1",
        open_browser=False,
    )
    assert none["VoilaConfiguration"]["preheat_kernel"] is False
    # Only listed notebooks get a pool; Host checked; kernel errors kept from visitors.
    assert pools["default"]["pool_size"] == 0
    assert len(cfg["VoilaKernelManager"]["preheat_denylist"]) == 1
    assert cfg["Voila"]["tornado_settings"]["allow_remote_access"] is False
    assert "localhost" in cfg["Voila"]["tornado_settings"]["local_hostnames"]
    assert cfg["Voila"]["kernel_websocket_connection_class"].endswith("VisitorSafeConnection")
    assert voila["multi_kernel_manager_class"].endswith("CasesKernelManager")
    # A visitor arriving just after a hand-out waits for the refill: it starts soon, forked
    # from the pre-imported kernel template.
    assert cfg["VoilaKernelManager"]["fill_delay"] <= 1
    assert cfg["KernelProvisionerFactory"]["default_provisioner_name"] == "qilab-cases-fork"


def test_launch_checks_the_port_and_the_case_before_starting_anything():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        with pytest.raises(QilabError, match=r"in use.*qilab cases --port 0"):
            cases_launch(port=port, open_browser=False)
    with pytest.raises(QilabError, match="No case study called 'winter'"):
        cases_launch("winter", port=free_port(), open_browser=False)
    launch = cases_launch(CASES[1].slug, port=0, open_browser=False, pool_size=0)
    assert launch.url.endswith(f"/voila/render/{CASES[1].slug}.ipynb")
    assert launch.config["VoilaConfiguration"]["preheat_kernel"] is False
