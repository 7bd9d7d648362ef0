"""Deterministic workflow code only: stdlib, temporalio and OpsFlow's pure domain modules.

The workflow classes load on first use: the sandbox imports this package before the module
of the workflow it runs, on every run, and must not re-import the other workflow with it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workflows.orchestration import OpsOrchestrationWorkflow
    from workflows.thread import InvestigationThreadWorkflow

__all__ = ["InvestigationThreadWorkflow", "OpsOrchestrationWorkflow"]
_MODULES = ("workflows.orchestration", "workflows.thread")


def __getattr__(name: str) -> Any:
    if name in __all__:
        for module in _MODULES:
            found = getattr(importlib.import_module(module), name, None)
            if found is not None:
                return found
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
