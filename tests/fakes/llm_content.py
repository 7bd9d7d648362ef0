"""What the fake LLM answers: a plan for a planning request, a summary citing the step ids
the request offers, and the scripted bad contents (unknown tool, prompt injection)."""

from __future__ import annotations

import json
import re
from typing import Any

INJECTION_SQL = "SELECT * FROM ci; DROP TABLE ci"

_STEP_ID_RE = re.compile(r'"(?:step_id|id)"\s*:\s*"([A-Za-z0-9_\-]+)"')
_CITABLE_RE = re.compile(r"^Citable step ids: (.+)$", re.MULTILINE)


def default_plan_content(request: dict[str, Any]) -> str:
    """A small valid plan using capabilities and params of the shipped catalog."""
    plan = {
        "steps": [
            {
                "id": "find_ci",
                "capability": "ci_search",
                "params": {"name": "checkout-api"},
                "depends_on": [],
            },
            {
                "id": "metrics",
                "capability": "metric_timeseries",
                "params": {"ci": "checkout-api", "metrics": ["latency_p95", "error_rate"]},
                "depends_on": ["find_ci"],
            },
            {
                "id": "events",
                "capability": "event_search",
                "params": {"ci": "checkout-api", "window_minutes": 60},
                "depends_on": ["find_ci"],
            },
        ],
        "focus_ci": "checkout-api",
        "intent": "investigate",
        "rationale": "fake model: find the CI, then its metrics and recent changes",
    }
    return json.dumps(plan)


def default_summary_content(request: dict[str, Any]) -> str:
    """A narrative that cites every step id it can see in the last user message."""
    messages = request.get("messages") or []
    last = str(messages[-1].get("content", "")) if messages else ""
    citable = _CITABLE_RE.search(last)
    if citable and citable.group(1) != "(none)":
        step_ids = [s.strip() for s in citable.group(1).split(",") if s.strip()]
    else:
        step_ids = list(dict.fromkeys(_STEP_ID_RE.findall(last)))
    if not step_ids:
        return "No step produced data, so there is nothing to conclude."
    cites = ", ".join(f"[{sid}]" for sid in step_ids)
    return f"Latency rose after a deploy; see the evidence in {cites}."


def unknown_tool_content(request: dict[str, Any]) -> str:
    return json.dumps({"steps": [{"id": "go", "capability": "teleport", "params": {"to": "mars"}}]})


def injection_content(request: dict[str, Any]) -> str:
    return json.dumps(
        {
            "steps": [
                {"id": "q1", "capability": "database_query", "params": {"sql": INJECTION_SQL}}
            ],
            "intent": "query",
        }
    )


def approx_tokens(text: str) -> int:
    # ~4 characters per token is the usual rule of thumb for English with BPE tokenizers.
    return max(1, len(text) // 4)


# mode -> (status, message, error type, error code, headers), shaped like OpenAI's errors.
