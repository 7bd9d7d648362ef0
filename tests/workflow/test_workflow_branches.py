"""Every branch of the orchestration workflow, on the real workflow code with fake
activities: planning fallbacks, tool fallbacks, rejected and skipped steps, a failed
analysis and failed summaries, plan validation, and the status each one ends in."""

from __future__ import annotations

import pytest
from temporalio.client import Client

from opsflow.models import Plan, Status, StepStatus
from opsflow.names import ActivityName, Capability, ErrorCode, StepReason, ToolName
from tests.workflow.fakes import Fail, Script, run_workflow, step

pytestmark = pytest.mark.workflow


def _plan(*steps: object) -> Plan:
    return Plan(steps=list(steps), focus_ci="api")  # type: ignore[arg-type]


async def test_all_primaries_succeed_is_success(workflow_client: Client) -> None:
    script = Script()
    result = await run_workflow(
        workflow_client,
        script,
        plan_override=_plan(step("a"), step("b", Capability.CI_SEARCH, "a")),
    )
    assert result.status is Status.SUCCESS
    assert [s.status for s in result.steps] == [StepStatus.SUCCEEDED] * 2
    assert result.fallbacks == []
    # The dependent received its parent's output.
    second = next(c for c in script.tool_calls if c.step_id == "b")
    assert set(second.inputs) == {"a"}


async def test_analysis_failure_is_degraded_with_a_fallback(workflow_client: Client) -> None:
    script = Script(analyze=Fail(ErrorCode.TOOL_EXECUTION_ERROR, "analysis blew up"))
    result = await run_workflow(workflow_client, script, plan_override=_plan(step("a")))
    assert result.status is Status.DEGRADED
    [fallback] = result.fallbacks
    assert fallback.reason is StepReason.ANALYSIS_FAILED
    assert fallback.tool_attempted == ActivityName.ANALYZE
    assert fallback.error_code == ErrorCode.TOOL_EXECUTION_ERROR
    # The answer is still written, from the step results.
    assert result.summary == "llm summary"


async def test_summarize_failing_falls_back_to_the_template(workflow_client: Client) -> None:
    script = Script(summarize=Fail(ErrorCode.LLM_AUTH))
    result = await run_workflow(workflow_client, script, plan_override=_plan(step("a")))
    assert result.status is Status.DEGRADED
    assert result.summary == "template summary"
    [fallback] = result.fallbacks
    assert (fallback.tool_attempted, fallback.tool_used_fallback) == (
        ActivityName.SUMMARIZE,
        ActivityName.TEMPLATE_SUMMARY,
    )
    assert fallback.reason is StepReason.LLM_ERROR


async def test_template_summary_failing_writes_the_template_in_the_workflow(
    workflow_client: Client,
) -> None:
    script = Script(
        summarize=Fail(ErrorCode.LLM_AUTH), template_summary=Fail(ErrorCode.TOOL_EXECUTION_ERROR)
    )
    result = await run_workflow(workflow_client, script, plan_override=_plan(step("a")))
    assert result.status is Status.DEGRADED
    assert script.calls.count(ActivityName.TEMPLATE_SUMMARY) == 1
    # Neither activity's text: the pure template, rendered by the workflow itself.
    assert result.summary not in ("llm summary", "template summary")
    assert "api" in result.summary


async def test_planner_failure_falls_back_to_rules(workflow_client: Client) -> None:
    script = Script(plan_request=Fail(ErrorCode.LLM_UNAVAILABLE))
    result = await run_workflow(workflow_client, script)
    assert result.status is Status.DEGRADED
    assert result.planner == "rules"
    [fallback] = result.fallbacks
    assert (fallback.tool_attempted, fallback.tool_used_fallback) == (
        ActivityName.PLAN_REQUEST,
        ActivityName.RULE_PLAN,
    )
    assert fallback.reason is StepReason.LLM_ERROR


async def test_rule_plan_failing_too_is_a_failure(workflow_client: Client) -> None:
    script = Script(
        plan_request=Fail(ErrorCode.LLM_UNAVAILABLE), rule_plan=Fail(ErrorCode.PLANNING_ERROR)
    )
    result = await run_workflow(workflow_client, script)
    assert result.status is Status.FAILURE
    assert result.error_code == ErrorCode.PLANNING_ERROR
    assert not script.tool_calls


async def test_request_error_skips_the_rule_planner(workflow_client: Client) -> None:
    script = Script(plan_request=Fail(ErrorCode.UNKNOWN_TENANT, "unknown tenant"))
    result = await run_workflow(workflow_client, script)
    assert result.status is Status.FAILURE
    assert result.error_code == ErrorCode.UNKNOWN_TENANT
    assert ActivityName.RULE_PLAN not in script.calls


async def test_tool_context_failure_uses_default_policies(workflow_client: Client) -> None:
    script = Script(tool_context=Fail(ErrorCode.CONNECTION_ERROR))
    result = await run_workflow(workflow_client, script, plan_override=_plan(step("a")))
    assert result.status is Status.SUCCESS


async def test_fallback_tool_of_the_same_capability(workflow_client: Client) -> None:
    script = Script(tools={ToolName.TOPOLOGY_TRAVERSE: Fail(ErrorCode.TIMEOUT)})
    plan = _plan(step("g", Capability.GRAPH_TRAVERSAL, params={"ci": "api"}))
    result = await run_workflow(workflow_client, script, plan_override=plan)
    assert result.status is Status.DEGRADED
    [state] = result.steps
    assert state.status is StepStatus.FALLBACK
    assert state.tools_tried == [ToolName.TOPOLOGY_TRAVERSE, ToolName.TOPOLOGY_SNAPSHOT_FALLBACK]
    assert state.reason is StepReason.PRIMARY_TIMEOUT


async def test_fallback_capability_chain(workflow_client: Client) -> None:
    script = Script(
        tools={
            ToolName.DIRECT_QUERY: Fail(ErrorCode.SQL_BLOCKED),
            ToolName.METRIC_QUERY: Fail(ErrorCode.TIMEOUT),
        }
    )
    sql_step = step(
        "sql",
        Capability.DATABASE_QUERY,
        params={"sql": "SELECT 1"},
        fallback_capability=Capability.METRIC_TIMESERIES,
        fallback_params={"ci": "api"},
    )
    result = await run_workflow(workflow_client, script, plan_override=_plan(sql_step))
    [state] = result.steps
    # direct_query, then the fallback capability's tools in their own order.
    assert state.tools_tried == [
        ToolName.DIRECT_QUERY,
        ToolName.METRIC_QUERY,
        ToolName.METRIC_ROLLUP_FALLBACK,
    ]
    assert state.status is StepStatus.FALLBACK
    assert state.reason is StepReason.SQL_BLOCKED
    assert state.fallback is not None
    assert state.fallback.tool_used_fallback == ToolName.METRIC_ROLLUP_FALLBACK
    # The fallback call is made with the fallback capability's own parameters.
    last = script.tool_calls[-1]
    assert (last.capability, last.params) == (Capability.METRIC_TIMESERIES, {"ci": "api"})
    assert last.fallback_reason == StepReason.SQL_BLOCKED
    assert result.status is Status.DEGRADED


async def test_exhausted_chain_fails_the_step_and_skips_dependents(
    workflow_client: Client,
) -> None:
    script = Script(
        tools={
            ToolName.TOPOLOGY_TRAVERSE: Fail(ErrorCode.TOOL_EXECUTION_ERROR),
            ToolName.TOPOLOGY_SNAPSHOT_FALLBACK: Fail(ErrorCode.TOOL_EXECUTION_ERROR),
        }
    )
    plan = _plan(
        step("a"),
        step("g", Capability.GRAPH_TRAVERSAL, params={"ci": "api"}),
        step("after", Capability.CI_SEARCH, "g"),
    )
    result = await run_workflow(workflow_client, script, plan_override=plan)
    by_id = {s.id: s for s in result.steps}
    assert by_id["g"].status is StepStatus.FAILED
    assert by_id["g"].error_code == ErrorCode.TOOL_EXECUTION_ERROR
    assert by_id["after"].status is StepStatus.SKIPPED
    assert by_id["after"].reason is StepReason.DEPENDENCY_FAILED
    assert result.status is Status.PARTIAL_SUCCESS
    assert {m.step_id for m in result.missing} == {"g", "after"}


async def test_rejected_steps_and_their_dependents(workflow_client: Client) -> None:
    plan = _plan(
        step("a"),
        step("bad_cap", "teleportation"),
        step("bad_params", Capability.CI_SEARCH, params={"nope": 1}),
        step("child", Capability.CI_SEARCH, "bad_cap"),
    )
    script = Script()
    result = await run_workflow(workflow_client, script, plan_override=plan)
    by_id = {s.id: s for s in result.steps}
    assert by_id["bad_cap"].status is StepStatus.REJECTED
    assert "unknown capability" in by_id["bad_cap"].detail
    assert by_id["bad_params"].status is StepStatus.REJECTED
    assert "unknown parameter 'nope'" in by_id["bad_params"].detail
    assert by_id["child"].status is StepStatus.SKIPPED
    assert [c.step_id for c in script.tool_calls] == ["a"]
    assert result.status is Status.PARTIAL_SUCCESS


async def test_plan_override_with_a_cycle_is_plan_invalid(workflow_client: Client) -> None:
    plan = _plan(step("a", Capability.CI_SEARCH, "b"), step("b", Capability.CI_SEARCH, "a"))
    script = Script()
    result = await run_workflow(workflow_client, script, plan_override=plan)
    assert result.status is Status.FAILURE
    assert result.error_code == ErrorCode.PLAN_INVALID
    assert "cycle" in (result.error_message or "")
    assert not script.tool_calls


async def test_every_step_failing_is_a_failure(workflow_client: Client) -> None:
    script = Script(tools={ToolName.CI_LOOKUP: Fail(ErrorCode.TOOL_EXECUTION_ERROR)})
    result = await run_workflow(workflow_client, script, plan_override=_plan(step("a")))
    assert result.status is Status.FAILURE
    assert result.error_code == ErrorCode.NO_RESULTS


async def test_max_parallel_bounds_and_orders_the_steps(workflow_client: Client) -> None:
    script = Script(tool_delay_s=0.3)
    plan = _plan(*(step(f"s{i}") for i in range(5)), step("last", Capability.CI_SEARCH, "s0"))
    result = await run_workflow(workflow_client, script, plan_override=plan, max_parallel=2)
    assert result.status is Status.SUCCESS
    assert script.max_active == 2
    # Started in plan order as slots free up; the dependent only after its parent.
    started = sorted(result.steps, key=lambda s: (s.started_at, s.id))
    assert [s.id for s in started][:2] == ["s0", "s1"]
    by_id = {s.id: s for s in result.steps}
    assert by_id["last"].started_at is not None and by_id["s0"].finished_at is not None
    assert by_id["last"].started_at >= by_id["s0"].finished_at
    order = [c.step_id for c in script.tool_calls]
    assert order.index("s2") < order.index("s3") < order.index("s4")


async def test_deadline_cancels_running_steps(workflow_client: Client) -> None:
    script = Script(tool_delay_s=5.0)
    plan = _plan(step("slow"), step("next", Capability.CI_SEARCH, "slow"))
    result = await run_workflow(workflow_client, script, plan_override=plan, deadline_s=1.0)
    by_id = {s.id: s for s in result.steps}
    assert by_id["slow"].status is StepStatus.CANCELLED
    assert by_id["slow"].reason is StepReason.DEADLINE_EXCEEDED
    assert by_id["next"].status is StepStatus.SKIPPED
    assert result.status is Status.FAILURE
