"""Turn an activity failure into a fallback reason and a stable error code."""

from __future__ import annotations

from dataclasses import dataclass

from temporalio import workflow
from temporalio.exceptions import (
    ActivityError,
    ApplicationError,
    CancelledError,
    TimeoutError,
)

with workflow.unsafe.imports_passed_through():
    from opsflow.names import ErrorCode, StepReason

_REASON_BY_CODE: dict[str, StepReason] = {
    ErrorCode.SQL_BLOCKED: StepReason.SQL_BLOCKED,
    ErrorCode.TIMEOUT: StepReason.PRIMARY_TIMEOUT,
    ErrorCode.CIRCUIT_OPEN: StepReason.CIRCUIT_OPEN,
    ErrorCode.TOOL_OUTPUT_INVALID: StepReason.INVALID_OUTPUT,
    ErrorCode.LLM_DISABLED: StepReason.LLM_DISABLED,
    ErrorCode.LLM_BUDGET: StepReason.BUDGET_EXHAUSTED,
    ErrorCode.LLM_TIMEOUT: StepReason.LLM_TIMEOUT,
    ErrorCode.LLM_UNAVAILABLE: StepReason.LLM_ERROR,
    ErrorCode.LLM_RATE_LIMITED: StepReason.LLM_RATE_LIMITED,
    ErrorCode.PLAN_INVALID: StepReason.INVALID_PLAN,
    ErrorCode.UNKNOWN_CI: StepReason.UNKNOWN_CI,
    ErrorCode.UNKNOWN_TENANT: StepReason.UNKNOWN_TENANT,
}


@dataclass(frozen=True)
class FailureInfo:
    reason: StepReason
    code: str
    message: str


def classify(err: BaseException) -> FailureInfo:
    cause = err.cause if isinstance(err, ActivityError) and err.cause is not None else err
    if isinstance(cause, TimeoutError):
        kind = cause.type.name.lower() if cause.type else "activity"
        return FailureInfo(StepReason.PRIMARY_TIMEOUT, ErrorCode.TIMEOUT, f"{kind} timeout")
    if isinstance(cause, CancelledError):
        return FailureInfo(StepReason.CANCELLED, ErrorCode.CANCELLED, "cancelled")
    if isinstance(cause, ApplicationError):
        code = cause.type or ErrorCode.TOOL_EXECUTION_ERROR
        reason = _REASON_BY_CODE.get(code, StepReason.PRIMARY_ERROR)
        return FailureInfo(reason, code, cause.message)
    return FailureInfo(StepReason.PRIMARY_ERROR, ErrorCode.TOOL_EXECUTION_ERROR, str(cause))


def llm_reason(info: FailureInfo) -> StepReason:
    """An LLM phase's fallback reason: a generic error is an LLM error there."""
    return StepReason.LLM_ERROR if info.reason is StepReason.PRIMARY_ERROR else info.reason
