"""Deming's funnel experiment (rules 1–4 of adjustment): model and app."""

from .model import RULES, FunnelExperiment, drops
from .view import FunnelApp

__all__ = ["RULES", "FunnelApp", "FunnelExperiment", "drops"]
