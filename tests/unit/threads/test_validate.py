"""The ``ask`` update validator's rules."""

from __future__ import annotations

from typing import Any

import pytest

from opsflow.models.thread import FollowUp
from opsflow.threads import followup_problem
from opsflow.threads.validate import RefusalCode


def _problem(closed: bool = False, queued: int = 0, **fields: Any) -> RefusalCode | None:
    values: dict[str, Any] = {"question": "why is payments-api slow?", "tenant_id": "t_acme"}
    values.update(fields)
    found = followup_problem(
        FollowUp(**values), tenant_id="t_acme", closed=closed, queued=queued, max_queued=2
    )
    return None if found is None else found[0]


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({}, None),
        ({"closed": True}, RefusalCode.THREAD_CLOSED),
        ({"tenant_id": "t_globex"}, RefusalCode.TENANT_MISMATCH),
        ({"tenant_id": "T'; drop"}, RefusalCode.BAD_REQUEST),
        ({"question": " \n "}, RefusalCode.QUESTION_BLANK),
        ({"question": "x" * 2001}, RefusalCode.QUESTION_TOO_LARGE),
        ({"question": "x" * 2000}, None),
        ({"deadline_s": 0}, RefusalCode.BAD_REQUEST),
        ({"max_parallel": 65}, RefusalCode.BAD_REQUEST),
        ({"queued": 2}, RefusalCode.THREAD_BUSY),
        ({"queued": 1}, None),
    ],
)
def test_refusal_codes(kwargs: dict[str, Any], code: RefusalCode | None) -> None:
    assert _problem(**kwargs) == code


def test_a_closed_thread_is_refused_before_anything_else() -> None:
    assert _problem(closed=True, tenant_id="t_globex", question="") == RefusalCode.THREAD_CLOSED
