"""Question -> intent and the CI it is about. Pure text rules, no I/O."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from opsflow.errors import UnknownCiError
from opsflow.names import Intent


@dataclass(frozen=True)
class ParsedQuestion:
    intent: Intent
    ci: str | None = None
    top_n: int = 5
    ci_type: str | None = None
    metric: str | None = None
    window_minutes: int = 60
    extras: dict[str, str] = field(default_factory=dict)


_TYPE_WORDS = {
    "host": "host",
    "hosts": "host",
    "server": "host",
    "servers": "host",
    "service": "service",
    "services": "service",
    "database": "database",
    "databases": "database",
    "db": "database",
    "dbs": "database",
    "queue": "queue",
    "queues": "queue",
    "load balancer": "load_balancer",
    "load balancers": "load_balancer",
    "lb": "load_balancer",
    "lbs": "load_balancer",
}
_METRIC_WORDS = {
    "cpu": "cpu",
    "memory": "memory",
    "mem": "memory",
    "latency": "latency_p95",
    "latency_p95": "latency_p95",
    "p95": "latency_p95",
    "errors": "error_rate",
    "error rate": "error_rate",
    "error_rate": "error_rate",
    "rps": "rps",
    "traffic": "rps",
    "requests": "rps",
}
_WINDOWS = (
    (re.compile(r"last\s+(\d+)\s*min"), 1),
    (re.compile(r"last\s+(\d+)\s*h"), 60),
    (re.compile(r"last\s+hour"), 0),
    (re.compile(r"last\s+(\d+)\s*d"), 1440),
)
_DEPENDENTS = re.compile(
    r"what (?:services |cis |things )?depends? on|who (?:calls|uses)|dependents|downstream|impact"
)
_CI_CANDIDATE = re.compile(
    r"(?:why is|why are|is|for|of|on|around|to|does|with)\s+([a-z0-9][\w.\-]*[\w])", re.I
)


def _window(text: str) -> int:
    for pattern, unit in _WINDOWS:
        match = pattern.search(text)
        if match:
            return 60 if unit == 0 else int(match.group(1)) * unit
    return 60


def find_ci(text: str, ci_names: list[str]) -> str | None:
    """The longest known CI name that appears as a whole token in the question."""
    lowered = text.lower()
    for name in sorted(ci_names, key=len, reverse=True):
        if re.search(rf"(?<![\w-]){re.escape(name.lower())}(?![\w-])", lowered):
            return name
    return None


def _unknown_ci(text: str, ci_names: list[str]) -> str | None:
    """A token that looks like a CI name (has a dash or digit) but is not one."""
    for match in _CI_CANDIDATE.finditer(text):
        token = match.group(1)
        lowered = token.lower()
        if lowered in _METRIC_WORDS or re.fullmatch(r"t_[a-z0-9_]+|\d+[a-z]*", lowered):
            continue
        if re.search(r"[-\d_]", token) and lowered not in {n.lower() for n in ci_names}:
            return token
    return None


def detect_intent(question: str, ci_names: list[str]) -> ParsedQuestion:
    text = question.lower()
    ci = find_ci(question, ci_names)
    window = _window(text)
    top = re.search(
        r"\btop\s*(\d+)?\b(.*?)\bby\s+([a-z_ ]+?)(?:\s+(?:in|over|during)\b|[?.]|$)", text
    )
    if top:
        kind = next(
            (t for w, t in _TYPE_WORDS.items() if re.search(rf"\b{w}\b", top.group(2))), None
        )
        metric = _METRIC_WORDS.get(top.group(3).strip(), top.group(3).strip().replace(" ", "_"))
        return ParsedQuestion(
            Intent.TOP_N,
            top_n=int(top.group(1) or 5),
            ci_type=kind,
            metric=metric,
            window_minutes=window,
        )
    if re.search(r"how many|count|number of", text) and "alert" in text:
        per = next((t for w, t in _TYPE_WORDS.items() if re.search(rf"per {w}\b", text)), None)
        minutes = 0 if "today" in text else window
        return ParsedQuestion(
            Intent.ALERT_COUNTS,
            ci_type=per,
            window_minutes=minutes,
            extras={"severity": "critical" if "critical" in text else "info"},
        )
    if ci is not None:
        if re.search(_DEPENDENTS, text):
            return ParsedQuestion(Intent.DEPENDENTS, ci=ci)
        if re.search(r"depend(?:s|encies)?\b|upstream|rel(?:y|ies) on", text):
            return ParsedQuestion(Intent.DEPENDENCIES, ci=ci)
        if re.search(r"what changed|changes?|deploy", text):
            return ParsedQuestion(Intent.WHAT_CHANGED, ci=ci, window_minutes=max(window, 240))
        if re.search(r"fail|error|5\d\d|down|unavailab|crash|broken", text):
            return ParsedQuestion(Intent.WHY_FAILING, ci=ci, window_minutes=window)
        if re.search(r"slow|latency|lag|degrad|timeout", text):
            return ParsedQuestion(Intent.WHY_SLOW, ci=ci, window_minutes=window)
        if re.search(r"\balerts?\b", text):
            return ParsedQuestion(Intent.ALERTS, ci=ci, window_minutes=max(window, 24 * 60))
        return ParsedQuestion(Intent.INVESTIGATE, ci=ci, window_minutes=window)
    unknown = _unknown_ci(question, ci_names)
    if unknown is not None:
        # The question names something specific we do not have: say so, do not guess.
        hints = difflib.get_close_matches(unknown, ci_names, n=3)
        raise UnknownCiError(
            f"no configuration item named {unknown!r} in this tenant"
            + (f"; did you mean {', '.join(hints)}?" if hints else "")
        )
    if re.search(r"\balerts?\b|\bincidents?\b", text):
        return ParsedQuestion(Intent.ALERTS, window_minutes=max(window, 24 * 60))
    return ParsedQuestion(Intent.HEALTH, window_minutes=window)
