"""De-identify a file of documents: stream in, fan out to worker processes, write atomically.

Memory stays flat on inputs of any size: documents are read one line at a time, sent to workers in
small batches with a bounded number in flight, and written in input order as they come back. The
output goes to a temporary file beside OUTPUT and replaces it only when every document succeeded,
so a failure never leaves a partial file.
"""

from __future__ import annotations

import csv
import gc
import json
import os
import sys
import tempfile
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import orjson

from yizhi.deid.text.pipeline import LANGUAGES
from yizhi.engine.partitions import json_line
from yizhi.deid.text.transform import POLICIES

# Larger batches let more equal-length sentences share a tagger call; the byte cap keeps memory flat
# when single documents are large.
BATCH_DOCS = 128
BATCH_BYTES = 1_000_000
IN_FLIGHT_PER_WORKER = 3


class InputError(ValueError):
    """The input file cannot be read as documents; the message names the file and line."""


@dataclass
class Document:
    line: int  # 1-based line (jsonl, csv) of the document in the input
    record: dict
    size: int  # bytes read for it, for the progress bar


@dataclass
class RunStats:
    documents: int = 0
    spans: int = 0
    bytes_in: int = 0


def iter_documents(path: Path, column: str | None = None, id_column: str = "id") -> Iterator[Document]:
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        yield from _iter_jsonl(path)
    elif suffix == ".txt":
        data = path.read_bytes()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"{path}: not UTF-8 text (byte {exc.start})") from exc
        yield Document(1, {"id": path.stem, "text": text}, len(data))
    elif suffix == ".csv":
        if not column:
            raise InputError(f"{path}: a .csv input needs --column naming the text column")
        yield from _iter_csv(path, column, id_column)
    else:
        raise InputError(f"{path}: unsupported input type {suffix or '(none)'}; use .jsonl, .txt or .csv")


def _iter_jsonl(path: Path) -> Iterator[Document]:
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                record = _loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise InputError(f"{path}, line {number}: not valid JSON ({exc})") from exc
            if not isinstance(record, dict):
                raise InputError(f"{path}, line {number}: expected a JSON object with a \"text\" field")
            if not isinstance(record.get("text"), str):
                raise InputError(f"{path}, line {number}: field \"text\" is missing or not a string")
            record.setdefault("id", number)
            yield Document(number, record, len(raw))


def _loads(raw: bytes):
    """``json.loads(raw)``, read by orjson (several times faster) where it can: it refuses a few inputs
    json accepts (NaN, integers beyond 64 bits, lone surrogates), which json then reads as before."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw)




def _iter_csv(path: Path, column: str, id_column: str) -> Iterator[Document]:
    csv.field_size_limit(1 << 30)
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or column not in reader.fieldnames:
            raise InputError(f"{path}: no column {column!r} (columns: {', '.join(reader.fieldnames or [])})")
        try:
            for row in reader:
                line = reader.line_num
                if None in row:
                    raise InputError(f"{path}, line {line}: more fields than the header has")
                record = {key: value for key, value in row.items()}
                record["text"] = record.pop(column) if column != "text" else record["text"]
                if record["text"] is None:
                    raise InputError(f"{path}, line {line}: fewer fields than the header has")
                record["id"] = row.get(id_column) or line - 1
                yield Document(line, record, sum(len(v or "") for v in row.values()))
        except UnicodeDecodeError as exc:
            raise InputError(f"{path}: not UTF-8 text near byte {exc.start}") from exc
        except csv.Error as exc:
            raise InputError(f"{path}, line {reader.line_num}: {exc}") from exc


def _patient(record: dict) -> str | None:
    patient = record.get("patient_id")
    return str(patient) if patient else None


def _output_record(record: dict, result, span_text: bool) -> dict:
    """One output record: input fields carried through, text de-identified, spans added."""
    out = dict(record)
    out["text"] = result.text
    if span_text:
        out["spans"] = [span.public() for span in result.spans]
    else:  # by default the original values stay out of the file (a file with them is itself identifying)
        out["spans"] = [{"start": span.start, "end": span.end, "type": span.type} for span in result.spans]
    return out


def _process_batch(records: list[dict], lang: str, policy: str, key: bytes | None, span_text: bool = False) -> list[dict]:
    """Each record as ``deidentify`` would give it alone, with the finding done for the batch at once:
    equal-length Chinese sentences across notes share one model call, and ``detect_many`` runs the
    English tagger in a pass of its own (a test checks the output against ``deidentify`` note by note)."""
    from yizhi.deid.text import apply_policy, detect_many, resolve_language
    from yizhi.deid.text.recognizers.tagger import prefetch

    texts = [record["text"] for record in records]
    # Each note's language is read once (it was read again for the policy), and only the Chinese notes
    # go to the Chinese tagger's prefetch (English notes never reach it; splitting them into sentences
    # for it was wasted). detect_many given one language per group finds what it finds given "auto".
    languages = [resolve_language(text, lang) for text in texts]
    found: list = [None] * len(texts)
    for language in dict.fromkeys(languages):
        indices = [index for index, note_language in enumerate(languages) if note_language == language]
        group = [texts[index] for index in indices]
        with prefetch(group if language == "zh" else []):
            for index, spans in zip(indices, detect_many(group, language)):
                found[index] = spans
    results = (apply_policy(text, spans, language, policy, key, _patient(record))
               for record, text, spans, language in zip(records, texts, found, languages))
    output = [_output_record(record, result, span_text) for record, result in zip(records, results)]
    _freeze_what_lives()
    return output


def _freeze_what_lives() -> None:
    """Move every object alive after a batch to the garbage collector's permanent generation
    (``gc.freeze``), so that its later passes no longer walk them.

    What lives between batches is almost all loaded once and kept (word lists, dictionaries, compiled
    expressions, the tagger, the caches): the full passes the collector makes as a run allocates walked
    every entry of those containers each time (on 3 MB of English reports, four full passes made ~0.4 s
    of 6 s wall on a busy machine, measured with gc.callbacks). From the second batch on, the batch's
    garbage is collected first (a pass over what the last batch left alive only, ~1 ms), so nothing
    freed late is kept and memory stays flat; after the first, the few cycles that loading left are
    frozen once rather than paying a full pass over everything. (This process's own choice: the CLI
    and its workers, not detect() in a server.)"""
    global _FROZEN_ONCE
    if _FROZEN_ONCE:
        gc.collect()
    _FROZEN_ONCE = True
    gc.freeze()


_FROZEN_ONCE = False


def _batches(documents: Iterator[Document]) -> Iterator[list[Document]]:
    batch: list[Document] = []
    size = 0
    for document in documents:
        batch.append(document)
        size += document.size
        if len(batch) >= BATCH_DOCS or size >= BATCH_BYTES:
            yield batch
            batch = []
            size = 0
    if batch:
        yield batch


def deidentify_file(
    source: Path,
    target: Path,
    *,
    lang: str = "auto",
    policy: str = "redact",
    key: bytes | None = None,
    workers: int = 1,
    column: str | None = None,
    id_column: str = "id",
    span_text: bool = False,
    on_progress: Callable[[int], None] | None = None,
) -> RunStats:
    """De-identify SOURCE into TARGET (.jsonl). Raises InputError with file and line on bad input."""
    if lang not in LANGUAGES:
        raise InputError(f"--lang must be one of {', '.join(LANGUAGES)}, not {lang!r}")
    if policy not in POLICIES:
        raise InputError(f"--policy must be one of {', '.join(POLICIES)}, not {policy!r}")
    if not source.is_file():
        raise InputError(f"{source}: no such file")
    if target.suffix.lower() != ".jsonl":
        raise InputError(f"{target}: the output must be a .jsonl file")
    if target.resolve() == source.resolve():
        raise InputError(f"{target}: the output must not overwrite the input")
    if workers < 1:
        raise InputError("--workers must be at least 1")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    stats = RunStats()
    try:
        with os.fdopen(fd, "wb") as out:
            documents = iter_documents(source, column, id_column)
            if workers == 1:
                for batch in _batches(documents):
                    _write(out, batch, _process_batch([d.record for d in batch], lang, policy, key, span_text), stats,
                           on_progress)
            else:
                _run_parallel(out, documents, lang, policy, key, span_text, workers, stats, on_progress)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return stats


def _run_parallel(out, documents, lang, policy, key, span_text, workers, stats, on_progress) -> None:
    pending: deque[tuple[list[Document], Future]] = deque()
    limit = workers * IN_FLIGHT_PER_WORKER
    with ProcessPoolExecutor(max_workers=workers, initializer=_warm_up) as pool:
        for batch in _batches(documents):
            pending.append((batch, pool.submit(_process_batch, [d.record for d in batch], lang, policy, key, span_text)))
            while len(pending) >= limit:
                done_batch, future = pending.popleft()
                _write(out, done_batch, future.result(), stats, on_progress)
        while pending:
            done_batch, future = pending.popleft()
            _write(out, done_batch, future.result(), stats, on_progress)


def _warm_up() -> None:
    """Load dictionaries and the tagger once per worker, before the first batch arrives."""
    from yizhi.deid.text import detect

    detect("患者张三于2024年3月5日入院。", "zh")
    detect("Seen by Dr. Smith on Jun 3, 2024.", "en")


def _write(out, batch: list[Document], results: list[dict], stats: RunStats, on_progress) -> None:
    for document, result in zip(batch, results):
        out.write(json_line(result))
        stats.documents += 1
        stats.spans += len(result["spans"])
        stats.bytes_in += document.size
        if on_progress is not None:
            on_progress(document.size)


def input_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use: yizhi deid text INPUT OUTPUT")
