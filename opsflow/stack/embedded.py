"""Start (or reuse) both servers and hand out the endpoints other processes read from env."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from opsflow.settings import Settings
from opsflow.stack.postgres_server import EmbeddedPostgres
from opsflow.stack.temporal_server import TemporalDevServer


@dataclass(frozen=True)
class StackEndpoints:
    temporal_address: str
    db_dsn: str
    ui_url: str

    def env_lines(self) -> list[str]:
        return [
            f"TEMPORAL_ADDRESS={self.temporal_address}",
            f"OPSFLOW_DB_DSN={self.db_dsn}",
            f"TEMPORAL_UI_URL={self.ui_url}",
        ]


class EmbeddedStack:
    """Servers configured in the environment are used as they are; the rest are started."""

    def __init__(
        self,
        settings: Settings,
        *,
        data_dir: Path | None = None,
        temporal_port: int = 7233,
        ui_port: int = 8233,
        pg_port: int = 55432,
        ui: bool = True,
    ) -> None:
        root = (data_dir or settings.data_dir).resolve()
        self.settings = settings
        self.temporal: TemporalDevServer | None = None
        self.postgres: EmbeddedPostgres | None = None
        if settings.temporal_address is None:
            self.temporal = TemporalDevServer(
                root / "temporal", port=temporal_port, ui_port=ui_port, ui=ui
            )
        if settings.db_dsn is None:
            self.postgres = EmbeddedPostgres(root / "postgres", port=pg_port)

    def start(self) -> StackEndpoints:
        if self.postgres is not None:
            self.postgres.start()
        if self.temporal is not None:
            self.temporal.start()
        return self.endpoints

    @property
    def endpoints(self) -> StackEndpoints:
        address = self.temporal.address if self.temporal else self.settings.temporal_address
        dsn = self.postgres.dsn if self.postgres else self.settings.db_dsn
        ui_url = self.temporal.ui_url if self.temporal else self.settings.temporal_ui_url
        assert address is not None and dsn is not None
        return StackEndpoints(temporal_address=address, db_dsn=dsn, ui_url=ui_url)

    def stop(self) -> None:
        if self.temporal is not None:
            self.temporal.stop()
        if self.postgres is not None:
            self.postgres.stop()
