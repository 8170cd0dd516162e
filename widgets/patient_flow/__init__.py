"""Patient flow through an emergency department (queues, utilisation, Little's law)."""

from .model import FlowConfig, FlowResult, kingman_wait, simulate
from .view import PatientFlowApp

__all__ = ["FlowConfig", "FlowResult", "PatientFlowApp", "kingman_wait", "simulate"]
