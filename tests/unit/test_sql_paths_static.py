"""No code path reaches the database with SQL that did not come from our own constants
or from the validator: every query call's SQL argument is a literal, a module constant,
an f-string of constants, or ``verdict.safe_sql`` right after ``validate_sql``."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
QUERY_METHODS = {"fetch", "fetchrow", "fetchval", "execute", "executemany", "cursor", "prepare"}
SCANNED = ["activities", "opsflow/db", "opsflow_app/seed", "opsflow_app/importer"]
# SQL passed through a variable, each with the reason it is ours, not an LLM's.
REVIEWED = {
    ("activities/telemetry_tools.py", "sql"): "_RAW_SQL or _ROLLUP_SQL, chosen by the tool",
    ("opsflow/db/migrate.py", "migration.sql"): "migration files shipped in the package",
    ("opsflow/db/session.py", "setup"): (
        "BEGIN and set_config() of a tenant id that matched the tenant-id rule and integers"
    ),
    ("opsflow/db/function_acl.py", "'\\n'.join(statements)"): (
        "GRANT/REVOKE of signatures PostgreSQL itself printed (regprocedure)"
    ),
}


def _is_constant_sql(node: ast.expr, constants: set[str]) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return True
    if isinstance(node, ast.Name) and node.id in constants:
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _is_constant_sql(node.left, constants) and _is_constant_sql(node.right, constants)
    if isinstance(node, ast.JoinedStr):
        # f-strings may only interpolate constants (table names from our own lists).
        return all(
            isinstance(v, ast.Constant)
            or (isinstance(v, ast.FormattedValue) and _is_template_value(v.value))
            for v in node.values
        )
    return False


def _is_template_value(node: ast.expr) -> bool:
    """A name, attribute, or ``TEMPLATE.format(col='...')`` with constant arguments."""
    if isinstance(node, ast.Name | ast.Attribute):
        return True
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
        and all(isinstance(k.value, ast.Constant) for k in node.keywords)
        and not node.args
    )


def _module_constants(tree: ast.Module) -> set[str]:
    names = set()
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign | ast.AnnAssign):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            names |= {
                t.id
                for t in targets
                if (isinstance(t, ast.Name) and t.id.isupper())
                or (isinstance(t, ast.Name) and t.id.startswith("_"))
            }
    return names


def test_every_query_call_uses_constant_or_validated_sql() -> None:
    offenders = []
    for folder in SCANNED:
        for path in sorted((REPO / folder).rglob("*.py")):
            tree = ast.parse(path.read_text())
            constants = _module_constants(tree)
            for node in ast.walk(tree):
                if not (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr in QUERY_METHODS
                    and node.args
                ):
                    continue
                sql = node.args[0]
                # The validated SQL, possibly inside guarded() (the row-size wrapper).
                inner = (
                    sql.args[0]
                    if isinstance(sql, ast.Call)
                    and isinstance(sql.func, ast.Name)
                    and sql.func.id == "guarded"
                    and len(sql.args) == 1
                    else sql
                )
                validated = (
                    isinstance(inner, ast.Attribute)
                    and inner.attr == "safe_sql"
                    and path.name == "direct_query.py"
                )
                reviewed = (str(path.relative_to(REPO)), ast.unparse(sql)) in REVIEWED
                # walk_sql + _WALK_SELECT style concatenations of constants are fine.
                if not (validated or reviewed or _is_constant_sql(sql, constants | {"walk"})):
                    offenders.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert not offenders, offenders


def test_direct_query_validates_before_acquiring() -> None:
    source = (REPO / "activities" / "direct_query.py").read_text()
    assert source.index("validate_sql(") < source.index("tenant_session(")
    assert "execute(" not in source  # fetch() only: the extended protocol takes one statement
