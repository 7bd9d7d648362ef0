"""Column references resolved against the schema and the sources in scope.

PostgreSQL reads `alias.f` as the function call `f(alias)` when `alias` has no column
`f` (attribute notation), and unquoted `user` is CURRENT_USER: a reference that is not
a real column is never "just a column". So every column reference must name a column of
a readable table (TABLE_COLUMNS), of an in-scope CTE or derived table, of a table
function's result, or an output alias of the same query. Anything else is refused.

Visibility is checked loosely (a name visible in an enclosing query counts even where
PostgreSQL would not look), which can only accept a query the database then refuses
with "column does not exist"; it never accepts a name that is not a real column.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from sqlglot import exp

from opsflow.sql._names import fold
from opsflow.sql._policy import (
    FUNCTION_NODES,
    KEYWORD_PSEUDO_COLUMNS,
    SYSTEM_COLUMNS,
    TABLE_COLUMNS,
)

# A source's column names; None when the source is refused by another rule (an internal
# table, a refused function), so its columns need no second complaint.
Columns = tuple[str, ...] | None
CteColumns = Mapping[str, Columns]

# Set-returning functions with named output columns. The others return one column
# named after the alias (or the function); for them, and for the single-column ones
# (`value`), the alias itself also names the value, as PostgreSQL reads a whole-row
# reference to a function of one column.
_RECORD_FUNCTIONS: Final[dict[str, tuple[str, ...]]] = {
    "jsonb_each": ("key", "value"),
    "jsonb_each_text": ("key", "value"),
    "json_each": ("key", "value"),
    "json_each_text": ("key", "value"),
}
_VALUE_FUNCTIONS: Final = frozenset(
    {
        "jsonb_array_elements", "jsonb_array_elements_text", "json_array_elements",
        "json_array_elements_text",
    }
)  # fmt: skip
_SYNTAX_NAMES: Final[dict[type[exp.Expr], str]] = {
    exp.Case: "case",
    exp.If: "case",
    exp.Coalesce: "coalesce",
    exp.Nullif: "nullif",
    exp.Greatest: "greatest",
    exp.Least: "least",
    exp.Array: "array",
    exp.Exists: "exists",
}
_MAX_SHOWN: Final = 64


class Scope:
    """The sources of one query level, their columns, and the enclosing level."""

    __slots__ = ("names", "opaque", "outer", "sources")

    def __init__(
        self,
        sources: dict[str, Columns],
        names: frozenset[str],
        outer: Scope | None,
        opaque: bool,
    ) -> None:
        self.sources = sources
        self.names = names  # every unqualified name that resolves here
        self.outer = outer
        self.opaque = opaque  # a refused source: its columns are unknowable


class Resolver:
    """Computes scopes and output columns for one statement (memoised per node)."""

    __slots__ = ("_outputs", "problems")

    def __init__(self) -> None:
        self._outputs: dict[int, Columns] = {}
        self.problems: list[str] = []

    # --- scopes -----------------------------------------------------------------
    def select_scope(self, select: exp.Select, ctes: CteColumns, outer: Scope | None) -> Scope:
        sources: dict[str, Columns] = {}
        names: set[str] = set()
        opaque = False
        for item in _from_items(select):
            name, columns = self._item_columns(item, ctes)
            if columns is None:
                opaque = True
            else:
                names.update(columns)
            if name is not None:
                sources[name] = columns
        for projection in select.expressions:
            if isinstance(projection, exp.Alias):
                alias = fold(projection.args.get("alias"))
                if alias:
                    names.add(alias)
        return Scope(sources, frozenset(names), outer, opaque)

    def set_scope(self, query: exp.SetOperation, ctes: CteColumns, outer: Scope | None) -> Scope:
        """ORDER BY of UNION/INTERSECT/EXCEPT sees the output names of the first branch."""
        if query.args.get("order") is None:
            return Scope({}, frozenset(), outer, False)  # nothing at this level to resolve
        columns = self.output_columns(query, ctes)
        if columns is None:
            self._unknown("UNION/INTERSECT/EXCEPT")
        return Scope({}, frozenset(columns or ()), outer, False)

    # --- output columns -----------------------------------------------------------
    def cte_columns(self, cte: exp.CTE, ctes: CteColumns) -> Columns:
        alias = cte.args.get("alias")
        listed = alias.args.get("columns") if alias is not None else None
        if listed:
            return tuple(fold(c) or "" for c in listed)
        return self.output_columns(cte.this, ctes)

    def output_columns(self, query: exp.Expr, ctes: CteColumns) -> Columns:
        key = id(query)
        if key in self._outputs:
            return self._outputs[key]
        self._outputs[key] = None  # a cycle (malformed tree) resolves to unknown
        result = self._compute_output(query, ctes)
        self._outputs[key] = result
        return result

    def _compute_output(self, query: exp.Expr, ctes: CteColumns) -> Columns:
        # Iterative down the first branches: a long UNION chain must not recurse.
        while True:
            while isinstance(query, exp.Subquery):
                query = query.this
            with_ = query.args.get("with_")
            if isinstance(with_, exp.With):
                ctes = self.with_columns(with_, ctes)
            if not isinstance(query, exp.SetOperation):
                break
            query = query.this
        if not isinstance(query, exp.Select):
            return None
        found: list[str] = []
        sources: list[tuple[str | None, Columns]] | None = None
        for projection in query.expressions:
            if isinstance(projection, exp.Star) or (
                isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star)
            ):
                if sources is None:
                    sources = [self._item_columns(i, ctes) for i in _from_items(query)]
                qualifier = fold(projection.args.get("table"))
                for name, columns in sources:
                    if qualifier is not None and name != qualifier:
                        continue
                    if columns is None:
                        return None
                    found.extend(columns)
            else:
                found.append(output_name(projection))
        return tuple(found)

    def with_columns(self, with_: exp.With, outer: CteColumns) -> dict[str, Columns]:
        """CTE name -> columns; a recursive CTE's columns come from its first branch."""
        env = dict(outer)
        for cte in with_.expressions:
            name = fold(cte.args["alias"].this) if cte.alias else None
            if name is not None:
                env[name] = self.cte_columns(cte, env)
        return env

    # --- FROM items ---------------------------------------------------------------
    def _item_columns(self, item: exp.Expr, ctes: CteColumns) -> tuple[str | None, Columns]:
        alias = item.args.get("alias")
        alias_name = fold(alias.this) if isinstance(alias, exp.TableAlias) else None
        listed = alias.args.get("columns") if isinstance(alias, exp.TableAlias) else None
        listed_names = tuple(fold(c) or "" for c in listed) if listed else None
        if isinstance(item, exp.Table):
            target = item.this
            if isinstance(target, exp.Identifier):
                name = fold(target) or ""
                columns: Columns
                if item.args.get("db") is None and name in ctes:
                    columns = listed_names or ctes[name]
                    if columns is None:
                        self._unknown(name)
                else:
                    # None: not a readable table, refused by the relation rules.
                    columns = listed_names or TABLE_COLUMNS.get(name)
                return alias_name or name, columns
            return self._function_item(target, alias_name, listed_names, item)
        if isinstance(item, exp.Unnest):
            own = alias_name or "unnest"
            columns = listed_names or (own,) * max(len(item.expressions), 1)
            offset = item.args.get("offset")
            # WITH ORDINALITY: sqlglot keeps a listed name for it as `offset`.
            if isinstance(offset, exp.Identifier):
                columns += (fold(offset) or "",)
            elif offset:
                columns += ("ordinality",)
            return own, columns
        if isinstance(item, exp.Lateral):
            inner = item.this
            if isinstance(inner, exp.Subquery):
                return alias_name, listed_names or self._derived(inner, ctes, alias_name)
            return self._function_item(inner, alias_name, listed_names, item)
        if isinstance(item, exp.Subquery):
            return alias_name, listed_names or self._derived(item, ctes, alias_name)
        if isinstance(item, exp.Values):
            width = len(item.expressions[0].expressions) if item.expressions else 0
            generated = tuple(f"column{i + 1}" for i in range(width))
            return alias_name, listed_names or generated
        self.problems.append(
            f"the columns of FROM item {type(item).__name__} cannot be resolved; "
            "read tables, CTEs, subqueries or set-returning functions directly"
        )
        return alias_name, None

    def _derived(self, query: exp.Expr, ctes: CteColumns, name: str | None) -> Columns:
        columns = self.output_columns(query, ctes)
        if columns is None:
            self._unknown(name or "a subquery")
        return columns

    def _unknown(self, name: str) -> None:
        # Never "anything goes" for a source whose columns are unknown: that would let
        # `name.function` through. Refused sources also end here; one more message then.
        self.problems.append(
            f"the columns of {_shown(name)} cannot be determined; "
            f"name them, as in {name[:64]}(a, b) or with aliases in its SELECT list"
        )

    def _function_item(
        self,
        function: exp.Expr,
        alias_name: str | None,
        listed: tuple[str, ...] | None,
        item: exp.Expr,
    ) -> tuple[str | None, Columns]:
        name = _function_name(function)
        if name is None:
            return alias_name, None  # not a function: refused by the node rules
        own = alias_name or name
        if listed:
            return own, listed
        columns = _RECORD_FUNCTIONS.get(name) or (
            ("value", own) if name in _VALUE_FUNCTIONS else (own,)
        )
        if item.args.get("ordinality"):
            columns += ("ordinality",)
        return own, columns


def _from_items(select: exp.Select) -> list[exp.Expr]:
    items: list[exp.Expr] = []
    from_ = select.args.get("from_")
    if from_ is not None:
        items.append(from_.this)
    for join in select.args.get("joins") or ():
        items.append(join.this)
    return items


def _function_name(function: exp.Expr) -> str | None:
    if isinstance(function, exp.Anonymous):
        return fold(str(function.name))
    names = FUNCTION_NODES.get(type(function))
    if names:
        return names[0]
    return None


def output_name(projection: exp.Expr) -> str:
    """The name PostgreSQL gives a select-list item (FigureColname, simplified)."""
    node = projection
    while True:
        if isinstance(node, exp.Alias):
            return fold(node.args.get("alias")) or "?column?"
        if isinstance(node, exp.Column):
            return fold(node.this) or "?column?"
        if isinstance(node, exp.Cast | exp.Paren):
            node = node.this
            continue
        syntax = _SYNTAX_NAMES.get(type(node))
        if syntax is not None:
            return syntax
        return _function_name(node) or "?column?"


def _shown(text: str) -> str:
    return repr(text if len(text) <= _MAX_SHOWN else text[:_MAX_SHOWN] + "...")


def column_violation(column: exp.Column, scope: Scope | None) -> str | None:
    """Why `column` is not a real column of a source in scope, or None when it is."""
    name_node = column.this
    if isinstance(name_node, exp.Star):
        qualifier = fold(column.args.get("table"))
        if qualifier is None or _find_source(scope, qualifier) is not _MISSING:
            return None
        return f"{_shown(qualifier)}.* names no table, CTE or subquery in scope"
    if not isinstance(name_node, exp.Identifier):
        return "this column reference cannot be resolved"
    if column.args.get("db") is not None or column.args.get("catalog") is not None:
        return "schema-qualified column references are not allowed; use the table alias"
    name = fold(name_node) or ""
    if name in SYSTEM_COLUMNS:
        return f"system column {name} is not readable"
    table = column.args.get("table")
    if table is None:
        if not name_node.quoted and name in KEYWORD_PSEUDO_COLUMNS:
            return f"{name} is a keyword that reads a session value, not a column"
        level = scope
        while level is not None:
            if level.opaque or name in level.names:
                return None
            level = level.outer
        return f"column {_shown(name)} does not exist in the tables in scope"
    qualifier = fold(table) or ""
    columns = _find_source(scope, qualifier)
    if columns is _MISSING:
        return f"{_shown(qualifier)} names no table, CTE or subquery in scope"
    if columns is None or name in columns:
        return None
    # PostgreSQL would run `qualifier.name` as the function call name(qualifier).
    return (
        f"{_shown(qualifier)} has no column {_shown(name)} "
        "(attribute notation such as alias.function is not allowed)"
    )


_MISSING: Final = ("\0missing",)


def _find_source(scope: Scope | None, qualifier: str) -> Columns:
    level = scope
    while level is not None:
        if qualifier in level.sources:
            return level.sources[qualifier]
        level = level.outer
    return _MISSING
