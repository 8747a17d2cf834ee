"""What changed between two versions of a dataset: tables, columns and rows added or removed,
sources and profile changes, root hashes. Pure (plain dicts in, a plain dict out)."""

from __future__ import annotations

import difflib


def version_changes(previous: dict | None, current: dict) -> dict:
    """``previous``/``current``: {"ref", "root_hash", "tables", "sources", "profile"} of each version."""
    if previous is None:
        return {"first": True, "ref": current.get("ref"), "root_hash": current.get("root_hash")}
    old_tables, new_tables = previous.get("tables") or {}, current.get("tables") or {}
    return {
        "first": False,
        "from": previous.get("ref"),
        "to": current.get("ref"),
        "root_hash": {"from": previous.get("root_hash"), "to": current.get("root_hash"),
                      "changed": previous.get("root_hash") != current.get("root_hash")},
        "tables_added": sorted(new_tables.keys() - old_tables.keys()),
        "tables_removed": sorted(old_tables.keys() - new_tables.keys()),
        "tables_changed": _table_changes(old_tables, new_tables),
        "sources": _source_changes(previous.get("sources") or [], current.get("sources") or []),
        "profile": _profile_change(previous.get("profile") or "", current.get("profile") or ""),
    }


def _table_changes(old_tables: dict, new_tables: dict) -> list[dict]:
    changes = []
    for name in sorted(old_tables.keys() & new_tables.keys()):
        old, new = old_tables[name], new_tables[name]
        old_cols, new_cols = old.get("columns") or {}, new.get("columns") or {}
        entry = {
            "table": name,
            "rows": {"from": old.get("rows"), "to": new.get("rows"),
                     "delta": (new.get("rows") or 0) - (old.get("rows") or 0)},
            "columns_added": sorted(new_cols.keys() - old_cols.keys()),
            "columns_removed": sorted(old_cols.keys() - new_cols.keys()),
            "types_changed": [{"column": c, "from": old_cols[c], "to": new_cols[c]}
                              for c in sorted(old_cols.keys() & new_cols.keys()) if old_cols[c] != new_cols[c]],
        }
        if entry["rows"]["delta"] or entry["columns_added"] or entry["columns_removed"] or entry["types_changed"]:
            changes.append(entry)
    return changes


def _source_changes(old: list[dict], new: list[dict]) -> dict:
    old_by_name = {s["name"]: s.get("sha256") for s in old}
    new_by_name = {s["name"]: s.get("sha256") for s in new}
    return {
        "added": sorted(new_by_name.keys() - old_by_name.keys()),
        "removed": sorted(old_by_name.keys() - new_by_name.keys()),
        "replaced": sorted(n for n in old_by_name.keys() & new_by_name.keys() if old_by_name[n] != new_by_name[n]),
    }


def _profile_change(old: str, new: str) -> dict:
    if old.strip() == new.strip():
        return {"changed": False, "diff": []}
    lines = list(difflib.unified_diff((old or "# (default profile)\n").splitlines(),
                                      (new or "# (default profile)\n").splitlines(),
                                      "previous", "this version", lineterm="", n=1))
    return {"changed": True, "diff": lines[:200]}
