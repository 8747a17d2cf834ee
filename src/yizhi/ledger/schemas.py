"""Pydantic shapes of the ledger's JSON API (the same fields the CLI prints)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class EntryPublic(BaseModel):
    index: int
    leaf: str = Field(description="The canonical JSON text (RFC 8785) that was hashed")
    leaf_hash: str


class EntryCreate(BaseModel):
    kind: str = Field(examples=["operator.note"])
    subject: str = "ledger:operator"
    data: dict[str, Any] = Field(default_factory=dict, description="ids and content hashes only")


class InclusionProofPublic(BaseModel):
    leaf_index: int
    tree_size: int
    leaf_hash: str
    audit_path: list[str]


class ConsistencyProofPublic(BaseModel):
    first: int
    second: int
    proof: list[str]


class CosignerPublic(BaseModel):
    witness: str
    org: str
    time: int


class LedgerStatus(BaseModel):
    origin: str
    size: int
    hash: str
    public_key: str
    fingerprint: str
    checkpoint: str | None
    checkpoint_size: int | None
    cosigners: list[CosignerPublic]
    quorum: int


class CheckpointPublic(BaseModel):
    tree_size: int
    note: str
    cosigners: list[CosignerPublic]
    quorum_met: bool
    witness_outcomes: dict[str, str] = Field(default_factory=dict)


class WitnessCreate(BaseModel):
    org: str = Field(description="Slug of your organisation")
    vkey: str = Field(description="The witness's cosignature/v1 verifier key")
    url: str | None = Field(default=None, description="Submission prefix; leave empty for an offline witness")


class WitnessPublic(BaseModel):
    name: str
    org: str
    vkey: str
    url: str | None
    active: bool
    last_size: int


class CosignatureSubmit(BaseModel):
    lines: str = Field(description="The witness's signature line(s) on the latest checkpoint")


class ProblemPublic(BaseModel):
    index: int | None
    message: str


class VerifyPublic(BaseModel):
    ok: bool
    size: int
    entries_checked: int
    checkpoints_checked: int
    first_bad_index: int | None
    problems: list[ProblemPublic]
