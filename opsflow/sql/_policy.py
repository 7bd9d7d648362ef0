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

# What generated SQL may read: all tenant-keyed, so every read gets a tenant filter.
# `topology_snapshot` serves a fallback tool, `tenant` names other customers, the rest
# is internal; none of them answers an operations question.
ALLOWED_TABLES: Final = frozenset({"ci", "ci_relation", "metric_sample", "metric_rollup", "event"})

ALLOWED_SCHEMAS: Final = frozenset({"public"})
CATALOG_SCHEMAS: Final = frozenset({"pg_catalog", "information_schema"})

# Typed nodes sqlglot builds for known functions. Names in comments are the SQL spelling.
ALLOWED_FUNCTIONS: Final[frozenset[type[exp.Expr]]] = frozenset(
    {
        # aggregates
        exp.Count, exp.Sum, exp.Avg, exp.Min, exp.Max,
        exp.PercentileCont, exp.PercentileDisc, exp.Mode,
        exp.Stddev, exp.StddevPop, exp.StddevSamp, exp.Variance, exp.VariancePop,
        exp.Corr, exp.CovarPop, exp.CovarSamp, exp.RegrSlope,
        exp.GroupConcat,  # string_agg
        exp.ArrayAgg, exp.LogicalAnd, exp.LogicalOr,  # array_agg, bool_and, bool_or
        exp.JSONArrayAgg, exp.JSONObjectAgg, exp.JSONBObjectAgg,  # json_agg, *_object_agg
        exp.AnyValue,
        # window functions
        exp.RowNumber, exp.Rank, exp.DenseRank, exp.Lag, exp.Lead, exp.FirstValue,
        exp.LastValue, exp.NthValue, exp.Ntile, exp.PercentRank, exp.CumeDist,
        # date and time
        exp.TimestampTrunc, exp.DateTrunc, exp.Extract,  # date_trunc, date_part, extract
        exp.CurrentTimestamp, exp.CurrentDate, exp.CurrentTime, exp.Localtimestamp,  # now()
        exp.TimeToStr, exp.UnixToTime, exp.StrToTime, exp.StrToDate,  # to_char, to_timestamp
        exp.MakeInterval, exp.DateBin, exp.JustifyInterval, exp.Date,
        # math
        exp.Abs, exp.Round, exp.Ceil, exp.Floor, exp.Greatest, exp.Least, exp.Sqrt,
        exp.Cbrt, exp.Pow, exp.Ln, exp.Log, exp.Exp, exp.Sign, exp.Trunc, exp.WidthBucket,
        exp.Pi,
        # strings
        exp.Lower, exp.Upper, exp.Length, exp.Substring, exp.Concat, exp.ConcatWs,
        exp.Trim, exp.Replace, exp.SplitPart, exp.StrPosition, exp.Left, exp.Right,
        exp.StartsWith, exp.Initcap, exp.Pad, exp.Reverse, exp.RegexpReplace,
        exp.RegexpLike, exp.RegexpILike,  # ~ and ~*
        # JSON operators ->, ->>, #>, #>>, @>, <@, ?, ?|, ?&, @?
        exp.JSONExtract, exp.JSONExtractScalar, exp.JSONBExtract, exp.JSONBExtractScalar,
        exp.JSONBContains, exp.JSONBContainsTopKey, exp.JSONBContainsAnyTopKeys,
        exp.JSONBContainsAllTopKeys, exp.JSONBPathExists,
        # arrays
        exp.ArrayContainsAll, exp.ArrayContainedBy, exp.ArrayOverlaps, exp.ArraySize,
        exp.ArrayPosition, exp.ArrayToString, exp.StringToArray, exp.Explode,  # unnest
        # conditionals and conversions
        exp.Coalesce, exp.Nullif, exp.Case, exp.If, exp.Cast,
        # set-returning, in FROM
        exp.ExplodingGenerateSeries, exp.GenerateSeries,
    }
)  # fmt: skip

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
