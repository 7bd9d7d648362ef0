"""What LLM-written SQL may contain: every list here is an allowlist.

A node class, function or type that is not named here is refused, so a sqlglot upgrade
that parses something new into a new node kind fails closed. Each entry was added for a
legitimate analytical need; when adding one, ask whether it can read another tenant's
rows, change state, wait, or reach outside the ops tables.
"""

from __future__ import annotations

import re
from typing import Final

from sqlglot import exp

# Tenant-keyed tables, and the column that carries the tenant. `tenant` is keyed by its
# own `id`; it is deliberately *not* readable (see ALLOWED_TABLES), so its key never has
# to be matched and the tenant id is never something the SQL can choose.
TENANT_TABLES: Final = frozenset(
    {"ci", "ci_relation", "metric_sample", "metric_rollup", "event", "topology_snapshot", "tenant"}
)
TENANT_COLUMN: Final = "tenant_id"

# Columns of the readable tables, as in opsflow/db/migrations (a test compares them with
# the database): a column reference must name one of these, or a column of an in-scope
# CTE, derived table or table function. Anything else is refused, because PostgreSQL
# reads `alias.f` as the call `f(alias)` when the table has no column `f`.
TABLE_COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "ci": (
        "tenant_id", "id", "name", "ci_type", "environment", "status", "attributes",
        "created_at", "updated_at",
    ),
    "ci_relation": ("tenant_id", "source_id", "target_id", "relation"),
    "metric_sample": ("tenant_id", "ci_id", "metric", "ts", "value"),
    "metric_rollup": ("tenant_id", "ci_id", "metric", "bucket", "avg", "min", "max", "count"),
    "event": ("tenant_id", "id", "ci_id", "ts", "kind", "severity", "message", "payload"),
}  # fmt: skip

# Keywords PostgreSQL evaluates where an unquoted name stands (USER is CURRENT_USER) and
# system columns every table has (ctid and xmin expose physical layout: gaps in ctid
# count other tenants' rows). Refused as column names, whatever their source.
KEYWORD_PSEUDO_COLUMNS: Final = frozenset(
    {
        "user", "current_user", "current_role", "session_user", "system_user",
        "current_catalog", "current_schema",
    }
)  # fmt: skip
SYSTEM_COLUMNS: Final = frozenset({"ctid", "xmin", "xmax", "cmin", "cmax", "tableoid", "oid"})

# What generated SQL may read: all tenant-keyed, so every read gets a tenant filter.
# `topology_snapshot` serves a fallback tool, `tenant` names other customers, the rest
# is internal; none of them answers an operations question.
ALLOWED_TABLES: Final = frozenset({"ci", "ci_relation", "metric_sample", "metric_rollup", "event"})

ALLOWED_SCHEMAS: Final = frozenset({"public"})
CATALOG_SCHEMAS: Final = frozenset({"pg_catalog", "information_schema"})

# Typed nodes sqlglot builds for known functions, each with the PostgreSQL functions
# its rendering calls: the names are the database's EXECUTE allowlist (see
# opsflow/db/function_acl.py), so the validator and the grants come from this one table.
# Nodes that render as syntax rather than a function call (CASE, COALESCE, CAST...) have
# no names; a cast's function comes from the cast itself (see function_acl).
FUNCTION_NODES: Final[dict[type[exp.Expr], tuple[str, ...]]] = {
    # aggregates
    exp.Count: ("count",), exp.Sum: ("sum",), exp.Avg: ("avg",), exp.Min: ("min",),
    exp.Max: ("max",), exp.PercentileCont: ("percentile_cont",),
    exp.PercentileDisc: ("percentile_disc",), exp.Mode: ("mode",),
    exp.Stddev: ("stddev",), exp.StddevPop: ("stddev_pop",), exp.StddevSamp: ("stddev_samp",),
    exp.Variance: ("variance", "var_samp"), exp.VariancePop: ("var_pop",),
    exp.Corr: ("corr",), exp.CovarPop: ("covar_pop",), exp.CovarSamp: ("covar_samp",),
    exp.RegrSlope: ("regr_slope",),
    exp.GroupConcat: ("string_agg",),
    exp.ArrayAgg: ("array_agg",), exp.LogicalAnd: ("bool_and", "every"),
    exp.LogicalOr: ("bool_or",),
    exp.JSONArrayAgg: ("json_agg", "jsonb_agg"),
    exp.JSONObjectAgg: ("json_object_agg",), exp.JSONBObjectAgg: ("jsonb_object_agg",),
    exp.AnyValue: ("any_value",),
    # window functions
    exp.RowNumber: ("row_number",), exp.Rank: ("rank",), exp.DenseRank: ("dense_rank",),
    exp.Lag: ("lag",), exp.Lead: ("lead",), exp.FirstValue: ("first_value",),
    exp.LastValue: ("last_value",), exp.NthValue: ("nth_value",), exp.Ntile: ("ntile",),
    exp.PercentRank: ("percent_rank",), exp.CumeDist: ("cume_dist",),
    # date and time
    exp.TimestampTrunc: ("date_trunc",), exp.DateTrunc: ("date_trunc",),
    exp.Extract: ("extract", "date_part"),
    exp.CurrentTimestamp: ("now",), exp.CurrentDate: (), exp.CurrentTime: (),
    exp.Localtimestamp: (),
    exp.TimeToStr: ("to_char",), exp.UnixToTime: ("to_timestamp",),
    exp.StrToTime: ("to_timestamp",), exp.StrToDate: ("to_date",),
    exp.MakeInterval: ("make_interval",), exp.DateBin: ("date_bin",),
    exp.JustifyInterval: ("justify_interval",), exp.Date: ("date",),
    # math
    exp.Abs: ("abs",), exp.Round: ("round",), exp.Ceil: ("ceil", "ceiling"),
    exp.Floor: ("floor",), exp.Greatest: (), exp.Least: (), exp.Sqrt: ("sqrt",),
    exp.Cbrt: ("cbrt",), exp.Pow: ("power", "pow"), exp.Ln: ("ln",), exp.Log: ("log", "log10"),
    exp.Exp: ("exp",), exp.Sign: ("sign",), exp.Trunc: ("trunc",),
    exp.WidthBucket: ("width_bucket",), exp.Pi: ("pi",),
    # strings
    exp.Lower: ("lower",), exp.Upper: ("upper",),
    exp.Length: ("length", "char_length", "character_length"),
    exp.Substring: ("substring", "substr"), exp.Concat: ("concat",),
    exp.ConcatWs: ("concat_ws",), exp.Trim: ("btrim", "ltrim", "rtrim"),
    exp.Replace: ("replace",), exp.SplitPart: ("split_part",),
    exp.StrPosition: ("strpos", "position"), exp.Left: ("left",), exp.Right: ("right",),
    exp.StartsWith: ("starts_with",), exp.Initcap: ("initcap",), exp.Pad: ("lpad", "rpad"),
    exp.Repeat: ("repeat",), exp.Reverse: ("reverse",),
    exp.RegexpReplace: ("regexp_replace",),
    exp.RegexpLike: (), exp.RegexpILike: (),  # ~ and ~* (operators)
    # JSON operators ->, ->>, #>, #>>, @>, <@, ?, ?|, ?&, @? (operators)
    exp.JSONExtract: (), exp.JSONExtractScalar: (), exp.JSONBExtract: (),
    exp.JSONBExtractScalar: (), exp.JSONBContains: (), exp.JSONBContainsTopKey: (),
    exp.JSONBContainsAnyTopKeys: (), exp.JSONBContainsAllTopKeys: (),
    exp.JSONBPathExists: (),
    # arrays
    exp.ArrayContainsAll: (), exp.ArrayContainedBy: (), exp.ArrayOverlaps: (),
    exp.ArraySize: ("array_length", "cardinality"), exp.ArrayPosition: ("array_position",),
    exp.ArrayToString: ("array_to_string",), exp.StringToArray: ("string_to_array",),
    exp.Explode: ("unnest",),
    # conditionals and conversions (syntax, not calls)
    exp.Coalesce: (), exp.Nullif: (), exp.Case: (), exp.If: (), exp.Cast: (),
    # set-returning, in FROM
    exp.ExplodingGenerateSeries: ("generate_series",), exp.GenerateSeries: ("generate_series",),
}  # fmt: skip
ALLOWED_FUNCTIONS: Final[frozenset[type[exp.Expr]]] = frozenset(FUNCTION_NODES)

# Functions sqlglot does not know, parsed as exp.Anonymous: matched by folded name.
ALLOWED_ANONYMOUS_FUNCTIONS: Final = frozenset(
    {
        "all",  # x = ALL(array)
        "age", "clock_timestamp", "statement_timestamp", "transaction_timestamp",
        "isfinite", "timezone", "date_part", "make_timestamptz",
        "char_length", "octet_length", "regexp_match", "every", "cardinality",
        "jsonb_agg", "jsonb_extract_path", "jsonb_extract_path_text", "json_extract_path",
        "jsonb_build_object", "json_build_object", "jsonb_build_array", "json_build_array",
        "jsonb_array_elements", "jsonb_array_elements_text", "json_array_elements",
        "json_array_elements_text", "jsonb_array_length", "json_array_length",
        "jsonb_typeof", "json_typeof", "jsonb_object_keys", "json_object_keys",
        "jsonb_each", "jsonb_each_text", "json_each", "json_each_text",
        "to_jsonb", "to_json", "jsonb_strip_nulls",
    }
)  # fmt: skip

# Functions the database may run for the tool role beyond what generated SQL can name:
# the tools' own SQL (activities/*), implicit calls behind syntax (SIMILAR TO, AT TIME
# ZONE, IS [NOT] DISTINCT FROM...), and the internal helpers of 0003_tool_limits.sql.
# Each is pure computation on its arguments; none reads settings, catalogs, sizes or
# statistics, runs SQL text, waits or takes locks.
INTERNAL_FUNCTIONS: Final = frozenset(
    {
        "similar_to_escape", "timezone", "array_length", "cardinality", "lower",
        "opsflow_tenant", "opsflow_guard_row_bytes", "octet_length",
    }
)  # fmt: skip

# Literal bounds on arguments that set a result's size (rows or characters): without
# them one row of lpad('x', 10000000) or generate_series(1, 1e10) costs gigabytes
# within the statement timeout.
MAX_SERIES_ROWS: Final = 100_000
MAX_PAD_CHARS: Final = 10_000

# What may stand in FROM (or LATERAL) as a table: set-returning functions only. Scalar
# functions there are legal but pointless, so an LLM writing one is confused.
TABLE_FUNCTIONS: Final[frozenset[type[exp.Expr]]] = frozenset(
    {exp.ExplodingGenerateSeries, exp.GenerateSeries, exp.Explode, exp.Unnest}
)
TABLE_ANONYMOUS_FUNCTIONS: Final = frozenset(
    {
        "jsonb_array_elements", "jsonb_array_elements_text", "json_array_elements",
        "json_array_elements_text", "jsonb_each", "jsonb_each_text", "json_each",
        "json_each_text", "jsonb_object_keys", "json_object_keys",
    }
)  # fmt: skip

# Structure and operators: everything a read-only analytical query needs and no more.
ALLOWED_NODES: Final[frozenset[type[exp.Expr]]] = frozenset(
    {
        exp.Select, exp.Union, exp.Intersect, exp.Except, exp.Subquery, exp.With, exp.CTE,
        exp.From, exp.Join, exp.Lateral, exp.Table, exp.TableAlias, exp.Values, exp.Tuple,
        exp.Unnest, exp.Where, exp.Group, exp.Having, exp.Order, exp.Ordered, exp.Limit,
        exp.Fetch, exp.LimitOptions, exp.Offset, exp.Distinct, exp.Window, exp.WindowSpec,
        exp.Filter, exp.WithinGroup,
        exp.Cube, exp.Rollup, exp.GroupingSets,
        exp.Column, exp.Identifier, exp.Star, exp.Alias, exp.Paren, exp.Literal, exp.Null,
        exp.Boolean, exp.Var, exp.Kwarg, exp.Interval, exp.DataType, exp.DataTypeParam,
        exp.Bracket, exp.Array, exp.AtTimeZone,
        exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.NullSafeEQ, exp.NullSafeNEQ,
        exp.And, exp.Or, exp.Not, exp.Is, exp.In, exp.Between, exp.Like, exp.ILike,
        exp.SimilarTo, exp.Escape, exp.Exists, exp.Any,
        exp.Add, exp.Sub, exp.Mul, exp.Div, exp.IntDiv, exp.Mod, exp.Neg, exp.DPipe,
        exp.JSONPath, exp.JSONPathRoot, exp.JSONPathKey, exp.JSONPathSubscript,
    }
)  # fmt: skip

# Casts may only produce plain values: no reg* object identifiers (catalog lookups by
# name), no xml, no user-defined types.
_T = exp.DataType.Type
ALLOWED_TYPES: Final = frozenset(
    {
        _T.SMALLINT, _T.INT, _T.BIGINT, _T.DECIMAL, _T.FLOAT, _T.DOUBLE,
        _T.TEXT, _T.VARCHAR, _T.CHAR, _T.BOOLEAN, _T.UUID, _T.JSON, _T.JSONB,
        _T.DATE, _T.TIME, _T.TIMETZ, _T.TIMESTAMP, _T.TIMESTAMPTZ, _T.INTERVAL, _T.ARRAY,
    }
)  # fmt: skip

# A Var is rendered verbatim, so it may only ever be a bare keyword (units such as HOUR,
# EPOCH, ALL). sqlglot turns some string literals into Vars (date_bin's origin).
SAFE_VAR: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?: [A-Za-z_][A-Za-z0-9_]*)*")

# AST depth guard: far above any plausible analytical query (the benign corpus peaks at
# 13) and far below Python's recursion limit.
MAX_AST_DEPTH: Final = 128

# Relations that exist in the ops database but are never readable, with the reason.
INTERNAL_TABLES: Final = {
    "tenant": "tenant directory, outside any one tenant's data",
    "topology_snapshot": "internal to the topology fallback tool",
    "tool_result_claim": "internal storage of tool results",
    "tool_stats": "internal tool statistics",
    "seed_incident": "evaluation ground truth",
}
