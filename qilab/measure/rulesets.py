"""The rule sets ``qic()`` can apply, each named once so charts, ``describe()`` and widgets agree.

``method`` picks a family; the chart type picks the member: ``method="ihi"`` means the IHI
run-chart rules on a run chart and Provost & Murray's control-chart rules on a control chart
(both from *The Health Care Data Guide*, the IHI's reference); ``"anhoej"`` applies the Anhøj
rules to both, as qicharts2 does; ``"mdc"`` applies NHS England's Making Data Count rules.
"""

from __future__ import annotations

ANHOEJ = "anhoej"
IHI_RUN = "ihi_run"
PROVOST_MURRAY = "provost_murray"
MDC = "mdc"

#: Short name of each rule set, as charts and descriptions print it.
NAMES: dict[str, str] = {
    ANHOEJ: "Anhøj rules",
    IHI_RUN: "IHI run-chart rules",
    PROVOST_MURRAY: "Provost & Murray control-chart rules",
    MDC: "Making Data Count rules",
}

#: Where each rule set is published.
SOURCES: dict[str, str] = {
    ANHOEJ: "Anhøj & Olesen 2014, PLoS ONE 9(11): e113825",
    IHI_RUN: "Perla, Provost & Murray 2011, BMJ Qual Saf 20:46–51",
    PROVOST_MURRAY: "Provost & Murray 2011, The Health Care Data Guide",
    MDC: "NHS England, Making Data Count 2019",
}


def rule_set(chart_key: str, method_key: str) -> str:
    """The rule set ``qic(chart=chart_key, method=method_key)`` applies."""
    if method_key == "ihi":
        return IHI_RUN if chart_key == "run" else PROVOST_MURRAY
    if method_key == "mdc":
        return MDC
    return ANHOEJ
