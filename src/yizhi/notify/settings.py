"""E-mail (SMTP) settings."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class SmtpSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="YIZHI_SMTP_", extra="ignore")

    host: str | None = Field(default=None, description="SMTP server for e-mail. Unset: e-mails go to "
                             "<data_dir>/outbox/*.eml and the log instead.")
    port: int = Field(default=587, ge=1, le=65535, description="SMTP port.")
    user: str | None = Field(default=None, description="SMTP login (unset: no login).")
    password: str | None = Field(default=None, description="SMTP password.")
    starttls: bool = Field(default=True, description="Upgrade the SMTP connection with STARTTLS.")
    sender: str = Field(default="YiZhi 医智 <noreply@yizhi.local>", description="From: address of e-mails.")
    timeout: float = Field(default=30.0, gt=0, le=300, description="Seconds to wait for the SMTP server.")


@lru_cache(maxsize=1)
def get_smtp_settings() -> SmtpSettings:
    return SmtpSettings()


def reset_smtp_settings_cache() -> None:
    get_smtp_settings.cache_clear()
