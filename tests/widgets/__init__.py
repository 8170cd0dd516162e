"""Tests of the interactive simulations (qilab.widgets)."""
