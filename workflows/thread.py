"""InvestigationThreadWorkflow: one durable conversation about a tenant's systems.

Each follow-up is an ``ask`` Update: its validator refuses what the thread cannot answer
(closed thread, other tenant, blank or oversized question, too many waiting); its handler
resolves the follow-up's words against the thread's context ("it", "its database", "since
then") and runs one ``OpsOrchestrationWorkflow`` as a child, so every answer keeps its own
history and UI page under the thread. Turns run one at a time, in the order admitted.

The run waits for follow-ups; it closes itself after ``idle_timeout_s`` without one, on a
``close`` update, and continues as new (carrying the context) after ``max_turns_per_run``
turns or when its history grows past ``max_history_bytes`` or the server suggests it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributePair, TypedSearchAttributes
from temporalio.exceptions import ActivityError, ApplicationError, ChildWorkflowError

with workflow.unsafe.imports_passed_through():
    import pydantic

    from activities.threads import ThreadActivities
    from opsflow.models import OpsRequest, OrchestrationResult, Status
    from opsflow.models.thread import (
        MAX_RECORDED_QUESTION_CHARS,
        MAX_TURN_RECORDS,
        THREAD_WORKFLOW_NAME,
        CloseReason,
        CloseRequest,
        FollowUp,
        ResolveInput,
        ResolveOutcome,
        ThreadStart,
        ThreadStatus,
        ThreadView,
        TurnRecord,
    )
    from opsflow.names import ErrorCode
    from opsflow.search_attributes import OPS_STATUS, TENANT_ID
    from opsflow.threads import (
        UnresolvedReference,
        advance_context,
        followup_problem,
        resolve_question,
    )
    from opsflow.threads.validate import RefusalCode

    # Deterministic helpers and the child's class (started by name): passed through, so
    # a thread's run re-imports only this file (docs/DECISIONS.md, "Sandbox").
    from workflows.failures import classify
    from workflows.orchestration import OpsOrchestrationWorkflow

RESOLVE_TIMEOUT = timedelta(seconds=15)
RESOLVE_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=500),
    maximum_attempts=3,
    non_retryable_error_types=[ErrorCode.UNKNOWN_TENANT, ErrorCode.VALIDATION_ERROR],
)
# Past a question's own deadline its aggregation still needs a moment (as the client's ask).
CHILD_SLACK_S = 120
# Resolution failures that are the question's fault: answered as such, no rules fallback.
REQUEST_ERRORS = frozenset({ErrorCode.UNKNOWN_TENANT, ErrorCode.VALIDATION_ERROR})


@workflow.defn(name=THREAD_WORKFLOW_NAME)
class InvestigationThreadWorkflow:
    @workflow.init
    def __init__(self, start: ThreadStart) -> None:
        # Set from the input here, not in run(): an update can arrive in the first task.
        self._start = start
        self._context = start.context
        self._turn = start.turn
        self._turns = list(start.turns)
        self._turns_this_run = 0
        self._created = start.created_at or workflow.now()
        self._closed: CloseReason | None = None
        self._lock = asyncio.Lock()
        self._admitted = 0  # follow-ups admitted and not yet answered
        self._answering: str | None = None
        # Bumped when a turn starts or ends and on close: restarts the idle clock.
        self._activity = 0

    @workflow.run
    async def run(self, start: ThreadStart) -> ThreadView:
        idle = timedelta(seconds=start.limits.idle_timeout_s)
        while self._closed is None and not self._should_roll():
            try:
                await workflow.wait_condition(self._woken(self._activity), timeout=idle)
            except TimeoutError:
                if self._admitted == 0:
                    self._closed = CloseReason.IDLE
        # A follow-up admitted before the close or the roll-over still gets its answer here.
        await workflow.wait_condition(workflow.all_handlers_finished)
        if self._closed is None:
            workflow.continue_as_new(self._carried(), memo=self._memo())
        workflow.upsert_memo(self._memo())
        return self.state()

    @workflow.query
    def state(self) -> ThreadView:
        return ThreadView(
            thread_id=workflow.info().workflow_id,
            tenant_id=self._start.tenant_id,
            status=ThreadStatus.OPEN if self._closed is None else ThreadStatus.CLOSED,
            close_reason=self._closed,
            turn=self._turn,
            run_number=self._start.run_number,
            context=self._context,
            turns=self._turns,
            answering=self._answering,
            created_at=self._created,
        )

    @workflow.update(name="ask")
    async def ask(self, follow_up: FollowUp) -> OrchestrationResult:
        self._admitted += 1
        self._activity += 1
        try:
            async with self._lock:
                return await self._answer(follow_up)
        finally:
            self._admitted -= 1
            self._activity += 1

    @ask.validator
    def _validate_ask(self, follow_up: FollowUp) -> None:
        problem = followup_problem(
            follow_up,
            tenant_id=self._start.tenant_id,
            closed=self._closed is not None,
            queued=self._admitted,
            max_queued=self._start.limits.max_queued,
        )
        if problem is not None:
            code, reason = problem
            raise ApplicationError(reason, type=code.value, non_retryable=True)

    @workflow.update(name="close")
    def close(self, request: CloseRequest) -> ThreadView:
        self._closed = CloseReason.REQUESTED
        self._activity += 1
        return self.state()

    @close.validator
    def _validate_close(self, request: CloseRequest) -> None:
        if self._closed is not None:
            raise ApplicationError(
                "this investigation thread is closed",
                type=RefusalCode.THREAD_CLOSED.value,
                non_retryable=True,
            )

    async def _answer(self, follow_up: FollowUp) -> OrchestrationResult:
        self._turn += 1
        self._turns_this_run += 1
        turn = self._turn
        pinned_at = follow_up.at or self._context.pinned_at
        reference = pinned_at or workflow.now()
        resolved = await self._resolve(follow_up, reference, pinned=pinned_at is not None)
        if resolved.error_code is not None:
            result = self._unanswered(
                follow_up, reference, resolved.error_code, resolved.error_message or ""
            )
        else:
            result = await self._orchestrate(follow_up, resolved, turn, pinned_at)
        self._context = advance_context(
            self._context, result, asked_about=resolved.focus_ci, pinned_at=pinned_at
        )
        result.thread_id = workflow.info().workflow_id
        result.turn = turn
        result.focus_ci = self._context.focus_ci
        result.context_used = resolved.used
        self._turns = [
            *self._turns,
            TurnRecord(
                turn=turn,
                question=follow_up.question[:MAX_RECORDED_QUESTION_CHARS],
                workflow_id=result.workflow_id if result.workflow_id != result.thread_id else None,
                status=result.status,
                focus_ci=self._context.focus_ci,
            ),
        ][-MAX_TURN_RECORDS:]
        workflow.upsert_memo(self._memo())
        return result

    async def _resolve(
        self, follow_up: FollowUp, reference: datetime, *, pinned: bool
    ) -> ResolveOutcome:
        request = ResolveInput(
            tenant_id=follow_up.tenant_id,
            question=follow_up.question.strip(),
            context=self._context,
            reference_time=reference,
            pinned=pinned,
        )
        try:
            return await workflow.execute_activity_method(
                ThreadActivities.resolve_followup,
                request,
                start_to_close_timeout=RESOLVE_TIMEOUT,
                retry_policy=RESOLVE_RETRY,
                summary=f"resolve_followup [{request.tenant_id}] {request.question[:80]}",
            )
        except ActivityError as err:
            info = classify(err)
            if info.code in REQUEST_ERRORS:
                return ResolveOutcome(
                    question=request.question, error_code=info.code, error_message=info.message
                )
            # Without the catalog the text rules still resolve "it" and "since then"; the
            # answer records that they ran blind (ContextUse.catalog_unavailable).
            workflow.logger.warning("followup_resolution_degraded", extra={"code": info.code})
        try:
            resolution = resolve_question(
                request.question,
                self._context,
                ci_names=[],
                dependencies={},
                reference_time=reference,
                pinned=pinned,
                catalog_unavailable=True,
            )
        except UnresolvedReference as err:
            return ResolveOutcome(
                question=request.question, error_code=err.code, error_message=err.message
            )
        return ResolveOutcome(
            question=resolution.question, focus_ci=resolution.focus_ci, used=resolution.used
        )

    async def _orchestrate(
        self,
        follow_up: FollowUp,
        resolved: ResolveOutcome,
        turn: int,
        pinned_at: datetime | None,
    ) -> OrchestrationResult:
        try:
            request = OpsRequest(
                question=resolved.question,
                tenant_id=follow_up.tenant_id,
                reference_time=pinned_at,
                deadline_s=follow_up.deadline_s,
                max_parallel=follow_up.max_parallel,
                require_llm=follow_up.require_llm,
                thread_context=self._context if self._context.established else None,
            )
        except pydantic.ValidationError as err:
            # The validator checked the words as typed; names put in for "it" can still
            # make the question too long. An answer, never a failed workflow task.
            problems = "; ".join(str(e["msg"]) for e in err.errors())
            return self._unanswered(
                follow_up, pinned_at or workflow.now(), ErrorCode.VALIDATION_ERROR, problems
            )
        child_id = f"{workflow.info().workflow_id}-turn-{turn}"
        self._answering = child_id
        try:
            return await workflow.execute_child_workflow(
                OpsOrchestrationWorkflow.run,
                request,
                id=child_id,
                static_summary=f"turn {turn}: {resolved.question}"[:400],
                execution_timeout=timedelta(seconds=follow_up.deadline_s + CHILD_SLACK_S),
                search_attributes=TypedSearchAttributes(
                    [
                        SearchAttributePair(TENANT_ID, follow_up.tenant_id),
                        SearchAttributePair(OPS_STATUS, "running"),
                    ]
                ),
            )
        except ChildWorkflowError as err:
            # Timed out, terminated or cancelled from outside: this turn has no answer, the
            # thread goes on.
            workflow.logger.warning("turn_orchestration_failed", extra={"child": child_id})
            result = self._unanswered(
                follow_up, pinned_at or workflow.now(), ErrorCode.TURN_FAILED, f"{child_id}: {err}"
            )
            result.workflow_id = child_id
            return result
        finally:
            self._answering = None

    def _unanswered(
        self, follow_up: FollowUp, reference: datetime, code: str, message: str
    ) -> OrchestrationResult:
        return OrchestrationResult(
            workflow_id=workflow.info().workflow_id,
            tenant_id=follow_up.tenant_id,
            question=follow_up.question,
            status=Status.FAILURE,
            error_code=code,
            error_message=message,
            reference_time=reference,
            summary=f"No answer: {message} ({code}).",
        )

    def _woken(self, seen: int) -> Callable[[], bool]:
        """Wake on a close, a roll-over, or a turn starting or ending since ``seen``."""
        return lambda: self._closed is not None or self._activity != seen or self._should_roll()

    def _should_roll(self) -> bool:
        info = workflow.info()
        # A run that answered nothing yet never rolls over (no continue-as-new loop).
        return self._turns_this_run > 0 and (
            self._turns_this_run >= self._start.limits.max_turns_per_run
            or info.get_current_history_size() > self._start.limits.max_history_bytes
            or info.is_continue_as_new_suggested()
        )

    def _carried(self) -> ThreadStart:
        return ThreadStart(
            tenant_id=self._start.tenant_id,
            limits=self._start.limits,
            context=self._context,
            turn=self._turn,
            turns=self._turns,
            run_number=self._start.run_number + 1,
            created_at=self._created,
        )

    def _memo(self) -> dict[str, Any]:
        status = ThreadStatus.OPEN if self._closed is None else ThreadStatus.CLOSED
        return {"focus_ci": self._context.focus_ci, "turn": self._turn, "status": status.value}
