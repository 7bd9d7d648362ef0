"""One parameter model per capability: the single definition of what a step may say.

Resolution validates a step's params with it (bad params reject the step), the tool
activity parses its call with it (defaults and bounds applied), and the catalog the
planner LLM reads is generated from its JSON schema. Types are strict: ``"5"`` is not an
integer and ``true`` is not a number, as the planner is told.

Bounds clamp rather than reject: a plan asking for ``depth: 20`` gets the deepest walk
allowed (8), which is what it wanted; the schema shows the range to the planner.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar

import pydantic
from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from opsflow.models import ParamValue
from opsflow.names import Capability

# Longest window an event search or metric read may cover.
MAX_WINDOW_MINUTES = 30 * 24 * 60
# "Around a past instant", not a second window.
MAX_AFTER_MINUTES = 60


@dataclass(frozen=True)
class Clamp:
    """Integer bounds that clamp rather than reject, shown in the JSON schema as
    ``minimum``/``maximum`` (``Annotated[int, Clamp(1, 8)]``)."""

    low: int
    high: int

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self.clamp, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema.update(minimum=self.low, maximum=self.high)
        return json_schema

    def clamp(self, value: int) -> int:
        return max(self.low, min(self.high, value))


class CapabilityParams(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class CiSearchParams(CapabilityParams):
    name: str | None = Field(None, description="name or substring")
    ci_type: str | None = Field(None, description="service|host|database|load_balancer|queue")
    environment: str | None = None
    # Also clamped to the tool's row cap by the activity (the cap is a policy, not a param).
    limit: Annotated[int, Clamp(1, 100_000)] = Field(200, description="maximum CIs returned")


Direction = Literal["upstream", "downstream", "both"]


class GraphTraversalParams(CapabilityParams):
    ci: str = Field(description="CI name")
    direction: Direction = Field(
        "upstream", description="upstream (what it depends on) | downstream | both"
    )
    depth: Annotated[int, Clamp(1, 8)] = Field(4, description="maximum hops")
    all_if_unknown: bool = Field(
        False,
        description="when nothing is known of the CI's dependencies, list every CI of the "
        "tenant (without edges) so that an investigation still reads them",
    )


class TargetParams(CapabilityParams):
    ci: str | None = Field(None, description="CI name")
    cis: list[str] = Field(default_factory=list, description="several CI names")
    include_inputs: bool = Field(False, description="also the CIs found by parent steps")


class MetricTimeseriesParams(TargetParams):
    metrics: list[str] = Field(
        default_factory=list, description="metric names, e.g. latency_p95, error_rate, cpu"
    )
    window_minutes: Annotated[int, Clamp(5, 7 * 24 * 60)] = Field(
        60, description="recent window in minutes before the reference time"
    )
    history_hours: Annotated[int, Clamp(0, 30 * 24)] = Field(
        6, description="baseline history in hours before the window"
    )
    after_minutes: Annotated[int, Clamp(0, MAX_AFTER_MINUTES)] = Field(
        0,
        description="also read up to this many minutes after a past reference time "
        "(never beyond now)",
    )


Severity = Literal["info", "warning", "critical"]


class EventSearchParams(TargetParams):
    kinds: list[str] = Field(
        default_factory=list, description="alert|deploy|config_change|incident"
    )
    severity: Severity = Field("info", description="minimum: info|warning|critical")
    window_minutes: Annotated[int, Clamp(1, MAX_WINDOW_MINUTES)] = Field(
        180, description="recent window in minutes before the reference time"
    )


class DatabaseQueryParams(CapabilityParams):
    sql: str = Field(min_length=1, description="one PostgreSQL SELECT")


PARAMS: Mapping[Capability, type[CapabilityParams]] = {
    Capability.CI_SEARCH: CiSearchParams,
    Capability.GRAPH_TRAVERSAL: GraphTraversalParams,
    Capability.METRIC_TIMESERIES: MetricTimeseriesParams,
    Capability.EVENT_SEARCH: EventSearchParams,
    Capability.DATABASE_QUERY: DatabaseQueryParams,
}


_CAPABILITIES = frozenset(c.value for c in Capability)
P = TypeVar("P", bound=CapabilityParams)


def _drop_nulls(params: Mapping[str, ParamValue]) -> dict[str, ParamValue]:
    # A null means "not given" (LLMs spell optional fields out as null).
    return {k: v for k, v in params.items() if v is not None}


def parse_params(model: type[P], params: Mapping[str, ParamValue]) -> P:
    """Parse or raise ``pydantic.ValidationError``."""
    return model.model_validate(_drop_nulls(params))


def param_problems(capability: str, params: Mapping[str, ParamValue]) -> list[str]:
    """Problems with ``params`` for ``capability``, one sentence each (empty: valid)."""
    if capability not in _CAPABILITIES:
        return [f"unknown capability {capability!r}"]
    model = PARAMS[Capability(capability)]
    try:
        parse_params(model, params)
    except pydantic.ValidationError as err:
        return describe(err, capability)
    return []


def describe(err: pydantic.ValidationError, capability: str) -> list[str]:
    problems = []
    for e in err.errors(include_url=False):
        name = str(e["loc"][0]) if e["loc"] else "(params)"
        if e["type"] == "missing":
            problems.append(f"missing parameter {name!r}")
        elif e["type"] == "extra_forbidden":
            problems.append(f"unknown parameter {name!r} for {capability}")
        else:
            problems.append(f"parameter {name!r} must be {_expected(e)}: {e['msg']}")
    return problems


def _expected(error: Any) -> str:
    kind = str(error["type"])
    for word, expected in (
        ("int", "integer"),
        ("string", "string"),
        ("bool", "boolean"),
        ("list", "string_list"),
        ("literal", "one of the listed values"),
    ):
        if word in kind:
            return expected
    return "valid"


def catalog_params(capability: Capability) -> dict[str, dict[str, object]]:
    """The parameters as the planner sees them: JSON-schema type, range, default, meaning."""
    # A copy: callers own their catalog; the schema behind it is built once per process.
    return copy.deepcopy(_catalog_params(capability))


@functools.cache
def _catalog_params(capability: Capability) -> dict[str, dict[str, object]]:
    # pydantic builds a JSON schema afresh on every call: ~1 ms a capability, and every
    # question's workflow asks for the catalog.
    schema = PARAMS[capability].model_json_schema()
    required = set(schema.get("required", []))
    out: dict[str, dict[str, object]] = {}
    for name, prop in schema["properties"].items():
        entry: dict[str, object] = {"type": _schema_type(prop)}
        if name in required:
            entry["required"] = True
        if "minimum" in prop and "maximum" in prop:
            entry["range"] = [prop["minimum"], prop["maximum"]]
        for key in ("description", "default"):
            if key in prop and prop[key] not in (None, []):
                entry[key] = prop[key]
        if "enum" in prop:
            entry["one_of"] = prop["enum"]
        out[name] = entry
    return out


def _schema_type(prop: Mapping[str, Any]) -> str:
    options = prop.get("anyOf", [prop])
    kinds = [o.get("type", "string") for o in options if o.get("type") != "null"]
    kind = kinds[0] if kinds else "string"
    return "string_list" if kind == "array" else str(kind)
