"""CSV and Parquet tables: read in batches, the profile's column map applied, written as Parquet.

The patient-id column becomes ``patient`` (the pseudonym), direct identifiers are dropped, date
columns move by the row's patient shift, free text goes through the text de-identifier, ages are
top-coded and postcodes cut. With ``k`` set the quasi-identifiers are generalised by
``yizhi.deid.tabular`` (the whole table is then held, as k-anonymity needs every row at once).
A table the profile does not map is mapped by its column names (``auto_map``), erring on the safe
side: unknown text columns go through the text de-identifier.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from yizhi.deid.tabular import AnonymizationError, anonymize_table, parse_config
from yizhi.deid.tabular.tableio import detect_separator
from yizhi.errors import N_, ValidationFailed
from yizhi.ingest.context import Context, context_for, table_name
from yizhi.ingest.encoding import detect_encoding, read_sample
from yizhi.ingest.identity import top_code_age, truncate_postcode
from yizhi.ingest.parquet_io import PartWriter
from yizhi.ingest.problems import ProblemLog
from yizhi.ingest.profile import TableMap

BATCH_ROWS = 8192
CSV_BLOCK_BYTES = 16 << 20

_PATIENT_NAMES = {"patientid", "patient", "mrn", "medicalrecordnumber", "患者id", "患者编号", "病人id",
                  "病历号", "住院号", "门诊号", "personid", "subjectid"}
_IDENTIFIER_NAME = re.compile(
    r"name|姓名|名字|phone|tel|mobile|电话|手机|email|e-mail|邮箱|address|地址|住址|street|idcard|id_card|"
    r"身份证|ssn|passport|护照|insurance|医保|contact|联系人|wechat|微信|qq|ipaddress|url", re.I)
_LOOKS_TEXT = re.compile(r"code|^id$|_id$|编号|编码")  # numbers that are labels: keep their zeros
_DATE_NAME = re.compile(r"date|time|_at$|_dt$|日期|时间|生日|birth", re.I)
_AGE_NAME = re.compile(r"^age$|_age$|^age_|年龄", re.I)
_POSTCODE_NAME = re.compile(r"zip|postcode|postal|邮编|邮政编码", re.I)


def auto_map(columns: list[str], source: str) -> TableMap:
    """A column map guessed from the names, for a table the profile does not name."""
    def plain(name: str) -> str:
        return re.sub(r"[\s_\-]", "", name).lower()

    patient = next((name for name in columns if plain(name) in _PATIENT_NAMES), None)
    if patient is None:
        raise ValidationFailed(
            N_("%(file)s: no column says which patient a row belongs to; name it in the profile "
               "(tables: {%(file)s: {patient_id: COLUMN}})"), params={"file": source}, field="patient_id")
    rest = [name for name in columns if name != patient]
    direct = [name for name in rest if _IDENTIFIER_NAME.search(name)]
    rest = [name for name in rest if name not in direct]
    dates = [name for name in rest if _DATE_NAME.search(name)]
    ages = [name for name in rest if _AGE_NAME.search(name) and name not in dates]
    postcodes = [name for name in rest if _POSTCODE_NAME.search(name) and name not in dates + ages]
    free = [name for name in rest if name not in dates + ages + postcodes]
    return TableMap(patient_id=patient, direct_identifiers=direct, dates=dates, ages=ages,
                    postcodes=postcodes, free_text=free)


def _check_map(table_map: TableMap, columns: list[str], source: str) -> None:
    for role, name in table_map.mapped_columns():
        if name not in columns:
            raise ValidationFailed(
                N_("%(file)s has no column %(column)s (named in the profile as %(role)s); its columns: %(columns)s"),
                params={"file": source, "column": name, "role": role, "columns": ", ".join(columns)},
                field=f"tables.{source}.{role}")


# ---- reading --------------------------------------------------------------------------------------
class _TypesChanged(Exception):
    """A later block of the CSV does not fit the column types inferred from the first one."""


def _csv_batches(path: Path, source: str, table_map_sep: str | None, encoding: str | None,
                 log: ProblemLog, text_columns: set[str] | None) -> tuple[list[str], Iterator[pa.RecordBatch]]:
    """Header and batches; columns outside ``text_columns`` get types inferred from the first
    block (None: every column is text)."""
    encoding = encoding or detect_encoding(path, source)
    sample = read_sample(path, encoding)
    separator = table_map_sep or detect_separator(sample)
    try:
        header = next(csv.reader(io.StringIO(sample), delimiter=separator))
    except (StopIteration, csv.Error):
        raise ValidationFailed(N_("%(file)s, line 1: no header row"), params={"file": source}, field="file") from None
    header = [name.strip() for name in header]
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates or not all(header):
        raise ValidationFailed(N_("%(file)s, line 1: column names must be unique and non-empty (%(names)s)"),
                               params={"file": source, "names": ", ".join(duplicates) or "empty name"},
                               field="file")

    def skip_row(row) -> str:
        where = f"line {row.number}" if row.number else "a row"
        log.add(where, "", f"{row.actual_columns} fields where the header has {row.expected_columns}")
        return "skip"

    try:
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(encoding=encoding, block_size=CSV_BLOCK_BYTES,
                                           column_names=header, skip_rows=1),
            parse_options=pacsv.ParseOptions(delimiter=separator, newlines_in_values=True,
                                             invalid_row_handler=skip_row),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in header
                              if text_columns is None or name in text_columns or _LOOKS_TEXT.search(name)},
                strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise _csv_error(path, source, encoding, separator, exc) from None

    def batches() -> Iterator[pa.RecordBatch]:
        try:
            yield from reader
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            if text_columns is not None and "conversion error" in str(exc).lower():
                raise _TypesChanged() from None
            raise _csv_error(path, source, encoding, separator, exc) from None

    return header, batches()


def _csv_error(path: Path, source: str, encoding: str, separator: str, exc: Exception) -> ValidationFailed:
    """Where a CSV went wrong, found by Python's csv reader (never quoting the data)."""
    if isinstance(exc, UnicodeDecodeError) or "decode" in str(exc).lower() or "utf" in str(exc).lower():
        return ValidationFailed(N_("%(file)s: bytes that are not %(encoding)s text; save it in one encoding"),
                                params={"file": source, "encoding": encoding}, field="file")
    line = 0
    try:
        with path.open(encoding=encoding, errors="replace", newline="") as handle:
            csv.field_size_limit(CSV_BLOCK_BYTES)
            reader = csv.reader(handle, delimiter=separator)
            for _ in reader:
                line = reader.line_num
    except csv.Error:
        return ValidationFailed(N_("%(file)s, line %(line)s: a row longer than %(limit)s bytes or a broken quote"),
                                params={"file": source, "line": line + 1, "limit": CSV_BLOCK_BYTES}, field="file")
    return ValidationFailed(N_("%(file)s: cannot be read as CSV (separator %(separator)s)"),
                            params={"file": source, "separator": repr(separator)}, field="file")


def _parquet_batches(path: Path, source: str) -> tuple[list[str], Iterator[pa.RecordBatch]]:
    try:
        reader = pq.ParquetFile(path)
    except (pa.ArrowException, OSError):
        raise ValidationFailed(N_("%(file)s: not a readable Parquet file"), params={"file": source},
                               field="file") from None

    def batches() -> Iterator[pa.RecordBatch]:
        try:
            yield from reader.iter_batches(batch_size=BATCH_ROWS)
        except (pa.ArrowException, OSError):
            raise ValidationFailed(N_("%(file)s: the Parquet file is damaged"), params={"file": source},
                                   field="file") from None

    return reader.schema_arrow.names, batches()


# ---- the column map ----------------------------------------------------------------------------
def _long_integers(column: pa.Array) -> bool:
    """Integers of 7 digits or more (phone, ID and record numbers look like that)."""
    if not pa.types.is_integer(column.type):
        return False
    values = [abs(v) for v in column.to_pylist() if v is not None]
    return bool(values) and max(values) >= 1_000_000


class TableTransform:
    """Applies one table's map to record batches."""

    def __init__(self, context: Context, table_map: TableMap, columns: list[str], log: ProblemLog,
                 line_offset: int, guessed: bool = False) -> None:
        self.context = context
        self.guessed = guessed
        self.map = table_map
        self.log = log
        self.row_number = 0
        self.line_offset = line_offset  # CSV: the header is line 1
        dropped = {table_map.patient_id, *table_map.direct_identifiers}
        self.kept = [name for name in columns if name not in dropped]

    def apply(self, batch: pa.RecordBatch) -> pa.Table:
        identity, profile, table_map = self.context.identity, self.context.profile, self.map
        patients_raw = batch.column(table_map.patient_id).to_pylist()
        first = self.row_number
        self.row_number += batch.num_rows
        keep_rows, pseudonyms = [], []
        for offset, raw in enumerate(patients_raw):
            if raw is None or str(raw).strip() == "":
                self.log.add(self._where(first + offset), table_map.patient_id, "no patient id; row skipped")
                continue
            keep_rows.append(offset)
            pseudonyms.append(identity.pseudonym(str(raw)))
        if len(keep_rows) < batch.num_rows:
            batch = batch.take(pa.array(keep_rows, type=pa.int64()))
        rows = [first + offset for offset in keep_rows]
        arrays = {"patient": pa.array(pseudonyms, type=pa.string())}
        for name in self.kept:
            column = batch.column(name)
            if name in table_map.dates:
                column = self._dates(column, pseudonyms, rows, name)
            elif name in table_map.free_text and (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
                column = self._text(column, pseudonyms)
            elif name in table_map.free_text and self.guessed and _long_integers(column):
                # a guessed map cannot tell a lab count from a phone or ID number written as digits
                column = self._text(pa.array([None if v is None else str(v) for v in column.to_pylist()],
                                             type=pa.string()), pseudonyms)
            elif name in table_map.ages:
                column = pa.array([top_code_age(v, profile.max_age) for v in column.to_pylist()], type=column.type)
            elif name in table_map.postcodes:
                column = pa.array([truncate_postcode(v, profile.postcode_digits) for v in column.to_pylist()],
                                  type=pa.string())
            arrays[name] = column
        return pa.table(arrays)

    def _where(self, row: int) -> str:
        return f"line {row + 1 + self.line_offset}" if self.line_offset else f"row {row + 1}"

    def _dates(self, column: pa.Array, pseudonyms: list[str], rows: list[int], name: str) -> pa.Array:
        identity = self.context.identity
        values = column.to_pylist()
        out = []
        for value, pseudonym, row in zip(values, pseudonyms, rows):
            if value is None or value == "":
                out.append(None)
            elif isinstance(value, (dt.date, dt.datetime)):
                out.append(value + dt.timedelta(days=identity.shift_days(pseudonym)))
            else:
                moved = identity.shift_any(str(value), pseudonym)
                if moved is None:
                    self.log.add(self._where(row), name, "not a date that can be shifted; value removed")
                out.append(moved)
        return pa.array(out, type=column.type if not pa.types.is_string(column.type) else pa.string())

    def _text(self, column: pa.Array, pseudonyms: list[str]) -> pa.Array:
        values = [None if v is None else str(v) for v in column.to_pylist()]
        cleaned = self.context.identity.clean_texts([v or "" for v in values], pseudonyms)
        return pa.array([None if v is None else c for v, c in zip(values, cleaned)], type=pa.string())


def process_table(item: dict) -> dict:
    """Work item: one uploaded CSV/Parquet table → a Parquet part (plain data in and out).

    CSV columns the map does not name get types inferred from the first block (numbers stay
    numbers); when a later block disagrees, the table is read again with every column as text."""
    try:
        return _process_table(item, infer_types=True)
    except _TypesChanged:
        return _process_table(item, infer_types=False)


def _process_table(item: dict, infer_types: bool) -> dict:
    context = context_for(item)
    source, path = item["source"], Path(item["path"])
    log = ProblemLog(source, "table")
    table_map = context.profile.tables.get(source)
    is_parquet = path.suffix.lower() in (".parquet", ".pq")
    if is_parquet:
        columns, batches = _parquet_batches(path, source)
    else:
        separator, encoding = (table_map.separator, table_map.encoding) if table_map else (None, None)
        if table_map is None:  # map by the header's names first, then read with that map
            header, _ = _csv_batches(path, source, separator, encoding, log, None)
            table_map = auto_map(header, source)
        # free text that turns out to be numbers stays numbers (and needs no text de-identifier)
        text_columns = ({name for role, name in table_map.mapped_columns() if role != "free_text"}
                        if infer_types else None)
        columns, batches = _csv_batches(path, source, separator, encoding, log, text_columns)
    guessed = source not in context.profile.tables
    table_map = table_map or auto_map(columns, source)
    _check_map(table_map, columns, source)
    transform = TableTransform(context, table_map, columns, log, 0 if is_parquet else 1, guessed)
    name = table_name(source)
    part = Path(item["part_dir"]) / f"{name}.parquet"
    part.unlink(missing_ok=True)
    k = table_map.k or context.profile.k
    writer = None
    if k and table_map.quasi_specs():
        pieces = [transform.apply(batch) for batch in batches]
        if pieces:
            table = _k_anonymise(pa.concat_tables(pieces), table_map, k, context, source)
            writer = PartWriter(part, table.schema)
            writer.write_table(table)
    else:
        for batch in batches:
            out = transform.apply(batch)
            if writer is None:
                writer = PartWriter(part, out.schema)
            writer.write_table(out)
    if writer is not None:
        writer.close()
    return {"tables": {name: [str(part)] if writer is not None and writer.rows else []},
            "problems": log.as_plain(), "kind": "table", "dates": {name: table_map.dates}}


def _k_anonymise(table: pa.Table, table_map: TableMap, k: int, context: Context, source: str) -> pa.Table:
    suppression = table_map.max_suppression if table_map.max_suppression is not None else context.profile.max_suppression
    config = {"quasi_identifiers": table_map.quasi_specs(), "k": k, "max_suppression": suppression}
    try:
        result = anonymize_table(parse_config(config, source=f"profile tables.{source}"), table)
    except AnonymizationError as exc:
        raise ValidationFailed(N_("%(file)s: k-anonymity could not be reached (%(reason)s)"),
                               params={"file": source, "reason": str(exc)}, field=f"tables.{source}.k") from None
    return result.table


_KIND_OF_COLUMN = [(re.compile(r"phone|tel|mobile|电话|手机", re.I), "PHONE"), (re.compile(r"mail|邮箱", re.I), "EMAIL"),
                   (re.compile(r"address|地址|住址|street", re.I), "ADDRESS"), (re.compile(r"name|姓名|名字", re.I), "NAME")]


def known_values(item: dict) -> dict[str, list[list[str]]]:
    """Pre-pass: {patient id: [[value, type]]} from the table's direct-identifier columns."""
    context = context_for(item)
    source, path = item["source"], Path(item["path"])
    table_map = context.profile.tables.get(source)
    log = ProblemLog(source, "table")
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            columns, batches = _parquet_batches(path, source)
        else:
            columns, batches = _csv_batches(path, source, table_map.separator if table_map else None,
                                            table_map.encoding if table_map else None, log, None)
        table_map = table_map or auto_map(columns, source)
        _check_map(table_map, columns, source)
    except ValidationFailed:
        return {}  # the main pass reports it
    kinds = {name: next((kind for pattern, kind in _KIND_OF_COLUMN if pattern.search(name)), "ID_NUMBER")
             for name in table_map.direct_identifiers}
    found: dict[str, set] = {}
    try:
        for batch in batches:
            patients = batch.column(table_map.patient_id).to_pylist()
            for name, kind in kinds.items():
                for patient, value in zip(patients, batch.column(name).to_pylist()):
                    text = "" if value is None else str(value).strip()
                    if patient is not None and str(patient).strip() and len(text) >= 2:
                        found.setdefault(str(patient).strip(), set()).add((text, kind))
    except (ValidationFailed, _TypesChanged):
        pass
    return {patient: sorted([list(v) for v in values]) for patient, values in found.items()}
