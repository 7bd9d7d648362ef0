"""What every route needs, built once per app: settings, the key ring, Temporal access."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from opsflow.api.keys import KeyRing
from opsflow.api.metrics import ApiMetrics
from opsflow.api.service import Questions
from opsflow.api.threads import Threads
from opsflow.settings import Settings


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
