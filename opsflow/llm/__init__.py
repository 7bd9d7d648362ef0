"""The LLM side: client with circuit breaker, prompts and plan parsing.

Activity-side only: importing this package imports ``openai``; workflow code must not.
"""

from opsflow.llm.breaker import BreakerState, CircuitBreaker
from opsflow.llm.client import LlmClient, endpoint_label, map_openai_error
from opsflow.llm.errors import (
    LlmAuthError,
    LlmBadRequestError,
    LlmCallError,
    LlmEmptyResponseError,
    LlmNotConfiguredError,
    LlmQuotaError,
    LlmRateLimitedError,
    LlmTimeoutError,
    LlmUnavailableError,
    parse_retry_after,
)
from opsflow.llm.parse import PlanParseError, parse_plan
from opsflow.llm.prompts import (
    build_plan_messages,
    build_repair_messages,
    build_summary_messages,
    plan_json_schema,
)

__all__ = [
    "BreakerState",
    "CircuitBreaker",
    "LlmAuthError",
    "LlmBadRequestError",
    "LlmCallError",
    "LlmClient",
    "LlmEmptyResponseError",
    "LlmNotConfiguredError",
    "LlmQuotaError",
    "LlmRateLimitedError",
    "LlmTimeoutError",
    "LlmUnavailableError",
    "PlanParseError",
    "build_plan_messages",
    "build_repair_messages",
    "build_summary_messages",
    "endpoint_label",
    "map_openai_error",
    "parse_plan",
    "parse_retry_after",
    "plan_json_schema",
]
