"""Tutor tooling for cohorts, driving nbgrader's own API (see grading/README.md)."""
