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


# Inside a kernel (JupyterLab, Voila, nbclient) charts must never reach for a CDN, so importing
# qilab is enough. The command line never imports ipykernel and stays quick to start.
if "ipykernel" in sys.modules:
    # jsonschema (which Altair imports) builds an IRI grammar with rfc3987_syntax when that is
    # installed: 2 s of CPU at every kernel start. The Jupyter server needs it; a kernel never
    # checks IRI formats, so in a kernel it is left out and a learner's first cell is quicker.
    if "jsonschema" not in sys.modules:
        # None in sys.modules makes `import rfc3987_syntax` fail fast (typeshed wants a module)
        sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
    setup_notebook()
