"""The worker's activity interceptor: domain and driver errors become typed
ApplicationErrors (retried or not by the error class's own flag), tool calls are counted."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY
from temporalio.client import Client

from activities.interceptor import OpsActivityInterceptor
from activities.resources import WorkerResources
from opsflow.errors import UnknownCiError
from opsflow.models import Plan, PlanStep, Status, StepStatus
from opsflow.names import Capability, ErrorCode, ToolName
from opsflow.policies import load_policies
from opsflow.settings import Settings
from tests.workflow.fakes import Script, run_workflow

pytestmark = pytest.mark.workflow


def _resources() -> WorkerResources:
    # The interceptor only records stats on the resources; no pool is needed.
    return WorkerResources(pool=None, settings=Settings(), policies=load_policies())  # type: ignore[arg-type]


def _calls(outcome: str) -> float:
    sample = REGISTRY.get_sample_value(
        "opsflow_tool_calls_total", {"tool": ToolName.CI_LOOKUP, "outcome": outcome}
    )
    return sample or 0.0


PLAN = Plan(steps=[PlanStep(id="a", capability=Capability.CI_SEARCH, params={"name": "a"})])


async def test_a_final_domain_error_fails_the_step_without_retry(workflow_client: Client) -> None:
    res = _resources()
    before = _calls(ErrorCode.UNKNOWN_CI)
    script = Script(raises={ToolName.CI_LOOKUP: [UnknownCiError("no such CI")] * 3})
    result = await run_workflow(
        workflow_client, script, plan_override=PLAN, interceptors=[OpsActivityInterceptor(res)]
    )
    [state] = result.steps
    assert state.status is StepStatus.FAILED
    assert state.error_code == ErrorCode.UNKNOWN_CI
    assert script.calls.count(ToolName.CI_LOOKUP) == 1
    assert result.status is Status.FAILURE
    assert _calls(ErrorCode.UNKNOWN_CI) == before + 1
    assert [ok for _, ok in res.stats_buffer[ToolName.CI_LOOKUP]] == [False]


async def test_a_driver_error_is_classified_and_retried(workflow_client: Client) -> None:
    res = _resources()
    script = Script(raises={ToolName.CI_LOOKUP: [ConnectionRefusedError("db down")]})
    result = await run_workflow(
        workflow_client, script, plan_override=PLAN, interceptors=[OpsActivityInterceptor(res)]
    )
    [state] = result.steps
    assert state.status is StepStatus.SUCCEEDED
    assert script.calls.count(ToolName.CI_LOOKUP) == 2
    assert [ok for _, ok in res.stats_buffer[ToolName.CI_LOOKUP]] == [False, True]
    assert _calls(ErrorCode.CONNECTION_ERROR) >= 1
