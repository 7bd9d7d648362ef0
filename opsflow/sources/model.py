"""A tenant's metric sources, as the operator writes them in ``sources.yaml``.

Only an operator's file sets them (``client.py sources set``); nothing in a question or a
plan can, so the URL a tool calls and the PromQL it sends are never an LLM's.
"""

from __future__ import annotations

import os
import re
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from opsflow.errors import ValidationError
from opsflow.names import ErrorCode
from opsflow.sources.promql import PromqlTemplate, PromqlTemplateError

_METRIC = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MAX_SOURCE_BYTES = 64 * 1024


class SourceError(ValidationError):
    code = ErrorCode.SOURCE_INVALID


class PrometheusSource(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = Field(pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$")
    # Header values are stored as written: put secrets in ``bearer_token_env`` instead.
    headers: dict[str, str] = Field(default_factory=dict)
    # The token itself stays in the worker's environment; only the variable's name is stored.
    bearer_token_env: str | None = None
    timeout_s: float = Field(default=10.0, gt=0, le=60)
    # The data's scrape/sample interval: the finest step a query asks for.
    step_s: int = Field(default=60, ge=1, le=3600)
    metrics: dict[str, str] = Field(min_length=1)

    @field_validator("url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("bearer_token_env")
    @classmethod
    def _env_name(cls, value: str | None) -> str | None:
        if value is not None and not _ENV_NAME.match(value):
            raise ValueError("must be an environment variable name")
        return value

    @field_validator("metrics")
    @classmethod
    def _metric_names(cls, value: dict[str, str]) -> dict[str, str]:
        for metric in value:
            if not _METRIC.match(metric):
                raise ValueError(f"metric name {metric!r} must match {_METRIC.pattern}")
        return value

    def check_templates(self) -> None:
        """Every template parses and places ``{ci}`` safely (PromqlTemplateError naming
        the metric otherwise)."""
        for metric, text in self.metrics.items():
            try:
                PromqlTemplate.check(text)
            except PromqlTemplateError as err:
                raise PromqlTemplateError(f"prometheus.metrics.{metric}: {err.message}") from err

    def template(self, metric: str) -> PromqlTemplate:
        return PromqlTemplate.check(self.metrics[metric])

    def request_headers(self) -> dict[str, str]:
        headers = dict(self.headers)
        if self.bearer_token_env is not None:
            token = os.environ.get(self.bearer_token_env)
            if not token:
                raise SourceError(f"environment variable {self.bearer_token_env} is not set")
            headers["Authorization"] = f"Bearer {token}"
        return headers


class TenantSources(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    prometheus: PrometheusSource | None = None


def parse_sources(text: str) -> TenantSources:
    """The YAML file as a validated model; SourceError says what is wrong in one line."""
    if len(text.encode()) > MAX_SOURCE_BYTES:
        raise SourceError(f"sources file is larger than {MAX_SOURCE_BYTES} bytes")
    try:
        raw: Any = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise SourceError(f"not YAML: {str(err).splitlines()[0]}") from err
    if not isinstance(raw, dict):
        raise SourceError("sources file must be a mapping with a prometheus: section")
    try:
        sources = TenantSources.model_validate(raw)
    except ValueError as err:
        raise SourceError(_first_problem(err)) from err
    if sources.prometheus is not None:
        sources.prometheus.check_templates()
    return sources


def _first_problem(err: ValueError) -> str:
    errors = getattr(err, "errors", None)
    if callable(errors):
        first = errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        message = str(first["msg"]).removeprefix("Value error, ")
        return f"{where}: {message}" if where else message
    return str(err)
