"""Tests of the graded assignments (assignments/source): their structure and real nbgrader runs."""
