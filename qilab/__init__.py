"""QI Lab: learn, practise and apply quality improvement in Jupyter.

The package is layered so that imports only point down::

    qilab.cli                      thin command line over everything below
    qilab.grading   qilab.widgets  tutor tooling (nbgrader) | simulations (model + view)
    qilab.datasets                 synthetic, documented data
    qilab.measure                  pure maths and chart specs (run and SPC charts)
    qilab.theme, qilab.paths       house chart theme, where the course lives

In a notebook, ``import qilab`` (or an explicit :func:`setup_notebook`) makes Altair charts
render with no internet access and in the house theme.
"""

from __future__ import annotations

import sys

__version__ = "0.1.0"

__all__ = ["__version__", "setup_notebook"]


def setup_notebook() -> None:
    """Make Altair charts render offline, in the house theme, in JupyterLab and Voila.

    Lesson notebooks call this in their first cell; importing ``qilab`` inside a Jupyter
    kernel already does it, so calling it again is harmless.
    """
    from qilab.notebook import setup_notebook as _setup

    _setup()


def without_iri_grammar() -> None:
    """Keep jsonschema from building its IRI grammar in this process (1.5–2 s of CPU).

    jsonschema (imported by nbformat and Altair) builds a grammar with ``rfc3987_syntax``
    when that is installed, only to check the ``iri`` string format, which no schema QI Lab
    or nbgrader validates uses. A kernel and the marking processes (the tutor's autograde,
    its Dask workers) leave it out and start quicker; the Jupyter server keeps it. Call it
    before jsonschema is imported; afterwards it does nothing.
    """
    if "jsonschema" not in sys.modules:
        # None in sys.modules makes `import rfc3987_syntax` fail fast (typeshed wants a module)
        sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


# Inside a kernel (JupyterLab, Voila, nbclient) charts must never reach for a CDN, so importing
# qilab is enough. The command line never imports ipykernel and stays quick to start.
if "ipykernel" in sys.modules:
    without_iri_grammar()  # a learner's first cell is quicker
    setup_notebook()
