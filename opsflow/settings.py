"""Every setting comes from the environment (docker-compose, the stack's printed lines, CI).

Names are the documented contract: a variable the settings do not know is a mistake.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    env: str = Field(default="dev", validation_alias="OPSFLOW_ENV")
    temporal_address: str | None = Field(default=None, validation_alias="TEMPORAL_ADDRESS")
    temporal_namespace: str = Field(default="default", validation_alias="TEMPORAL_NAMESPACE")
    temporal_ui_url: str = Field(
        default="http://localhost:8233", validation_alias="TEMPORAL_UI_URL"
    )
    task_queue: str = Field(default="opsflow", validation_alias="OPSFLOW_TASK_QUEUE")
    db_dsn: str | None = Field(default=None, validation_alias="OPSFLOW_DB_DSN")
    db_pool_min: int = Field(default=2, validation_alias="OPSFLOW_DB_POOL_MIN")
    db_pool_max: int = Field(default=10, validation_alias="OPSFLOW_DB_POOL_MAX")
    data_dir: Path = Field(default=Path(".opsflow"), validation_alias="OPSFLOW_DATA_DIR")
    log_level: str = Field(default="INFO", validation_alias="OPSFLOW_LOG_LEVEL")
    metrics_port: int | None = Field(default=None, validation_alias="OPSFLOW_METRICS_PORT")
    # Worker concurrency.
    # Four tool calls per pooled connection: past that, tool calls only hold their results
    # in memory waiting for a connection (figures: docs/DECISIONS.md, "Activity slots").
    max_concurrent_activities: int = Field(
        default=40, validation_alias="OPSFLOW_MAX_CONCURRENT_ACTIVITIES"
    )
    max_concurrent_workflow_tasks: int = Field(
        default=100, validation_alias="OPSFLOW_MAX_CONCURRENT_WORKFLOW_TASKS"
    )
    # Workflows in Temporal's sandbox (default): per run it re-imports the workflow module
    # and per payload it enters the sandbox, ~30 % of a question's worker CPU here. Off is
    # for a worker whose code passed the sandboxed tests and replays (docs/DECISIONS.md).
    workflow_sandbox: bool = Field(default=True, validation_alias="OPSFLOW_WORKFLOW_SANDBOX")
    # Latency added to every tool call (benchmarks, chaos tests): a configuration, not a code path.
    tool_latency_ms: int = Field(default=0, validation_alias="OPSFLOW_TOOL_LATENCY_MS")
    # JSON object overriding tool policies: {"metric_query": {"start_to_close_s": 5}}.
    tool_policies_json: str = Field(default="", validation_alias="OPSFLOW_TOOL_POLICIES")
    claim_threshold_bytes: int = Field(default=64 * 1024, validation_alias="OPSFLOW_CLAIM_BYTES")
    # Investigation threads (read by the client when it starts one; the thread keeps them).
    thread_idle_timeout_s: float = Field(default=3600.0, validation_alias="OPSFLOW_THREAD_IDLE_S")
    thread_max_turns_per_run: int = Field(
        default=10, validation_alias="OPSFLOW_THREAD_TURNS_PER_RUN"
    )
    # Claims older than this are deleted by the worker's cleanup job (0 keeps them forever).
    claim_retention_s: int = Field(
        default=7 * 24 * 3600, validation_alias="OPSFLOW_CLAIM_RETENTION_S"
    )
    claim_cleanup_interval_s: float = Field(
        default=3600.0, validation_alias="OPSFLOW_CLAIM_CLEANUP_INTERVAL_S"
    )
    # What one tenant may cost the others (see opsflow/db/session.py and direct_query).
    tenant_db_concurrency: int = Field(default=4, validation_alias="OPSFLOW_TENANT_DB_CONCURRENCY")
    tenant_sql_concurrency: int = Field(
        default=1, validation_alias="OPSFLOW_TENANT_SQL_CONCURRENCY"
    )
    tenant_sql_failure_hold_s: float = Field(
        default=0.25, validation_alias="OPSFLOW_TENANT_SQL_FAILURE_HOLD_S"
    )
    tool_work_mem_kb: int = Field(default=8 * 1024, validation_alias="OPSFLOW_TOOL_WORK_MEM_KB")
    tool_temp_file_limit_kb: int = Field(
        default=128 * 1024, validation_alias="OPSFLOW_TOOL_TEMP_FILE_LIMIT_KB"
    )
    sql_result_bytes: int = Field(
        default=2 * 1024 * 1024, validation_alias="OPSFLOW_SQL_RESULT_BYTES"
    )
    sql_row_bytes: int = Field(default=64 * 1024, validation_alias="OPSFLOW_SQL_ROW_BYTES")
    # LLM
    openai_base_url: str | None = Field(default=None, validation_alias="OPENAI_BASE_URL")
    openai_api_key: str | None = Field(default=None, validation_alias="OPENAI_API_KEY")
    llm_model: str = Field(default="gpt-4o-mini", validation_alias="OPSFLOW_LLM_MODEL")
    llm_fallback_model: str | None = Field(
        default=None, validation_alias="OPSFLOW_LLM_FALLBACK_MODEL"
    )
    llm_timeout_s: float = Field(default=20.0, validation_alias="OPSFLOW_LLM_TIMEOUT_S")
    llm_max_tokens: int = Field(default=20000, validation_alias="OPSFLOW_LLM_MAX_TOKENS")
    llm_required: bool = Field(default=False, validation_alias="OPSFLOW_LLM_REQUIRED")
    breaker_failure_threshold: int = Field(default=5, validation_alias="OPSFLOW_BREAKER_FAILURES")
    breaker_recovery_s: float = Field(default=60.0, validation_alias="OPSFLOW_BREAKER_RECOVERY_S")
    # Payload encryption (AES-GCM). Format: "keyid:base64key[,keyid:base64key...]"; first encrypts.
    codec_keys: str | None = Field(default=None, validation_alias="OPSFLOW_CODEC_KEYS")
    codec_server_token: str | None = Field(default=None, validation_alias="OPSFLOW_CODEC_TOKEN")
    codec_cors_origin: str = Field(
        default="http://localhost:8233", validation_alias="OPSFLOW_CODEC_CORS_ORIGIN"
    )
    # HTTP API (client.py serve): "key:tenant[,key:tenant...]"; keys are hashed when loaded.
    api_keys: str | None = Field(default=None, validation_alias="OPSFLOW_API_KEYS")
    api_rate_per_minute: int = Field(default=120, validation_alias="OPSFLOW_API_RATE_PER_MIN")
    api_max_body_bytes: int = Field(default=16 * 1024, validation_alias="OPSFLOW_API_MAX_BODY")
    # Host names (comma-separated) the codec server answers besides loopback names.
    codec_allowed_hosts: str = Field(default="", validation_alias="OPSFLOW_CODEC_ALLOWED_HOSTS")
    # Serve without a token on a non-loopback address (a container whose port is published
    # on 127.0.0.1 only): an explicit statement that the network in between is private.
    codec_allow_no_token: bool = Field(
        default=False, validation_alias="OPSFLOW_CODEC_ALLOW_NO_TOKEN"
    )

    @field_validator(
        "temporal_address",
        "db_dsn",
        "openai_base_url",
        "openai_api_key",
        "llm_fallback_model",
        "codec_keys",
        "codec_server_token",
        "metrics_port",
        "api_keys",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # docker compose passes `${VAR:-}` as an empty string: that means "not configured".
        return None if value == "" else value

    @property
    def is_prod(self) -> bool:
        return self.env.lower() in ("prod", "production")

    @property
    def llm_enabled(self) -> bool:
        return bool(self.openai_api_key)


ENV_VARS: frozenset[str] = frozenset(
    str(alias)
    for field in Settings.model_fields.values()
    for alias in (
        field.validation_alias.choices
        if isinstance(field.validation_alias, AliasChoices)
        else [field.validation_alias]
    )
    if alias
)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
