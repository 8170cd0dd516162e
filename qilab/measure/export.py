"""Save a chart as a print-quality file for a poster, a report or a portfolio.

Doctors put their run charts in e-portfolios, on A1 posters and in board papers, so the default
is print quality: PNG 1600 px wide (sharp at 13 cm wide at 300 dpi), or vector SVG and
PDF that scale to any size. Files are drawn by vl-convert inside this Python environment, so
saving works offline, exactly as the chart looks in the notebook, house theme included.

>>> import tempfile, pathlib
>>> from qilab.measure import qic
>>> out = pathlib.Path(tempfile.mkdtemp()) / "chart.svg"
>>> save_chart(qic([3, 5, 4, 6, 5, 7, 6, 8]).chart(), out).suffix
'.svg'
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from qilab import theme
from qilab.errors import QilabError

#: Width of a saved PNG in pixels: print quality for a poster or a portfolio page.
PNG_WIDTH = 1600
FORMATS = (".png", ".svg", ".pdf")


def save_chart(chart: Any, path: str | Path, *, png_width: int = PNG_WIDTH) -> Path:
    """Write ``chart`` (an Altair chart) to ``path``; the suffix picks PNG, SVG or PDF."""
    import vl_convert

    target = Path(path).expanduser()
    suffix = target.suffix.lower()
    if suffix not in FORMATS:
        raise QilabError(
            f"Cannot save a chart as '{target.name}': name the file with .png (pictures, "
            "slides), .svg (web, editing) or .pdf (print), e.g. res.save('run_chart.png')."
        )
    if not target.parent.is_dir():
        raise QilabError(
            f"Cannot save '{target}': the folder {target.parent} does not exist. "
            "Create it first, or save into the folder your notebook is in."
        )
    theme.enable()
    spec = chart.to_dict()
    if suffix == ".svg":
        target.write_text(vl_convert.vegalite_to_svg(spec), encoding="utf-8")
    elif suffix == ".pdf":
        target.write_bytes(vl_convert.vegalite_to_pdf(spec))
    else:
        drawn_width = _svg_width(vl_convert.vegalite_to_svg(spec))
        scale = max(1.0, (png_width + 0.5) / drawn_width)  # + 0.5: never a pixel short
        target.write_bytes(vl_convert.vegalite_to_png(spec, scale=scale))
    return target


def _svg_width(svg: str) -> float:
    found = re.search(r'<svg[^>]*\swidth="([\d.]+)"', svg)
    return float(found.group(1)) if found else 800.0
