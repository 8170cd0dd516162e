"""QI Lab on Zero to JupyterHub (Kubernetes): the LMS log-in and each person's mounts.

``deploy/z2jh/values.yaml`` runs the same log-in as ``qilab hub``
(:class:`qilab.hub.lti.QilabLTI13Authenticator`, in the hub image of ``deploy/z2jh/hub.Dockerfile``)
over the course volume mounted into the hub pod, and calls :func:`configure` from its
``hub.extraConfig``. That does what ``qilab hub`` does in its own config and spawner:

- the library's LTI 1.3 settings (issuer, client id, the LMS's addresses, the claim naming
  instructors) are read from the course's ``lti.yaml``, the file QI Lab's own launch checks read,
  so the two can never disagree (a hub whose settings differ refuses every launch);
- the course's ``nbgrader_config.py`` gets the two lines (once) that make the tutor's
  ``qilab course collect`` and ``qilab course feedback`` use the per-learner folders;
- a ``pre_spawn_hook`` mounts the nbgrader exchange per person. A learner's pod gets the
  released assignments read-only and their *own* ``inbound/LEARNER`` and ``feedback/LEARNER``
  folders, named exactly as :mod:`qilab.grading.exchange` names them (the hub user name,
  verbatim), where the tutor's ``qilab course collect`` and ``qilab course feedback`` look.
  KubeSpawner's own ``{username}`` in a ``subPath`` is a *slug* of the name (kubespawner 7's
  ``safe`` scheme turns ``a.smith@nhs.example`` into ``a-smith-nhs-example---`` and a hash;
  the older ``escape`` scheme into ``a-2esmith-40nhs-2eexample``), so a learner whose id has a
  dot or an ``@`` would submit into a folder nobody collects. A tutor's pod gets the whole
  exchange and the course volume, with nbgrader's tutor tools.

The hub makes a learner's folders before their pod starts (as uid 1000, the user every pod of
the chart runs as), so Kubernetes does not create them as root, which the learner could not
write into.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path, PurePosixPath
from typing import Any

from qilab.hub.config import LTI_NAME, TUTORS_GROUP, HubConfigError, read_lti

#: Volume names in ``singleuser.storage.extraVolumes`` (the PVCs' own names are IT's choice).
EXCHANGE_VOLUME = "qilab-exchange"
COURSE_VOLUME = "qilab-course"
#: Where the single-user image keeps QI Lab's Jupyter settings (deploy/z2jh/singleuser.Dockerfile).
TUTOR_CONFIG_PATH = "/opt/qilab/jupyter-config"


def configure(c: Any) -> None:
    """Finish the hub's config (``c``, after ``hub.config`` was loaded): LTI settings from the
    course's ``lti.yaml``, and the per-person exchange mounts as KubeSpawner's pre-spawn hook."""
    course = str(c.QilabLTI13Authenticator.get("course") or "")
    if not course:
        raise HubConfigError(
            "hub.config.QilabLTI13Authenticator.course is not set: give the course volume's "
            "mountPath in the hub pod (hub.extraVolumeMounts), e.g. /srv/course."
        )
    lti_file = Path(course) / LTI_NAME
    if not lti_file.is_file():
        raise HubConfigError(
            f"{lti_file} does not exist: link the course to the LMS first (`qilab course lms`, "
            "grading/README.md §9) on the course volume, then restart the hub."
        )
    lti = read_lti(lti_file)
    c.LTI13Authenticator.issuer = lti["issuer"]
    c.LTI13Authenticator.client_id = [lti["client_id"]]
    c.LTI13Authenticator.authorize_url = lti["authorize_url"]
    c.LTI13Authenticator.jwks_endpoint = lti["jwks_url"]
    c.LTI13Authenticator.username_key = lti["username_key"]
    # The tutor's `qilab course collect`/`feedback` read and write the per-learner folders
    # (the two lines `qilab hub` adds to the course's nbgrader_config.py, once).
    from qilab.grading.exchange import ensure_course_settings

    ensure_course_settings(Path(course))
    tutors = str(c.QilabLTI13Authenticator.get("tutors_group") or TUTORS_GROUP)
    c.KubeSpawner.pre_spawn_hook = exchange_mounts(course, tutors)


def _by_name(items: Any) -> dict[str, dict[str, Any]]:
    """KubeSpawner's volumes or mounts (a list, or z2jh's dict keyed for merging) as a dict."""
    if isinstance(items, dict):
        return dict(items)
    return {f"{n}-{item.get('name')}": item for n, item in enumerate(items or [])}


def exchange_mounts(
    course: str, tutors_group: str = TUTORS_GROUP
) -> Callable[[Any], Awaitable[None]]:
    """The pre-spawn hook: a person's exchange (and, for a tutor, course) mounts."""

    def course_layout(learner: str | None) -> tuple[Path, Path, str, dict[str, Path]]:
        """The course folder, its exchange root and id, and a learner's own folders (made
        now, as the hub's uid 1000): files on a network volume, so off the hub's event loop."""
        from qilab.grading.course import Course
        from qilab.grading.exchange import learner_folders

        opened = Course.open(course)
        course_id, exchange = opened.course_id, opened.exchange_root()
        folders = learner_folders(exchange, course_id, learner) if learner else {}
        return opened.root, exchange, course_id, folders

    async def hook(spawner: Any) -> None:
        name = spawner.user.name
        tutor = any(group.name == tutors_group for group in spawner.user.groups)
        root, exchange, course_id, folders = await asyncio.to_thread(
            course_layout, None if tutor else name
        )
        volumes = _by_name(spawner.volumes)
        mounts = {  # the hook alone decides what of the exchange and course a pod sees
            key: mount
            for key, mount in _by_name(spawner.volume_mounts).items()
            if mount.get("name") not in (EXCHANGE_VOLUME, COURSE_VOLUME)
        }
        if tutor:
            mounts["qilab-exchange"] = {"name": EXCHANGE_VOLUME, "mountPath": str(exchange)}
            mounts["qilab-course"] = {"name": COURSE_VOLUME, "mountPath": str(root)}
            spawner.environment = {
                **spawner.environment,
                # every nbgrader tool, with the course's nbgrader_config.py
                "JUPYTER_CONFIG_PATH": f"{TUTOR_CONFIG_PATH}:{root}",
            }
            spawner.notebook_dir = str(root)
            spawner.default_url = "/lab"
        else:
            volumes.pop(COURSE_VOLUME, None)  # not even declared in a learner's pod
            for role, folder in folders.items():
                mounts[f"qilab-{role}"] = {
                    "name": EXCHANGE_VOLUME,
                    "mountPath": str(exchange / course_id / role),
                    # relative to the exchange volume's root, which is the course's Exchange.root
                    "subPath": str(PurePosixPath(folder.relative_to(exchange))),
                    "readOnly": role != "inbound",
                }
        spawner.volumes = volumes
        spawner.volume_mounts = mounts

    return hook
