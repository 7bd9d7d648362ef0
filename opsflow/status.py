"""The honest status of an answer, from its step states (DESIGN.md "Status")."""

from __future__ import annotations

from opsflow.models import FallbackDetails, Status, StepState, StepStatus


def overall_status(steps: list[StepState], fallbacks: list[FallbackDetails]) -> Status:
    if not steps or not any(s.has_result for s in steps):
        return Status.FAILURE
    if any(not s.has_result for s in steps):
        return Status.PARTIAL_SUCCESS
    if fallbacks or any(s.status is StepStatus.FALLBACK for s in steps):
        return Status.DEGRADED
    return Status.SUCCESS
