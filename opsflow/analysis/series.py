"""Plain-float view of a metric series, built once so detection loops stay cheap."""

from __future__ import annotations

import operator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from statistics import StatisticsError


@dataclass(frozen=True)
class SeriesData:
    ci: str
    metric: str
    step_id: str | None
    times: list[float]  # epoch seconds, ascending, unique
    values: list[float]
    # Sampling interval actually observed (``bucket_s`` is not always set right).
    step_s: float

    def stamp(self, index: int) -> datetime:
        """The UTC time of one sample (onsets); built on demand, not per sample."""
        return datetime.fromtimestamp(self.times[index], UTC)


def observed_step(times: list[float]) -> float:
    if len(times) < 2:
        return 60.0
    gaps: list[float] = list(map(operator.sub, islice(times, 1, None), times))
    gaps.sort()  # in place: ``statistics.median`` would sort a copy
    return max(1.0, sorted_median(gaps))


def sorted_median(ordered: list[float]) -> float:
    """``statistics.median`` of an already sorted list, without sorting it again."""
    n = len(ordered)
    if n == 0:
        raise StatisticsError("no median for empty data")
    if n % 2 == 1:
        return ordered[n // 2]
    return (ordered[n // 2 - 1] + ordered[n // 2]) / 2
