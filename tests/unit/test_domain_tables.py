"""Table tests for the pure modules the workflow relies on: registry, resolution, status,
answer, the rule planner and failure classification."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from temporalio.exceptions import (
    ActivityError,
    ApplicationError,
    CancelledError,
    TimeoutError,
    TimeoutType,
)

from opsflow.answer import build_answer
from opsflow.catalog import default_registry
from opsflow.contracts import AnalysisResult, SummaryOutcome
from opsflow.models import (
    FallbackDetails,
    Findings,
    ParamValue,
    Plan,
    PlanStep,
    Status,
    StepState,
    StepStatus,
    ToolOutput,
)
from opsflow.names import Capability, ErrorCode, Intent, StepReason, ToolName
from opsflow.params import (
    PARAMS,
    CapabilityParams,
    CiSearchParams,
    EventSearchParams,
    GraphTraversalParams,
    MetricTimeseriesParams,
    parse_params,
)
from opsflow.planner import CiInfo, rule_plan
from opsflow.registry import ToolStats
from opsflow.resolution import plan_problems, resolve_plan
from opsflow.status import overall_status
from workflows.failures import classify

AT = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


# --- registry -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("capability", "primary", "fallbacks"),
    [
        (Capability.CI_SEARCH, ToolName.CI_LOOKUP, []),
        (
            Capability.GRAPH_TRAVERSAL,
            ToolName.TOPOLOGY_TRAVERSE,
            [ToolName.TOPOLOGY_SNAPSHOT_FALLBACK],
        ),
        (
            Capability.METRIC_TIMESERIES,
            ToolName.METRIC_QUERY,
            [ToolName.METRIC_ROLLUP_FALLBACK],
        ),
        (Capability.EVENT_SEARCH, ToolName.EVENT_QUERY, []),
        (Capability.DATABASE_QUERY, ToolName.DIRECT_QUERY, []),
    ],
)
def test_recommendation_per_capability(
    capability: Capability, primary: ToolName, fallbacks: list[ToolName]
) -> None:
    choice = default_registry().recommend_tool(capability)
    assert choice is not None
    assert (choice.primary, choice.fallbacks) == (primary, fallbacks)


def test_unknown_capability_has_no_tool() -> None:
    assert default_registry().recommend_tool("teleportation") is None


def test_observed_stats_reorder_regular_tools_but_never_promote_fallback_only() -> None:
    # A fallback-only tool stays last however cheap; observations need 20 calls to count.
    stats = [
        ToolStats(tool=ToolName.METRIC_QUERY, calls=100, failures=90, ewma_ms=9000),
        ToolStats(tool=ToolName.METRIC_ROLLUP_FALLBACK, calls=100, failures=0, ewma_ms=1),
    ]
    choice = default_registry().with_stats(stats).recommend_tool(Capability.METRIC_TIMESERIES)
    assert choice is not None and choice.primary == ToolName.METRIC_QUERY
    few = [ToolStats(tool=ToolName.CI_LOOKUP, calls=19, failures=19, ewma_ms=1e6)]
    tool = default_registry().with_stats(few).tool(ToolName.CI_LOOKUP)
    assert tool.cost_ms == default_registry().tool(ToolName.CI_LOOKUP).cost_ms


@pytest.mark.parametrize(
    ("capability", "params", "problem"),
    [
        (Capability.GRAPH_TRAVERSAL, {}, "missing parameter 'ci'"),
        (Capability.GRAPH_TRAVERSAL, {"ci": 3}, "parameter 'ci' must be string"),
        (Capability.GRAPH_TRAVERSAL, {"ci": "a", "depth": True}, "parameter 'depth' must be"),
        (Capability.METRIC_TIMESERIES, {"metrics": [1]}, "parameter 'metrics' must be"),
        (Capability.CI_SEARCH, {"colour": "red"}, "unknown parameter 'colour'"),
        ("teleportation", {}, "unknown capability"),
    ],
)
def test_parameter_problems(capability: str, params: dict[str, ParamValue], problem: str) -> None:
    problems = default_registry().check_params(capability, params)
    assert any(problem in p for p in problems), problems


@pytest.mark.parametrize(
    ("capability", "params"),
    [
        (Capability.GRAPH_TRAVERSAL, {"ci": "api", "direction": "upstream", "depth": 3}),
        (Capability.METRIC_TIMESERIES, {"cis": ["a", "b"], "metrics": ["cpu"]}),
        (Capability.DATABASE_QUERY, {"sql": "SELECT 1"}),
        (Capability.CI_SEARCH, {}),
    ],
)
def test_valid_parameters(capability: str, params: dict[str, ParamValue]) -> None:
    assert default_registry().check_params(capability, params) == []


# --- resolution -----------------------------------------------------------------------


def _step(sid: str, *deps: str, capability: str = Capability.CI_SEARCH, **kw: object) -> PlanStep:
    return PlanStep(id=sid, capability=capability, depends_on=list(deps), **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("steps", "problem"),
    [
        ([_step("a"), _step("a")], "duplicate step id 'a'"),
        ([_step("a", "ghost")], "depends on unknown step 'ghost'"),
        ([_step("a", "a")], "depends on itself"),
        (
            [_step("a", "c"), _step("b", "a"), _step("c", "b")],
            "dependency cycle among steps a, b, c",
        ),
    ],
)
def test_plan_problems(steps: list[PlanStep], problem: str) -> None:
    assert any(problem in p for p in plan_problems(Plan(steps=steps))), plan_problems(
        Plan(steps=steps)
    )


def test_a_diamond_is_a_valid_dag() -> None:
    plan = Plan(steps=[_step("a"), _step("b", "a"), _step("c", "a"), _step("d", "b", "c")])
    assert plan_problems(plan) == []


def test_resolution_chains_rejections_and_fallback_capability() -> None:
    plan = Plan(
        steps=[
            _step("g", capability=Capability.GRAPH_TRAVERSAL, params={"ci": "api"}),
            _step("x", capability="teleportation"),
            _step(
                "sql",
                capability=Capability.DATABASE_QUERY,
                params={"sql": "SELECT 1"},
                fallback_capability=Capability.EVENT_SEARCH,
                fallback_params={"ci": "api"},
            ),
            _step(
                "bad_alt",
                capability=Capability.DATABASE_QUERY,
                params={"sql": "SELECT 1"},
                fallback_capability=Capability.EVENT_SEARCH,
                fallback_params={"nope": 1},
            ),
        ]
    )
    by_id = {r.step.id: r for r in resolve_plan(plan, default_registry())}
    assert [i.tool for i in by_id["g"].chain] == [
        ToolName.TOPOLOGY_TRAVERSE,
        ToolName.TOPOLOGY_SNAPSHOT_FALLBACK,
    ]
    assert by_id["x"].chain == [] and by_id["x"].rejection is not None
    assert [(i.tool, i.params) for i in by_id["sql"].chain] == [
        (ToolName.DIRECT_QUERY, {"sql": "SELECT 1"}),
        (ToolName.EVENT_QUERY, {"ci": "api"}),
    ]
    # An invalid alternative is dropped, the step itself still runs.
    assert [i.tool for i in by_id["bad_alt"].chain] == [ToolName.DIRECT_QUERY]


# --- status and answer ----------------------------------------------------------------


def _state(sid: str, status: StepStatus) -> StepState:
    return StepState(id=sid, capability=Capability.CI_SEARCH, status=status)


_FB = FallbackDetails(
    reason=StepReason.LLM_ERROR, tool_attempted="plan_request", tool_used_fallback="rule_plan"
)


@pytest.mark.parametrize(
    ("statuses", "fallbacks", "expected"),
    [
        ([StepStatus.SUCCEEDED], [], Status.SUCCESS),
        ([StepStatus.SUCCEEDED, StepStatus.FALLBACK], [], Status.DEGRADED),
        ([StepStatus.SUCCEEDED], [_FB], Status.DEGRADED),
        ([StepStatus.SUCCEEDED, StepStatus.FAILED], [], Status.PARTIAL_SUCCESS),
        ([StepStatus.FALLBACK, StepStatus.SKIPPED], [_FB], Status.PARTIAL_SUCCESS),
        ([StepStatus.SUCCEEDED, StepStatus.REJECTED], [], Status.PARTIAL_SUCCESS),
        ([StepStatus.FAILED, StepStatus.CANCELLED], [], Status.FAILURE),
        ([], [], Status.FAILURE),
    ],
)
def test_status_rules(
    statuses: list[StepStatus], fallbacks: list[FallbackDetails], expected: Status
) -> None:
    steps = [_state(f"s{i}", s) for i, s in enumerate(statuses)]
    assert overall_status(steps, fallbacks) is expected


def test_answer_lists_missing_steps_and_all_fallbacks() -> None:
    ok = _state("ok", StepStatus.SUCCEEDED).model_copy(update={"tool": ToolName.CI_LOOKUP})
    failed = _state("bad", StepStatus.FAILED).model_copy(
        update={"reason": StepReason.PRIMARY_ERROR, "detail": "boom"}
    )
    answer = build_answer(
        steps=[ok, failed],
        outputs={"ok": ToolOutput(tool=ToolName.CI_LOOKUP, step_id="ok")},
        analysis=AnalysisResult(findings=Findings()),
        summary=SummaryOutcome(text="text", writer="template"),
        extra_fallbacks=[_FB],
    )
    assert answer.status is Status.PARTIAL_SUCCESS
    assert [(m.step_id, m.reason) for m in answer.missing] == [("bad", StepReason.PRIMARY_ERROR)]
    assert answer.fallbacks == [_FB]
    assert answer.blocks[0].title == "Answer"


# --- rule planner ---------------------------------------------------------------------

CIS = [CiInfo("payments-api", "service"), CiInfo("db-1", "database"), CiInfo("h1", "host")]


@pytest.mark.parametrize(
    ("question", "intent", "capabilities"),
    [
        (
            "why is payments-api slow?",
            Intent.WHY_SLOW,
            [
                Capability.GRAPH_TRAVERSAL,
                Capability.METRIC_TIMESERIES,
                Capability.METRIC_TIMESERIES,
                Capability.EVENT_SEARCH,
            ],
        ),
        ("what depends on db-1?", Intent.DEPENDENTS, [Capability.GRAPH_TRAVERSAL]),
        ("top 5 hosts by cpu", Intent.TOP_N, [Capability.DATABASE_QUERY]),
    ],
)
def test_rule_plans(question: str, intent: Intent, capabilities: list[Capability]) -> None:
    plan = rule_plan(question, "t_acme", CIS, AT)
    assert plan.intent == intent
    assert [s.capability for s in plan.steps] == capabilities
    assert plan_problems(plan) == []
    # Every rule plan resolves without a rejection.
    assert all(r.rejection is None for r in resolve_plan(plan, default_registry()))


# --- failure classification -----------------------------------------------------------


def _activity_error(cause: BaseException) -> ActivityError:
    err = ActivityError(
        "activity failed",
        scheduled_event_id=1,
        started_event_id=2,
        identity="w",
        activity_type="t",
        activity_id="1",
        retry_state=None,
    )
    err.__cause__ = cause
    return err


@pytest.mark.parametrize(
    ("cause", "reason", "code"),
    [
        (
            TimeoutError("t", type=TimeoutType.START_TO_CLOSE, last_heartbeat_details=[]),
            StepReason.PRIMARY_TIMEOUT,
            ErrorCode.TIMEOUT,
        ),
        (CancelledError("c"), StepReason.CANCELLED, ErrorCode.CANCELLED),
        (ApplicationError("x", type="SQL_BLOCKED"), StepReason.SQL_BLOCKED, ErrorCode.SQL_BLOCKED),
        (ApplicationError("x", type="LLM_BUDGET"), StepReason.BUDGET_EXHAUSTED, "LLM_BUDGET"),
        (ApplicationError("x", type="SOMETHING_NEW"), StepReason.PRIMARY_ERROR, "SOMETHING_NEW"),
        (ApplicationError("x"), StepReason.PRIMARY_ERROR, ErrorCode.TOOL_EXECUTION_ERROR),
        (RuntimeError("bare"), StepReason.PRIMARY_ERROR, ErrorCode.TOOL_EXECUTION_ERROR),
    ],
)
def test_failure_classification(cause: BaseException, reason: StepReason, code: str) -> None:
    info = classify(_activity_error(cause))
    assert (info.reason, info.code) == (reason, code)


# --- parameter models -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "given", "field", "parsed"),
    [
        (GraphTraversalParams, {"ci": "a", "depth": 20}, "depth", 8),
        (GraphTraversalParams, {"ci": "a", "depth": 0}, "depth", 1),
        (GraphTraversalParams, {"ci": "a"}, "direction", "upstream"),
        (MetricTimeseriesParams, {"ci": "a", "window_minutes": 1}, "window_minutes", 5),
        (MetricTimeseriesParams, {"ci": "a", "after_minutes": 600}, "after_minutes", 60),
        (MetricTimeseriesParams, {"ci": "a", "include_inputs": None}, "include_inputs", False),
        (EventSearchParams, {}, "severity", "info"),
        (CiSearchParams, {"limit": 0}, "limit", 1),
    ],
)
def test_params_parse_with_defaults_and_clamped_bounds(
    model: type[CapabilityParams], given: dict[str, ParamValue], field: str, parsed: object
) -> None:
    assert getattr(parse_params(model, given), field) == parsed


def test_the_catalog_is_generated_from_the_parameter_models() -> None:
    entries = {e["capability"]: e for e in default_registry().catalog()}
    assert set(entries) == set(PARAMS)
    for capability, model in PARAMS.items():
        shown = entries[capability]["params"]
        assert isinstance(shown, dict)
        assert set(shown) == set(model.model_fields)
    graph = entries[Capability.GRAPH_TRAVERSAL]["params"]
    assert isinstance(graph, dict)
    assert graph["depth"] == {
        "type": "integer",
        "description": "maximum hops",
        "range": [1, 8],
        "default": 4,
    }
    assert graph["ci"]["required"] is True
    assert graph["direction"]["one_of"] == ["upstream", "downstream", "both"]
