"""Circuit breaker guarding one LLM endpoint within one worker process.

closed -> open after ``failure_threshold`` consecutive failures -> half-open once
``recovery_s`` has passed -> closed when the single probe succeeds, open again when it fails.
While open (and while the half-open probe is in flight) calls fail fast with
``CircuitOpenError``, which is non-retryable: the planner falls back to rules at once
instead of spending Temporal retries on an endpoint known to be down.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from enum import StrEnum

import structlog

from opsflow.errors import CircuitOpenError
from opsflow.llm.metrics import BREAKER_STATE

log = structlog.get_logger(__name__)


class BreakerState(StrEnum):
    CLOSED = "closed"
    HALF_OPEN = "half_open"
    OPEN = "open"


_GAUGE_VALUE = {BreakerState.CLOSED: 0, BreakerState.HALF_OPEN: 1, BreakerState.OPEN: 2}


class CircuitBreaker:
    def __init__(
        self,
        failure_threshold: int = 5,
        recovery_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        name: str = "llm",
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be >= 1")
        if recovery_s < 0:
            raise ValueError("recovery_s must be >= 0")
        self.failure_threshold = failure_threshold
        self.recovery_s = recovery_s
        self.name = name
        self._clock = clock
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._probe_in_flight = False
        # Async activities share one loop, but sync activities run on threads: keep it safe.
        self._lock = threading.Lock()
        BREAKER_STATE.labels(endpoint=name).set(_GAUGE_VALUE[self._state])

    @property
    def state(self) -> BreakerState:
        with self._lock:
            self._maybe_half_open()
            return self._state

    @property
    def consecutive_failures(self) -> int:
        return self._failures

    def before_call(self) -> None:
        """Admit a call or raise ``CircuitOpenError``; in half-open only one probe passes."""
        with self._lock:
            self._maybe_half_open()
            if self._state is BreakerState.CLOSED:
                return
            if self._state is BreakerState.HALF_OPEN and not self._probe_in_flight:
                self._probe_in_flight = True
                return
            retry_in = max(0.0, self._opened_at + self.recovery_s - self._clock())
            raise CircuitOpenError(
                f"circuit for {self.name} is {self._state.value}",
                details={"endpoint": self.name, "retry_in_s": round(retry_in, 3)},
            )

    def record_success(self) -> None:
        with self._lock:
            if self._state is BreakerState.OPEN:
                # A call admitted before the circuit opened: only the half-open probe may
                # close it, so recovery follows the documented timing.
                return
            self._failures = 0
            self._probe_in_flight = False
            self._transition(BreakerState.CLOSED)

    def record_failure(self) -> None:
        with self._lock:
            if self._state is BreakerState.OPEN:
                return  # a straggler must not push the recovery time back
            if self._state is BreakerState.HALF_OPEN:
                self._probe_in_flight = False
                self._open()
                return
            self._failures += 1
            if self._failures >= self.failure_threshold:
                self._open()

    def release(self) -> None:
        """Give back an admitted call that ended without a verdict (e.g. it was cancelled).

        Without this a cancelled half-open probe would leave the breaker refusing every
        call forever, since no success or failure would ever be recorded.
        """
        with self._lock:
            if self._state is BreakerState.HALF_OPEN:
                self._probe_in_flight = False

    def _open(self) -> None:
        self._opened_at = self._clock()
        self._transition(BreakerState.OPEN)

    def _maybe_half_open(self) -> None:
        if self._state is BreakerState.OPEN and self._clock() - self._opened_at >= self.recovery_s:
            self._probe_in_flight = False
            self._transition(BreakerState.HALF_OPEN)

    def _transition(self, to: BreakerState) -> None:
        if to is self._state:
            return
        previous, self._state = self._state, to
        BREAKER_STATE.labels(endpoint=self.name).set(_GAUGE_VALUE[to])
        # Opening is the event an operator must notice; recovery is routine.
        emit = log.warning if to is BreakerState.OPEN else log.info
        emit(
            "breaker_state_changed",
            name=self.name,
            **{"from": previous.value, "to": to.value},
            failures=self._failures,
        )
