"""Exports of a version: its card as JSON, DCAT-AP/HealthDCAT-AP JSON-LD and Croissant, and the
whole version directory (``yizhi datasets export``: manifest, tables, DICOM, card, croissant).

The dataset's key never leaves: it lives outside the version directory (:mod:`yizhi.catalog.keys`).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from sqlalchemy.orm import Session

from yizhi import ledger
from yizhi.catalog import croissant, dcat, disclosure, manifest, store
from yizhi.catalog.models import DatasetVersion, VersionState
from yizhi.web.links import base_url
from yizhi.errors import N_, Conflict, ValidationFailed

EXPORTABLE = (VersionState.ready, VersionState.published, VersionState.withdrawn)


def version_url(version: DatasetVersion) -> str:
    return f"{base_url()}/catalog/{version.dataset.slug}/{version.number}"


def files_of(version: DatasetVersion) -> list[dict]:
    path = store.version_dir(version) / manifest.MANIFEST
    if not path.exists():
        return []
    return json.loads(path.read_text()).get("files", [])


def describe(version: DatasetVersion, *, public: bool = False) -> dict:
    """What the exporters need; ``public`` applies disclosure control to the card's counts."""
    card = dict(version.card or {})
    return {
        "url": version_url(version), "ref": version.ref, "number": version.number,
        "card": disclosure.public_card(card) if public else card, "stats": version.stats or {},
        "tables": version.tables or {}, "files": files_of(version),
        "published_at": version.published_at.isoformat() if version.published_at else None,
        "namespace": f"{base_url()}/ns/catalog#",
    }


def card_document(version: DatasetVersion, fmt: str, *, public: bool = False) -> str:
    """The card as ``json``, ``dcat`` (JSON-LD) or ``croissant`` (JSON-LD)."""
    info = describe(version, public=public)
    if fmt == "dcat":
        return dcat.dcat_jsonld(info)
    if fmt == "croissant":
        return json.dumps(croissant.croissant(info), ensure_ascii=False, indent=1)
    if fmt == "json":
        return json.dumps({"ref": version.ref, "root_hash": version.root_hash, "card": info["card"]},
                          ensure_ascii=False, indent=1, sort_keys=True)
    raise ValidationFailed(N_("unknown card format %(format)s; use croissant, dcat or json"),
                           params={"format": fmt[:20]}, field="format")


def export_version(session: Session, version: DatasetVersion, out_dir: Path, *, actor: str | None = None) -> list[str]:
    """Copy the version into ``out_dir`` (new or empty) after checking its manifest; returns the files."""
    if version.state not in EXPORTABLE:
        raise Conflict(N_("%(ref)s is %(state)s; only built versions can be exported"),
                       params={"ref": version.ref, "state": version.state.value})
    source = store.version_dir(version)
    problems = manifest.verify_manifest(source)
    if problems:
        raise Conflict(N_("%(ref)s does not match its manifest (%(problems)s); it is not exported"),
                       params={"ref": version.ref, "problems": "; ".join(problems[:5])})
    out_dir = Path(out_dir)
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise ValidationFailed(N_("%(path)s exists and is not an empty folder"), params={"path": str(out_dir)},
                               field="out_dir")
    shutil.copytree(source, out_dir, dirs_exist_ok=True)
    (out_dir / "card.json").write_text(card_document(version, "json") + "\n", encoding="utf-8")
    (out_dir / "croissant.json").write_text(card_document(version, "croissant") + "\n", encoding="utf-8")
    (out_dir / "dcat.jsonld").write_text(card_document(version, "dcat") + "\n", encoding="utf-8")
    ledger.record(session, "dataset.version_exported", f"dataset_version:{version.id}",
                  {"version": version.ref, "root_hash": version.root_hash}, actor=actor,
                  org=version.dataset.organization.slug)
    session.flush()
    return sorted(p.relative_to(out_dir).as_posix() for p in out_dir.rglob("*") if p.is_file())
