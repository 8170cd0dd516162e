# The hub image for deploy/z2jh/values.yaml: the z2jh chart's own hub image (chart 4.4.0) with
# QI Lab installed, so the hub logs people in with qilab.hub.lti.QilabLTI13Authenticator and
# mounts the exchange per person (qilab.hub.z2jh). Build from the checkout's root:
#
#   docker build -f deploy/z2jh/hub.Dockerfile -t registry.CHANGE-ME/qilab-hub:TAG .
#
# constraints.txt's pins are QI Lab's tested versions; they include JupyterHub 6.1.1 (the chart's
# image has 5.5.0) and KubeSpawner 7.0.0 (the chart's own), the pair tests/test_z2jh.py runs.
# The postgres extra: the hub reads the roster from the course's gradebook, which may be
# PostgreSQL. Not built here (no Docker on the test machine): deploy/README.md.
FROM quay.io/jupyterhub/k8s-hub:4.4.0

USER root
COPY . /tmp/qilab
RUN pip install --no-cache-dir -c /tmp/qilab/constraints.txt \
        "/tmp/qilab[lti,postgres]" "jupyterhub-kubespawner==7.0.0" \
 && rm -rf /tmp/qilab
USER jovyan
