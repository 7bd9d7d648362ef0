"""Investigation threads: pure rules that carry context from one question to the next."""

from opsflow.threads.context import advance_context
from opsflow.threads.resolve import Resolution, UnresolvedReference, resolve_question
from opsflow.threads.validate import followup_problem

__all__ = [
    "Resolution",
    "UnresolvedReference",
    "advance_context",
    "followup_problem",
    "resolve_question",
]
