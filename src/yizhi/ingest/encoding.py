"""Which text encoding a CSV export uses: UTF-8 when it decodes, else charset-normalizer's guess.

Chinese hospital systems often export GB18030 (or its subsets GBK/GB2312, read here as GB18030,
which decodes all of them). Binary files (NUL bytes, no plausible encoding) are refused.
"""

from __future__ import annotations

from pathlib import Path

from charset_normalizer import from_bytes

from yizhi.errors import N_, ValidationFailed

SAMPLE_BYTES = 1 << 20
_GB_FAMILY = {"gb2312", "gbk", "gb18030", "cp936", "hz"}


def detect_encoding(path: Path, name: str) -> str:
    with path.open("rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
    if not sample.strip():
        raise ValidationFailed(N_("%(file)s: the file is empty"), params={"file": name}, field="file")
    if sample.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if b"\x00" in sample:
        raise ValidationFailed(N_("%(file)s: not a text file (it holds NUL bytes); upload CSV text"),
                               params={"file": name}, field="file")
    if _decodes(sample, "utf-8"):
        return "utf-8"
    bad = _mostly_utf8_but(sample)
    if bad is not None:
        raise ValidationFailed(N_("%(file)s, line %(line)s: bytes that are not UTF-8, in a file that is "
                                  "otherwise UTF-8; save it in one encoding"),
                               params={"file": name, "line": sample[:bad].count(b"\n") + 1}, field="file")
    best = from_bytes(sample).best()
    if best is None:
        raise ValidationFailed(N_("%(file)s: the text encoding could not be recognised; save it as UTF-8"),
                               params={"file": name}, field="file")
    encoding = best.encoding.lower().replace("_", "")
    return "gb18030" if encoding in _GB_FAMILY else best.encoding


def _mostly_utf8_but(sample: bytes) -> int | None:
    """Offset of the first invalid byte when the sample has real UTF-8 multi-byte text before it
    (a file broken midway, not a file in another encoding); else None."""
    try:
        sample.decode("utf-8")
        return None
    except UnicodeDecodeError as error:
        start = error.start
    before = sample[:start]
    try:
        decoded = before.decode("utf-8")
    except UnicodeDecodeError:
        return None
    multibyte = sum(1 for ch in decoded if ord(ch) > 0x7F)
    return start if multibyte >= 2 else None


def _decodes(sample: bytes, encoding: str) -> bool:
    """Whether ``sample`` decodes (a character cut by the sample's end is allowed)."""
    try:
        sample.decode(encoding)
        return True
    except UnicodeDecodeError as exc:
        return exc.start >= len(sample) - 3 and exc.reason == "unexpected end of data"


def read_sample(path: Path, encoding: str, size: int = 256 * 1024) -> str:
    with path.open("rb") as handle:
        data = handle.read(size)
    return data.decode(encoding, errors="ignore")
