"""User-facing messages of the engine and the file store (English msgids; Chinese in this folder's
catalog). Kept here because ``scripts/messages.py`` extracts per package folder."""

from yizhi.errors import N_

RAY_MISSING = N_("YIZHI_ENGINE=ray but the 'ray' package is not installed; install the cluster extra "
                 "(pip install 'yizhi[cluster]') or set YIZHI_ENGINE=local")
RAY_UNREACHABLE = N_("cannot reach the Ray cluster at %(address)s: %(problem)s")
UNKNOWN_FORMAT = N_("%(source)s: unsupported input type %(suffix)s; use .jsonl, .csv or .parquet")
NO_INPUT = N_("%(source)s: no such file")
BAD_JSON = N_("%(source)s, byte %(offset)d: not valid JSON (%(problem)s)")
NOT_OBJECT = N_("%(source)s, byte %(offset)d: expected a JSON object")
BAD_CSV = N_("%(source)s, byte %(offset)d: %(problem)s")
CSV_NO_HEADER = N_("%(source)s: the CSV file has no header line")
BAD_PARQUET = N_("%(source)s: not a readable Parquet file (%(problem)s)")
NOT_UTF8 = N_("%(source)s, byte %(offset)d: not UTF-8 text")
OUTPUT_NOT_EMPTY = N_("output %(output)s already holds files of another run; choose an empty or new folder")
PARTITION_SPLIT = N_("partition %(index)d reached the writer in pieces (%(rows)d of %(expected)d records); "
                     "lower YIZHI_PARTITION_MB")
PARTITION_SIZE = N_("the partition size must be at least 1 KB, not %(size)d bytes")
STORAGE_OPTIONS_JSON = N_("YIZHI_STORAGE_OPTIONS is not valid JSON: %(problem)s")
STORAGE_OPTIONS_OBJECT = N_("YIZHI_STORAGE_OPTIONS must be a JSON object")
NOT_A_DIGEST = N_("%(digest)s is not a SHA-256 hex digest")
TOO_LARGE = N_("the upload is larger than %(limit)d bytes")
NO_STORED_FILE = N_("no stored file %(digest)s")
BAD_CHOICE = N_("--%(option)s must be one of %(choices)s, not %(value)s")
