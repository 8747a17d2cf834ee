"""Job `deid.anonymize_table`: anonymize a stored (uploaded) table with a config.

Params (JSON):

```json
{"input": "<sha256 of the stored CSV/Parquet>", "input_name": "patients.csv",
 "config": {"quasi_identifiers": {"race": {"hierarchy": "race.csv"}, "age": {"intervals": [5, 10]}},
            "k": 5, "max_suppression": 0.05},
 "files": {"race.csv": "<sha256 of the stored hierarchy file>"},
 "output_format": "csv"}
```

Hierarchy files are referenced by plain file names that must be among ``files`` (stored uploads):
a config sent to the server can never make it read a path on the server's disk. The output table
and the JSON report are stored in the content-addressed store; the job result holds their digests
and the report itself.

Invalid input (bad config, unknown value, impossible target) fails the job at once with the
anonymizer's message, prefixed "invalid" so the queue does not retry it.
"""

from __future__ import annotations

import json
import shutil

from pathlib import Path, PurePosixPath

from yizhi import storage
from yizhi.deid.tabular.anonymizer import anonymize_file
from yizhi.deid.tabular.errors import AnonymizationError
from yizhi.errors import N_, ValidationFailed
from yizhi.jobs.service import JobContext, handler
from yizhi.jobs.workdirs import workdir

FORMATS = {"csv": ".csv", "parquet": ".parquet"}


def _plain_name(name: object, what: str) -> str:
    text = str(name)
    if not text or PurePosixPath(text).name != text or text in {".", ".."} or "\\" in text:
        raise ValidationFailed(N_("invalid %(what)s '%(text)s': give a plain file name, no folders"), params={"what": what, "text": text})
    return text


def _copy_stored(digest: object, target: Path, what: str) -> None:
    if not isinstance(digest, str):
        raise ValidationFailed(N_("invalid %(what)s: expected the SHA-256 of a stored file"), params={"what": what})
    try:
        with storage.open_file(digest) as source, target.open("wb") as out:
            shutil.copyfileobj(source, out)
    except ValidationFailed as exc:
        raise ValidationFailed(N_("invalid %(what)s: %(message)s"), params={"what": what, "message": exc.message}) from None


def _hierarchy_names(config: dict) -> list[str]:
    names = []
    for attribute, spec in (config.get("quasi_identifiers") or {}).items():
        if isinstance(spec, dict) and spec.get("hierarchy") is not None:
            names.append(_plain_name(spec["hierarchy"], f"hierarchy file of {attribute}"))
    return names


@handler("deid.anonymize_table", isolated=True)  # user input that may exhaust memory: own process, limits
def anonymize_table_job(context: JobContext) -> dict:
    params = context.params
    config = params.get("config")
    if not isinstance(config, dict):
        raise ValidationFailed("invalid params: 'config' must be a mapping (the YAML config as JSON)")
    input_name = _plain_name(params.get("input_name", "input.csv"), "input_name")
    files = params.get("files") or {}
    if not isinstance(files, dict):
        raise ValidationFailed("invalid params: 'files' must map file names to stored digests")
    output_format = params.get("output_format") or ("parquet" if input_name.lower().endswith((".parquet", ".pq")) else "csv")
    if output_format not in FORMATS:
        raise ValidationFailed(N_("invalid output_format '%(output_format)s': use csv or parquet"), params={"output_format": output_format})

    with workdir("anonymize") as folder:
        work = Path(folder)
        hierarchies = work / "hierarchies"
        hierarchies.mkdir()
        for name in _hierarchy_names(config):
            if name not in files:
                raise ValidationFailed(N_("invalid config: hierarchy file '%(name)s' was not uploaded with the job"), params={"name": name})
            _copy_stored(files[name], hierarchies / name, f"file {name}")
        source = work / input_name
        _copy_stored(params.get("input"), source, "input")
        config_path = hierarchies / "config.yaml"
        config_path.write_text(json.dumps(config), encoding="utf-8")  # JSON is YAML
        output = work / f"anonymized{FORMATS[output_format]}"
        context.progress(0.05, "searching the generalization lattice")
        try:
            report = anonymize_file(source, output, config_path)
        except AnonymizationError as exc:
            # Say which file and line, without the worker's temporary folder.
            message = str(exc).replace(f"{hierarchies}/", "").replace(f"{work}/", "")
            raise ValidationFailed(N_("invalid input: %(message)s"), params={"message": message}) from None
        with output.open("rb") as handle:
            output_digest, output_size = storage.put_stream(handle)
    report_digest = storage.put_bytes(json.dumps(report, indent=2, ensure_ascii=False).encode("utf-8"))
    context.progress(1.0, "done")
    return {
        "output": output_digest,
        "output_name": Path(input_name).stem + "-anonymized" + FORMATS[output_format],
        "output_bytes": output_size,
        "report_file": report_digest,
        "report": report,
    }
