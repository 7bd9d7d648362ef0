"""Reading local-activity markers in a JSON workflow history (bench, tests, tooling).

A local activity leaves no ActivityTask* events: one ``core_local_activity`` marker holds
its type, attempt and times (``data``) and its result or failure.
"""

from __future__ import annotations

import base64
import json
from typing import Any

LOCAL_ACTIVITY_MARKER = "core_local_activity"


def local_activity(event: dict[str, Any]) -> tuple[dict[str, Any], bool] | None:
    """(marker data, failed) of a local-activity marker event, else None."""
    attrs = event.get("markerRecordedEventAttributes")
    if attrs is None or attrs.get("markerName") != LOCAL_ACTIVITY_MARKER:
        return None
    [payload] = attrs["details"]["data"]["payloads"]
    data: dict[str, Any] = json.loads(base64.b64decode(payload["data"]))
    return data, "failure" in attrs
