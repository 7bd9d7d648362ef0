"""Deterministic workflow code only: stdlib, temporalio and OpsFlow's pure domain modules."""

from workflows.orchestration import OpsOrchestrationWorkflow

__all__ = ["OpsOrchestrationWorkflow"]
