"""One house look for every chart, and charts that render with no internet."""

from __future__ import annotations

import altair as alt

from qilab import notebook, theme


def test_every_chart_gets_the_house_theme():
    theme.enable()
    spec = alt.Chart({"values": [{"a": 1}]}).mark_point().encode(x="a:Q").to_dict()
    assert spec["config"]["font"] == theme.FONT
    assert spec["config"]["range"]["category"] == theme.OKABE_ITO


def test_palette_roles_are_distinct_okabe_ito_colours():
    roles = ["data", "signal", "target", "annotation", "concern"]
    colours = [theme.COLOURS[role] for role in roles]
    assert len(set(colours)) == len(colours)
    assert set(colours) <= set(theme.OKABE_ITO)


def test_setup_notebook_switches_charts_offline():
    notebook.setup_notebook()
    assert alt.renderers.active == "jupyter"
    assert alt.renderers.options.get("offline") is True
    # The widget's JavaScript is bundled locally by vl-convert: no CDN import left in it.
    assert alt.JupyterChart._is_offline
    assert "esm.sh" not in alt.JupyterChart._esm and "jsdelivr" not in alt.JupyterChart._esm
