# nbgrader configuration for the QI Lab course (this folder is nbgrader's course root).
#
# Embedded defaults: the gradebook is SQLite and the exchange a local folder, both in the
# checkout's untracked .qilab/ folder. `qilab lab` puts this folder on JUPYTER_CONFIG_PATH so
# JupyterLab's nbgrader tools find it; tutors running `nbgrader` by hand run it from here.
from pathlib import Path

course_root = Path(__file__).resolve().parent
state = course_root.parent / ".qilab"
(state / "exchange").mkdir(
    parents=True, exist_ok=True
)  # first run, even by hand: nothing to set up

c = get_config()  # noqa: F821 - provided by traitlets when it loads this file
c.CourseDirectory.course_id = "qilab"
c.CourseDirectory.root = str(course_root)
c.CourseDirectory.db_url = f"sqlite:///{state / 'gradebook.db'}"
c.Exchange.root = str(state / "exchange")

# Marking must never fail a learner because the server is busy: the first cell (import qilab)
# can take tens of seconds on a loaded machine, beyond nbgrader's 30 s per-cell default, and a
# slow kernel can miss its 4 s IOPub default. Charts' widget state (the offline chart
# JavaScript, ~1 MB) is not kept in autograded notebooks: it is not marked and bloats each one.
c.Execute.timeout = 240
c.Execute.iopub_timeout = 60
c.Execute.store_widget_state = False
