"""Evaluation settings from the environment (``YIZHI_EVALUATION_*``), each with help text."""

from __future__ import annotations

from functools import lru_cache
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class EvaluationSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="YIZHI_EVALUATION_", extra="ignore")

    max_model_mb: int = Field(default=200, ge=1, description="Largest ONNX model accepted, in MiB.")
    max_parity_mb: int = Field(default=20, ge=1, description="Largest parity bundle (.npz) accepted, in MiB.")
    max_predictions_mb: int = Field(
        default=50, ge=1, description="Largest predictions file (CSV or Parquet) accepted for a phase whose inputs "
        "are released, in MiB.")
    memory_mb: int = Field(
        default=3072, ge=256,
        description="Address-space limit of the process that runs a submitted model (RLIMIT_AS), in MiB.")
    timeout_seconds: int = Field(default=600, ge=5, description="Wall-clock limit of one model run in the Tier B sandbox.")
    min_cell: int = Field(
        default=10, ge=1,
        description="Smallest subgroup (or reliability bin) whose metrics a report shows; smaller ones are "
        "suppressed so no result can be traced to a handful of cases.")
    latency_cases: int = Field(default=200, ge=10, description="Cases timed one at a time for latency p50/p95.")
    image_cache_mb: int = Field(
        default=4096, ge=0,
        description="Disk kept for prepared DICOM inputs (evaluation-inputs in the data directory, one .npz per phase's "
        "dataset version), in MiB; beyond it the least recently used are removed, and built again when "
        "that phase is scored next.")


@lru_cache(maxsize=1)
def get_evaluation_settings() -> EvaluationSettings:
    return EvaluationSettings()


def reset_evaluation_settings_cache() -> None:
    get_evaluation_settings.cache_clear()
