"""Phase 3: the dataflow scheduler.

A step starts the moment its own dependencies have results (no level barriers), at most
``max_parallel`` at a time. A failed tool hands over to the next tool of the step's chain;
a step with no result makes its dependents SKIPPED with the cause. At the deadline,
running steps are cancelled (their activities receive the cancellation through their
heartbeats) and steps not yet started are skipped: the answer is built from what finished.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RawValue
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    import pydantic

    from activities import TOOL_ACTIVITIES
    from opsflow.models import (
        FallbackDetails,
        StepState,
        StepStatus,
        ToolCall,
        ToolOutput,
    )
    from opsflow.names import ErrorCode, StepReason, ToolName
    from opsflow.policies import DEFAULT_POLICY, ToolPolicy
    from opsflow.resolution import ResolvedStep, ToolInvocation

from workflows.failures import FailureInfo, classify
from workflows.options import MIN_USEFUL_S, activity_name, activity_options

DEADLINE_REASON = StepReason.DEADLINE_EXCEEDED


class DataflowScheduler:
    def __init__(
        self,
        *,
        tenant_id: str,
        reference_time: datetime,
        resolved: list[ResolvedStep],
        policies: dict[str, ToolPolicy],
        states: dict[str, StepState],
        max_parallel: int,
        deadline: datetime,
    ) -> None:
        self._tenant_id = tenant_id
        self._reference_time = reference_time
        self._steps = {r.step.id: r for r in resolved}
        self._order = [r.step.id for r in resolved]
        self._policies = policies
        self._states = states
        self._max_parallel = max_parallel
        self._deadline = deadline
        self.outputs: dict[str, ToolOutput] = {}

    async def run(self) -> dict[str, ToolOutput]:
        pending = [sid for sid in self._order if self._steps[sid].rejection is None]
        for sid in self._order:
            rejection = self._steps[sid].rejection
            if rejection is not None:
                self._finish(sid, StepStatus.REJECTED, reason=StepReason.REJECTED, detail=rejection)
        running: dict[asyncio.Task[None], str] = {}
        # One deadline timer per run (its patch is retired: docs/DECISIONS.md).
        deadline_timer: asyncio.Task[None] | None = None
        try:
            while True:
                pending = self._skip_orphans(pending)
                for sid in [s for s in pending if self._ready(s)]:
                    if len(running) >= self._max_parallel:
                        break
                    pending.remove(sid)
                    running[asyncio.create_task(self._run_step(sid))] = sid
                if not running:
                    break
                remaining = self._remaining_s()
                if remaining <= 0:
                    await self._expire(running, pending)
                    break
                if deadline_timer is None:
                    deadline_timer = asyncio.create_task(asyncio.sleep(remaining))
                waited: list[asyncio.Task[None]] = [*running, deadline_timer]
                done, _ = await workflow.wait(waited, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    running.pop(task, None)
        except asyncio.CancelledError:
            # The workflow itself was cancelled: cancel every activity we started.
            for task in running:
                task.cancel()
            raise
        finally:
            if deadline_timer is not None and not deadline_timer.done():
                deadline_timer.cancel()
        return self.outputs

    def _ready(self, sid: str) -> bool:
        return all(self._states[d].has_result for d in self._steps[sid].step.depends_on)

    def _skip_orphans(self, pending: list[str]) -> list[str]:
        """Skip steps with a dependency that ended without a result, transitively."""
        changed = True
        while changed:
            changed = False
            for sid in list(pending):
                for dep in self._steps[sid].step.depends_on:
                    dep_state = self._states[dep]
                    if dep_state.finished_at is not None and not dep_state.has_result:
                        cause = dep_state.reason or dep_state.status.value
                        self._finish(
                            sid,
                            StepStatus.SKIPPED,
                            reason=StepReason.DEPENDENCY_FAILED,
                            detail=f"dependency {dep} has no result ({cause})",
                        )
                        pending.remove(sid)
                        changed = True
                        break
        return pending

    async def _expire(self, running: dict[asyncio.Task[None], str], pending: list[str]) -> None:
        for task, sid in running.items():
            task.cancel()
            self._finish(
                sid,
                StepStatus.CANCELLED,
                reason=DEADLINE_REASON,
                detail="cancelled at the request deadline",
            )
        await asyncio.gather(*running, return_exceptions=True)
        for sid in pending:
            self._finish(
                sid,
                StepStatus.SKIPPED,
                reason=DEADLINE_REASON,
                detail="not started before the request deadline",
            )

    def _remaining_s(self) -> float:
        return (self._deadline - workflow.now()).total_seconds()

    async def _run_step(self, sid: str) -> None:
        resolved = self._steps[sid]
        state = self._states[sid]
        state.status = StepStatus.RUNNING
        state.started_at = workflow.now()
        inputs = {d: self.outputs[d] for d in resolved.step.depends_on}
        first_failure: FailureInfo | None = None
        last_failure: FailureInfo | None = None
        for position, invocation in enumerate(resolved.chain):
            remaining = self._remaining_s()
            if remaining < MIN_USEFUL_S:
                break
            state.tool = invocation.tool
            state.tools_tried.append(invocation.tool)
            output: ToolOutput | None = None
            info: FailureInfo | None
            try:
                output = await self._call(
                    sid,
                    invocation,
                    inputs,
                    remaining,
                    first_failure.reason if first_failure else None,
                )
            except ActivityError as err:
                info = classify(err)
                if info.code == ErrorCode.CANCELLED:
                    # We cancelled it (deadline or workflow cancel): the canceller records
                    # the step's state; the activity error is only the echo of that.
                    raise asyncio.CancelledError from err
            except pydantic.ValidationError as err:
                # A worker returned something that is not a ToolOutput: fail the step with a
                # code, never the workflow task (that would retry forever).
                info = FailureInfo(
                    StepReason.INVALID_OUTPUT,
                    ErrorCode.TOOL_OUTPUT_INVALID,
                    f"output failed its schema: {err.error_count()} errors",
                )
            else:
                info = None
            if info is not None:
                state.attempts += 1
                first_failure = first_failure or info
                last_failure = info
                workflow.logger.info(
                    "tool_failed", extra={"step": sid, "tool": invocation.tool, "code": info.code}
                )
                continue
            assert output is not None
            state.attempts += output.attempt
            self.outputs[sid] = output
            state.row_count = output.row_count
            state.claim_id = output.claim_id
            state.queries = output.queries
            if position == 0:
                self._finish(sid, StepStatus.SUCCEEDED)
            else:
                assert first_failure is not None
                state.fallback = FallbackDetails(
                    reason=first_failure.reason,
                    tool_attempted=resolved.chain[0].tool,
                    tool_used_fallback=invocation.tool,
                    step_id=sid,
                    error_code=first_failure.code,
                )
                self._finish(
                    sid,
                    StepStatus.FALLBACK,
                    reason=first_failure.reason,
                    detail=first_failure.message,
                )
            return
        if first_failure is None:
            self._finish(
                sid,
                StepStatus.SKIPPED,
                reason=DEADLINE_REASON,
                detail="no time left before the request deadline",
            )
            return
        if (
            last_failure is not None
            and last_failure.code == ErrorCode.TIMEOUT
            and self._remaining_s() < MIN_USEFUL_S
        ):
            # Its timeouts were clipped to the deadline: the deadline stopped it, not the tool.
            self._finish(
                sid, StepStatus.CANCELLED, reason=DEADLINE_REASON, detail="stopped at the deadline"
            )
            return
        if len(resolved.chain) > 1:
            state.fallback = FallbackDetails(
                reason=first_failure.reason,
                tool_attempted=resolved.chain[0].tool,
                tool_used_fallback=None,
                step_id=sid,
                error_code=first_failure.code,
            )
        state.error_code = first_failure.code
        self._finish(
            sid, StepStatus.FAILED, reason=first_failure.reason, detail=first_failure.message
        )

    async def _call(
        self,
        sid: str,
        invocation: ToolInvocation,
        inputs: dict[str, ToolOutput],
        remaining: float,
        fallback_reason: str | None,
    ) -> ToolOutput:
        policy = self._policies.get(invocation.tool, DEFAULT_POLICY)
        call = ToolCall(
            tenant_id=self._tenant_id,
            step_id=sid,
            tool=invocation.tool,
            capability=invocation.capability,
            params=invocation.params,
            reference_time=self._reference_time,
            inputs=inputs,
            row_cap=policy.max_rows,
            fallback_reason=fallback_reason,
        )
        # By name from the one tool table, not by method: a method reference would decode the
        # result as a ToolOutput before we could catch a malformed one (a workflow task
        # failure, retried forever, instead of a failed step).
        raw = await workflow.execute_activity(
            activity_name(TOOL_ACTIVITIES[ToolName(invocation.tool)]),
            call,
            summary=_summary(invocation, self._tenant_id),
            result_type=RawValue,
            **activity_options(policy, remaining),
        )
        # One parse from the payload's JSON into the model (no dict in between).
        return ToolOutput.model_validate_json(raw.payload.data)

    def _finish(
        self,
        sid: str,
        status: StepStatus,
        *,
        reason: StepReason | None = None,
        detail: str = "",
    ) -> None:
        state = self._states[sid]
        state.status = status
        state.reason = reason
        state.detail = detail
        state.finished_at = workflow.now()
        if state.started_at is not None:
            state.duration_ms = round(
                (state.finished_at - state.started_at) / timedelta(milliseconds=1), 1
            )


def _summary(invocation: ToolInvocation, tenant_id: str) -> str:
    """The activity's line in the Temporal UI: tool, tenant and short params."""
    parts = []
    for key, value in invocation.params.items():
        text = ",".join(value) if isinstance(value, list) else str(value)
        parts.append(f"{key}={text[:40]}")
    return f"{invocation.tool} [{tenant_id}] {' '.join(parts)}"[:200]
