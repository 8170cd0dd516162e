"""LTI 1.3 with the academy's LMS (Moodle, Canvas, Blackboard): launches, roster and grades.

QI Lab is registered in the LMS as an LTI 1.3 *tool*. Three things cross the link:

- **launch** (:mod:`.launch`): a learner arrives from the LMS course page with a signed
  ``id_token``; :func:`validate_launch` checks it (signature against the platform's key set,
  issuer, audience, expiry, nonce, deployment, message claims) and says who it is;
- **roster** (:mod:`.nrps`): Names and Role Provisioning Services pages through the LMS
  course's members and loads the learners into the gradebook as ``qilab course init --roster``
  does — adding and updating, never deleting;
- **grades** (:mod:`.ags`): Assignment and Grade Services posts each learner's *final* mark
  to one line item per assignment; provisional marks stay in QI Lab.

Services authenticate with OAuth 2 client credentials and a JWT assertion signed by the
tool's private key (RFC 7523, as LTI Advantage requires): :mod:`.service`. The platform's
addresses and the tool's key are in the course folder's ``lti.yaml`` (:mod:`.config`).
"""

from __future__ import annotations

from .config import LtiConfig, LtiError, load_config

__all__ = ["LtiConfig", "LtiError", "load_config"]
