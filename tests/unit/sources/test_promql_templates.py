"""PromQL templates: refused unless ``{ci}`` is a whole double-quoted equality value, and
no CI name, however hostile, changes the query beyond that value."""

from __future__ import annotations

import promql_parser
import pytest
from hypothesis import given
from hypothesis import strategies as st

from opsflow.sources.promql import (
    PromqlInjection,
    PromqlTemplate,
    PromqlTemplateError,
    escape_label_value,
)

TEMPLATE = 'sum by (pod) (rate(http_seconds{service="{ci}", env="prod"}[5m])) / on() up{job="{ci}"}'


def _equal_values(query: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []

    def visit(node: promql_parser.Expr) -> bool:
        if isinstance(node, promql_parser.VectorSelector):
            found.extend(
                (m.name, m.value)
                for m in node.matchers.matchers
                if m.op == promql_parser.MatchOp.Equal
            )
        return True

    promql_parser.walk(promql_parser.parse(query), visit)
    return found


@pytest.mark.parametrize(
    ("template", "says"),
    [
        ('svc_cpu{service="web"}', "no {ci}"),
        ('rate(svc_cpu{service="{ci}"}[5m]', "not valid PromQL"),
        ('svc_cpu{service=~"{ci}"}', "whole value of an equality matcher"),
        ('svc_cpu{service="{ci}-canary"}', "whole value of an equality matcher"),
        ("svc_cpu{service='{ci}'}", "double quotes"),
        ("svc_cpu{service=`{ci}`}", "double quotes"),
        ('label_replace(svc_cpu{service="{ci}"}, "x", "{ci}", "", "")', "equality matcher"),
        ("{ci}", "double quotes"),
    ],
)
def test_bad_templates_are_refused(template: str, says: str) -> None:
    with pytest.raises(PromqlTemplateError) as refused:
        PromqlTemplate.check(template)
    assert says in refused.value.message


@pytest.mark.parametrize(
    "name",
    ['q"uote', "br{a}ce}", "back\\slash\\", 'x"} or up{a="', "new\nline", "`tick`", "prod"],
)
def test_hostile_names_stay_one_label_value(name: str) -> None:
    query = PromqlTemplate.check(TEMPLATE).render(name)
    assert _equal_values(query) == [("service", name), ("env", "prod"), ("job", name)]


@given(st.text(max_size=60))
def test_any_name_renders_to_exactly_itself(name: str) -> None:
    template = PromqlTemplate.check('svc_latency_p95_ms{service="{ci}"}')
    try:
        query = template.render(name)
    except PromqlInjection:
        # Only a name the parser cannot carry at all (e.g. a lone surrogate) is refused.
        with pytest.raises(ValueError):
            promql_parser.parse(f'x{{a="{escape_label_value(name)}"}}')
        return
    assert _equal_values(query) == [("service", name)]


def test_a_template_that_skipped_its_check_still_cannot_be_broken_out_of() -> None:
    # Guard the guard: a placeholder outside quotes (as if ``check`` had been bypassed)
    # and a name that brings its own quotes: the rendered query no longer has the
    # template's shape, and render refuses it instead of sending it.
    checked = PromqlTemplate.check('svc_cpu{service="{ci}"}')
    forged = PromqlTemplate(text="svc_cpu{service={ci}}", shape=checked.shape)
    with pytest.raises(PromqlInjection):
        forged.render('"a"} or vector(1) or svc_cpu{service="b"')
