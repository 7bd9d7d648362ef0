"""Whether a failure is retried comes from one place: its error class's ``retryable``."""

from __future__ import annotations

import pytest

import activities  # noqa: F401 - registers the activity-side error classes
from activities.errors import to_application_error
from opsflow.errors import AppError
from opsflow.names import ErrorCode
from opsflow.policies import DEFAULT_POLICIES


def _subclasses(cls: type[AppError]) -> list[type[AppError]]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


# The application's errors (opsflow_app: the HTTP layer's, a client call's) answer a request
# or a command; they never cross an activity boundary.
ERRORS = sorted(
    {c for c in _subclasses(AppError) if not c.__module__.startswith("opsflow_app.")},
    key=lambda c: c.__qualname__,
)


@pytest.mark.parametrize("cls", ERRORS, ids=lambda c: c.__qualname__)
def test_application_error_carries_the_class_flag(cls: type[AppError]) -> None:
    converted = to_application_error(cls("x"))
    assert converted.type == cls.code
    assert converted.non_retryable is (not cls.retryable)


def test_workflow_error_codes_are_one_enum() -> None:
    # Codec and migration errors end CLI commands, never a workflow step.
    outside = {"CODEC", "MIGRATION"}
    codes = {c.code for c in ERRORS if not any(c.code.startswith(p) for p in outside)}
    assert codes <= {m.value for m in ErrorCode}


def test_no_policy_repeats_the_flags() -> None:
    assert all(p.non_retryable_error_types == [] for p in DEFAULT_POLICIES.values())
