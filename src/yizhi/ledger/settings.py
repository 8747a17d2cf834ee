"""Ledger settings from the environment (``YIZHI_LEDGER_*``), each with help text."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class LedgerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="YIZHI_LEDGER_", extra="ignore")

    origin: str | None = Field(
        default=None,
        description="Checkpoint origin line and platform key name, e.g. ledger.health.example.gov.cn. "
        "Default: the host of YIZHI_BASE_URL followed by /ledger. Fixed when the log is created.",
    )
    hash: Literal["sha256", "sm3"] = Field(
        default="sha256", description="Tree hash for a new log: sha256 (default) or sm3 (GB/T 32905)."
    )
    signature: Literal["ed25519", "sm2"] = Field(
        default="ed25519",
        description="Signature of the platform key generated on first run: ed25519 (default) or sm2.",
    )
    checkpoint_every: int = Field(
        default=256, ge=1, description="Sign a new checkpoint after this many new entries."
    )
    checkpoint_seconds: int = Field(
        default=60, ge=1, description="Sign a new checkpoint when the tree grew and the last one is this old."
    )
    witness_quorum: int = Field(
        default=0, ge=0, description="Cosignatures (k of the n registered witnesses) a checkpoint needs."
    )
    witness_timeout: float = Field(default=10.0, gt=0, description="Seconds to wait for a witness.")


@lru_cache(maxsize=1)
def get_ledger_settings() -> LedgerSettings:
    return LedgerSettings()


def reset_ledger_settings_cache() -> None:
    get_ledger_settings.cache_clear()
