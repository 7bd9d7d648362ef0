"""One walk over every node of a parsed statement, applying every per-node rule.

The walk carries the CTE names in scope (so `FROM x` can be told from a table) and its
depth (so a pathological tree is refused instead of exhausting the stack). Statement
nodes found below the root are reported and not descended into; everything else is
descended into even when refused, so one run reports every problem.
"""

from __future__ import annotations

from typing import Final

from sqlglot import exp

from opsflow.sql._columns import Columns, CteColumns, Resolver, Scope, column_violation
from opsflow.sql._limits import recursive_growth_violation, size_violation
from opsflow.sql._models import (
    SQL_CATALOG,
    SQL_COLUMN,
    SQL_FUNCTION,
    SQL_NODE,
    SQL_NOT_SELECT,
    SQL_SCHEMA,
    SQL_SIZE,
    SQL_TABLE,
    SQL_TENANT,
    SQL_TOO_LARGE,
    Violations,
)
from opsflow.sql._names import MAX_IDENTIFIER_BYTES, ascii_lower, fold, too_long
from opsflow.sql._policy import (
    ALLOWED_ANONYMOUS_FUNCTIONS,
    ALLOWED_FUNCTIONS,
    ALLOWED_NODES,
    ALLOWED_SCHEMAS,
    ALLOWED_TABLES,
    ALLOWED_TYPES,
    CATALOG_SCHEMAS,
    INTERNAL_TABLES,
    MAX_AST_DEPTH,
    SAFE_VAR,
    TABLE_ANONYMOUS_FUNCTIONS,
    TABLE_FUNCTIONS,
    TENANT_TABLES,
)
from opsflow.sql._statement import statement_violation
from opsflow.sql._tenant import check_select, tenant_column_violation

_READABLE: Final = ", ".join(sorted(ALLOWED_TABLES))

# Sentences for refused constructs people are likely to write; others name the class.
_CONSTRUCT_MESSAGES: Final[dict[type[exp.Expr], str]] = {
    exp.Parameter: "query parameters ($1) are not allowed; write the value as a literal",
    exp.Placeholder: "placeholders (?, :name) are not allowed; write the value as a literal",
    exp.RawString: "dollar-quoted strings are not allowed; use a '...' string literal",
    exp.ByteString: "E'...' escape strings are not allowed; use a '...' string literal",
    exp.UnicodeString: "U&'...' strings are not allowed; use a '...' string literal",
    exp.Collate: "COLLATE is not allowed",
    exp.TableSample: "TABLESAMPLE is not allowed",
    exp.ColumnDef: "column definition lists (AS t(x int)) are not allowed",
    exp.ObjectIdentifier: "casts to object identifier types (regclass, oid, ...) are not allowed",
    exp.Dot: "field access with '.' on an expression is not allowed",
    exp.Slice: "array slices are not allowed",
}

# Typed functions whose sqlglot name differs from what was written.
_FUNCTION_NAMES: Final[dict[type[exp.Expr], str]] = {
    exp.CurrentVersion: "version",
}


_ALLOWED: Final = ALLOWED_NODES | ALLOWED_FUNCTIONS
# Node kinds with rules beyond "is this kind allowed" (see TreeChecker._check_node).
_INSPECTED: Final[frozenset[type[exp.Expr]]] = frozenset(
    {
        exp.Select, exp.Table, exp.Lateral, exp.Column, exp.Var, exp.DataType,
        exp.Union, exp.Intersect, exp.Except, exp.Identifier,
        exp.ExplodingGenerateSeries, exp.GenerateSeries, exp.Pad, exp.Repeat,
    }
)  # fmt: skip
_SET_KINDS: Final = frozenset({exp.Union, exp.Intersect, exp.Except})
_QUERY_KINDS: Final[tuple[type[exp.Expr], ...]] = (exp.Select, exp.SetOperation, exp.Subquery)


def _function_name(node: exp.Expr) -> str:
    """The function's name as written, folded (sqlglot renames some typed functions)."""
    if isinstance(node, exp.Anonymous):
        return ascii_lower(str(node.name))
    if isinstance(node, exp.Func):
        return _FUNCTION_NAMES.get(type(node)) or node.sql_name().lower()
    return type(node).__name__


def _is_table_name(name: str) -> bool:
    lowered = ascii_lower(name)
    return lowered in TENANT_TABLES or lowered in INTERNAL_TABLES or lowered.startswith("pg_")


class _TooDeep(Exception):
    """The tree is deeper than MAX_AST_DEPTH; unwinds the walk in one step."""


class TreeChecker:
    """Applies the node, function, relation and tenant rules to one statement tree."""

    def __init__(self, tenant_id: str, out: Violations, visited: list[exp.Expr]) -> None:
        """Every node the walk reaches is appended to `visited`, for _parse.unlink."""
        self._tenant_id = tenant_id
        self._out = out
        self._seen = visited.append
        # ids of tables that are direct FROM/JOIN items of a SELECT whose tenant filter
        # was checked; an ops table anywhere else is refused (its filter is unknowable).
        self._checked_sources: set[int] = set()
        self._resolver = Resolver()

    def check(self, root: exp.Expr) -> None:
        try:
            self._visit(root, 0, {}, None)
        except _TooDeep:
            self._out.add(
                SQL_TOO_LARGE,
                f"the statement's syntax tree is nested more than {MAX_AST_DEPTH} levels deep",
            )

    def _visit(self, node: exp.Expr, depth: int, ctes: CteColumns, scope: Scope | None) -> None:
        if depth > MAX_AST_DEPTH:
            raise _TooDeep
        self._seen(node)
        # Exact types, not isinstance: a subclass sqlglot adds later is a new node kind
        # and must be reviewed before it is allowed.
        kind = type(node)
        if kind not in _ALLOWED:
            statement = statement_violation(node)
            if statement is not None:
                self._out.add(*statement)
                return
            self._refuse(node)
        args = node.args
        with_ = args.get("with_")
        if with_ is not None:
            ctes = self._visit_with(with_, depth + 1, ctes, scope)
        if kind in _INSPECTED:
            self._check_node(node, ctes, scope)
            if kind is exp.Select:
                scope = self._scope(self._resolver.select_scope(node, ctes, scope))  # type: ignore[arg-type]
            elif kind in _SET_KINDS:
                scope = self._scope(self._resolver.set_scope(node, ctes, scope))  # type: ignore[arg-type]
        depth += 1
        for value in args.values():
            if type(value) is list:
                for item in value:
                    if isinstance(item, exp.Expr):
                        self._visit(item, depth, ctes, scope)
            elif isinstance(value, exp.Expr) and value is not with_:
                self._visit(value, depth, ctes, scope)

    def _scope(self, scope: Scope) -> Scope:
        for problem in self._resolver.problems:
            self._out.add(SQL_COLUMN, problem)
        self._resolver.problems.clear()
        return scope

    def _visit_with(
        self, with_: exp.Expr, depth: int, outer: CteColumns, scope: Scope | None
    ) -> CteColumns:
        """Visit CTE bodies with the names each may see; return the names the query sees.

        Without RECURSIVE a CTE sees only earlier siblings, so in
        `WITH ci AS (SELECT * FROM ci)` the inner `ci` is the real table and is checked.
        """
        if depth > MAX_AST_DEPTH:
            raise _TooDeep
        if type(with_) is not exp.With:
            self._refuse(with_)
        ctes = list(with_.expressions)
        names = [fold(cte.args["alias"].this) if cte.alias else None for cte in ctes]
        for name in names:
            # Shadowing is legal SQL, but whether `ci` means the CTE or the table then
            # hangs on scoping rules; refusing it keeps every `ci` unambiguous.
            if name is not None and _is_table_name(name):
                self._out.add(
                    SQL_TABLE,
                    f"the CTE name {name[:64]!r} shadows a table; give the CTE another name",
                )
        recursive = bool(with_.args.get("recursive"))
        # Columns of each CTE as its later siblings (and, if recursive, itself) see them.
        every: dict[str, Columns] = dict(outer)
        if recursive:
            for name in names:
                if name is not None:
                    every[name] = None  # its own body, until its columns are known
        seen: dict[str, Columns] = dict(every if recursive else outer)
        for cte, name in zip(ctes, names, strict=True):
            columns = self._resolver.cte_columns(cte, seen)
            if name is not None:
                seen[name] = columns
                if recursive:
                    growth = recursive_growth_violation(name, cte.this, columns)
                    if growth is not None:
                        self._out.add(SQL_SIZE, growth)
        for index, cte in enumerate(ctes):
            visible = seen if recursive else {**outer, **{n: seen[n] for n in names[:index] if n}}
            self._visit(cte, depth + 1, visible, scope)
        for key, value in with_.args.items():
            if key != "expressions" and isinstance(value, exp.Expr):
                self._visit(value, depth + 1, seen, scope)
        self._seen(with_)
        for problem in self._resolver.problems:
            self._out.add(SQL_COLUMN, problem)
        self._resolver.problems.clear()
        return seen

    def _check_node(self, node: exp.Expr, ctes: CteColumns, scope: Scope | None) -> None:
        kind = type(node)
        if kind is exp.Identifier:  # the most frequent inspected kind, so tested first
            if too_long(node):  # type: ignore[arg-type]
                self._out.add(
                    SQL_NODE,
                    f"identifiers longer than {MAX_IDENTIFIER_BYTES} bytes are not allowed",
                )
        elif kind is exp.Column:
            problem = tenant_column_violation(node, self._tenant_id)  # type: ignore[arg-type]
            if problem is not None:
                self._out.add(SQL_TENANT, problem)
            unresolved = column_violation(node, scope)  # type: ignore[arg-type]
            if unresolved is not None:
                self._out.add(SQL_COLUMN, unresolved)
        elif isinstance(node, exp.Select):
            tables = check_select(node, ctes, self._tenant_id, self._out)
            self._checked_sources.update(id(table) for table in tables)
        elif isinstance(node, exp.Table):
            self._check_table(node, ctes)
        elif isinstance(node, exp.Lateral):
            self._check_table_function(node.this)
        elif isinstance(node, exp.SetOperation):
            # sqlglot accepts `'x' UNION SELECT ...`; Postgres would not, and neither do we.
            for branch in (node.this, node.expression):
                if not isinstance(branch, _QUERY_KINDS):
                    self._out.add(
                        SQL_NOT_SELECT,
                        "each side of UNION/INTERSECT/EXCEPT must be a SELECT query",
                    )
        elif kind is exp.Var:
            text = str(node.this)
            if not SAFE_VAR.fullmatch(text):
                self._out.add(
                    SQL_NODE,
                    f"the value {text[:64]!r} would be sent to the database as raw SQL; "
                    "write it as a typed literal such as TIMESTAMPTZ '...'",
                )
        elif kind is exp.DataType:
            if node.this not in ALLOWED_TYPES:
                type_name = getattr(node.this, "value", str(node.this))
                self._out.add(SQL_NODE, f"casts to type {type_name} are not allowed")
        else:  # a function whose arguments set the size of its result
            problem = size_violation(node)
            if problem is not None:
                self._out.add(SQL_SIZE, problem)

    def _refuse(self, node: exp.Expr) -> None:
        if isinstance(node, exp.Anonymous):
            name = _function_name(node)
            if name not in ALLOWED_ANONYMOUS_FUNCTIONS:
                self._out.add(SQL_FUNCTION, f"function {name} is not allowed")
        elif isinstance(node, exp.Func):
            self._out.add(SQL_FUNCTION, f"function {_function_name(node)} is not allowed")
        elif isinstance(node, exp.Dot) and isinstance(node.expression, exp.Func):
            self._out.add(
                SQL_FUNCTION,
                f"schema-qualified function calls ({node.this.name}.{node.expression.name}) "
                "are not allowed",
            )
        else:
            message = _CONSTRUCT_MESSAGES.get(type(node))
            if message is None:
                message = f"the {type(node).__name__} construct is not allowed in generated queries"
            self._out.add(SQL_NODE, message)

    def _check_table_function(self, function: exp.Expr) -> None:
        """A function used as a table must be set-returning.

        Functions that are not allowed at all are reported by _refuse when visited.
        """
        if isinstance(function, exp.Anonymous):
            name = _function_name(function)
            if name in TABLE_ANONYMOUS_FUNCTIONS or name not in ALLOWED_ANONYMOUS_FUNCTIONS:
                return
        elif type(function) not in ALLOWED_FUNCTIONS or type(function) in TABLE_FUNCTIONS:
            return  # refused as a function, a set-returning one, or not a function at all
        self._out.add(
            SQL_FUNCTION,
            f"function {_function_name(function)} cannot be used as a table; only "
            "set-returning functions such as generate_series or jsonb_array_elements can",
        )

    def _check_table(self, table: exp.Table, ctes: CteColumns) -> None:
        if not isinstance(table.this, exp.Identifier):
            self._check_table_function(table.this)
            return  # the function itself is also visited, and its name checked
        name = fold(table.this) or ""
        db = table.args.get("db")
        if table.args.get("catalog") is not None:
            self._out.add(SQL_SCHEMA, f"cross-database reference to {name} is not allowed")
            return
        if db is not None:
            schema = fold(db) or ""
            # Case-insensitive here only to choose the code: every other schema is refused too.
            if schema.lower() in CATALOG_SCHEMAS or schema.lower().startswith("pg_"):
                self._out.add(SQL_CATALOG, f"system catalog {schema}.{name} is not readable")
            elif schema not in ALLOWED_SCHEMAS:
                self._out.add(SQL_SCHEMA, f"schema {schema} is not readable; use public")
            else:
                self._check_ops_table(table, name)
        elif name not in ctes:
            self._check_ops_table(table, name)

    def _check_ops_table(self, table: exp.Table, name: str) -> None:
        lowered = name
        if lowered.startswith("pg_") or lowered in CATALOG_SCHEMAS:
            self._out.add(SQL_CATALOG, f"system catalog {name} is not readable")
        elif name in ALLOWED_TABLES:
            if id(table) not in self._checked_sources:
                self._out.add(
                    SQL_TENANT,
                    f"table {name} is used where its tenant filter cannot be checked; "
                    "read it directly in the FROM or a JOIN of a SELECT",
                )
        elif lowered in INTERNAL_TABLES:
            self._out.add(
                SQL_TABLE,
                f"table {lowered} is not readable by generated queries "
                f"({INTERNAL_TABLES[lowered]})",
            )
        else:
            self._out.add(
                SQL_TABLE, f"unknown table {name[:64]!r}; readable tables are {_READABLE}"
            )
