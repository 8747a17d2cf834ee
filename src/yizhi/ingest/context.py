"""What a worker needs to process one work item, rebuilt from plain data once per process."""

from __future__ import annotations

import json
from pathlib import Path
from dataclasses import dataclass
from functools import lru_cache

from yizhi.ingest.identity import Identity
from yizhi.ingest.profile import Profile


@dataclass(frozen=True)
class Context:
    profile: Profile
    identity: Identity
    patient_keys: dict  # FHIR Patient logical id -> the id patients are keyed by (see known.py)


@lru_cache(maxsize=4)
def _context(profile_json: str, key: bytes, known_path: str | None) -> Context:
    profile = Profile.model_validate(json.loads(profile_json))
    known = json.loads(Path(known_path).read_text(encoding="utf-8")) if known_path else {}
    identity = Identity(key, profile.text_policy, profile.language, known.get("values"))
    return Context(profile, identity, known.get("keys", {}))


def context_for(item: dict) -> Context:
    return _context(item["profile"], item["key"], item.get("known"))


def table_name(source_name: str) -> str:
    """``labs.csv`` → ``labs``: the export's table name for an uploaded table."""
    stem = source_name.rsplit("/", 1)[-1]
    return stem.rsplit(".", 1)[0] if "." in stem else stem
