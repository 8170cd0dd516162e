"""``import qilab`` in a real kernel: offline SVG charts, and QI Lab errors as one clear message."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from jupyter_client.manager import start_new_kernel

pytestmark = pytest.mark.slow

ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(scope="module")
def kernel() -> Iterator[object]:
    manager, client = start_new_kernel(kernel_name="python3")
    try:
        yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def run(client, code: str) -> tuple[dict, list[dict]]:
    """Execute ``code``; return the reply content and the iopub outputs it produced."""
    msg_id = client.execute(code)
    outputs = []
    while True:
        msg = client.get_iopub_msg(timeout=120)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind = msg["msg_type"]
        if kind == "status" and msg["content"]["execution_state"] == "idle":
            break
        if kind in {"error", "stream", "display_data", "execute_result"}:
            outputs.append({"type": kind, **msg["content"]})
    while True:
        reply = client.get_shell_msg(timeout=120)
        if reply["parent_header"].get("msg_id") == msg_id:
            return reply["content"], outputs


def test_a_qilab_error_shows_its_message_not_a_traceback(kernel) -> None:
    run(kernel, "import qilab, pandas as pd\nfrom qilab.measure import qic")
    reply, outputs = run(kernel, "qic('admissions', data=pd.DataFrame({'attendances': [1, 2]}))")
    assert reply["status"] == "error", "the cell must still count as failed (Run All stops)"
    errors = [o for o in outputs if o["type"] == "error"]
    assert len(errors) == 1
    shown = ANSI.sub("", "\n".join(errors[0]["traceback"]))
    assert "admissions" in shown and "attendances" in shown  # the problem and the fix
    assert len(errors[0]["traceback"]) <= 3 and "Traceback" not in shown
    assert "File " not in shown and "site-packages" not in shown
    assert "%tb" in shown

    _, more = run(kernel, "%tb")
    full = ANSI.sub(
        "", "\n".join(o.get("text", "") + "\n".join(o.get("traceback", [])) for o in more)
    )
    assert "qic" in full and ("Traceback" in full or "File" in full or "Cell In" in full)


def test_other_errors_keep_the_full_python_traceback(kernel) -> None:
    reply, outputs = run(kernel, "import qilab\n1 / 0")
    assert reply["status"] == "error"
    error = next(o for o in outputs if o["type"] == "error")
    assert error["ename"] == "ZeroDivisionError" and len(error["traceback"]) > 1


def test_charts_render_offline_as_svg_with_an_offline_menu(kernel) -> None:
    _, outputs = run(
        kernel,
        "import qilab, altair as alt\n"
        "print(alt.renderers.active, alt.renderers.options['embed_options'])\n"
        "print(alt.JupyterChart._is_offline)",
    )
    text = "".join(o.get("text", "") for o in outputs)
    assert text.startswith("jupyter") and "'renderer': 'svg'" in text
    assert "'editor': False" in text and text.strip().endswith("True")


def test_a_qilab_lab_kernel_starts_with_the_course_already_imported() -> None:
    """Kernels started by `qilab lab` import QI Lab while starting, so Run All is quick."""
    import os

    from qilab.lab import lab_launch

    env = {**os.environ, **lab_launch(port=0, open_browser=False).env}
    manager, client = start_new_kernel(kernel_name="python3", env=env)
    try:
        _, outputs = run(
            client,
            "import sys\nprint(sorted(m for m in ('qilab.measure', 'altair', 'pandas') "
            "if m in sys.modules), 'rfc3987_syntax' in sys.modules and "
            "sys.modules['rfc3987_syntax'] is not None)",
        )
        text = "".join(o.get("text", "") for o in outputs)
        assert text.strip() == "['altair', 'pandas', 'qilab.measure'] False", text
        reply, _ = run(client, "import altair as alt\nalt.Chart().mark_point().to_dict()")
        assert reply["status"] == "ok"  # Altair still validates specs without the IRI grammar
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
