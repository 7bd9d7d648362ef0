"""Tenant isolation, decided per scope (per SELECT) on the syntax tree.

A tenant table read in a SELECT must be constrained by `<ref>.tenant_id = '<tenant>'`
in a top-level conjunct of that SELECT's WHERE, or of the ON of the join that brings
the table in. Only a conjunct cannot be bypassed: anything under OR or NOT can be made
vacuous (`... OR 1=1`). The tenant is the caller's; a literal naming any other tenant,
or any comparison on tenant_id that is not plain equality, is refused outright.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Final

from sqlglot import exp

from opsflow.sql._models import SQL_TENANT, Violations
from opsflow.sql._names import fold
from opsflow.sql._policy import ALLOWED_SCHEMAS, ALLOWED_TABLES, TENANT_COLUMN

# Joins whose ON condition does not remove rows of the joined table: the table's
# unmatched rows survive a RIGHT or FULL join, so a filter there does not isolate it.
_PRESERVING_SIDES: Final = frozenset({"RIGHT", "FULL"})

# Comparisons that select rows by tenant_id without pinning it to one tenant.
_LOOSE_PREDICATES: Final[tuple[type[exp.Expr], ...]] = (
    exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.NullSafeEQ, exp.NullSafeNEQ,
    exp.Like, exp.ILike, exp.SimilarTo, exp.RegexpLike, exp.RegexpILike, exp.Between,
    exp.Is, exp.Any,
)  # fmt: skip

_MAX_QUOTED: Final = 64  # attacker text echoed in messages is cut to this length


def _quote(text: str) -> str:
    return repr(text if len(text) <= _MAX_QUOTED else text[:_MAX_QUOTED] + "...")


def _unparen(node: exp.Expr) -> exp.Expr:
    while isinstance(node, exp.Paren):
        node = node.this
    return node


def conjuncts(condition: exp.Expr | None) -> Iterator[exp.Expr]:
    """Top-level AND terms of `condition`, looking through parentheses (iteratively)."""
    stack = [condition] if condition is not None else []
    while stack:
        node = stack.pop()
        if isinstance(node, exp.And):
            stack.append(node.expression)
            stack.append(node.this)
        elif isinstance(node, exp.Paren):
            stack.append(node.this)
        else:
            yield node


def _is_tenant_column(node: exp.Expr) -> bool:
    return (
        isinstance(node, exp.Column)
        and fold(node.this) == TENANT_COLUMN
        and node.args.get("db") is None
        and node.args.get("catalog") is None
    )


def _is_tenant_literal(node: exp.Expr, tenant_id: str) -> bool:
    return isinstance(node, exp.Literal) and node.is_string and node.this == tenant_id


def _filtered_refs(condition: exp.Expr | None, tenant_id: str) -> tuple[set[str], bool]:
    """Qualifiers `q` with a `q.tenant_id = '<tenant>'` conjunct; and was one unqualified?"""
    refs: set[str] = set()
    unqualified = False
    for term in conjuncts(condition):
        if not isinstance(term, exp.EQ):
            continue
        left, right = _unparen(term.this), _unparen(term.expression)
        if _is_tenant_literal(left, tenant_id):
            left, right = right, left
        if not (_is_tenant_column(left) and _is_tenant_literal(right, tenant_id)):
            continue
        qualifier = fold(left.args.get("table"))
        if qualifier is None:
            unqualified = True
        else:
            refs.add(qualifier)
    return refs, unqualified


@dataclass(frozen=True)
class TenantSource:
    """A tenant table read directly by a SELECT (FROM item or join), with its reference name."""

    table: exp.Table
    name: str
    ref: str
    join: exp.Join | None


def tenant_sources(select: exp.Select, ctes: Collection[str]) -> tuple[list[TenantSource], int]:
    """The SELECT's readable ops tables, and how many FROM/join items it has in all."""
    items: list[tuple[exp.Expr, exp.Join | None]] = []
    from_ = select.args.get("from_")
    if from_ is not None:
        items.append((from_.this, None))
    for join in select.args.get("joins") or ():
        items.append((join.this, join))
    found: list[TenantSource] = []
    for item, join in items:
        if not isinstance(item, exp.Table) or not isinstance(item.this, exp.Identifier):
            continue
        name = fold(item.this)
        db = item.args.get("db")
        if name is None or item.args.get("catalog") is not None:
            continue
        if db is None and name in ctes:
            continue  # an in-scope CTE shadows the table (schema-qualified never does)
        if db is not None and fold(db) not in ALLOWED_SCHEMAS:
            continue
        if name in ALLOWED_TABLES:
            alias = item.args.get("alias")
            ref = fold(alias.this) if alias is not None else None
            found.append(TenantSource(item, name, ref or name, join))
    return found, len(items)


def check_select(
    select: exp.Select, ctes: Collection[str], tenant_id: str, out: Violations
) -> list[exp.Table]:
    """Record missing tenant filters of `select`; return the tenant tables it reads directly."""
    sources, item_count = tenant_sources(select, ctes)
    if not sources:
        return []
    where = select.args.get("where")
    where_refs, where_unqualified = _filtered_refs(where.this if where else None, tenant_id)
    for source in sources:
        alias = source.table.args.get("alias")
        if alias is not None and alias.args.get("columns"):
            out.add(
                SQL_TENANT,
                f"column aliases on table {source.name} are not allowed: "
                "they could rename tenant_id",
            )
        if source.ref in where_refs or (where_unqualified and item_count == 1):
            continue
        join = source.join
        if join is not None and str(join.side or "").upper() not in _PRESERVING_SIDES:
            on_refs, _ = _filtered_refs(join.args.get("on"), tenant_id)
            if source.ref in on_refs:
                continue
        shown = source.name if source.ref == source.name else f"{source.name} (as {source.ref})"
        out.add(
            SQL_TENANT,
            f"table {shown} is read without the condition {source.ref}.tenant_id = "
            f"'{tenant_id}' as a top-level AND term of its WHERE or JOIN ... ON",
        )
    return [source.table for source in sources]


def tenant_column_violation(column: exp.Column, tenant_id: str) -> str | None:
    """Why this use of a tenant_id column could select another tenant's rows, or None."""
    if fold(column.this) != TENANT_COLUMN:
        return None
    node: exp.Expr = column
    parent = column.parent
    while isinstance(parent, exp.Paren | exp.Cast):
        node, parent = parent, parent.parent
    if isinstance(parent, exp.Tuple):
        # DISTINCT ON (tenant_id, ...) is fine; a row comparison hides the tenant literal.
        row_parent = _parent_outside_parens(parent)
        if isinstance(row_parent, exp.Binary | exp.Predicate | exp.In):
            return f"row comparisons on tenant_id are not allowed; use tenant_id = '{tenant_id}'"
        return None
    if isinstance(parent, exp.EQ | exp.In) and isinstance(_parent_outside_parens(parent), exp.Not):
        return f"a negated condition on tenant_id is not allowed; use tenant_id = '{tenant_id}'"
    if isinstance(parent, exp.EQ):
        other = _unparen(parent.expression if parent.this is node else parent.this)
        if isinstance(other, exp.Column) or _is_tenant_literal(other, tenant_id):
            return None
        if isinstance(other, exp.Literal) and other.is_string:
            return f"tenant {_quote(str(other.this))} is not the requesting tenant '{tenant_id}'"
        return f"tenant_id may only be compared with '{tenant_id}' or another tenant_id column"
    if isinstance(parent, exp.In):
        items = parent.expressions
        if parent.this is node and items and all(_is_tenant_literal(i, tenant_id) for i in items):
            return None
        others = [str(i.this) for i in items if isinstance(i, exp.Literal) and i.this != tenant_id]
        if others:
            return f"tenant {_quote(others[0])} is not the requesting tenant '{tenant_id}'"
        return f"tenant_id IN (...) may only list the requesting tenant '{tenant_id}'"
    if isinstance(parent, _LOOSE_PREDICATES):
        return f"tenant_id may only be compared for equality with '{tenant_id}'"
    return None


def _parent_outside_parens(node: exp.Expr) -> exp.Expr | None:
    parent = node.parent
    while isinstance(parent, exp.Paren):
        parent = parent.parent
    return parent
