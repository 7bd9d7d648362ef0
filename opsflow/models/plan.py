"""A plan is a DAG of steps, each naming a capability (not a tool) and its parameters."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

ParamValue = str | int | float | bool | list[str] | None


class PlanStep(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")
    capability: str = Field(min_length=1, max_length=64)
    params: dict[str, ParamValue] = Field(default_factory=dict)
    depends_on: list[str] = Field(default_factory=list)
    description: str = ""
    # Where another capability can answer the same need (a blocked SQL step -> metrics).
    fallback_capability: str | None = None
    fallback_params: dict[str, ParamValue] = Field(default_factory=dict)


class Plan(BaseModel):
    model_config = ConfigDict(extra="forbid")

    steps: list[PlanStep] = Field(min_length=1, max_length=32)
    # The CI the question is about, when there is one; aggregation ranks causes around it.
    focus_ci: str | None = None
    intent: str = "investigate"
    rationale: str = ""
