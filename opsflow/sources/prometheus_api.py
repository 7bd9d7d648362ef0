"""The two Prometheus HTTP API calls OpsFlow makes: build info (is it there?) and
``/api/v1/query_range``. Failures become AppErrors with stable codes: an outage or a
timeout is worth a retry, a response that is not what the API documents is not."""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from typing import Any

import aiohttp

from opsflow.errors import AppError, ToolTimeoutError
from opsflow.names import ErrorCode
from opsflow.sources.model import PrometheusSource

# Prometheus refuses a range query of more than 11,000 points per series.
MAX_POINTS_PER_REQUEST = 10_000


class PrometheusUnavailable(AppError):
    code = ErrorCode.PROMETHEUS_UNAVAILABLE
    retryable = True


class PrometheusBadResponse(AppError):
    code = ErrorCode.PROMETHEUS_BAD_RESPONSE


class PrometheusQueryError(AppError):
    """Prometheus refused the query itself (bad_data, execution): the same query fails again."""

    code = ErrorCode.PROMETHEUS_QUERY_ERROR


@dataclass(frozen=True)
class RangeResult:
    epoch_s: list[float]
    values: list[float]
    series: int  # how many series the query returned (they are averaged into one)


def _timeout(source: PrometheusSource) -> aiohttp.ClientTimeout:
    return aiohttp.ClientTimeout(total=source.timeout_s)


async def _get_json(
    session: aiohttp.ClientSession,
    source: PrometheusSource,
    path: str,
    params: dict[str, str] | None = None,
) -> Any:
    url = f"{source.url}{path}"
    try:
        async with session.get(
            url, params=params, headers=source.request_headers(), timeout=_timeout(source)
        ) as resp:
            if resp.status >= 500 or resp.status in (429, 408):
                raise PrometheusUnavailable(f"{url}: HTTP {resp.status}")
            try:
                body = await resp.json(content_type=None)
            except (ValueError, aiohttp.ContentTypeError) as err:
                raise PrometheusBadResponse(f"{url}: HTTP {resp.status}, not JSON") from err
            if resp.status >= 400:
                message = body.get("error", "") if isinstance(body, dict) else ""
                raise PrometheusQueryError(f"{url}: HTTP {resp.status}: {message}"[:300])
            return body
    except TimeoutError as err:
        raise ToolTimeoutError(f"{url}: no answer within {source.timeout_s}s") from err
    except aiohttp.ClientError as err:
        raise PrometheusUnavailable(f"{url}: {err}") from err


async def build_info(session: aiohttp.ClientSession, source: PrometheusSource) -> str:
    """The server's version: proves the URL is a reachable Prometheus API."""
    body = await _get_json(session, source, "/api/v1/status/buildinfo")
    if not isinstance(body, dict) or body.get("status") != "success":
        raise PrometheusBadResponse(f"{source.url}: not a Prometheus API response")
    data = body.get("data")
    return str(data.get("version", "?")) if isinstance(data, dict) else "?"


async def query_range(
    session: aiohttp.ClientSession,
    source: PrometheusSource,
    query: str,
    *,
    start_s: float,
    end_s: float,
    step_s: int,
) -> RangeResult:
    """Samples of ``query`` at ``step_s`` in [start_s, end_s]; several returned series are
    averaged per timestamp (a template that matches one CI on several instances)."""
    sums: dict[float, tuple[float, int]] = {}
    series = 0
    chunk_s = step_s * MAX_POINTS_PER_REQUEST
    t = start_s
    while t <= end_s:
        upper = min(end_s, t + chunk_s - step_s)
        body = await _get_json(
            session,
            source,
            "/api/v1/query_range",
            {"query": query, "start": f"{t:.3f}", "end": f"{upper:.3f}", "step": f"{step_s}s"},
        )
        found = _matrix(body)
        series = max(series, len(found))
        for values in found:
            for stamp, value in values:
                total, count = sums.get(stamp, (0.0, 0))
                sums[stamp] = (total + value, count + 1)
        t = upper + step_s
    stamps = sorted(sums)
    return RangeResult(
        epoch_s=stamps, values=[sums[s][0] / sums[s][1] for s in stamps], series=series
    )


def _matrix(body: Any) -> list[list[tuple[float, float]]]:
    """The documented ``{"status": "success", "data": {"resultType": "matrix", ...}}``."""
    if not isinstance(body, dict) or body.get("status") != "success":
        raise PrometheusBadResponse("response status is not success")
    data = body.get("data")
    if not isinstance(data, dict) or data.get("resultType") != "matrix":
        raise PrometheusBadResponse("response is not a matrix")
    result = data.get("result")
    if not isinstance(result, list):
        raise PrometheusBadResponse("response has no result list")
    out = []
    for item in result:
        if not isinstance(item, dict) or not isinstance(item.get("values"), list):
            raise PrometheusBadResponse("a series has no values list")
        points = []
        for pair in item["values"]:
            try:
                stamp, text = pair
                value = float(text)
                stamp = float(stamp)
            except (TypeError, ValueError) as err:
                raise PrometheusBadResponse(f"malformed sample {pair!r:.60}") from err
            if math.isfinite(value):  # NaN/Inf are not measurements the analysis can use
                points.append((stamp, value))
        out.append(points)
    return out


async def probe(source: PrometheusSource) -> str:
    """``build_info`` with a session of its own (the CLI's reachability check)."""
    async with aiohttp.ClientSession() as session:
        return await asyncio.wait_for(build_info(session, source), source.timeout_s + 1)
