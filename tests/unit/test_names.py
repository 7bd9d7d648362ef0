"""Each activity, tool, capability, query and workflow name is written once, in its
definition; everything else refers to the definition (checked on the AST)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from activities import PHASE_ACTIVITIES, TOOL_ACTIVITIES
from opsflow.catalog import TOOLS
from opsflow.contracts import WORKFLOW_NAME
from opsflow.models.thread import THREAD_WORKFLOW_NAME
from opsflow.names import ActivityName, Capability, ToolName
from workflows import OpsOrchestrationWorkflow
from workflows.options import activity_name
from workflows.thread import InvestigationThreadWorkflow

REPO = Path(__file__).resolve().parents[2]
# Production code. bench/rca and bench/eval.py (the root-cause evaluation) are owned by
# the analysis rewrite and left out until it lands.
SOURCES = [
    *sorted((REPO / "opsflow").rglob("*.py")),
    *sorted((REPO / "opsflow_app").rglob("*.py")),
    *sorted((REPO / "workflows").rglob("*.py")),
    *sorted((REPO / "activities").rglob("*.py")),
    *sorted(p for p in (REPO / "bench").glob("*.py") if p.name != "eval.py"),
]
DEFINITIONS = {
    REPO / "opsflow" / "names.py",
    REPO / "opsflow" / "contracts.py",
    REPO / "opsflow" / "models" / "thread.py",
}
WORKFLOWS = (OpsOrchestrationWorkflow, InvestigationThreadWorkflow)
QUERY_NAMES = {
    name for wf in WORKFLOWS for name in getattr(wf, "__temporal_workflow_definition").queries
}
# Query names are plain words ("state"): they count only where a query is sent.
NAMES = (
    {m.value for m in ToolName}
    | {m.value for m in ActivityName}
    | {m.value for m in Capability}
    | {WORKFLOW_NAME, THREAD_WORKFLOW_NAME}
)


def _not_names(tree: ast.AST) -> set[int]:
    """Docstrings and ``__all__`` entries: prose and Python symbols, not wire names."""
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            ids |= {id(c) for c in ast.walk(node.value)}
        body = getattr(node, "body", None)
        first = body[0] if isinstance(body, list) and body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
            ids.add(id(first.value))
    return ids


def _literal_names(path: Path, root: Path = REPO) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    skip = _not_names(tree)
    queried = {
        id(node.args[0])
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "query"
        and node.args
    }
    return [
        f"{path.relative_to(root)}:{node.lineno}: {node.value!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and id(node) not in skip
        and isinstance(node.value, str)
        and (node.value in NAMES or (id(node) in queried and node.value in QUERY_NAMES))
    ]


def test_no_name_is_a_string_literal_outside_its_definition() -> None:
    found = [hit for path in SOURCES if path not in DEFINITIONS for hit in _literal_names(path)]
    assert found == []


def test_the_check_finds_a_literal(tmp_path: Path) -> None:
    # The scan itself must be able to fail.
    probe = tmp_path / "probe.py"
    probe.write_text(
        '"""analyze"""\nCALL = "metric_query"\n__all__ = ["analyze"]\n'
        'KEY = "state"\nh.query("state")\n'
    )
    assert _literal_names(probe, tmp_path) == [
        "probe.py:2: 'metric_query'",
        "probe.py:5: 'state'",
    ]


def test_tool_table_covers_every_tool_under_its_own_name() -> None:
    assert set(TOOL_ACTIVITIES) == set(ToolName)
    for tool, method in TOOL_ACTIVITIES.items():
        assert activity_name(method) == tool.value
    assert {t.tool for t in TOOLS} == set(ToolName)


@pytest.mark.parametrize("method", PHASE_ACTIVITIES, ids=lambda m: m.__name__)
def test_phase_activities_are_registered_under_their_enum_name(method: object) -> None:
    assert activity_name(method) in {m.value for m in ActivityName}  # type: ignore[arg-type]
    assert {activity_name(m) for m in PHASE_ACTIVITIES} == {m.value for m in ActivityName}


def test_query_and_workflow_names() -> None:
    names = [getattr(wf, "__temporal_workflow_definition").name for wf in WORKFLOWS]
    assert names == [WORKFLOW_NAME, THREAD_WORKFLOW_NAME]
    assert {"progress", "state"} == QUERY_NAMES
