from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class JobPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    state: str
    params: dict
    result: dict | None
    error: str | None
    attempts: int
    max_attempts: int
    progress: float
    progress_note: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
