"""Every kind of name OpsFlow uses on the wire, each defined once.

The values are the strings Temporal records (activity types, error types) and clients
read (step reasons, phases): changing one breaks replay of recorded histories or the
JSON contract, so members may be added but never renamed. Everything else refers to a
member, never to the string (tests/unit/test_names.py checks that on the AST).
"""

from __future__ import annotations

from enum import StrEnum


class ToolName(StrEnum):
    """Tool activities: one per way of reading the ops data."""

    CI_LOOKUP = "ci_lookup"
    TOPOLOGY_TRAVERSE = "topology_traverse"
    TOPOLOGY_SNAPSHOT_FALLBACK = "topology_snapshot_fallback"
    METRIC_QUERY = "metric_query"
    METRIC_ROLLUP_FALLBACK = "metric_rollup_fallback"
    EVENT_QUERY = "event_query"
    DIRECT_QUERY = "direct_query"
    PROMETHEUS_QUERY = "prometheus_query"
    PROMETHEUS_COARSE_FALLBACK = "prometheus_coarse_fallback"


class ActivityName(StrEnum):
    """The fixed-phase (non-tool) activities of the workflow."""

    LOAD_TOOL_CONTEXT = "load_tool_context"
    PLAN_REQUEST = "plan_request"
    RULE_PLAN = "rule_plan"
    ANALYZE = "analyze"
    SUMMARIZE = "summarize"
    TEMPLATE_SUMMARY = "template_summary"
    RESOLVE_FOLLOWUP = "resolve_followup"  # the investigation thread's, not a phase


class Capability(StrEnum):
    """What a plan step asks for; tools are resolved from it."""

    CI_SEARCH = "ci_search"
    GRAPH_TRAVERSAL = "graph_traversal"
    METRIC_TIMESERIES = "metric_timeseries"
    EVENT_SEARCH = "event_search"
    DATABASE_QUERY = "database_query"


class Intent(StrEnum):
    WHY_SLOW = "why_slow"
    WHY_FAILING = "why_failing"
    WHAT_CHANGED = "what_changed"
    DEPENDENTS = "dependents"  # what depends on X
    DEPENDENCIES = "dependencies"  # what does X depend on
    TOP_N = "top_n"
    ALERT_COUNTS = "alert_counts"
    ALERTS = "alerts"
    HEALTH = "health"
    INVESTIGATE = "investigate"


class Phase(StrEnum):
    """What the ``progress`` query reports the workflow is doing (``queued``: no worker has
    picked the run up yet, so it cannot answer the query; reported by clients, not by it)."""

    QUEUED = "queued"
    STARTING = "starting"
    PLANNING = "planning"
    RESOLUTION = "resolution"
    EXECUTION = "execution"
    AGGREGATION = "aggregation"
    RESPONSE = "response"
    DONE = "done"


class ErrorCode(StrEnum):
    """Stable error types: ``ApplicationError.type`` on the wire, ``error_code`` in answers."""

    APP_ERROR = "APP_ERROR"
    VALIDATION_ERROR = "VALIDATION_ERROR"
    TENANT_ISOLATION = "TENANT_ISOLATION"
    SQL_BLOCKED = "SQL_BLOCKED"
    SQL_TIMEOUT = "SQL_TIMEOUT"
    SQL_RESOURCE_LIMIT = "SQL_RESOURCE_LIMIT"
    CONNECTION_ERROR = "CONNECTION_ERROR"
    TIMEOUT = "TIMEOUT"
    TOOL_EXECUTION_ERROR = "TOOL_EXECUTION_ERROR"
    TOOL_OUTPUT_INVALID = "TOOL_OUTPUT_INVALID"
    PLANNING_ERROR = "PLANNING_ERROR"
    PLAN_INVALID = "PLAN_INVALID"
    CIRCUIT_OPEN = "CIRCUIT_OPEN"
    UNKNOWN_TENANT = "UNKNOWN_TENANT"
    UNKNOWN_CI = "UNKNOWN_CI"
    CANCELLED = "CANCELLED"
    NO_RESULTS = "NO_RESULTS"
    LLM_ERROR = "LLM_ERROR"
    LLM_UNAVAILABLE = "LLM_UNAVAILABLE"
    LLM_TIMEOUT = "LLM_TIMEOUT"
    LLM_RATE_LIMITED = "LLM_RATE_LIMITED"
    LLM_QUOTA = "LLM_QUOTA"
    LLM_AUTH = "LLM_AUTH"
    LLM_BAD_REQUEST = "LLM_BAD_REQUEST"
    LLM_EMPTY_RESPONSE = "LLM_EMPTY_RESPONSE"
    LLM_NOT_CONFIGURED = "LLM_NOT_CONFIGURED"
    LLM_DISABLED = "LLM_DISABLED"
    LLM_BUDGET = "LLM_BUDGET"
    UNRESOLVED_REFERENCE = "UNRESOLVED_REFERENCE"
    TURN_FAILED = "TURN_FAILED"
    # Tenant metric sources (Prometheus).
    SOURCE_INVALID = "SOURCE_INVALID"
    SOURCE_UNREACHABLE = "SOURCE_UNREACHABLE"
    PROMQL_TEMPLATE = "PROMQL_TEMPLATE"
    PROMQL_INJECTION = "PROMQL_INJECTION"
    NO_PROMETHEUS_SOURCE = "NO_PROMETHEUS_SOURCE"
    PROMETHEUS_UNAVAILABLE = "PROMETHEUS_UNAVAILABLE"
    PROMETHEUS_BAD_RESPONSE = "PROMETHEUS_BAD_RESPONSE"
    PROMETHEUS_QUERY_ERROR = "PROMETHEUS_QUERY_ERROR"


class StepReason(StrEnum):
    """Why a step (or a phase) did not end on its primary: stable words for the answer."""

    REJECTED = "rejected"
    DEPENDENCY_FAILED = "dependency_failed"
    DEADLINE_EXCEEDED = "deadline_exceeded"
    CANCELLED = "cancelled"
    PRIMARY_TIMEOUT = "primary_timeout"
    PRIMARY_ERROR = "primary_error"
    SQL_BLOCKED = "sql_blocked"
    CIRCUIT_OPEN = "circuit_open"
    INVALID_OUTPUT = "invalid_output"
    INVALID_PLAN = "invalid_plan"
    UNKNOWN_CI = "unknown_ci"
    UNKNOWN_TENANT = "unknown_tenant"
    LLM_ERROR = "llm_error"
    LLM_TIMEOUT = "llm_timeout"
    LLM_RATE_LIMITED = "llm_rate_limited"
    LLM_DISABLED = "llm_disabled"
    BUDGET_EXHAUSTED = "budget_exhausted"
    ANALYSIS_FAILED = "analysis_failed"
