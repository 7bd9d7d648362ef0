"""Pure pydantic models shared by the client, workflows and activities."""

from opsflow.models.blocks import (
    Block,
    GraphBlock,
    MarkdownBlock,
    Marker,
    Reference,
    ReferencesBlock,
    SeriesLine,
    TableBlock,
    TimeseriesBlock,
)
from opsflow.models.findings import AnalysisInput, Anomaly, Change, Evidence, Findings, RootCause
from opsflow.models.plan import ParamValue, Plan, PlanStep
from opsflow.models.request import OpsRequest
from opsflow.models.result import (
    FallbackDetails,
    LlmUsage,
    MissingItem,
    OrchestrationResult,
    Progress,
    Status,
    StepState,
    StepStatus,
)
from opsflow.models.tool_io import (
    CiRecord,
    EdgeRecord,
    EventRecord,
    MetricSeries,
    TableData,
    ToolCall,
    ToolOutput,
)

__all__ = [
    "AnalysisInput",
    "Anomaly",
    "Block",
    "Change",
    "CiRecord",
    "EdgeRecord",
    "EventRecord",
    "Evidence",
    "FallbackDetails",
    "Findings",
    "GraphBlock",
    "LlmUsage",
    "MarkdownBlock",
    "Marker",
    "MetricSeries",
    "MissingItem",
    "OpsRequest",
    "OrchestrationResult",
    "ParamValue",
    "Plan",
    "PlanStep",
    "Progress",
    "Reference",
    "ReferencesBlock",
    "RootCause",
    "SeriesLine",
    "Status",
    "StepState",
    "StepStatus",
    "TableBlock",
    "TableData",
    "TimeseriesBlock",
    "ToolCall",
    "ToolOutput",
]
