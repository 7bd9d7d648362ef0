"""A question about a past instant reads a bounded stretch after it, never past the clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from activities.telemetry_tools import read_until
from opsflow.catalog import default_registry
from opsflow.params import MAX_AFTER_MINUTES
from opsflow.planner import CiInfo, rule_plan
from opsflow.planner.rules import AFTER_MINUTES

NOW = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)


def test_past_reference_reads_after_it() -> None:
    ref = NOW - timedelta(days=30)
    assert read_until(ref, 15, NOW) == ref + timedelta(minutes=15)


def test_never_beyond_the_wall_clock() -> None:
    ref = NOW - timedelta(minutes=5)
    assert read_until(ref, 15, NOW) == NOW
    assert read_until(NOW, 15, NOW) == NOW


def test_never_before_the_reference_time() -> None:
    # A reference time in the future (clock skew) keeps its own bound, as before.
    ref = NOW + timedelta(minutes=3)
    assert read_until(ref, 15, NOW) == ref
    assert read_until(ref, 0, NOW) == ref


def test_naive_reference_is_utc() -> None:
    naive = datetime(2025, 1, 1, 10, 0)
    assert read_until(naive, 15, NOW) == datetime(2025, 1, 1, 10, 15, tzinfo=UTC)


def test_planner_asks_for_the_bounded_stretch_and_the_catalog_accepts_it() -> None:
    cis = [CiInfo("checkout-api", "service"), CiInfo("orders-db", "database")]
    plan = rule_plan("why is checkout-api slow?", "t1", cis, NOW)
    metric_steps = [s for s in plan.steps if s.capability == "metric_timeseries"]
    assert metric_steps
    registry = default_registry()
    for step in metric_steps:
        assert step.params["after_minutes"] == AFTER_MINUTES <= MAX_AFTER_MINUTES
        assert registry.check_params(step.capability, step.params) == []
    other = [s for s in plan.steps if s.capability != "metric_timeseries"]
    assert all("after_minutes" not in s.params for s in other)
