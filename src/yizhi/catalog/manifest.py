"""A version's manifest: every file's path, sha256 and size, and a root hash over them.

The root hash is the SHA-256 of the canonical JSON (RFC 8785) of the sorted file list, so the
same files give the same hash on any machine, and a changed byte anywhere changes it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import rfc8785

MANIFEST = "manifest.json"
CHUNK = 1 << 20


def file_sha256(path: Path) -> str:
    hasher = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            hasher.update(chunk)
    return hasher.hexdigest()


def build_manifest(directory: Path) -> dict:
    """Describe every file under ``directory`` (the manifest itself excluded)."""
    files = []
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        relative = path.relative_to(directory).as_posix()
        if relative == MANIFEST:
            continue
        files.append({"path": relative, "sha256": file_sha256(path), "bytes": path.stat().st_size})
    root = hashlib.sha256(rfc8785.dumps({"files": files})).hexdigest()
    return {"files": files, "root_hash": root}


def write_manifest(directory: Path) -> dict:
    manifest = build_manifest(directory)
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")
    return manifest


def verify_manifest(directory: Path) -> list[str]:
    """Problems found (missing, changed or extra files; a wrong root hash); empty when intact."""
    recorded = json.loads((directory / MANIFEST).read_text())
    actual = build_manifest(directory)
    problems = []
    want = {f["path"]: f for f in recorded.get("files", [])}
    have = {f["path"]: f for f in actual["files"]}
    problems += [f"missing: {p}" for p in sorted(want.keys() - have.keys())]
    problems += [f"extra: {p}" for p in sorted(have.keys() - want.keys())]
    problems += [f"changed: {p}" for p in sorted(want.keys() & have.keys()) if want[p]["sha256"] != have[p]["sha256"]]
    if recorded.get("root_hash") != actual["root_hash"] and not problems:
        problems.append("root hash does not match the file list")
    return problems
