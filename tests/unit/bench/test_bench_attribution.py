"""The bench's attribution arithmetic: CPU by component, PostgreSQL process roles, the
scale pair's ratios and its databases' DSNs."""

from __future__ import annotations

import pytest

from bench.cpu import CpuDelta, CpuReading, cpu_figures, delta
from bench.processes import as_seen_by
from bench.scale_data import db_ms_per_question, dsn_for_database, process_role
from bench.scale_pair import pair_order, ratio_figures


def _reading(wall: float, machine: float, **components: float | None) -> CpuReading:
    return CpuReading(wall_s=wall, machine_s=machine, components=dict(components))


def test_delta_subtracts_and_keeps_unknown_components_unknown() -> None:
    span = delta(
        _reading(10.0, 100.0, workers=1.0, postgres=None),
        _reading(12.0, 103.0, workers=2.5, postgres=None),
    )
    assert span == CpuDelta(2.0, 3.0, {"workers": 1.5, "postgres": None})


def test_pooled_spans_add_wall_and_cpu() -> None:
    a = CpuDelta(2.0, 3.0, {"workers": 1.0, "temporal": 0.5})
    b = CpuDelta(1.0, 2.0, {"workers": 0.5, "temporal": None})
    assert a + b == CpuDelta(3.0, 5.0, {"temporal": None, "workers": 1.5})


def test_cpu_figures_in_cores_and_ms_per_question() -> None:
    span = CpuDelta(4.0, 7.6, {"worker_group": 2.0, "temporal_server": 1.6, "postgres": None})
    out = cpu_figures(span, questions=40, cores=2)
    assert out["worker_group"] == {"cores_busy": 0.5, "cpu_ms_per_question": 50.0}
    assert out["temporal_server"] == {"cores_busy": 0.4, "cpu_ms_per_question": 40.0}
    assert out["postgres"] is None  # an external server: not counted, not guessed
    assert out["ours"] == {"cores_busy": 0.9, "cpu_ms_per_question": 90.0}
    assert out["machine"]["cores_busy"] == 1.9
    assert out["others_on_host_cores_busy"] == 1.0
    assert out["machine_share_of_usable"] == 0.95
    assert out["host_saturated"] is True
    # 40 questions in 4 s at 90 ms of CPU each: 2 cores allow 22.2/s, the 1 core other
    # work left allows 11.1/s, and 10/s were measured.
    assert out["measured_per_s"] == 10.0
    assert out["cpu_ceiling_per_s"] == 22.22
    assert out["cpu_ceiling_left_per_s"] == 11.11


def test_cpu_figures_idle_host_is_not_saturated() -> None:
    out = cpu_figures(CpuDelta(10.0, 5.0, {"worker_group": 4.0}), questions=10, cores=2)
    assert out["host_saturated"] is False
    assert out["others_on_host_cores_busy"] == 0.1
    assert (out["cpu_ceiling_per_s"], out["cpu_ceiling_left_per_s"]) == (5.0, 4.75)


def test_as_seen_by_names_the_measured_group() -> None:
    span = CpuDelta(1.0, 1.0, {"workers_1": 0.2, "workers_2": 0.7, "postgres": 0.1})
    assert as_seen_by(span, 2).components == {
        "idle_worker_group": 0.2,
        "worker_group": 0.7,
        "postgres": 0.1,
    }


@pytest.mark.parametrize(
    ("title", "role"),
    [
        (
            "postgres: postgres opsflow_scale_small 127.0.0.1(50924) idle",
            "database:opsflow_scale_small",
        ),
        ("postgres: app ops [local] SELECT", "database:ops"),
        ("postgres: io worker 2", "io_workers"),
        ("postgres: checkpointer ", "upkeep"),
        ("postgres: autovacuum worker opsflow", "upkeep"),
        ("postgres: logical replication launcher", "other"),
    ],
)
def test_process_role_from_title(title: str, role: str) -> None:
    assert process_role(title) == role


def test_db_ms_per_question_sums_roles_and_needs_both_readings() -> None:
    before = {"database:a": 1.0, "io_workers": 0.5}
    after = {"database:a": 1.5, "io_workers": 0.7, "database:b": 9.0}
    assert db_ms_per_question(before, after, ["database:a", "io_workers"], 10) == 70.0
    assert db_ms_per_question(before, after, ["database:b"], 10) == 900.0  # new backend
    assert db_ms_per_question(None, after, ["database:a"], 10) is None


def test_dsn_for_database_keeps_server_user_and_options() -> None:
    dsn = "postgresql://postgres:pw@127.0.0.1:5432/opsflow?sslmode=disable"
    assert (
        dsn_for_database(dsn, "opsflow_scale_xlarge")
        == "postgresql://postgres:pw@127.0.0.1:5432/opsflow_scale_xlarge?sslmode=disable"
    )


def test_pairs_alternate_which_tier_goes_first() -> None:
    assert [pair_order(i) for i in range(3)] == [
        ("small", "xlarge"),
        ("xlarge", "small"),
        ("small", "xlarge"),
    ]


def test_ratio_figures_pool_passes_and_pairs() -> None:
    small = [100.0, 200.0, 100.0, 300.0]
    xlarge = [110.0, 180.0, 150.0, 300.0]
    out = ratio_figures(small, xlarge, [(small[:2], xlarge[:2]), (small[2:], xlarge[2:])])
    assert out["p50_ratio"] == pytest.approx(165 / 150, abs=1e-3)
    assert out["p50_ratio_per_pass"] == [0.967, 1.125]
    assert out["p50_ratio_spread"] == [0.967, 1.125]
    # Pair ratios 1.1, 0.9, 1.5, 1.0: sorted 0.9, 1.0, 1.1, 1.5.
    assert out["pair_ratio_quantiles"]["p50"] == 1.05
