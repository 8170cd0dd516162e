"""One house look for every chart, and charts that render with no internet."""

from __future__ import annotations

import altair as alt
import pytest

from qilab import notebook, theme


def test_every_chart_gets_the_house_theme():
    theme.enable()
    spec = alt.Chart({"values": [{"a": 1}]}).mark_point().encode(x="a:Q").to_dict()
    assert spec["config"]["font"] == theme.FONT
    assert spec["config"]["range"]["category"] == theme.CATEGORY


def test_palette_roles_are_distinct_and_colour_blind_safe():
    roles = ["data", "signal", "target", "annotation", "concern"]
    colours = [theme.COLOURS[role] for role in roles]
    assert len(set(colours)) == len(colours)
    # Okabe–Ito's, or (concern) a darker form of its orange
    assert set(colours) - {theme.COLOURS["concern"]} <= set(theme.OKABE_ITO)


def test_every_colour_that_carries_meaning_is_visible_on_white():
    """WCAG 2.2 1.4.11 (non-text contrast, 3:1): each role and each category colour."""
    colours = {**theme.COLOURS, **{f"category {i}": c for i, c in enumerate(theme.CATEGORY)}}
    too_light = {name: round(theme.contrast(c), 2) for name, c in colours.items()}
    too_light = {name: ratio for name, ratio in too_light.items() if ratio < 3.0}
    assert too_light == {}
    assert len(set(theme.CATEGORY)) == len(theme.CATEGORY) >= 7  # a colour per series


def test_setup_notebook_switches_charts_offline():
    notebook.setup_notebook()
    assert alt.renderers.active == "jupyter"
    assert alt.renderers.options.get("offline") is True
    # The widget's JavaScript is bundled locally by vl-convert: no CDN import left in it.
    assert alt.JupyterChart._is_offline
    assert "esm.sh" not in alt.JupyterChart._esm and "jsdelivr" not in alt.JupyterChart._esm


@pytest.mark.slow
def test_offline_bundle_is_built_once_and_then_read_from_the_cache(tmp_path):
    import hashlib
    import os
    import subprocess
    import sys

    script = (
        "import hashlib, altair as alt; from qilab import notebook, offline;"
        "notebook.setup_notebook();"
        "print(hashlib.sha256(alt.JupyterChart._esm.encode()).hexdigest());"
        "print(offline.bundle_cache_path())"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}

    def run() -> list[str]:
        done = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.split()

    built_hash, cache = run()
    assert cache.startswith(str(tmp_path)) and os.path.isfile(cache)
    with open(cache, "rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() == built_hash
    os.utime(cache, (0, 0))  # mark it, to see it is read, not rewritten
    cached_hash, _ = run()
    assert cached_hash == built_hash
    assert os.stat(cache).st_mtime == 0


def test_muted_points_still_meet_non_text_contrast_on_white():
    """Excluded and common-cause points are de-emphasised, yet must stay visible (WCAG 1.4.11)."""
    from qilab.theme import COLOURS

    assert theme.contrast(COLOURS["muted"]) >= 3.0
