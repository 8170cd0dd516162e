"""Python-side latency of each simulation's interactions (the time a learner waits per click).

Run: ``.venv/bin/python benchmarks/widgets.py [--repeats N]``

Each interaction is driven as a learner would (slider value set, button clicked) on an app with
no browser attached, so the figure is the kernel's share of the wait: model, qic statistics,
chart spec and text. Targets (issue 4): under 100 ms per interaction, under 200 ms for one
simulated emergency-department week. The first call of each is a warm-up and is not counted.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time
from collections.abc import Callable

TARGET_MS = 100.0
FLOW_TARGET_MS = 200.0


def _time(action: Callable[[], object], repeats: int) -> tuple[float, float]:
    action()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(1000 * (time.perf_counter() - start))
    return statistics.median(times), max(times)


def cases() -> list[tuple[str, float, Callable[[], object]]]:
    """(label, target in ms, zero-argument interaction) for every simulation."""
    from qilab.widgets import (
        ControlChartExplorer,
        DriverDiagramApp,
        EmotionalMapApp,
        FunnelApp,
        LadderApp,
        PatientFlowApp,
        PDSAApp,
        RedBeadsApp,
        StakeholderMapApp,
        WinterApp,
    )
    from qilab.widgets.patient_flow import FlowConfig, simulate

    out: list[tuple[str, float, Callable[[], object]]] = []

    cc = ControlChartExplorer(seed=1)
    sizes = itertools.cycle([0.5, 1.0, 1.5, 2.0, 2.5, 3.0])
    out.append(
        (
            "Control chart: move 'size of special cause'",
            TARGET_MS,
            lambda: setattr(cc.size, "value", next(sizes)),
        )
    )
    methods = itertools.cycle(["ihi", "anhoej"])
    out.append(
        (
            "Control chart: switch rule set",
            TARGET_MS,
            lambda: setattr(cc.method, "value", next(methods)),
        )
    )

    rb = RedBeadsApp(seed=1, days=4)
    out.append(("Red beads: run a day (p chart)", TARGET_MS, rb.run_day.click))

    fu = FunnelApp(seed=1)
    rules = itertools.cycle([2, 3, 4, 1])
    out.append(("Funnel: change rule", TARGET_MS, lambda: setattr(fu.rule, "value", next(rules))))
    out.append(("Funnel: drop 50 marbles", TARGET_MS, fu.drop_button.click))

    pd_app = PDSAApp(seed=1)

    def pdsa_cycle() -> None:
        pd_app.do_button.click()
        pd_app.adapt_button.click()

    out.append(("PDSA: run a test and act (2 clicks)", 2 * TARGET_MS, pdsa_cycle))

    pf = PatientFlowApp(seed=1)
    clin = itertools.cycle([17, 18, 19, 20, 16])
    out.append(
        (
            "Patient flow: change clinicians (one ED week)",
            FLOW_TARGET_MS,
            lambda: setattr(pf.clinicians, "value", next(clin)),
        )
    )
    out.append(
        (
            "Patient flow: simulate one week (model only)",
            FLOW_TARGET_MS,
            lambda: simulate(FlowConfig(), seed=2),
        )
    )

    wi = WinterApp(seed=1)
    push = itertools.cycle([5, 10, 15, 20, 0])
    out.append(
        ("Winter: move 'discharge push'", TARGET_MS, lambda: setattr(wi.push, "value", next(push)))
    )

    dd = DriverDiagramApp()
    count = itertools.count()

    def add_idea() -> None:
        dd.level.value = "change"
        dd.text.value = f"Idea {next(count)}"
        dd.links.value = ("S1",)
        dd.add_button.click()

    out.append(("Driver diagram: add a change idea", TARGET_MS, add_idea))

    sm = StakeholderMapApp()

    def add_person() -> None:
        sm.name.value = f"Person {next(count)}"
        sm.add_button.click()

    out.append(("Stakeholder map: add a stakeholder", TARGET_MS, add_person))

    la = LadderApp()
    answers = itertools.cycle([0, 1, 2, 3])
    out.append(
        (
            "Ladder: answer a question",
            TARGET_MS,
            lambda: setattr(la.questions[0], "index", next(answers)),
        )
    )

    em = EmotionalMapApp()

    def add_touchpoint() -> None:
        em.touchpoint.value = f"Touchpoint {next(count)}"
        em.add_button.click()

    out.append(("Emotional map: add a touchpoint", TARGET_MS, add_touchpoint))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="timed repeats per interaction")
    args = parser.parse_args()
    start = time.perf_counter()
    all_cases = cases()
    print(
        f"Set-up (imports, offline chart bundle, {len(all_cases)} apps): "
        f"{time.perf_counter() - start:.1f} s\n"
    )
    print(f"{'Interaction':52} {'median':>9} {'max':>9} {'target':>8}")
    over = 0
    for label, target, action in all_cases:
        median, worst = _time(action, args.repeats)
        flag = "ok" if median <= target else "OVER"
        over += flag == "OVER"
        print(f"{label:52} {median:7.1f}ms {worst:7.1f}ms {target:6.0f}ms  {flag}")
    print(
        f"\n{len(all_cases) - over} of {len(all_cases)} interactions meet their target "
        f"(median of {args.repeats})."
    )


if __name__ == "__main__":
    main()
