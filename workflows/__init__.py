"""Deterministic workflow code only: stdlib, temporalio and OpsFlow's pure domain modules."""

from workflows.orchestration import OpsOrchestrationWorkflow
from workflows.thread import InvestigationThreadWorkflow

__all__ = ["InvestigationThreadWorkflow", "OpsOrchestrationWorkflow"]
