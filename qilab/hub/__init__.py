"""QI Lab for a cohort: one JupyterHub serving many learners and tutors (``qilab hub``).

- :mod:`qilab.hub.config` turns a small description of the course (who tutors, who learns,
  where the course and the hub's state live) into a ``jupyterhub_config.py`` an academy's IT
  team can read, keep and change;
- :mod:`qilab.hub.spawner` starts each person's own JupyterLab: learners inside a bubblewrap
  sandbox that sees only their own folder, tutors with the course and nbgrader's tutor tools;
- :mod:`qilab.grading.exchange` keeps nbgrader's exchange private per learner (each sees only
  their own submissions and feedback);
- :mod:`qilab.hub.proxy` finds the pinned configurable-http-proxy (``make.py`` installs it).
"""
