"""The manifest loader now lives in :mod:`qilab.escalator.manifest` (shared with grading)."""

from __future__ import annotations

from qilab.escalator.manifest import (
    DEFAULT_PASS_MARK,
    MANIFEST_NAME,
    Manifest,
    ManifestError,
    Module,
    Outcome,
    Stage,
    load_manifest,
    load_manifest_file,
    manifest_path,
    read_raw,
)

__all__ = [
    "DEFAULT_PASS_MARK",
    "MANIFEST_NAME",
    "Manifest",
    "ManifestError",
    "Module",
    "Outcome",
    "Stage",
    "load_manifest",
    "load_manifest_file",
    "manifest_path",
    "read_raw",
]
