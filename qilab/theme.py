"""The house chart theme: one look for every chart in lessons, exercises and case studies.

Readable at a glance on a ward PC or a projector: 13 px+ text in the system sans-serif
(no web fonts: they would need the internet), light grid lines, and the Okabe–Ito palette,
which stays distinguishable for the common forms of colour-blindness — less the three of its
colours too light to see on white: every colour that carries meaning has at least 3:1
contrast with the background (WCAG 2.2, 1.4.11 non-text contrast, which public-sector sites
must meet).

Roles are named so that charts say what a colour *means*, not which colour it is:

>>> from qilab import theme
>>> theme.COLOURS["signal"]
'#D55E00'
"""

from __future__ import annotations

import altair as alt

#: Okabe & Ito (2008), "Color Universal Design": safe for deuteranopia, protanopia, tritanopia.
OKABE_ITO: list[str] = [
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermilion
    "#F0E442",  # yellow
    "#000000",  # black
]

#: WCAG 1.4.11: graphical objects that carry meaning need 3:1 contrast with what is next to them.
NON_TEXT_CONTRAST = 3.0


def contrast(colour: str, background: str = "#FFFFFF") -> float:
    """WCAG contrast ratio of two ``#RRGGBB`` colours (1 to 21).

    >>> round(contrast("#E69F00"), 2)  # Okabe–Ito orange: too light for a point on white
    2.25
    >>> round(contrast("#0072B2"), 2)
    5.19
    """

    def luminance(hex_colour: str) -> float:
        channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted([luminance(colour), luminance(background)], reverse=True)
    return (light + 0.05) / (dark + 0.05)


#: Colours for categories (series, groups), in order: the Okabe–Ito colours that meet 3:1 on
#: white, then darker forms of its yellow (olive) and sky blue for a sixth and seventh series.
CATEGORY: list[str] = [
    *(c for c in OKABE_ITO if contrast(c) >= NON_TEXT_CONTRAST),
    "#8A7A00",  # olive: Okabe–Ito yellow, darkened to 4.3:1
    "#2F8FCB",  # Okabe–Ito sky blue, darkened to 3.6:1
]

#: What each colour stands for on a QI chart.
COLOURS: dict[str, str] = {
    "data": "#0072B2",  # the measure itself
    "centre": "#4D4D4D",  # centre line (median or mean)
    "limit": "#7F7F7F",  # process limits
    "signal": "#D55E00",  # special-cause variation / non-random pattern
    "improvement": "#0072B2",  # MDC: special cause in the direction of improvement
    # MDC: special cause in the direction of concern. MDC's orange, darkened from Okabe–Ito's
    # #E69F00 (2.25:1 on white, too light to see) to 4.6:1.
    "concern": "#B45F00",
    "target": "#009E73",  # the team's target or aim
    "annotation": "#CC79A7",  # PDSA cycles and other notes
    "muted": "#8C8C8C",  # excluded or common-cause (MDC) points; 3.4:1 on white (WCAG 1.4.11)
}

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"

THEME_NAME = "qilab"

#: Default plotting area of a chart, in pixels. Fixed, never "container": JupyterLab's output
#: area gives a container-sized chart 0 px, so it came out blank. 640 px (about 720 px with the
#: axes) fits a JupyterLab output beside the file browser on a 1366-px ward PC, a Voila page,
#: the static case pages and a printed A4 page.
CHART_WIDTH = 640
CHART_HEIGHT = 320


def theme_config() -> alt.theme.ThemeConfig:
    """Return the Vega-Lite config of the house theme (a plain dict, easy to test)."""
    return {
        "config": {
            "font": FONT,
            "background": "white",
            "view": {
                "continuousWidth": CHART_WIDTH,
                "continuousHeight": CHART_HEIGHT,
                "stroke": None,
            },
            "range": {"category": CATEGORY},
            "title": {"fontSize": 16, "fontWeight": 600, "anchor": "start", "offset": 12},
            "axis": {
                "labelFontSize": 13,
                "titleFontSize": 13,
                "titleFontWeight": 600,
                "gridColor": "#E6E6E6",
                "domainColor": "#7F7F7F",
                "tickColor": "#7F7F7F",
                "labelColor": "#333333",
                "titleColor": "#333333",
            },
            "legend": {"labelFontSize": 13, "titleFontSize": 13, "orient": "bottom"},
            "header": {"labelFontSize": 13, "titleFontSize": 13},
            "line": {"color": COLOURS["data"], "strokeWidth": 2},
            "point": {"color": COLOURS["data"], "filled": True, "size": 45},
            "text": {"fontSize": 13},
        }
    }


def _register() -> None:
    # Altair >= 5.5 has alt.theme.register; older 5.x has alt.themes.register.
    if hasattr(alt, "theme") and hasattr(alt.theme, "register"):
        alt.theme.register(THEME_NAME, enable=False)(theme_config)
    else:  # pragma: no cover - Altair < 5.5
        alt.themes.register(THEME_NAME, theme_config)


def enable() -> None:
    """Register (once) and enable the house theme for every chart made afterwards."""
    _register()
    if hasattr(alt, "theme") and hasattr(alt.theme, "enable"):
        alt.theme.enable(THEME_NAME)
    else:  # pragma: no cover - Altair < 5.5
        alt.themes.enable(THEME_NAME)
