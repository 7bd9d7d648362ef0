"""Importing long-format telemetry CSVs into a real PostgreSQL."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from opsflow.errors import UnknownTenantError, ValidationError
from opsflow_app.importer import ci_id_for, import_telemetry
from opsflow_app.seed import generate_tenant, load_dataset

pytestmark = pytest.mark.integration

T0 = 1_735_732_800  # 2025-01-01T12:00:00Z
PETSHOP = Path("/work/shared/data/petshop/dataset/low_traffic")


def write(path: Path, text: str) -> Path:
    path.write_text(text.strip() + "\n")
    return path


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Any]:
    return {
        "metrics": write(
            tmp_path / "metrics.csv",
            f"""
ts,ci,metric,value
{T0},web,latency_p95,100
{T0 + 60}.0,web,latency_p95,110.5
2025-01-01T12:02:00Z,web,latency_p95,120
2025-01-01 12:03:00,web,latency_p95,130
{T0 + 300},web,latency_p95,200
{T0},db,cpu,40
{T0 + 60},db,cpu,NaN
{T0 + 120},db,cpu,
{T0 + 180},db,cpu,50
{T0 + 180},db,cpu,55
""",
        ),
        "graph": write(
            tmp_path / "graph.csv",
            """
source,target,relation
web,db,
web,host-1,runs_on
""",
        ),
        "events": write(
            tmp_path / "events.csv",
            f"""
ts,ci,kind,severity,message
{T0 + 30},web,deploy,info,"Deployed web v2, ""canary"" done"
2025-01-01T12:04:00+00:00,db,alert,warning,db cpu high
{T0 + 90},,config_change,,global flag flipped
""",
        ),
        "cis": write(
            tmp_path / "cis.csv",
            """
name,ci_type,owner
db,database,team-a
host-1,host,team-b
""",
        ),
    }


async def table_counts(conn: asyncpg.Connection, tenant: str) -> dict[str, int]:
    out = {}
    for table in (
        "ci",
        "ci_relation",
        "metric_sample",
        "metric_rollup",
        "event",
        "topology_snapshot",
    ):
        out[table] = await conn.fetchval(
            f"SELECT count(*) FROM {table} WHERE tenant_id = $1", tenant
        )
    return out


async def test_round_trip(conn: asyncpg.Connection, files: dict[str, Any]) -> None:
    stats = await import_telemetry(conn, "t_lab", **files)
    assert (stats.cis_created, stats.relations_written, stats.events_written) == (3, 2, 3)
    assert stats.samples_written == 7 and stats.samples_unchanged == 0
    assert stats.gaps_skipped == 2 and stats.duplicate_samples == 1
    assert stats.rows_read == 10 + 2 + 3 + 2
    assert stats.ts_min == datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
    assert stats.ts_max == datetime(2025, 1, 1, 12, 5, tzinfo=UTC)
    assert stats.ignored_columns == {"cis.csv": ["owner"]}

    rows = await conn.fetch("SELECT name, ci_type FROM ci WHERE tenant_id = 't_lab'")
    types = {r["name"]: r["ci_type"] for r in rows}
    assert types == {"web": "service", "db": "database", "host-1": "host"}
    assert await conn.fetchval(
        "SELECT id FROM ci WHERE tenant_id = 't_lab' AND name = 'web'"
    ) == ci_id_for("web")
    assert await conn.fetchval("SELECT name FROM tenant WHERE id = 't_lab'") == "t_lab"
    web = ci_id_for("web")
    series = await conn.fetch(
        "SELECT ts, value FROM metric_sample WHERE tenant_id = 't_lab' AND ci_id = $1 ORDER BY ts",
        web,
    )
    assert [r["value"] for r in series] == [100, 110.5, 120, 130, 200]
    assert (
        await conn.fetchval(
            "SELECT value FROM metric_sample WHERE tenant_id = 't_lab' AND metric = 'cpu'"
            " AND ts = $1",
            datetime.fromtimestamp(T0 + 180, UTC),
        )
        == 55
    )  # the later duplicate wins
    rollups = await conn.fetch(
        "SELECT bucket, avg, min, max, count FROM metric_rollup"
        " WHERE tenant_id = 't_lab' AND ci_id = $1 ORDER BY bucket",
        web,
    )
    assert [tuple(r) for r in rollups] == [
        (datetime(2025, 1, 1, 12, 0, tzinfo=UTC), 115.125, 100, 130, 4),
        (datetime(2025, 1, 1, 12, 5, tzinfo=UTC), 200, 200, 200, 1),
    ]
    events = await conn.fetch(
        "SELECT ci_id, kind, severity, message FROM event WHERE tenant_id = 't_lab' ORDER BY ts"
    )
    assert [tuple(e) for e in events] == [
        (web, "deploy", "info", 'Deployed web v2, "canary" done'),
        (None, "config_change", "info", "global flag flipped"),
        (ci_id_for("db"), "alert", "warning", "db cpu high"),
    ]
    edges = json.loads(
        await conn.fetchval("SELECT edges::text FROM topology_snapshot WHERE tenant_id = 't_lab'")
    )
    assert [(e["source"], e["target"], e["relation"]) for e in edges] == [
        ("web", "db", "depends_on"),
        ("web", "host-1", "runs_on"),
    ]


async def test_reimport_writes_nothing_new(conn: asyncpg.Connection, files: dict[str, Any]) -> None:
    await import_telemetry(conn, "t_lab", **files)
    before = await table_counts(conn, "t_lab")
    again = await import_telemetry(conn, "t_lab", **files)
    assert (
        again.cis_created,
        again.relations_written,
        again.samples_written,
        again.events_written,
    ) == (0, 0, 0, 0)
    assert again.samples_unchanged == 7
    assert await table_counts(conn, "t_lab") == before


@pytest.mark.parametrize(
    ("name", "bad_line", "expected"),
    [
        ("metrics", "abc,web,cpu,1", "metrics.csv line 4: ts 'abc'"),
        ("metrics", f"{T0},web,cpu,fast", "metrics.csv line 4: value 'fast' is not a number"),
        ("metrics", f"{T0},web,cpu,inf", "metrics.csv line 4: value 'inf' is not finite"),
        ("metrics", f"{T0 * 1000},web,cpu,1", "metrics.csv line 4: ts 1735732800000"),
        ("metrics", f"{T0},web,cpu", "metrics.csv line 4: has 3 fields"),
        ("metrics", f"{T0},,cpu,1", "metrics.csv line 4: ci is empty"),
        ("metrics", f"{T0},web,cpu load,1", "metrics.csv line 4: metric 'cpu load'"),
        ("graph", "web,web,", "graph.csv line 4: web cannot depend on itself"),
        ("events", f"{T0},web,deploy,urgent,x", "events.csv line 4: severity 'urgent'"),
        ("cis", "db,queue,team-c", "cis.csv line 4: db declared as database on line 2"),
    ],
)
async def test_bad_row_names_file_and_line_and_loads_nothing(
    conn: asyncpg.Connection,
    files: dict[str, Any],
    name: str,
    bad_line: str,
    expected: str,
) -> None:
    path = files[name]
    lines = path.read_text().splitlines()
    lines.insert(3, bad_line)  # becomes physical line 4 (header is line 1)
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ValidationError) as caught:
        await import_telemetry(conn, "t_lab", **files)
    err = caught.value
    assert err.code == "IMPORT_BAD_ROW"
    assert expected in err.message, err.message
    assert err.details and err.details[0]["file"] == path.name
    assert await conn.fetchval("SELECT count(*) FROM tenant") == 0
    assert await conn.fetchval("SELECT count(*) FROM ci") == 0


async def test_many_bad_rows_are_listed(conn: asyncpg.Connection, tmp_path: Path) -> None:
    rows = "\n".join(f"{T0 + i},web,cpu,x{i}" for i in range(30))
    metrics = write(tmp_path / "metrics.csv", "ts,ci,metric,value\n" + rows)
    with pytest.raises(ValidationError) as caught:
        await import_telemetry(conn, "t_lab", metrics=metrics)
    assert "metrics.csv line 2:" in caught.value.message and "19 more" in caught.value.message
    assert len(caught.value.details) == 20


async def test_header_is_required(conn: asyncpg.Connection, tmp_path: Path) -> None:
    metrics = write(tmp_path / "metrics.csv", f"{T0},web,cpu,1")
    with pytest.raises(ValidationError, match=r"metrics.csv line 1: header lacks"):
        await import_telemetry(conn, "t_lab", metrics=metrics)


async def test_rollups_are_refreshed_for_touched_buckets(
    conn: asyncpg.Connection, tmp_path: Path
) -> None:
    first = write(tmp_path / "a.csv", f"ts,ci,metric,value\n{T0},web,rps,1\n{T0 + 60},web,rps,2")
    await import_telemetry(conn, "t_lab", metrics=first)
    # A later file: one more sample in the same bucket, one corrected value, a new bucket.
    second = write(
        tmp_path / "b.csv",
        f"ts,ci,metric,value\n{T0 + 120},web,rps,9\n{T0},web,rps,4\n{T0 + 600},web,rps,5",
    )
    stats = await import_telemetry(conn, "t_lab", metrics=second)
    assert stats.samples_written == 3 and stats.rollups_written == 2
    rollups = await conn.fetch(
        "SELECT bucket, avg, min, max, count FROM metric_rollup WHERE tenant_id = 't_lab'"
        " ORDER BY bucket"
    )
    assert [tuple(r) for r in rollups] == [
        (datetime(2025, 1, 1, 12, 0, tzinfo=UTC), 5.0, 2, 9, 3),
        (datetime(2025, 1, 1, 12, 10, tzinfo=UTC), 5.0, 5, 5, 1),
    ]


async def test_import_into_seeded_tenant_reuses_ci_ids(
    conn: asyncpg.Connection, tmp_path: Path
) -> None:
    ds = generate_tenant("t_acme", seed=7, size="small", end=datetime(2025, 1, 1, 12, tzinfo=UTC))
    await load_dataset(conn, ds)
    seeded_id = ds.ci_by_name("checkout-api").id
    metrics = write(tmp_path / "m.csv", f"ts,ci,metric,value\n{T0 + 3600},checkout-api,rps,42")
    cis = write(tmp_path / "c.csv", "name,ci_type\ncheckout-api,service")
    stats = await import_telemetry(conn, "t_acme", metrics=metrics, cis=cis)
    assert stats.cis_created == 0 and stats.cis_retyped == 0 and stats.samples_written == 1
    assert (
        await conn.fetchval(
            "SELECT ci_id FROM metric_sample WHERE tenant_id = 't_acme' AND metric = 'rps'"
            " AND ts = $1",
            datetime.fromtimestamp(T0 + 3600, UTC),
        )
        == seeded_id
    )
    snapshot = await conn.fetchval(
        "SELECT jsonb_array_length(edges) FROM topology_snapshot WHERE tenant_id = 't_acme'"
    )
    assert snapshot == len(ds.relations)


async def test_unknown_tenant_without_create(conn: asyncpg.Connection, tmp_path: Path) -> None:
    metrics = write(tmp_path / "m.csv", f"ts,ci,metric,value\n{T0},web,rps,1")
    with pytest.raises(UnknownTenantError):
        await import_telemetry(conn, "t_nobody", metrics=metrics, create_tenant=False)
    assert await conn.fetchval("SELECT count(*) FROM ci") == 0


async def test_database_failure_rolls_back_everything(
    conn: asyncpg.Connection, files: dict[str, Any]
) -> None:
    # Another name already holds the id that "web" would get: the import must fail whole.
    await conn.execute("INSERT INTO tenant (id, name) VALUES ('t_lab', 'Lab')")
    await conn.execute(
        "INSERT INTO ci (tenant_id, id, name, ci_type) VALUES ('t_lab', $1, 'squatter', 'host')",
        ci_id_for("web"),
    )
    with pytest.raises(ValidationError) as caught:
        await import_telemetry(conn, "t_lab", **files)
    assert caught.value.code == "IMPORT_CI_CONFLICT"
    assert await table_counts(conn, "t_lab") == {
        "ci": 1,
        "ci_relation": 0,
        "metric_sample": 0,
        "metric_rollup": 0,
        "event": 0,
        "topology_snapshot": 0,
    }


@pytest.mark.skipif(not PETSHOP.exists(), reason="PetShop dataset not present")
async def test_petshop_issue_converted_to_long_format(
    conn: asyncpg.Connection, tmp_path: Path
) -> None:
    """A minimal conversion of the real PetShop files (three header rows, wide matrix,
    adjacency-matrix graph) proves the importer copes with its names and gaps."""
    with (PETSHOP / "test/issue_0/metrics.csv").open(newline="") as fh:
        rows = list(csv.reader(fh))
    nodes, metrics, stats = rows[0], rows[1], rows[2]
    with (tmp_path / "metrics.csv").open("w", newline="") as out:
        w = csv.writer(out)
        w.writerow(["ts", "ci", "metric", "value"])
        for row in rows[4:]:
            for i in range(1, len(row)):
                w.writerow([row[0], nodes[i], f"{metrics[i]}_{stats[i].lower()}", row[i]])
    with (PETSHOP / "graph.csv").open(newline="") as fh:
        matrix = list(csv.reader(fh))
    with (tmp_path / "graph.csv").open("w", newline="") as out:
        w = csv.writer(out)
        w.writerow(["source", "target"])
        for row in matrix[1:]:
            w.writerows([row[0], matrix[0][j]] for j in range(1, len(row)) if row[j] == "1.0")
    stats_ = await import_telemetry(
        conn, "t_petshop", metrics=tmp_path / "metrics.csv", graph=tmp_path / "graph.csv"
    )
    cells = sum(len(r) - 1 for r in rows[4:])
    assert stats_.samples_written + stats_.gaps_skipped == cells
    assert stats_.gaps_skipped > 0 and stats_.relations_written > 40
    assert (
        await conn.fetchval(
            "SELECT count(*) FROM ci WHERE tenant_id = 't_petshop' AND name = 'PetSite'"
        )
        == 1
    )
