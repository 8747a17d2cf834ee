"""Record files cut into partitions, read and written through fsspec.

A partition is the unit of record-level work on every engine: a byte range of a JSONL or CSV file
(cut at a line end; for CSV only where the quotes seen so far are balanced, since quoted fields may
hold line breaks) or a run of Parquet row groups. The plan depends only on the input and the
partition size, never on the engine, so the local pool and Ray cut the same partitions, run the same
function on each and write the same bytes.

Each partition's output is written whole and atomically as ``part-NNNNN.jsonl``: on a disk (local or
mounted) to a temporary name renamed into place, on object storage as one PUT. A partition that is
retried after its worker died therefore overwrites its own part with the same bytes: no duplicate
records and never a partial file.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import orjson

from yizhi.engine import messages
from yizhi.errors import ValidationFailed

FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}
SCAN_BLOCK = 1 << 20
SEEK_BLOCK = 1 << 16
MANIFEST = "_manifest.json"


@dataclass(frozen=True)
class Partition:
    index: int
    source: str  # fsspec URL (a plain path on local disk)
    format: str  # jsonl | csv | parquet
    start: int  # byte offset (jsonl, csv) or first row group (parquet)
    end: int  # byte offset or row group past the last
    header: bytes = b""  # the CSV header line, given to every partition of the file

    @property
    def name(self) -> str:
        return f"part-{self.index:05d}.jsonl"

    def as_dict(self) -> dict:
        return asdict(self)


def filesystem(url: str, store: tuple | None = None):
    """fsspec filesystem for ``url``; ``store`` = (storage URL, options JSON) as the platform has them,
    passed along with each task so a worker elsewhere uses the platform's store, not its own settings."""
    from yizhi.storage import filesystem as store_filesystem

    return store_filesystem(url, store)


def input_format(source: str) -> str:
    suffix = os.path.splitext(source.rstrip("/"))[1].lower()
    found = FORMATS.get(suffix)
    if found is None:
        raise ValidationFailed(messages.UNKNOWN_FORMAT, params={"source": source, "suffix": suffix or "(none)"})
    return found


# ---- planning ---------------------------------------------------------------------------------------
def plan(source: str, partition_bytes: int, store: tuple | None = None) -> list[Partition]:
    """The partitions of ``source``, in input order."""
    if partition_bytes < 1024:
        raise ValidationFailed(messages.PARTITION_SIZE, params={"size": partition_bytes})
    kind = input_format(source)
    fs, path = filesystem(source, store)
    if not fs.isfile(path):
        raise ValidationFailed(messages.NO_INPUT, params={"source": source})
    if kind == "parquet":
        return _plan_parquet(source, fs, path, partition_bytes)
    # Small blocks: planning JSONL seeks to each cut and reads one line (s3fs would fetch 50 MB a seek).
    with fs.open(path, "rb", block_size=SEEK_BLOCK if kind == "jsonl" else SCAN_BLOCK) as handle:
        size = fs.size(path)
        header = b""
        start = 0
        if kind == "csv":
            header = handle.readline()
            if not header.strip():
                raise ValidationFailed(messages.CSV_NO_HEADER, params={"source": source})
            start = len(header)
        cuts = _line_cuts(handle, start, size, partition_bytes, quoted=kind == "csv")
    bounds = [start, *cuts, size]
    return [Partition(i, source, kind, a, b, header) for i, (a, b) in enumerate(zip(bounds, bounds[1:])) if b > a]


def _line_cuts(handle, start: int, size: int, partition_bytes: int, *, quoted: bool) -> list[int]:
    """Offsets just past a line end, about ``partition_bytes`` apart. JSONL seeks straight to each
    target; CSV is read through once to know where the quotes are balanced."""
    cuts: list[int] = []
    if not quoted:
        target = start + partition_bytes
        while target < size:
            handle.seek(target)
            handle.readline()  # to the end of the line that crosses the target
            cut = handle.tell()
            if cut >= size:
                break
            cuts.append(cut)
            target = cut + partition_bytes
        return cuts
    handle.seek(start)
    position, quotes, target = start, 0, start + partition_bytes
    while block := handle.read(SCAN_BLOCK):
        offset = 0
        while position + len(block) > target:
            # the first line end at or after the target where the quotes so far are balanced
            index = max(0, target - position)
            found = None
            while (newline := block.find(b"\n", index)) != -1:
                if (quotes + block.count(b'"', 0, newline)) % 2 == 0:
                    found = newline
                    break
                index = newline + 1
            if found is None:
                break
            cut = position + found + 1
            if cut < size:
                cuts.append(cut)
            target = cut + partition_bytes
        quotes += block.count(b'"', offset)
        position += len(block)
    return cuts


def _plan_parquet(source: str, fs, path: str, partition_bytes: int) -> list[Partition]:
    import pyarrow.parquet as pq

    try:
        with fs.open(path, "rb") as handle:
            metadata = pq.ParquetFile(handle).metadata
    except Exception as exc:  # pyarrow raises several kinds on a broken file
        raise ValidationFailed(messages.BAD_PARQUET, params={"source": source, "problem": str(exc)[:200]}) from None
    partitions, first, size = [], 0, 0
    for group in range(metadata.num_row_groups):
        size += metadata.row_group(group).total_byte_size
        if size >= partition_bytes:
            partitions.append(Partition(len(partitions), source, "parquet", first, group + 1))
            first, size = group + 1, 0
    if first < metadata.num_row_groups or not partitions:
        partitions.append(Partition(len(partitions), source, "parquet", first, metadata.num_row_groups))
    return partitions


# ---- reading ----------------------------------------------------------------------------------------
# A partition is read into an Arrow table (what a Ray Data block is) and its records are taken from
# that table: the local engine calls the same two functions one after the other. JSON lines travel as
# their own bytes and CSV rows as JSON text, so no value changes type on the way.
OFFSET, RECORD = "_offset", "_record"


def read_block(partition: Partition, store: tuple | None = None):
    """The partition as an Arrow table: (_offset, _record) for JSONL and CSV, the rows for Parquet."""
    import pyarrow as pa

    fs, path = filesystem(partition.source, store)
    if partition.format == "parquet":
        import pyarrow.parquet as pq

        with fs.open(path, "rb") as handle:
            return pq.ParquetFile(handle).read_row_groups(list(range(partition.start, partition.end)))
    data = fs.cat_file(path, start=partition.start, end=partition.end)  # one ranged read (one GET on S3)
    pairs = _jsonl_lines(data, partition) if partition.format == "jsonl" else _csv_rows(data, partition)
    return pa.table({OFFSET: pa.array([p[0] for p in pairs], pa.int64()),
                     RECORD: pa.array([p[1] for p in pairs], pa.large_binary())})


def block_records(table, partition: Partition) -> list[dict]:
    """The records of a table ``read_block`` made, in input order."""
    if partition.format == "parquet":
        return table.to_pylist()
    offsets = table.column(OFFSET).to_pylist()
    raws = table.column(RECORD).to_pylist()
    return [_json_record(raw, partition.source, offset) for offset, raw in zip(offsets, raws)]


def read_records(partition: Partition, store: tuple | None = None) -> list[dict]:
    return block_records(read_block(partition, store), partition)


def _jsonl_lines(data: bytes, partition: Partition) -> list[tuple[int, bytes]]:
    lines, offset = [], partition.start
    for raw in data.splitlines(keepends=True):
        if raw.strip():
            lines.append((offset, raw))
        offset += len(raw)
    return lines


def _json_record(raw: bytes, source: str, offset: int) -> dict:
    try:
        record = json.loads(raw)
    except UnicodeDecodeError:
        raise ValidationFailed(messages.NOT_UTF8, params={"source": source, "offset": offset}) from None
    except json.JSONDecodeError as exc:
        raise ValidationFailed(messages.BAD_JSON, params={"source": source, "offset": offset,
                                                          "problem": exc.msg}) from None
    if not isinstance(record, dict):
        raise ValidationFailed(messages.NOT_OBJECT, params={"source": source, "offset": offset})
    return record


def _csv_rows(data: bytes, partition: Partition) -> list[tuple[int, bytes]]:
    try:
        text = (partition.header + data).decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = partition.start + max(0, exc.start - len(partition.header))
        raise ValidationFailed(messages.NOT_UTF8, params={"source": partition.source, "offset": offset}) from None
    csv.field_size_limit(1 << 30)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows = []
    try:
        for row in reader:
            if None in row or None in row.values():
                raise csv.Error("the row's fields do not match the header")
            rows.append((partition.start, json.dumps(row, ensure_ascii=False).encode("utf-8")))
    except csv.Error as exc:
        raise ValidationFailed(messages.BAD_CSV, params={"source": partition.source, "offset": partition.start,
                                                         "problem": str(exc)}) from None
    return rows


# ---- writing ----------------------------------------------------------------------------------------
def json_line(record: dict) -> bytes:
    """One JSON line as every writer of records writes it (the CLI, the local pool, Ray): compact,
    UTF-8, no ASCII escapes — by orjson, or by json where orjson refuses a value json read (an integer
    beyond 64 bits, NaN), with the same separators."""
    try:
        return orjson.dumps(record) + b"\n"
    except TypeError:  # (orjson.JSONEncodeError is a TypeError)
        return (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def encode(records: list[dict]) -> bytes:
    """JSON lines exactly as the single-process CLI writes them."""
    return b"".join(json_line(record) for record in records)


def commit_part(output: str, name: str, data: bytes, store: tuple | None = None) -> dict:
    """Write one part atomically; returns its manifest entry."""
    fs, folder = filesystem(output, store)
    target = f"{folder.rstrip('/')}/{name}"
    if _is_disk(fs):
        fs.makedirs(folder, exist_ok=True)
        tmp = f"{folder.rstrip('/')}/.{name}.{uuid.uuid4().hex}.tmp"
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    else:
        fs.pipe_file(target, data)  # one PUT
    return {"name": name, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def _is_disk(fs) -> bool:
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    return protocol in ("file", "local")


def transform(records: list[dict], fn: Callable[[list[dict], dict], list[dict]], params: dict) -> bytes:
    return encode(fn(records, params) if records else [])


def entry(partition: Partition, committed: dict, records_in: int, records: int) -> dict:
    return {**committed, "index": partition.index, "records_in": records_in, "records": records,
            "bytes_in": partition.end - partition.start if partition.format != "parquet" else 0}


def run_partition(partition: dict, fn: Callable[[list[dict], dict], list[dict]], params: dict, output: str,
                  store: tuple | None = None) -> dict:
    """Read, transform and commit one partition: the whole task on the local engine (Ray Data runs the
    same steps as its read, map and write stages)."""
    part = Partition(**partition)
    records = read_records(part, store)
    data = transform(records, fn, params)
    return entry(part, commit_part(output, part.name, data, store), len(records), data.count(b"\n"))


def check_output(output: str, store: tuple | None = None) -> None:
    """The output folder must be new or empty: parts of another run would mix with this one's."""
    fs, folder = filesystem(output, store)
    if fs.exists(folder) and [p for p in fs.ls(folder, detail=False) if not os.path.basename(p).startswith(".")]:
        raise ValidationFailed(messages.OUTPUT_NOT_EMPTY, params={"output": output})


def finish(output: str, source: str, entries: list[dict], extra: dict[str, Any], store: tuple | None = None) -> dict:
    """Remove temporary files of killed attempts and write the manifest (atomically) last."""
    fs, folder = filesystem(output, store)
    if _is_disk(fs):
        for leftover in fs.glob(f"{folder.rstrip('/')}/.part-*.tmp"):
            fs.rm_file(leftover)
    entries = sorted(entries, key=lambda entry: entry["index"])
    manifest = {"source": source, "parts": entries, "records": sum(e["records"] for e in entries),
                "records_in": sum(e["records_in"] for e in entries), **extra}
    commit_part(output, MANIFEST, (json.dumps(manifest, ensure_ascii=False, indent=1) + "\n").encode(), store)
    return manifest
