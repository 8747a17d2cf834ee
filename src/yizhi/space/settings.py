"""Tier A settings from the environment (``YIZHI_SPACE_*``), each with help text.

(Tier B keeps its sandbox settings in ``jobs_settings.py``.)
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class QuerySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="YIZHI_SPACE_", extra="ignore")

    query_threads: int = Field(default=2, ge=1, le=256, description="Threads DuckDB may use for one Tier A query.")
    query_memory: str = Field(
        default="4GB", pattern=r"^[0-9]+(\.[0-9]+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$",
        description="Memory DuckDB may use for one Tier A query (spills to disk beyond it), e.g. 4GB.")
    query_max_body: int = Field(default=65536, ge=1024, description="Largest query JSON accepted, in bytes.")
    query_max_cells: int = Field(
        default=2000, ge=1, description="Largest crosstab or grouped table (cells) a query may ask for.")
    query_model_rows: int = Field(
        default=20_000_000, ge=1,
        description="Most rows a model (glm, km, cox, correlation) reads into memory; larger populations are refused.")
    dummy_rows: int = Field(
        default=1000, ge=1, le=1_000_000,
        description="Rows of the largest table of a version's dummy data (others scaled alike).")


@lru_cache(maxsize=1)
def get_query_settings() -> QuerySettings:
    return QuerySettings()


def reset_query_settings_cache() -> None:
    get_query_settings.cache_clear()
