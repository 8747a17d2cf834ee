"""Line-delimited files (NDJSON, JSONL) read in bounded memory and cut into work items.

A file is cut at line boundaries into chunks of about ``CHUNK_BYTES`` (fixed, so the cut does not
depend on the number of processes); a pre-pass counts the newlines before each cut, so every
problem can name its line. A line longer than the limit is skipped (reported), never held whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

CHUNK_BYTES = 32 << 20
_SCAN = 8 << 20


@dataclass(frozen=True)
class Chunk:
    start: int  # byte offset of the first line
    end: int  # byte offset just past the last line
    first_line: int  # 1-based number of the first line


def plan_chunks(path: Path, chunk_bytes: int = CHUNK_BYTES) -> list[Chunk]:
    """Cut ``path`` at the first newline after every ``chunk_bytes`` boundary."""
    size = path.stat().st_size
    chunks: list[Chunk] = []
    start, line = 0, 1
    with path.open("rb") as handle:
        while start < size:
            target = start + chunk_bytes
            if target >= size:
                chunks.append(Chunk(start, size, line))
                break
            handle.seek(target)
            end = _next_newline(handle, target, size)
            chunks.append(Chunk(start, end, line))
            line += _count_newlines(handle, start, end)
            start = end
    return chunks


def _next_newline(handle, position: int, size: int) -> int:
    """Offset just past the first newline at or after ``position`` (or the end of the file)."""
    handle.seek(position)
    while position < size:
        block = handle.read(_SCAN)
        if not block:
            break
        found = block.find(b"\n")
        if found >= 0:
            return position + found + 1
        position += len(block)
    return size


def _count_newlines(handle, start: int, end: int) -> int:
    handle.seek(start)
    count, remaining = 0, end - start
    while remaining > 0:
        block = handle.read(min(_SCAN, remaining))
        if not block:
            break
        count += block.count(b"\n")
        remaining -= len(block)
    return count


@dataclass(frozen=True)
class Line:
    number: int
    data: bytes | None  # None when the line was longer than the limit (skipped)


def read_lines(path: Path, chunk: Chunk, max_line_bytes: int) -> Iterator[Line]:
    """The lines of ``chunk`` (without the newline; blank lines skipped), each at most
    ``max_line_bytes``; a longer one is yielded with ``data=None`` and skipped over in pieces."""
    number = chunk.first_line
    with path.open("rb") as handle:
        handle.seek(chunk.start)
        position = chunk.start
        while position < chunk.end:
            data = handle.readline(max_line_bytes + 1)
            if not data:
                break
            position += len(data)
            if len(data) > max_line_bytes and not data.endswith(b"\n"):
                while data and not data.endswith(b"\n"):  # skip the rest of the long line
                    data = handle.readline(1 << 20)
                    position += len(data)
                yield Line(number, None)
            else:
                stripped = data.strip()
                if stripped:
                    yield Line(number, stripped)
            number += 1
