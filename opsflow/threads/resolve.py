"""Follow-up words -> the CIs and times the thread established. Pure text rules, no I/O.

"it", "its database", "the same service", "the root cause" and "since then" are rewritten
into the names and windows the rule planner already understands, so a follow-up is planned
exactly like a question that spelled them out (and the LLM planner sees both the rewritten
question and the context). What cannot be resolved is refused, never guessed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from opsflow.errors import AppError
from opsflow.models.context import ContextUse, ReferenceKind, Substitution, ThreadContext
from opsflow.names import ErrorCode
from opsflow.planner.intents import find_ci
from opsflow.planner.rules import CiInfo


class UnresolvedReference(AppError):
    code = ErrorCode.UNRESOLVED_REFERENCE


@dataclass(frozen=True)
class Resolution:
    question: str
    # The CI this question is about as far as the words tell (the plan may still say).
    focus_ci: str | None
    used: ContextUse


# "its database" -> the focus's dependency of that type.
_DEPENDENCY_WORDS = {
    "database": "database",
    "db": "database",
    "host": "host",
    "server": "host",
    "queue": "queue",
    "load balancer": "load_balancer",
    "lb": "load_balancer",
    "cache": "cache",
}
_DEPENDENCY_ALTERNATIVES = "|".join(
    sorted(map(re.escape, _DEPENDENCY_WORDS), key=len, reverse=True)
)
_DEPENDENCY = re.compile(rf"\bits\s+({_DEPENDENCY_ALTERNATIVES})\b", re.I)
_SAME_CI = re.compile(
    r"\b(?:the\s+same|that|this)\s+(?:service|ci|component|system|app|application|one)\b", re.I
)
_ROOT_CAUSE = re.compile(
    r"\bthe\s+(?:(?:likely|probable|top|main)\s+)?(?:root\s+cause|cause|culprit)\b", re.I
)
_SINCE_THEN = re.compile(r"\bsince\s+then\b", re.I)
_IT = re.compile(r"\b(it's|it|its)\b", re.I)


def resolve_question(
    question: str,
    context: ThreadContext,
    *,
    ci_names: Sequence[str],
    dependencies: Mapping[str, Sequence[CiInfo]],
    reference_time: datetime,
    pinned: bool = False,
    catalog_unavailable: bool = False,
) -> Resolution:
    """Rewrite ``question`` with what ``context`` established.

    A pronoun after a CI the question names itself refers to that CI ("what depends on
    payments-db and what changed on it"); otherwise to the thread's focus. ``dependencies``
    maps a CI to what it depends on (for "its database"). ``reference_time`` is this
    question's instant: "since then" is the window from the last answer's to it.
    """
    named = find_ci(question, list(ci_names)) if ci_names else None
    subs: list[Substitution] = []

    def referent(match: re.Match[str]) -> str:
        # Positions in the text of this pass (earlier passes may have rewritten words).
        named_at = _position(match.string, named)
        if named is not None and named_at is not None and named_at < match.start():
            return named
        if context.focus_ci is None:
            raise UnresolvedReference(
                f"{match.group(0)!r} refers to an earlier answer, but this thread has no focus "
                "CI yet; name the CI"
            )
        return context.focus_ci

    def record(match: re.Match[str], value: str, kind: ReferenceKind) -> str:
        subs.append(Substitution(phrase=match.group(0), value=value, kind=kind))
        return value

    def dependency(match: re.Match[str]) -> str:
        owner = referent(match)
        wanted = _DEPENDENCY_WORDS[match.group(1).lower()]
        found = sorted(d.name for d in dependencies.get(owner, ()) if d.ci_type == wanted)
        if not found:
            raise UnresolvedReference(
                f"{match.group(0)!r}: {owner} depends on no {wanted.replace('_', ' ')}"
            )
        return record(match, found[0], ReferenceKind.DEPENDENCY)

    def same_ci(match: re.Match[str]) -> str:
        return record(match, referent(match), ReferenceKind.FOCUS)

    def root_cause(match: re.Match[str]) -> str:
        if context.last_root_cause is None:
            raise UnresolvedReference(
                f"{match.group(0)!r}: no earlier answer in this thread ranked a root cause"
            )
        return record(match, context.last_root_cause, ReferenceKind.ROOT_CAUSE)

    def since_then(match: re.Match[str]) -> str:
        if context.reference_time is None:
            raise UnresolvedReference(f"{match.group(0)!r}: this thread has no earlier answer")
        seconds = (reference_time - context.reference_time).total_seconds()
        window = f"in the last {max(1, math.ceil(seconds / 60))} min"
        return record(match, window, ReferenceKind.SINCE)

    def pronoun(match: re.Match[str]) -> str:
        value = record(match, referent(match), ReferenceKind.FOCUS)
        word = match.group(1).lower()
        return {"its": f"{value}'s", "it's": f"{value} is"}.get(word, value)

    text = question
    for pattern, rewrite in (
        (_DEPENDENCY, dependency),
        (_SAME_CI, same_ci),
        (_ROOT_CAUSE, root_cause),
        (_SINCE_THEN, since_then),
        (_IT, pronoun),
    ):
        text = pattern.sub(rewrite, text)
    about = named or next((s.value for s in subs if s.kind is not ReferenceKind.SINCE), None)
    return Resolution(
        question=text,
        focus_ci=about or context.focus_ci,
        used=ContextUse(
            original_question=question,
            asked_question=text,
            focus_before=context.focus_ci,
            substitutions=subs,
            reference_time=reference_time if pinned else None,
            catalog_unavailable=catalog_unavailable,
        ),
    )


def _position(text: str, name: str | None) -> int | None:
    if name is None:
        return None
    match = re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text, re.I)
    return match.start() if match else None
