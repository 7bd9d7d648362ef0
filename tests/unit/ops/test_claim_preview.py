"""A claim's preview in workflow history is bounded per row count and per cell."""

from __future__ import annotations

import json

from activities.claims import PREVIEW_CELL_CHARS, PREVIEW_ITEMS, preview
from opsflow.models import TableData, ToolOutput


def test_preview_cuts_wide_cells_and_keeps_small_ones() -> None:
    wide = "x" * 10_000_000
    doc = {"k": "y" * 5000}
    rows = [[wide, 42, None, True, doc, "short"] for _ in range(200)]
    output = ToolOutput(
        tool="direct_query",
        step_id="q",
        table=TableData(columns=["a", "b", "c", "d", "e", "f"], rows=rows),
    )
    shown = preview(output, "claim-1")
    assert shown.table is not None
    assert len(shown.table.rows) == PREVIEW_ITEMS
    first = shown.table.rows[0]
    assert len(first[0]) == PREVIEW_CELL_CHARS + 1 and first[0].startswith("xxx")
    assert first[1:4] == [42, None, True]
    assert isinstance(first[4], str) and len(first[4]) == PREVIEW_CELL_CHARS + 1
    assert first[5] == "short"
    # 50 rows of six cells: the whole preview stays small whatever the result held.
    assert len(shown.model_dump_json()) < 100_000
    assert json.loads(shown.model_dump_json())["claim_id"] == "claim-1"


def test_claim_cache_is_bounded_in_bytes() -> None:
    from activities.claims import CACHE_BYTES, CACHE_ITEM_BYTES, ClaimCache

    cache = ClaimCache()
    small = ToolOutput(tool="direct_query", step_id="s")
    cache.remember("t_acme", "big", small, CACHE_ITEM_BYTES + 1)
    assert cache.get("t_acme", "big") is None
    for index in range(40):
        cache.remember("t_acme", f"c{index}", small, 900 * 1024)
    assert 900 * 1024 * sum(cache.get("t_acme", f"c{i}") is not None for i in range(40)) <= (
        CACHE_BYTES
    )
    assert cache.get("t_acme", "c39") is not None and cache.get("t_acme", "c0") is None
