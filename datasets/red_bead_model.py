"""Deming's red bead experiment, modelled once: the box, the paddle, the willing workers.

Both the ``red_beads`` data set (:mod:`qilab.datasets.gen_safety`) and the red bead simulation
(:mod:`qilab.widgets.red_beads`) draw with :func:`draw_day`, so a learner who plays the
simulation and then opens the data set meets the same six workers and the same experiment.

In Deming's seminars (*Out of the Crisis*, 1986; *The New Economics*, 2nd ed., 1994) six willing
workers each scooped 50 beads with a paddle from a box of 4,000 beads, 800 of them red (20 %).
Each draw is a random (hypergeometric) sample of the paddle's size from the box; the beads go
back and are mixed before the next draw.

>>> import numpy as np
>>> red = draw_day(np.random.default_rng(0))
>>> len(red) == len(WORKERS), bool(((0 <= red) & (red <= PADDLE)).all())
(True, True)
"""

from __future__ import annotations

import numpy as np

#: The six willing workers (the data set's ``worker`` categories and the simulation's default).
WORKERS: tuple[str, ...] = ("Ayesha", "Ben", "Chloe", "Dev", "Emma", "Femi")
#: Beads in the box, the share of them that are red, and the beads one paddle holds.
BOX_SIZE = 4000
RED_SHARE = 0.20
PADDLE = 50


def red_in_box(red_share: float = RED_SHARE, box_size: int = BOX_SIZE) -> int:
    """Red beads in the box: the system's defect rate × the box size."""
    return round(red_share * box_size)


def draw_day(
    rng: np.random.Generator,
    red: int | None = None,
    box_size: int = BOX_SIZE,
    paddle: int = PADDLE,
    workers: int = len(WORKERS),
) -> np.ndarray:
    """One day: red beads in each worker's paddle, drawn in the workers' order."""
    red = red_in_box(box_size=box_size) if red is None else red
    return rng.hypergeometric(red, box_size - red, paddle, size=workers).astype(int)
