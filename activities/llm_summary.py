"""The LLM narrative over the deterministic findings (it never sees raw data it could
misquote beyond the findings and step states, and cites step ids)."""

from __future__ import annotations

import json

from temporalio import activity

from activities.resources import WorkerResources
from opsflow.contracts import SummaryInput, SummaryOutcome
from opsflow.errors import AppError
from opsflow.llm import build_summary_messages
from opsflow.names import ErrorCode


class LlmBudgetError(AppError):
    code = ErrorCode.LLM_BUDGET


async def summarize_with_llm(res: WorkerResources, request: SummaryInput) -> SummaryOutcome:
    assert res.llm is not None
    if request.tokens_used >= res.settings.llm_max_tokens:
        raise LlmBudgetError(
            f"request already used {request.tokens_used} of {res.settings.llm_max_tokens} tokens"
        )
    steps = [
        {
            "step_id": s.id,
            "capability": s.capability,
            "tool": s.tool,
            "status": s.status.value,
            "rows": s.row_count,
            "reason": s.reason,
        }
        for s in request.steps
    ]
    messages = build_summary_messages(
        request.question, request.findings.model_dump_json(), json.dumps(steps)
    )
    text, usage = await res.llm.complete_text(
        purpose="summary", model=res.settings.llm_model, messages=messages
    )
    usage.attempts = activity.info().attempt
    return SummaryOutcome(text=text, writer="llm", usage=[usage])
