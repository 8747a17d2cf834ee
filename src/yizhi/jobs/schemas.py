from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator


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

    @field_validator("problems", mode="before")
    @classmethod
    def _problems_as_text(cls, value):
        """From a Job row (routes that return the row itself): the stored problems in English."""
        from yizhi.errors import localize_problem

        return [p if isinstance(p, str) else localize_problem(p, lambda text: text) for p in value or []]

    @field_validator("error", mode="before")
    @classmethod
    def _first_line(cls, value):
        return value.split("\n", 1)[0] if isinstance(value, str) else value
