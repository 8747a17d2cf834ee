from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class JobPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    state: str
    params: dict
    result: dict | None
    error: str | None = Field(description="Why it failed, in the language asked for (never a traceback).")
    problems: list[str] = Field(default_factory=list, description="One message per bad input line.")
    attempts: int
    max_attempts: int
    progress: float
    progress_note: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
