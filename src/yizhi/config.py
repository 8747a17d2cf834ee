"""Settings from the environment (``YIZHI_*``) with embedded defaults.

Every setting has help text: ``yizhi config`` prints them and the README's table is checked
against this class by a test, so the documentation cannot drift from the code.
"""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="YIZHI_", extra="ignore")

    data_dir: Path = Field(
        default=Path("./var"),
        description="Where the SQLite database, uploaded files, keys and the generated secret live.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL, e.g. postgresql+psycopg://user:pw@host/db. "
        "Default: SQLite file <data_dir>/yizhi.sqlite3 in WAL mode.",
    )
    secret_key: str | None = Field(
        default=None,
        description="Signs sessions and CSRF tokens and derives surrogate keys. "
        "Default: generated once into <data_dir>/secret_key (mode 0600); never commit it.",
    )
    host: str = Field(default="127.0.0.1", description="Address `yizhi serve` listens on.")
    port: int = Field(default=8000, description="Port `yizhi serve` listens on.")
    engine: Literal["local", "ray"] = Field(
        default="local",
        description="Where batch work runs: `local` (process pool on this machine) or `ray`.",
    )
    ray_address: str | None = Field(
        default=None,
        description="Ray cluster address when engine=ray (e.g. 10.0.0.5:6379, or `auto` on a node of the cluster); "
        "default: `auto`.",
    )
    ray_cpus_per_task: float = Field(
        default=1.0, description="CPUs Ray reserves for each engine task (a partition of records or a chunk of files)."
    )
    ray_memory_per_task_mb: int = Field(
        default=0, description="Memory Ray reserves for each engine task, in MB (0: no reservation)."
    )
    ray_max_retries: int = Field(
        default=3, description="Times Ray runs a task again when its worker process or node dies."
    )
    partition_mb: int = Field(
        default=8,
        description="Input megabytes per partition of record-level work (JSONL/CSV/Parquet): the unit that is "
        "retried and written atomically.",
    )
    storage_url: str | None = Field(
        default=None,
        description="fsspec URL of the file store, e.g. s3://bucket/yizhi or a shared folder every node mounts "
        "(/mnt/shared/yizhi). Default: <data_dir>/files on local disk.",
    )
    storage_options: str | None = Field(
        default=None,
        description='JSON object of fsspec options for storage_url, e.g. {"endpoint_url": "http://minio:9000"}; '
        "credentials come from the usual environment (AWS_ACCESS_KEY_ID...), never from here.",
    )
    workers: int = Field(
        default=2, description="Processes the local engine uses for batch work (de-identification, evaluation)."
    )
    embedded_worker: bool = Field(
        default=True,
        description="Run a job worker thread inside `yizhi serve` (turn off when `yizhi worker` runs separately).",
    )
    secure_cookies: bool = Field(
        default=False, description="Mark session cookies Secure (turn on behind HTTPS)."
    )
    session_hours: int = Field(default=12, description="Hours a login session lasts without activity.")
    login_max_failures: int = Field(
        default=5, description="Failed logins for one account or address before it is locked out."
    )
    login_lockout_minutes: int = Field(default=15, description="How long a lockout lasts.")
    invitation_days: int = Field(default=7, description="Days an invitation link stays valid.")
    base_url: str | None = Field(
        default=None,
        description="Public address (https://yizhi.example.org) for absolute links in invitations, e-mails "
        "and the ledger's origin. Default: the address of the request being answered.",
    )
    db_pool_size: int = Field(
        default=20, ge=1, le=500,
        description="Database connections kept open per process (each request in flight holds one).",
    )
    db_max_overflow: int = Field(
        default=20, ge=0, le=500, description="Extra connections opened under a burst, closed afterwards."
    )
    db_pool_timeout: float = Field(
        default=10.0, gt=0, le=300,
        description="Seconds a request waits for a free connection before it is answered 503.",
    )
    threads: int = Field(
        default=40, ge=4, le=1000,
        description="Threads that run request handlers and database calls (the event loop never blocks on them).",
    )
    max_body_bytes: int = Field(
        default=2 * 1024 * 1024, ge=1024,
        description="Largest request body accepted by routes that do not set their own limit (upload routes "
        "raise theirs); counted while the body streams in.",
    )
    job_heartbeat_seconds: float = Field(
        default=10.0, gt=0, le=600, description="How often a running job's worker says it is alive."
    )
    job_stale_seconds: float = Field(
        default=60.0, gt=0, le=86400,
        description="A running job without a heartbeat for this long lost its worker: any live worker requeues it.",
    )
    job_max_crashes: int = Field(
        default=3, ge=1, le=100,
        description="A job whose worker died this many times while running it is failed (a poison job), not retried.",
    )
    job_memory_mb: int = Field(
        default=4096, ge=64, le=1_048_576,
        description="Memory (address space) a heavy job's process may use (anonymization, DICOM); past it the job fails.",
    )
    job_cpu_seconds: int = Field(
        default=3600, ge=1, le=604_800, description="CPU seconds a heavy job's process may use before it is stopped.",
    )
    web_processes: int = Field(
        default=2, ge=1, le=64,
        description="Server processes `yizhi serve` runs (one event loop each; 2 suits a 2-core machine). "
        "With more than one, the embedded job worker runs once, in the supervising process.",
    )
    access_log: bool = Field(
        default=False, description="Log one line per request in `yizhi serve` (costs throughput; a reverse "
        "proxy usually keeps this log).",
    )
    trusted_proxies: str = Field(
        default="",
        description="Comma-separated addresses of reverse proxies whose X-Forwarded-For/-Proto headers are "
        "believed (e.g. 127.0.0.1). Empty: the client address is the TCP peer's.",
    )

    def resolved_data_dir(self) -> Path:
        path = self.data_dir.expanduser().resolve()
        path.mkdir(parents=True, exist_ok=True)
        return path

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.resolved_data_dir() / 'yizhi.sqlite3'}"

    def resolved_secret_key(self) -> str:
        """The configured secret, or one generated once into the data directory.

        Read once per process and kept: every page and CSRF check needs it, and a file read per
        request would be a blocking call on the event loop."""
        if self.secret_key:
            return self.secret_key
        path = self.resolved_data_dir() / "secret_key"
        return _secret_from_file(str(path))


@lru_cache(maxsize=8)
def _secret_from_file(path: str) -> str:
    create_secret_file(Path(path), secrets.token_urlsafe(48))
    return Path(path).read_text().strip()


def create_secret_file(path: Path, content: str) -> None:
    """Write ``content`` to ``path`` (mode 0600) unless the file exists.

    O_EXCL: two processes starting together must not write two different secrets.
    """
    if path.exists():
        return
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "w") as handle:
        handle.write(content)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings_cache() -> None:
    """Forget cached settings (tests change YIZHI_* between apps)."""
    get_settings.cache_clear()
    _secret_from_file.cache_clear()


def all_settings_classes() -> list[type[BaseSettings]]:
    """The platform's settings and every domain's own (``yizhi/<domain>/settings.py``, ``jobs_settings.py``)."""
    from yizhi.registry import domain_modules

    found: list[type[BaseSettings]] = [Settings]
    # a domain split in two (space: Tier A's settings.py, Tier B's jobs_settings.py) keeps a class in each
    for module in [*domain_modules("settings"), *domain_modules("jobs_settings")]:
        for value in vars(module).values():
            if (isinstance(value, type) and issubclass(value, BaseSettings) and value is not BaseSettings
                    and value.__module__ == module.__name__):
                found.append(value)
    return found


def documented_settings() -> list[tuple[str, object, str]]:
    """(environment variable, default, help text) for every YIZHI_* setting."""
    rows = []
    for cls in all_settings_classes():
        prefix = cls.model_config.get("env_prefix", "YIZHI_")
        for name, field in cls.model_fields.items():
            rows.append((f"{prefix}{name}".upper(), field.default, field.description or ""))
    return rows
