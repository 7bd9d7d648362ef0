"""Follow-up words against a thread's context: pure rules, no server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from opsflow.models import OrchestrationResult, ReferenceKind, RootCause, Status, ThreadContext
from opsflow.planner import CiInfo
from opsflow.threads import UnresolvedReference, advance_context, resolve_question

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
NAMES = ["payments-api", "payments-db", "checkout-api", "auth-service", "payment-events-queue"]
DEPS = {
    "payments-api": [
        CiInfo("payments-db", "database"),
        CiInfo("payment-events-queue", "queue"),
        CiInfo("auth-service", "service"),
    ],
    "checkout-api": [CiInfo("payments-api", "service")],
}
FOCUSED = ThreadContext(
    focus_ci="payments-api",
    last_root_cause="payments-db",
    reference_time=NOW - timedelta(minutes=42, seconds=10),
)


def _resolve(
    question: str, context: ThreadContext = FOCUSED
) -> tuple[str, list[tuple[str, str, ReferenceKind]]]:
    r = resolve_question(question, context, ci_names=NAMES, dependencies=DEPS, reference_time=NOW)
    return r.question, [(s.phrase, s.value, s.kind) for s in r.used.substitutions]


@pytest.mark.parametrize(
    ("question", "asked"),
    [
        ("what changed on it in the last hour?", "what changed on payments-api in the last hour?"),
        ("is it slow?", "is payments-api slow?"),
        ("It's failing again", "payments-api is failing again"),
        ("show its latency", "show payments-api's latency"),
        ("what changed on the same service?", "what changed on payments-api?"),
        ("any alerts on its database?", "any alerts on payments-db?"),
        ("what feeds its queue", "what feeds payment-events-queue"),
        ("why is the root cause slow?", "why is payments-db slow?"),
        ("what changed since then?", "what changed in the last 43 min?"),
        ("top 5 hosts by cpu", "top 5 hosts by cpu"),
    ],
)
def test_references_become_names_and_windows(question: str, asked: str) -> None:
    assert _resolve(question)[0] == asked


def test_each_substitution_is_recorded_with_its_kind() -> None:
    asked, subs = _resolve("since then, did its database or it change?")
    assert asked == "in the last 43 min, did payments-db or payments-api change?"
    assert subs == [
        ("its database", "payments-db", ReferenceKind.DEPENDENCY),
        ("since then", "in the last 43 min", ReferenceKind.SINCE),
        ("it", "payments-api", ReferenceKind.FOCUS),
    ]


def test_a_pronoun_after_a_named_ci_means_that_ci() -> None:
    asked, subs = _resolve("what depends on checkout-api and what changed on it?")
    assert asked == "what depends on checkout-api and what changed on checkout-api?"
    result = resolve_question(
        "what depends on checkout-api and what changed on it?",
        FOCUSED,
        ci_names=NAMES,
        dependencies=DEPS,
        reference_time=NOW,
    )
    assert result.focus_ci == "checkout-api"
    assert subs == [("it", "checkout-api", ReferenceKind.FOCUS)]


def test_a_new_ci_moves_the_focus_and_words_inside_names_are_left_alone() -> None:
    result = resolve_question(
        "why is checkout-api slow?", FOCUSED, ci_names=NAMES, dependencies=DEPS, reference_time=NOW
    )
    assert result.question == "why is checkout-api slow?"
    assert result.focus_ci == "checkout-api"
    assert result.used.substitutions == []
    assert result.used.focus_before == "payments-api"


@pytest.mark.parametrize(
    ("question", "context", "reason"),
    [
        ("what changed on it?", ThreadContext(), "no focus CI yet"),
        ("is its load balancer ok?", FOCUSED, "payments-api depends on no load balancer"),
        ("why is the culprit slow?", ThreadContext(focus_ci="x"), "ranked a root cause"),
        ("what changed since then?", ThreadContext(focus_ci="x"), "no earlier answer"),
    ],
)
def test_what_the_context_cannot_resolve_is_refused(
    question: str, context: ThreadContext, reason: str
) -> None:
    with pytest.raises(UnresolvedReference) as refused:
        _resolve(question, context)
    assert refused.value.code == "UNRESOLVED_REFERENCE"
    assert reason in refused.value.message


def test_pinned_reference_time_is_recorded_only_when_pinned() -> None:
    pinned = resolve_question(
        "is it slow?", FOCUSED, ci_names=NAMES, dependencies=DEPS, reference_time=NOW, pinned=True
    )
    live = resolve_question(
        "is it slow?", FOCUSED, ci_names=NAMES, dependencies=DEPS, reference_time=NOW
    )
    assert (pinned.used.reference_time, live.used.reference_time) == (NOW, None)


def _answer(status: Status, focus: str | None, causes: list[str]) -> OrchestrationResult:
    return OrchestrationResult(
        workflow_id="w",
        tenant_id="t_acme",
        question="q",
        status=status,
        focus_ci=focus,
        reference_time=NOW,
        root_causes=[RootCause(ci=c, score=0.9 - i / 10) for i, c in enumerate(causes)],
    )


def test_an_answer_establishes_focus_cis_findings_and_time() -> None:
    after = advance_context(
        ThreadContext(cis=["old-ci"]),
        _answer(Status.SUCCESS, "payments-api", ["payments-db", "auth-service"]),
        asked_about="payments-api",
        pinned_at=None,
    )
    assert after.focus_ci == "payments-api"
    assert after.cis == ["payments-api", "payments-db", "auth-service", "old-ci"]
    assert after.last_root_cause == "payments-db"
    assert after.reference_time == NOW
    assert after.findings[0].startswith("payments-db: root-cause candidate (score 0.90)")


def test_a_failed_answer_keeps_the_focus_and_a_tenant_wide_one_does_too() -> None:
    failed = advance_context(
        FOCUSED, _answer(Status.FAILURE, "nope", []), asked_about="nope", pinned_at=NOW
    )
    assert failed.focus_ci == "payments-api" and failed.pinned_at == NOW
    wide = advance_context(
        FOCUSED, _answer(Status.SUCCESS, None, []), asked_about=None, pinned_at=None
    )
    assert wide.focus_ci == "payments-api"
    assert wide.last_root_cause == "payments-db"
