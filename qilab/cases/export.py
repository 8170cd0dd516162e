"""``qilab cases build``: every case as a static, offline HTML page, plus a gallery.

For academies that cannot run a server: the pages open from a shared drive or an intranet with
no internet access. Each notebook is executed headlessly (nbclient, widget state saved), its
widgets are turned into static HTML (:mod:`qilab.cases.static_widgets`), and nbconvert writes
the page with QI Lab's ``qilab-static`` template, which removes every CDN script and loads
the Vega bundle that vl-convert ships from one file beside the pages (:data:`BUNDLE_FILE`,
1.2 MB once rather than in every page). Copy the whole folder. Charts keep their tooltips;
controls show their value.

A build never overwrites anything but an earlier build: the output folder must be new, empty,
or marked as a case build.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from jupyter_core.utils import run_sync

from qilab import paths
from qilab.errors import QilabError
from qilab.offline import vega_bundle

from .catalogue import Case, cases_dir, load_cases
from .gallery import gallery_html
from .static_widgets import staticize

#: Marks a folder as a case build, so a rebuild may replace what it wrote there.
MARKER = ".qilab-cases-build"
TEMPLATE = "qilab-static"
#: The Vega bundle every page of a build shares, beside the pages.
BUNDLE_FILE = "vega-embed.js"
TEMPLATES_DIR = Path(__file__).parent / "jupyter" / "nbconvert" / "templates"


class CaseBuildError(QilabError):
    """A case could not be built (it failed to run, or the output folder is not ours)."""


@dataclass
class BuildReport:
    """What a build wrote: the gallery and one page per case, in order."""

    out: Path
    pages: dict[str, Path] = field(default_factory=dict)

    @property
    def index(self) -> Path:
        return self.out / "index.html"


def default_out() -> Path:
    return paths.state_dir() / "cases-site"


def prepare_out(out: Path) -> Path:
    """Create *out*, or check it is an earlier build; never touch anything else's folder."""
    out = out.expanduser().resolve()
    if out.exists() and not out.is_dir():
        raise CaseBuildError(f"{out} is a file, not a folder: choose another --out.")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise CaseBuildError(
            f"{out} already holds files that a case build did not write: choose an empty or new "
            "folder with --out (nothing was changed)."
        )
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("Written by `qilab cases build`; safe to delete.\n")
    return out


async def _execute(case: Case, timeout: int, gate: asyncio.Semaphore) -> nbformat.NotebookNode:
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    nb = nbformat.read(case.notebook, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        store_widget_state=True,
        resources={"metadata": {"path": str(case.folder)}},
    )
    async with gate:
        try:
            await client.async_execute()
        except CellTimeoutError:
            raise CaseBuildError(
                f"Case '{case.slug}' took longer than {timeout}s in one cell: check "
                f"{case.notebook.name} runs in JupyterLab, or raise execution_timeout."
            ) from None
        except CellExecutionError as err:
            first = str(err).strip().splitlines()[-1][:200] if str(err).strip() else ""
            raise CaseBuildError(
                f"Case '{case.slug}' failed to run ({first}): open {case.notebook.name} in "
                "JupyterLab, run it, and fix the cell that fails."
            ) from None
    return nb


def execute_cases(
    cases: list[Case], timeout: int = 120, jobs: int | None = None
) -> dict[str, nbformat.NotebookNode]:
    """Run every case notebook headlessly, *jobs* kernels at a time; slug -> executed notebook."""
    jobs = jobs or max(1, min(len(cases), os.cpu_count() or 1))

    async def run_all() -> list[nbformat.NotebookNode]:
        gate = asyncio.Semaphore(jobs)
        return await asyncio.gather(*(_execute(case, timeout, gate) for case in cases))

    # jupyter_core's run_sync also works where an event loop is already running (a notebook,
    # or a process driving a browser with Playwright's sync API); asyncio.run() raises there.
    return dict(zip((c.slug for c in cases), run_sync(run_all)(), strict=True))


def page_html(nb: nbformat.NotebookNode, case: Case) -> str:
    """The static page of one executed case notebook."""
    import vl_convert
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name=TEMPLATE,
        extra_template_basedirs=[str(TEMPLATES_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        theme="light",
    )
    nb = staticize(nb)
    nb.metadata["title"] = case.title
    resources = {
        "qilab": {
            "vega_bundle_file": BUNDLE_FILE,
            "vl_convert_version": getattr(vl_convert, "__version__", ""),
        }
    }
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return body


def build_site(
    out: Path | None = None,
    *,
    folder: Path | None = None,
    timeout: int = 120,
    jobs: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> BuildReport:
    """Export every case as a static HTML page, with a gallery page, into *out*.

    Parameters
    ----------
    out : Path, optional
        Output folder (default ``.qilab/cases-site``); new, empty, or an earlier build.
    folder : Path, optional
        The cases folder (default ``curriculum/cases``).
    timeout : int
        Seconds one cell may run.
    jobs : int, optional
        Notebooks run at once (default: one per CPU core).
    progress : callable, optional
        Called with a line of text as the build goes (the command line prints it).

    Returns
    -------
    BuildReport
        ``report.index`` (the gallery) and ``report.pages`` (slug -> page).

    Examples
    --------
    >>> from qilab.cases import build_site
    >>> report = build_site(tmp_path / "site")                   # doctest: +SKIP
    >>> sorted(p.name for p in report.out.glob("*.html"))[:2]     # doctest: +SKIP
    ['batching-blood-tests.html', 'deteriorating-patient-collaborative.html']
    """
    say = progress or (lambda line: None)
    cases = load_cases(folder or cases_dir())
    out = prepare_out(out or default_out())
    say(f"Running {len(cases)} case notebooks (a minute or two)…")
    executed = execute_cases(cases, timeout=timeout, jobs=jobs)
    report = BuildReport(out=out)
    # One copy of Vega (1.2 MB) that every page loads, instead of one inlined in each.
    (out / BUNDLE_FILE).write_text(vega_bundle(), encoding="utf-8")
    for case in cases:
        page = out / f"{case.slug}.html"
        page.write_text(page_html(executed[case.slug], case), encoding="utf-8")
        report.pages[case.slug] = page
        say(f"Wrote {page}")
    report.index.write_text(
        gallery_html(
            cases,
            lambda c: f"{c.slug}.html",
            footer="Static pages: charts show values on hover; run `qilab cases` for the "
            "live version, where the menus and sliders redraw them.",
        ),
        encoding="utf-8",
    )
    return report
