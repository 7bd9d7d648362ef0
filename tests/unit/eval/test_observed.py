"""Reading what a workflow's tools returned back out of its (encrypted) history."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from temporalio.api.common.v1 import Payload
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import WorkflowHistory
from temporalio.converter import DataConverter

from bench.rca.baselines import Peer
from bench.rca.observed import LOCAL_ACTIVITY_MARKER, observe
from opsflow.codec import data_converter
from opsflow.contracts import AnalysisResult
from opsflow.models import (
    EdgeRecord,
    EventRecord,
    Findings,
    MetricSeries,
    StepState,
    StepStatus,
    ToolCall,
    ToolOutput,
)
from opsflow.settings import Settings
from opsflow.utc import epoch

REF = datetime(2024, 3, 4, 12, 0, tzinfo=UTC)
TENANT = "t_obs"


class _History:
    def __init__(self, events: list[HistoryEvent]) -> None:
        self.events = events

    async def fetch_history(self) -> WorkflowHistory:
        return WorkflowHistory(workflow_id="wf", events=self.events)


def _converter() -> DataConverter:
    # The product's converter with encryption on: histories hold ciphertext only.
    key = "k1:" + "A" * 43 + "="
    return data_converter(Settings().model_copy(update={"codec_keys": key}))


def _call(step: str, tool: str, **params: str) -> ToolCall:
    return ToolCall(
        tenant_id=TENANT,
        step_id=step,
        tool=tool,
        capability="x",
        params=dict(params),
        reference_time=REF,
    )


async def _activity(
    conv: DataConverter, first_id: int, call: ToolCall, out: ToolOutput | None
) -> list[HistoryEvent]:
    began = HistoryEvent(event_id=first_id)
    attrs = began.activity_task_scheduled_event_attributes
    attrs.activity_type.name = call.tool
    attrs.input.payloads.extend(await conv.encode([call]))
    if out is None:  # scheduled, never completed (failed or cancelled)
        return [began]
    done = HistoryEvent(event_id=first_id + 2)
    done.activity_task_completed_event_attributes.scheduled_event_id = first_id
    done.activity_task_completed_event_attributes.result.payloads.extend(await conv.encode([out]))
    return [began, done]


async def _marker(conv: DataConverter, activity: str, findings: Findings) -> HistoryEvent:
    ev = HistoryEvent(event_id=99)
    marker = ev.marker_recorded_event_attributes
    marker.marker_name = LOCAL_ACTIVITY_MARKER
    meta = json.dumps({"activity_type": activity, "seq": 1}).encode()
    marker.details["data"].payloads.append(Payload(data=meta))
    result = AnalysisResult(findings=findings)
    marker.details["result"].payloads.extend(await conv.encode([result]))
    return ev


def _series(ci: str, before: float, after: float) -> MetricSeries:
    ref = epoch(REF)
    return MetricSeries(
        ci=ci,
        metric="cpu",
        epoch_s=[ref - 120, ref - 60, ref, ref + 60],
        values=[before, before, after, after],
    )


async def test_observe_decodes_tool_results_resolves_claims_and_reads_the_analysis() -> None:
    conv = _converter()
    topology = ToolOutput(
        tool="topology_traverse",
        step_id="topology",
        edges=[EdgeRecord(source="web", target="db"), EdgeRecord(source="db", target="disk")],
        row_count=2,
    )
    focus = ToolOutput(
        tool="metric_query", step_id="focus", series=[_series("web", 1, 2)], row_count=4
    )
    full_upstream = ToolOutput(
        tool="metric_query",
        step_id="upstream",
        series=[_series("db", 1, 50), _series("disk", 1, 9)],
        note="2 series, 60s buckets",
        row_count=8,
    )
    claimed = full_upstream.model_copy(
        update={"series": [full_upstream.series[0].sliced(slice(-1, None))], "claim_id": "c-1"}
    )
    changes = ToolOutput(
        tool="event_query",
        step_id="changes",
        events=[
            EventRecord(
                id="e1",
                ci="disk",
                ts=REF - timedelta(minutes=5),
                kind="deploy",
                severity="info",
                message="v2",
            )
        ],
        row_count=1,
    )
    events: list[HistoryEvent] = []
    events += await _activity(conv, 1, _call("topology", "topology_traverse", ci="web"), topology)
    events += await _activity(conv, 10, _call("focus", "metric_query", ci="web"), focus)
    # The primary failed (no completion); its fallback answered the step.
    events += await _activity(conv, 20, _call("upstream", "metric_query"), None)
    events += await _activity(conv, 30, _call("upstream", "metric_rollup_fallback"), claimed)
    events += await _activity(conv, 40, _call("changes", "event_query", ci="web"), changes)
    events.append(await _marker(conv, "plan_request", Findings(notes=["not this one"])))
    events.append(await _marker(conv, "analyze", Findings(focus_ci="web", notes=["judged 3"])))
    loaded: list[tuple[str, str]] = []

    async def claims(tenant: str, claim_id: str) -> ToolOutput:
        loaded.append((tenant, claim_id))
        return full_upstream

    seen = await observe(_History(events), conv, claims, TENANT)

    assert loaded == [(TENANT, "c-1")]
    assert sorted(seen.outputs) == ["changes", "focus", "topology", "upstream"]
    assert {(s.ci, s.metric) for s in seen.series} == {
        ("web", "cpu"),
        ("db", "cpu"),
        ("disk", "cpu"),
    }
    assert seen.reference_time == REF
    assert seen.findings is not None and seen.findings.notes == ["judged 3"]
    assert seen.focus_ci == "web"
    assert seen.change_events == 1
    assert "upstream: 2 series, 60s buckets" in seen.metric_notes()
    assert seen.peer_rankings() == {Peer.BARO: ["db", "disk", "web"], Peer.LATEST_CHANGE: ["disk"]}
    assert seen.baro_top_series(2) == ["db cpu 49", "disk cpu 8"]

    # The workflow's own record of its steps agrees with what was read.
    steps = [
        StepState(id="topology", capability="x", status=StepStatus.SUCCEEDED, row_count=2),
        StepState(id="focus", capability="x", status=StepStatus.SUCCEEDED, row_count=4),
        StepState(
            id="upstream", capability="x", status=StepStatus.FALLBACK, row_count=8, claim_id="c-1"
        ),
        StepState(id="changes", capability="x", status=StepStatus.SUCCEEDED, row_count=1),
        StepState(id="never", capability="x", status=StepStatus.FAILED),
    ]
    assert seen.agrees_with(steps)
    assert not seen.agrees_with(steps[1:])  # a step the workflow did not use
    other_claim = steps[2].model_copy(update={"claim_id": "c-2"})
    assert not seen.agrees_with([*steps[:2], other_claim, *steps[3:]])
    fewer_rows = steps[1].model_copy(update={"row_count": 3})
    assert not seen.agrees_with([steps[0], fewer_rows, *steps[2:]])


async def test_a_history_without_tool_results_gives_empty_peers() -> None:
    seen = await observe(_History([]), _converter(), _no_claims, TENANT)
    assert seen.outputs == {} and seen.findings is None
    assert seen.peer_rankings() == {Peer.BARO: [], Peer.LATEST_CHANGE: []}


async def _no_claims(tenant: str, claim_id: str) -> ToolOutput:
    raise AssertionError(f"no claim expected, got {claim_id} for {tenant}")
