"""What every route needs, built once per app: settings, the key ring, Temporal access."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from opsflow.settings import Settings
from opsflow_app.api.keys import KeyRing
from opsflow_app.api.metrics import ApiMetrics
from opsflow_app.api.service import Questions
from opsflow_app.api.threads import Threads


@dataclass(frozen=True)
class ApiContext:
    settings: Settings
    keys: KeyRing
    questions: Questions
    metrics: ApiMetrics
    threads: Threads


def context(request: Request) -> ApiContext:
    found = request.app.state.opsflow
    assert isinstance(found, ApiContext)
    return found
