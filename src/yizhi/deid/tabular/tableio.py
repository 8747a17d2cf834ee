"""Reading and writing tables: CSV (separator detected) and Parquet, through pyarrow.

CSV cells are read as text, exactly as written, so pass-through columns come out unchanged.
Outputs are written to a temporary file next to the target and moved into place with
``os.replace``, so a reader never sees half a file and a failure leaves no partial output.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from yizhi.deid.tabular.errors import DataError

PARQUET_SUFFIXES = {".parquet", ".pq"}
CANDIDATE_SEPARATORS = ",;\t|"
_SNIFF_BYTES = 64 * 1024


@dataclass(frozen=True)
class TableSource:
    path: Path
    kind: str  # "csv" | "parquet"
    separator: str = ","

    def where(self, row: int) -> str:
        """Human location of data row ``row`` (0-based, header excluded)."""
        return f"line {row + 2}" if self.kind == "csv" else f"row {row + 1}"


def is_parquet(path: Path) -> bool:
    return path.suffix.lower() in PARQUET_SUFFIXES


def detect_separator(sample: str) -> str:
    """The separator of a CSV sample: csv.Sniffer among , ; tab |, else the most frequent in the header."""
    try:
        return csv.Sniffer().sniff(sample, delimiters=CANDIDATE_SEPARATORS).delimiter
    except csv.Error:
        header = sample.splitlines()[0] if sample else ""
        counts = {separator: header.count(separator) for separator in CANDIDATE_SEPARATORS}
        best = max(counts, key=counts.get)
        return best if counts[best] else ","


def read_table(path: Path, separator: str | None = None) -> tuple[pa.Table, TableSource]:
    if not path.is_file():
        raise DataError(f"input file not found: {path}")
    if is_parquet(path):
        try:
            return pq.read_table(path), TableSource(path, "parquet")
        except (pa.ArrowException, OSError) as exc:
            raise DataError(f"{path}: not a readable Parquet file ({exc})") from None
    return _read_csv(path, separator)


def _read_csv(path: Path, separator: str | None) -> tuple[pa.Table, TableSource]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            sample = handle.read(_SNIFF_BYTES)
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text (byte {exc.start}); save the file as UTF-8") from None
    if not sample.strip():
        raise DataError(f"{path}: the file is empty")
    separator = separator or detect_separator(sample)
    header = next(csv.reader(io.StringIO(sample), delimiter=separator))
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        raise DataError(f"{path}, line 1: column name(s) {', '.join(map(repr, duplicates))} appear more than once")
    try:
        table = pacsv.read_csv(
            path,
            parse_options=pacsv.ParseOptions(delimiter=separator, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in header},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        raise DataError(_csv_problem(path, separator, len(header)) or f"{path}: cannot be read as CSV ({exc})") from None
    return table, TableSource(path, "csv", separator)


def _csv_problem(path: Path, separator: str, width: int) -> str | None:
    """Find the first line whose field count differs from the header's, for a precise message."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, delimiter=separator)
        for row in reader:
            if row and len(row) != width:
                return (
                    f"{path}, line {reader.line_num}: {len(row)} fields but the header has {width} "
                    f"(separator {separator!r})"
                )
    return None


def column_as_text(table: pa.Table, name: str) -> pa.ChunkedArray:
    """A column as strings; missing values (Parquet nulls) become the empty string."""
    column = table.column(name)
    if not pa.types.is_string(column.type) and not pa.types.is_large_string(column.type):
        try:
            column = pc.cast(column, pa.string())
        except pa.ArrowException:
            raise DataError(f"column '{name}' has type {column.type}, which cannot be written as text") from None
    return pc.fill_null(column, "")


def write_table(table: pa.Table, path: Path, separator: str = ",") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        if is_parquet(path):
            os.close(handle)
            pq.write_table(table, temporary)
        else:
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
                _write_csv(table, out, separator)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _write_csv(table: pa.Table, out, separator: str) -> None:
    writer = csv.writer(out, delimiter=separator, lineterminator="\n")
    writer.writerow(table.column_names)
    columns = [column_as_text(table, name).to_pylist() for name in table.column_names]
    writer.writerows(zip(*columns, strict=True))


def write_text_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
