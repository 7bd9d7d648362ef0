"""The embedded dev stack: Temporal dev server + PostgreSQL, or real servers from the env."""

from opsflow_app.stack.embedded import EmbeddedStack, StackEndpoints
from opsflow_app.stack.postgres_server import EmbeddedPostgres
from opsflow_app.stack.temporal_server import TemporalDevServer, temporal_cli_path

__all__ = [
    "EmbeddedPostgres",
    "EmbeddedStack",
    "StackEndpoints",
    "TemporalDevServer",
    "temporal_cli_path",
]
