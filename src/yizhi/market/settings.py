"""Settings of the product supermarket and vouchers (``YIZHI_MARKET_*``), each with help text."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class MarketSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="YIZHI_MARKET_", extra="ignore")

    certificate_months: int = Field(
        default=12, ge=1, le=60,
        description="Months a certificate of the supermarket lasts unless the commission says otherwise (never past "
        "the NMPA registration's end).")
    incident_threshold: int = Field(
        default=3, ge=2, le=100,
        description="Post-market reports on one product version within the window that raise a re-evaluation "
        "request at the evaluation center.")
    incident_window_days: int = Field(default=90, ge=1, le=3650,
                                      description="The window (days) in which post-market reports are counted.")
    cpu_hour_yuan: str = Field(default="0.50", pattern=r"^\d{1,6}(\.\d{1,6})?$",
                               description="Price of one CPU-hour of a Tier B job, in yuan, paid by compute vouchers.")
    gib_hour_yuan: str = Field(default="0.10", pattern=r"^\d{1,6}(\.\d{1,6})?$",
                               description="Price of one GiB of peak memory held for one hour of a Tier B job's wall "
                               "time, in yuan.")
    meter_seconds: int = Field(default=60, ge=5,
                               description="How often finished Tier B jobs are charged to compute vouchers.")

    @property
    def rates(self) -> dict:
        return {"cpu_hour": self.cpu_hour_yuan, "gib_hour": self.gib_hour_yuan}


@lru_cache(maxsize=1)
def get_market_settings() -> MarketSettings:
    return MarketSettings()


def reset_market_settings_cache() -> None:
    get_market_settings.cache_clear()
