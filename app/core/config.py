"""Settings read from `CRM_*` environment variables (and an optional `.env` file)."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/crm.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CRM_", env_file=".env", extra="ignore")

    database_url: str = Field(
        DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL: sqlite+aiosqlite:///path or postgresql+asyncpg://...",
    )
    host: str = Field("127.0.0.1", description="Interface `crm serve` binds to.")
    port: int = Field(8000, ge=1, le=65535, description="Port `crm serve` listens on.")
    workers: int = Field(1, ge=1, description="Uvicorn worker processes for `crm serve`.")
    db_pool_size: int = Field(20, ge=1, description="Database connections per process.")
    db_pool_timeout: float = Field(
        30.0, gt=0, description="Seconds a request waits for a free connection before failing."
    )
    max_body_bytes: int = Field(1024 * 1024, ge=1024, description="Request body limit.")
    max_batch_body_bytes: int = Field(
        10 * 1024 * 1024, ge=1024, description="Request body limit of batch endpoints."
    )
    auth_cache_seconds: float = Field(
        30.0,
        ge=0,
        description="How long a process trusts a verified API key before checking it again; "
        "a revocation reaches other processes within this time.",
    )
    idempotency_hours: float = Field(
        24.0, gt=0, description="How long a stored Idempotency-Key response is replayed."
    )
    idempotency_lease_seconds: float = Field(
        60.0, gt=0, description="How long a request holds its Idempotency-Key while it runs."
    )
    event_retention_days: float = Field(
        30.0, gt=0, description="How long the change feed (and webhook delivery log) is kept."
    )
    audit_retention_days: float = Field(
        365.0, gt=0, description="How long the audit log is kept (apart from the change feed)."
    )
    run_worker: bool = Field(
        True, description="Run the webhook worker inside `crm serve` (embedded set-up)."
    )
    worker_poll_seconds: float = Field(
        1.0, gt=0, description="How often an idle worker looks for due deliveries."
    )
    webhook_timeout_seconds: float = Field(
        10.0, gt=0, description="How long a webhook receiver has to answer an attempt."
    )
    webhook_lease_seconds: float = Field(
        60.0,
        gt=0,
        description="How long a worker holds a delivery it is sending; after a crash another "
        "worker takes it over once the lease ends.",
    )
    webhook_disable_after: int = Field(
        50,
        ge=1,
        description="Consecutive failed attempts (no success between) after which an endpoint "
        "is disabled.",
    )
    webhook_max_concurrency_per_endpoint: int = Field(
        4,
        ge=1,
        description="Requests in flight at once to one webhook endpoint, across all workers.",
    )
    webhook_allow_private_urls: bool = Field(
        False,
        description="Allow webhook URLs on loopback, private, link-local or metadata addresses.",
    )
    redis_url: str | None = Field(
        None,
        description="Redis URL (redis://host:6379/0) where every process counts the rate "
        "limits, so that they enforce one budget; unset, each process counts in memory.",
    )
    rate_limit_window_seconds: int = Field(
        60, ge=1, description="Length of a rate limit window (fixed windows on the clock)."
    )
    rate_limit_per_key: int = Field(
        600, ge=1, description="Requests an API key may make per window."
    )
    rate_limit_per_workspace: int = Field(
        3000,
        ge=1,
        description="Requests all keys of a workspace may make together per window (the same "
        "for every workspace for now; a per-workspace setting can override it later).",
    )
    rate_limit_auth_failures: int = Field(
        20,
        ge=1,
        description="Failed authentications a client address may have per window; beyond, "
        "it is answered 429 before any key it sends is verified.",
    )
    cors_origins: list[str] = Field(
        default_factory=list, description="Origins allowed by CORS (JSON list); empty disables it."
    )
    log_level: str = Field("info", description="Log level of the service.")
    log_format: Literal["json", "console"] | None = Field(
        None,
        description="`json`: one JSON object a line; `console`: for people. Default: console "
        "when standard output is a terminal, else json.",
    )
    access_log: bool = Field(True, description="Log one line per request (crm.access).")
    metrics_token: SecretStr | None = Field(
        None,
        description="Bearer token that `GET /metrics` requires; without one, /metrics is off "
        "(404).",
    )

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def sqlite_path(self) -> Path | None:
        """The database file of an SQLite URL (None for in-memory or other databases)."""
        if not self.is_sqlite:
            return None
        path = self.database_url.split(":///", 1)[1].split("?", 1)[0]
        return None if path in ("", ":memory:") else Path(path)


@lru_cache
def get_settings() -> Settings:
    return Settings()
