"""PromQL templates: checked with a real parser, rendered with the CI name escaped.

A template is PromQL with ``{ci}`` as the whole value of double-quoted equality matchers
(``svc_latency_p95_ms{service="{ci}"}``). The name is escaped for that string, and the
rendered query is parsed again and compared with the template's own shape: a name that
tried to close the string, add a matcher or start another expression would change the
shape and is refused, so a CI name can never change what the query asks for.
"""

from __future__ import annotations

from dataclasses import dataclass

import promql_parser

from opsflow.errors import ValidationError
from opsflow.names import ErrorCode

PLACEHOLDER = "{ci}"
# Stands in for the CI name while a template's shape is taken. The quote and backslash in
# it survive only a double-quoted string with our escaping: a placeholder in single quotes
# or backticks reads back as something else and the template is refused.
_PROBE = '__opsflow_ci_probe"\\__'
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_EQUAL = str(promql_parser.MatchOp.Equal)

_PLACEMENT = (
    "the {ci} placeholder must be the whole value of an equality matcher in double quotes, "
    'e.g. service="{ci}"'
)

Node = tuple[str, ...]


class PromqlTemplateError(ValidationError):
    code = ErrorCode.PROMQL_TEMPLATE


class PromqlInjection(ValidationError):
    code = ErrorCode.PROMQL_INJECTION


def escape_label_value(text: str) -> str:
    """``text`` as the inside of a double-quoted PromQL string (Go's quoting rules)."""
    return "".join(_ESCAPES.get(ch, ch) for ch in text)


def _shape(query: str) -> list[Node]:
    """Node kinds, metric names, label matchers and string literals in walk order."""
    expr = promql_parser.parse(query)
    nodes: list[Node] = []

    def visit(node: promql_parser.Expr) -> bool:
        kind = type(node).__name__
        if isinstance(node, promql_parser.VectorSelector):
            nodes.append((kind, node.name or ""))
            nodes.extend((kind, m.name, str(m.op), m.value) for m in node.matchers.matchers)
        elif isinstance(node, promql_parser.StringLiteral):
            nodes.append((kind, node.val))
        else:
            # Kinds suffice: the selectors and strings below a node are compared themselves.
            nodes.append((kind,))
        return True

    promql_parser.walk(expr, visit)
    return nodes


def _parses(query: str) -> bool:
    try:
        promql_parser.parse(query)
    except ValueError:
        return False
    return True


def _slot_count(shape: list[Node]) -> int:
    return sum(1 for n in shape if len(n) == 4 and n[2] == _EQUAL and n[3] == _PROBE)


@dataclass(frozen=True)
class PromqlTemplate:
    text: str
    shape: tuple[Node, ...]

    @classmethod
    def check(cls, text: str) -> PromqlTemplate:
        """Refuses a template without ``{ci}``, one that does not parse, and one whose
        ``{ci}`` is anywhere but the whole value of a ``label="{ci}"`` matcher."""
        if PLACEHOLDER not in text:
            raise PromqlTemplateError("has no {ci} placeholder for the CI name")
        try:
            shape = _shape(text.replace(PLACEHOLDER, escape_label_value(_PROBE)))
        except ValueError as err:
            if _parses(text.replace(PLACEHOLDER, "x")):
                raise PromqlTemplateError(_PLACEMENT) from err  # quoted, but not in "..."
            raise PromqlTemplateError(f"not valid PromQL: {err}") from err
        placed = _slot_count(shape)
        anywhere = sum(1 for node in shape for part in node if _PROBE in part)
        if placed != text.count(PLACEHOLDER) or anywhere != placed:
            raise PromqlTemplateError(_PLACEMENT)
        return cls(text=text, shape=tuple(shape))

    def render(self, ci: str) -> str:
        """The query for ``ci``; raises PromqlInjection unless it has the template's shape."""
        query = self.text.replace(PLACEHOLDER, escape_label_value(ci))
        expected = [tuple(ci if part == _PROBE else part for part in n) for n in self.shape]
        try:
            actual = _shape(query)
        except ValueError as err:
            raise PromqlInjection(f"CI name {ci!r} does not fit the template") from err
        if actual != expected:
            raise PromqlInjection(f"CI name {ci!r} changes the query's shape")
        return query
