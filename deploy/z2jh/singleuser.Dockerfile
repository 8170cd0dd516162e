# The single-user image for deploy/z2jh/values.yaml: a learner's or tutor's JupyterLab with
# QI Lab, its lessons and its Jupyter settings. Build from the checkout's root, naming the
# course id (the one `qilab course init` gave the course):
#
#   docker build -f deploy/z2jh/singleuser.Dockerfile --build-arg COURSE_ID=CHANGE-ME \
#       -t registry.CHANGE-ME/qilab-singleuser:TAG .
#
# /opt/qilab/course       the lessons (QILAB_ROOT); each learner's pod copies curriculum/ into
#                         their home volume once (values.yaml's postStart), never over their work
# /opt/qilab/learner-config  learners' settings: no tutor tools, and nbgrader's course id and
#                         exchange (/srv/nbgrader/exchange, where values.yaml mounts it)
# /opt/qilab/jupyter-config  QI Lab's Jupyter settings (every person)
# Not built here (no Docker on the test machine): deploy/README.md.
FROM quay.io/jupyter/base-notebook:python-3.12

ARG COURSE_ID
USER root
COPY . /tmp/qilab
RUN test -n "${COURSE_ID}" || { echo "give --build-arg COURSE_ID=<the course id>" >&2; exit 1; } \
 && pip install --no-cache-dir -c /tmp/qilab/constraints.txt "/tmp/qilab[lti]" \
 && mkdir -p /opt/qilab/course /opt/qilab/learner-config \
 && cp -r /tmp/qilab/curriculum /tmp/qilab/pyproject.toml /opt/qilab/course/ \
 && cp -r /tmp/qilab/qilab/jupyter_config /opt/qilab/jupyter-config \
 && cp -r /tmp/qilab/qilab/jupyter_config/learner/. /opt/qilab/learner-config/ \
 && printf 'c = get_config()  # noqa: F821\nc.CourseDirectory.course_id = "%s"\nc.Exchange.root = "/srv/nbgrader/exchange"\n' \
        "${COURSE_ID}" > /opt/qilab/learner-config/nbgrader_config.py \
 && ln -s "$(python -c 'import qilab.paths as p; print(p.JUPYTER_DATA_DIR)')" /opt/qilab/jupyter-data \
 && rm -rf /tmp/qilab \
 && fix-permissions "${CONDA_DIR}"  # docker-stacks: the conda environment stays the user's
ENV QILAB_ROOT=/opt/qilab/course \
    JUPYTER_PATH=/opt/qilab/jupyter-data \
    PYTHONSTARTUP=/opt/qilab/jupyter-config/kernel_startup.py
USER ${NB_UID}
