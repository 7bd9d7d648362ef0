"""Embedded stacks for tests: free ports, a private temporary directory, cleaned up after."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from opsflow.settings import Settings
from opsflow_app.stack import EmbeddedStack, StackEndpoints
from opsflow_app.stack._procs import free_port


@contextmanager
def embedded_stack(
    prefix: str, *, ui: bool = True, use_env: bool = False
) -> Iterator[EmbeddedStack]:
    """Started servers (or the environment's, with ``use_env``), stopped at exit.

    Not pytest's tmp_path_factory: a concurrent pytest run may prune its directories.
    """
    data_dir = Path(tempfile.mkdtemp(prefix=f"opsflow-{prefix}-"))
    base = Settings(OPSFLOW_ENV="test")
    if not use_env:
        base = base.model_copy(update={"temporal_address": None, "db_dsn": None})
    stack = EmbeddedStack(
        base,
        data_dir=data_dir,
        temporal_port=free_port(),
        ui_port=free_port(),
        pg_port=free_port(),
        ui=ui,
    )
    try:
        stack.start()
        yield stack
    finally:
        # A test may have left a server down or killed: stop what still runs.
        stack.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def settings_for(endpoints: StackEndpoints, **extra: Any) -> Settings:
    """Settings pointing at ``endpoints``, offline (no LLM, no codec) unless overridden."""
    return Settings(OPSFLOW_ENV="test").model_copy(
        update={
            "temporal_address": endpoints.temporal_address,
            "db_dsn": endpoints.db_dsn,
            "temporal_ui_url": endpoints.ui_url,
            "openai_api_key": None,
            "openai_base_url": None,
            "codec_keys": None,
            **extra,
        }
    )
