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
