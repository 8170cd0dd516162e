"""The skills escalator's levels and the curriculum's themes: the words every part of QI Lab uses.

Defined once, low in the layers, so that the manifest's schema, the data sets' dictionaries,
the tutor's tools and the command line all agree (NHS improvement skills escalator:
Foundation → Practitioner → Advanced practitioner).

Examples
--------
>>> LEVELS[0], LEVELS[-1]
('foundation', 'advanced')
>>> "measurement" in THEMES
True
"""

from __future__ import annotations

#: Lowest first.
LEVELS: tuple[str, ...] = ("foundation", "practitioner", "advanced")
#: As module ids spell them (``foundation_measurement``).
THEMES: tuple[str, ...] = ("systems", "measurement", "pdsa", "codesign")
