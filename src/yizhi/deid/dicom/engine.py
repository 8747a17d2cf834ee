"""De-identify one pydicom dataset by the Basic Application Level Confidentiality Profile.

The actions come from the standard's own Table E.1-1 (``profile_table.py``, generated). pydicom
reads and writes the files; this module only decides, per attribute, what to do. No maintained
Python package applies Table E.1-1 with its options from the standard's machine-readable table
(dicognito and dicom-anonymizer hard-code their own rule lists and have no keyed, reproducible
UIDs or per-patient date shifts), hence this module.

Speed: one pass over each dataset with one dict lookup per tag. Attributes we keep untouched stay
as pydicom's raw (undecoded) elements, so pydicom writes their bytes back as they were; the pixel
data is never decoded. Sequences are decoded only to walk into their items.

Actions: X remove, Z empty, D dummy value, U keyed replacement UID, K keep, C clean. Where the
table gives a choice by attribute type (X/Z, X/D, X/Z/D, Z/D, X/Z/U*), a top-level attribute of a
known SOP class gets the action its type in that IOD asks for (``iod_types.py``, generated): X for
Type 3, Z for Type 2/2C, D (or U for reference sequences) for Type 1/1C. Inside sequences, or for
an unknown SOP class, the type is unknown, so we take the choice that keeps the object valid
whatever the type: D when offered, else Z, and U (walk in, replace UIDs) for X/Z/U*. Each of these
removes the original value, so the choice costs no privacy.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from pydicom.datadict import DicomDictionary
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_dataset
from pydicom.multival import MultiValue
from pydicom.sequence import Sequence
from pydicom.tag import BaseTag

from yizhi.deid.dicom.iod_types import IOD_OF_SOP_CLASS, TYPES
from yizhi.deid.dicom.options import BASIC_PROFILE_CODE, OPTION_INFO, Option
from yizhi.deid.dicom.profile_table import EDITION, OPTION_FIELDS, PATTERNS, PROFILE
from yizhi.deid.keys import derive

REMOVE, EMPTY, DUMMY, NEW_UID, KEEP = "X", "Z", "D", "U", "K"
SHIFT_DATE = "S"  # C under a Retain Longitudinal ... Modified Dates option
CLEAN_TEXT = "T"  # C under Clean Descriptors / Retain Patient Characteristics
PSEUDONYM = "P"  # Patient ID and Name: a keyed pseudonym (a dummy value that links a patient's files)

# One way to resolve a type-dependent choice when the attribute's type is unknown (see docstring).
COMBINED_CHOICE = {"X/Z": EMPTY, "X/D": DUMMY, "X/Z/D": DUMMY, "Z/D": DUMMY, "X/Z/U*": NEW_UID}

TAG_PATIENT_NAME = 0x00100010
TAG_PATIENT_ID = 0x00100020
TAG_ISSUER_OF_PATIENT_ID = 0x00100021
TAG_STUDY_INSTANCE_UID = 0x0020000D
TAG_SOP_INSTANCE_UID = 0x00080018
TAG_SOP_CLASS_UID = 0x00080016
TAG_PIXEL_DATA = 0x7FE00010
PSEUDONYM_TAGS = frozenset({TAG_PATIENT_NAME, TAG_PATIENT_ID})

# The pattern rows (curves, overlay data and comments, private groups) are applied by code in
# ``_walk``, not looked up per tag: refuse to run if a regenerated table changes their action.
if any(actions[0] != REMOVE for actions in PATTERNS.values()):
    raise ImportError("profile_table.PATTERNS no longer says X for curves/overlays/private; update engine._walk")

SEQUENCE_TAGS = frozenset(tag for tag, entry in DicomDictionary.items() if entry[0] == "SQ")

# Dummy values by VR: non-empty, valid for the VR, and obviously not real.
DUMMY_TEXT = {
    "AE": "ANONYMIZED", "AS": "000D", "CS": "ANONYMIZED", "DA": "19000101", "DS": "0",
    "DT": "19000101000000", "IS": "0", "LO": "ANONYMIZED", "LT": "ANONYMIZED", "PN": "ANONYMIZED",
    "SH": "ANONYMIZED", "ST": "ANONYMIZED", "TM": "000000", "UC": "ANONYMIZED", "UR": "",
    "UT": "ANONYMIZED",
}  # fmt: skip
NUMERIC_VRS = frozenset({"US", "SS", "UL", "SL", "FL", "FD", "SV", "UV", "AT"})
BYTES_VRS = frozenset({"OB", "OW", "OD", "OF", "OL", "OV", "UN"})
# VRs whose values are ASCII text in every character set, or whose replacement needs no decoding.
ASCII_SAFE_VRS = frozenset({"AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "LT", "PN", "SH", "ST", "TM",
                            "UC", "UI", "UR", "UT"})
MAX_LENGTH = {"AE": 16, "CS": 16, "SH": 16, "LO": 64, "PN": 64, "ST": 1024, "LT": 10240}

UID_CACHE_LIMIT = 200_000  # replacement UIDs kept per process (recomputing one costs an HMAC)
SHIFT_MAX_DAYS = 1095  # a patient's dates move back by 1..1095 days, the same for all their files


def _resolve(actions: tuple[str, ...], options: frozenset[Option]) -> tuple[str, str, str]:
    """(action, basic fallback, type choice) for one table row under the chosen options.

    An option that says K beats one that says C, which beats the basic profile. The third item is
    the basic profile's choice by type ("X/Z"...) when that is what applies, else "".
    """
    basic = COMBINED_CHOICE.get(actions[0], actions[0])
    said = {}
    for option in options:
        action = actions[1 + OPTION_FIELDS.index(OPTION_INFO[option].table_field)]
        if action:
            said[option] = action
    if KEEP in said.values():
        return KEEP, basic, ""
    if Option.RETAIN_LONG_MODIFIED_DATES in said:
        return SHIFT_DATE, basic, ""
    if Option.CLEAN_DESCRIPTORS in said or Option.RETAIN_PATIENT_CHARACTERISTICS in said:
        return CLEAN_TEXT, basic, ""
    # Remaining C (device AE titles, Network ID...): no cleaner can keep an identifier's use
    # while removing the identity, so the basic action applies.
    return basic, basic, actions[0] if actions[0] in COMBINED_CHOICE else ""


def choose_by_type(choices: str, attribute_type: str | None) -> str:
    """The action PS3.15 E.3.1 asks for, among ``choices`` ("X/Z/D"), for an attribute's type."""
    offered = choices.rstrip("*").split("/")
    if attribute_type in ("1", "1C"):
        order = (DUMMY, NEW_UID, EMPTY, REMOVE)
    elif attribute_type in ("2", "2C"):
        order = (EMPTY, DUMMY, NEW_UID, REMOVE)
    else:  # Type 3, or not part of this IOD at all
        order = (REMOVE, EMPTY, DUMMY, NEW_UID)
    return next(action for action in order if action in offered)


@lru_cache(maxsize=32)
def resolved_actions(options: frozenset[Option]) -> dict[int, tuple[str, str, str]]:
    """tag -> (action, basic fallback, type choice) for every plain tag of Table E.1-1."""
    table = {tag: _resolve(actions, options) for tag, actions in PROFILE.items()}
    for tag in PSEUDONYM_TAGS:
        if table[tag][0] in (EMPTY, DUMMY):
            table[tag] = (PSEUDONYM, table[tag][1], "")
    return table


def burned_in_reason(ds: Dataset) -> str | None:
    """Why this image may show burned-in text, or None. Decided on the original dataset."""
    if TAG_PIXEL_DATA not in ds and "FloatPixelData" not in ds and "DoubleFloatPixelData" not in ds:
        return None
    flag = str(ds.get("BurnedInAnnotation", "") or "").strip().upper()
    if flag == "YES":
        return "BurnedInAnnotation is YES"
    if flag == "NO":
        return None
    modality = str(ds.get("Modality", "") or "").strip().upper()
    if modality in BURNING_MODALITIES:
        return f"BurnedInAnnotation missing on modality {modality}, which often burns in text"
    sop_class = str(ds.get("SOPClassUID", "") or "")
    if sop_class.startswith(SECONDARY_CAPTURE_PREFIX):
        return "BurnedInAnnotation missing on a Secondary Capture (screenshot) image"
    image_type = ds.get("ImageType", None)
    if image_type is not None and any("SCREEN" in str(part).upper() for part in _as_list(image_type)):
        return "BurnedInAnnotation missing on a screen capture (ImageType SCREEN ...)"
    return None


# US, SC, OT named by the issue; XC (camera photographs) and ES (endoscopy) are video/photo captures
# whose devices stamp patient data on the frame just the same.
BURNING_MODALITIES = frozenset({"US", "SC", "OT", "XC", "ES"})
SECONDARY_CAPTURE_PREFIX = "1.2.840.10008.5.1.4.1.1.7"


def _as_list(value) -> list:
    return list(value) if isinstance(value, (MultiValue, list, tuple)) else [value]


@dataclass
class Deidentifier:
    """Applies the profile to datasets. Keep one per process: it caches the UIDs it derived.

    ``text_cleaner`` cleans descriptions (Clean Descriptors option); None means no cleaner is
    available and those attributes get their basic action (removed) instead.
    ``safe_private`` holds (private creator, group, element low byte) triples to keep under the
    Retain Safe Private option.
    """

    key: bytes
    options: frozenset[Option] = frozenset()
    text_cleaner: Callable[[str, str], str] | None = None
    safe_private: frozenset[tuple[str, int, int]] = frozenset()
    _uids: dict[str, str] = field(default_factory=dict, repr=False)
    _marks: dict[tuple[bool, bool], dict[int, RawDataElement]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._actions = resolved_actions(self.options)
        self._keep_safe_private = Option.RETAIN_SAFE_PRIVATE in self.options and bool(self.safe_private)

    # ---- keyed replacements -------------------------------------------------------------------
    def new_uid(self, uid: str) -> str:
        """The keyed replacement of ``uid``: the same under the same key, in every file and run."""
        uid = uid.strip().rstrip("\x00")
        if not uid:
            return uid
        cached = self._uids.get(uid)
        if cached is None:
            if len(self._uids) >= UID_CACHE_LIMIT:  # a long run must not grow without bound
                self._uids.clear()
            digest = derive(self.key, "dicom-uid", uid)
            cached = self._uids[uid] = f"2.25.{int.from_bytes(digest[:16], 'big')}"
        return cached

    def pseudonym(self, patient_key: str) -> str:
        return "YZ" + derive(self.key, "dicom-patient", patient_key)[:8].hex().upper()

    def shift_days(self, patient_key: str) -> int:
        digest = derive(self.key, "dicom-date-shift", patient_key)
        return 1 + int.from_bytes(digest[:4], "big") % SHIFT_MAX_DAYS

    # ---- the pass over one dataset ------------------------------------------------------------
    def deidentify(self, ds: Dataset) -> None:
        """De-identify ``ds`` in place (file meta included) and add the de-identification marks."""
        patient_key = _patient_key(ds)
        iod = IOD_OF_SOP_CLASS.get(_text(ds.get(TAG_SOP_CLASS_UID)))
        context = _Context(
            patient_key=patient_key,
            pseudonym=self.pseudonym(patient_key),
            shift=dt.timedelta(days=-self.shift_days(patient_key)),
        )
        self._walk(ds, context, TYPES.get(iod) if iod else None)
        self._clean_file_meta(ds)
        self._mark(ds)

    def _walk(self, ds: Dataset, context: _Context, types: dict[int, str] | None = None) -> None:
        """One pass over ``ds``; ``types`` (attribute types of its IOD) only at the top level."""
        actions = self._actions
        private_tags = []
        for tag in list(ds.keys()):
            group = tag >> 16
            if group & 1:
                private_tags.append(tag)
                continue
            if 0x5000 <= group <= 0x501E or 0x6000 <= group <= 0x601E:
                # Curves, and overlays: the table removes overlay data and comments; the rest of an
                # overlay plane describes data that is gone, so the whole repeating group goes.
                del ds[tag]
                continue
            resolved = actions.get(tag)
            if resolved is not None and resolved[2] and types is not None:
                chosen = choose_by_type(resolved[2], types.get(tag))
                resolved = (chosen, chosen, "")
            if resolved is None or resolved[0] == KEEP:
                if tag in SEQUENCE_TAGS or ds.get_item(tag, keep_deferred=True).VR == "SQ":
                    self._walk_sequence(ds[tag], context)
                continue
            self._apply(ds, tag, resolved, context)
        if private_tags:
            self._private(ds, private_tags)

    def _walk_sequence(self, elem: DataElement, context: _Context) -> None:
        if elem.VR == "SQ" and elem.value:
            for item in elem.value:
                self._walk(item, context)

    def _apply(self, ds: Dataset, tag: int, resolved: tuple[str, ...], context: _Context) -> None:
        action, fallback = resolved[0], resolved[1]
        if action == REMOVE:
            del ds[tag]
            return
        if self._apply_raw(ds, tag, resolved, context):
            return
        if action in (EMPTY, DUMMY):
            vr = _known_vr(ds, tag)
            # Only the VR is needed to empty or replace a value: skip decoding the old one.
            if vr is not None and vr != "SQ" and vr != "UI":
                value = _dummy(vr) if action == DUMMY else _empty(vr)
                ds[tag] = DataElement(tag, vr, value)
                return
        elem = ds[tag]
        vr = elem.VR
        if vr == "SQ":
            if action == EMPTY:
                elem.value = Sequence()
            else:  # D, U, C on a sequence: keep its structure, de-identify what it holds
                self._walk_sequence(elem, context)
            return
        if action == SHIFT_DATE:
            if vr == "TM":
                return  # times are kept under the Modified Dates option
            shifted = _shift_dates(elem.value, vr, context.shift)
            if shifted is None:  # not a date we can shift reliably: never let it through as is
                self._apply(ds, tag, (fallback, fallback, ""), context)
            else:
                elem.value = shifted
            return
        if action == CLEAN_TEXT:
            cleaned = self._clean_text(elem, context)
            if cleaned is None:
                self._apply(ds, tag, (fallback, fallback, ""), context)
            else:
                elem.value = cleaned
            return
        if action == PSEUDONYM:
            elem.value = context.pseudonym if _has_text(elem.value) else ""
            return
        if action == NEW_UID or (action == DUMMY and vr == "UI"):
            elem.value = _map_values(elem.value, self.new_uid)
            return
        if action == EMPTY:
            elem.value = _empty(vr)
            return
        if action == DUMMY:
            elem.value = _dummy(vr)
            return
        raise ValueError(f"profile action {action!r} for tag {tag:08X} is not implemented")

    def _apply_raw(self, ds: Dataset, tag: int, resolved: tuple[str, ...], context: _Context) -> bool:
        """Apply the action on the undecoded bytes when that is exact; False when it is not.

        Replacing the element by a new raw one (encoded and padded here) spares pydicom decoding
        the old value and encoding the new one: most actions only need the VR.
        """
        raw = ds._dict[tag]
        if not isinstance(raw, RawDataElement) or not isinstance(raw.value, bytes):
            return False
        if raw.length == 0xFFFFFFFF or None in ds.original_encoding:
            return False
        vr = _known_vr(ds, tag)
        if vr not in ASCII_SAFE_VRS:
            return False
        action, fallback = resolved[0], resolved[1]
        new = self._raw_value(raw.value, vr, action, context)
        if new is None and action == SHIFT_DATE:
            new = self._raw_value(raw.value, vr, fallback, context)
        if new is None:
            return False
        if new is not raw.value:
            ds._dict[tag] = raw._replace(VR=vr, value=new, length=len(new))
        return True

    def _raw_value(self, value: bytes, vr: str, action: str, context: _Context) -> bytes | None:
        """The new value bytes for ``action``; ``value`` itself to keep; None when not exact here."""
        if action == EMPTY:
            return b""
        if action == DUMMY and vr != "UI":
            return _pad(DUMMY_TEXT[vr], vr)
        if action == PSEUDONYM:
            return _pad(context.pseudonym, vr) if value.strip(b" \x00") else b""
        if action == NEW_UID or action == DUMMY:  # DUMMY on a UI: a keyed UID, like U
            try:
                parts = value.decode("ascii").rstrip("\x00 ").split("\\")
            except UnicodeDecodeError:
                return None
            return _pad("\\".join(self.new_uid(part) if part.strip("\x00 ") else "" for part in parts), vr)
        if action == SHIFT_DATE:
            if vr == "TM":
                return value  # times are kept under the Modified Dates option
            if vr not in ("DA", "DT"):
                return None
            try:
                text = value.decode("ascii").rstrip("\x00 ")
            except UnicodeDecodeError:
                return None
            parts = text.split("\\")
            shifted = _shift_dates(MultiValue(str, parts) if len(parts) > 1 else text, vr, context.shift)
            if shifted is None:
                return None
            return _pad("\\".join(shifted) if isinstance(shifted, list) else shifted, vr)
        return None  # CLEAN_TEXT and anything else: decode properly through pydicom

    def _clean_text(self, elem: DataElement, context: _Context) -> str | None:
        if self.text_cleaner is None or elem.VR not in DUMMY_TEXT or elem.VR in ("DA", "DT", "TM"):
            return None
        text = elem.value
        if isinstance(text, MultiValue):
            text = "\\".join(str(part) for part in text)
        cleaned = self.text_cleaner(str(text or ""), context.patient_key)
        limit = MAX_LENGTH.get(elem.VR)
        return cleaned[:limit] if limit else cleaned

    def _private(self, ds: Dataset, private_tags: list[int]) -> None:
        """Remove private attributes, except listed safe ones under Retain Safe Private."""
        keep: set[int] = set()
        if self._keep_safe_private:
            for tag in private_tags:
                element = tag & 0xFFFF
                if element < 0x1000:
                    continue
                creator_tag = (tag & 0xFFFF0000) | (element >> 8)
                creator = ds.get(creator_tag)
                name = str(creator.value).strip().upper() if creator is not None else ""
                if (name, tag >> 16, element & 0xFF) in self.safe_private:
                    keep.add(tag)
                    keep.add(creator_tag)
        for tag in private_tags:
            if tag not in keep:
                del ds[tag]

    def _clean_file_meta(self, ds: Dataset) -> None:
        meta = getattr(ds, "file_meta", None)
        if not isinstance(meta, FileMetaDataset):
            return
        uid_action = self._actions[0x00020003][0]
        if uid_action == NEW_UID and "MediaStorageSOPInstanceUID" in meta:
            meta.MediaStorageSOPInstanceUID = self.new_uid(str(meta.MediaStorageSOPInstanceUID))
        # Sender/receiver AE titles and private information say where the file came from.
        for tag in (0x00020016, 0x00020017, 0x00020018, 0x00020100, 0x00020102):
            if tag in meta:
                del meta[tag]

    def _mark(self, ds: Dataset) -> None:
        """PatientIdentityRemoved, DeidentificationMethod(+CodeSequence), LongitudinalTemporal...

        The same four elements go into every file: they are encoded once per transfer encoding.
        """
        is_implicit, is_little = ds.original_encoding
        if is_implicit is None or is_little is None:
            for tag, vr, value in self._mark_values():
                ds.add_new(tag, vr, value)
            return
        encoding = (bool(is_implicit), bool(is_little))
        marks = self._marks.get(encoding)
        if marks is None:
            marks = self._marks[encoding] = _encode_marks(self._mark_values(), *encoding)
        ds._dict.update(marks)

    def _mark_values(self) -> list[tuple[int, str, object]]:
        codes = [BASIC_PROFILE_CODE] + [
            (OPTION_INFO[option].code, OPTION_INFO[option].meaning)
            for option in sorted(self.options, key=lambda option: OPTION_INFO[option].code)
        ]
        items = []
        for value, meaning in codes:
            item = Dataset()
            item.add_new(0x00080100, "SH", value)  # Code Value
            item.add_new(0x00080102, "SH", "DCM")  # Coding Scheme Designator
            item.add_new(0x00080104, "LO", meaning)  # Code Meaning
            items.append(item)
        if Option.RETAIN_LONG_FULL_DATES in self.options:
            temporal = "UNMODIFIED"
        elif Option.RETAIN_LONG_MODIFIED_DATES in self.options:
            temporal = "MODIFIED"
        else:
            temporal = "REMOVED"
        return [
            (0x00120062, "CS", "YES"),  # Patient Identity Removed
            (0x00120063, "LO", [f"YiZhi PS3.15 E.1-1 {EDITION}"] + [m[:64] for _, m in codes]),
            (0x00120064, "SQ", Sequence(items)),  # De-identification Method Code Sequence
            (0x00280303, "CS", temporal),  # Longitudinal Temporal Information Modified
        ]


def _encode_marks(values, is_implicit: bool, is_little: bool) -> dict[int, RawDataElement]:
    """The marks as raw elements in the given encoding (pydicom encodes them, once)."""
    marks = {}
    for tag, vr, value in values:
        buffer = DicomBytesIO()
        buffer.is_implicit_VR, buffer.is_little_endian = is_implicit, is_little
        holder = Dataset()
        holder.add_new(tag, vr, value)
        write_dataset(buffer, holder)
        # Parse our own bytes back: the value starts after the header pydicom wrote.
        data = buffer.getvalue()
        header = 8 if is_implicit or vr not in ("SQ", "OB", "UN", "UT", "UC", "UR") else 12
        payload = data[header:]
        short_explicit = not is_implicit and header == 8
        length_field = data[6:8] if short_explicit else data[header - 4 : header]
        if int.from_bytes(length_field, "little" if is_little else "big") != len(payload):
            raise ValueError(f"mark ({tag >> 16:04X},{tag & 0xFFFF:04X}) was not encoded with a defined length")
        marks[BaseTag(tag)] = RawDataElement(BaseTag(tag), vr, len(payload), payload, 0, is_implicit, is_little)
    return marks


@dataclass(frozen=True)
class _Context:
    patient_key: str
    pseudonym: str
    shift: dt.timedelta


def _patient_key(ds: Dataset) -> str:
    """What identifies the patient of this dataset, for per-patient pseudonyms and date shifts."""
    patient_id = _text(ds.get(TAG_PATIENT_ID))
    if patient_id:
        return f"id\x1f{_text(ds.get(TAG_ISSUER_OF_PATIENT_ID))}\x1f{patient_id}"
    name = _text(ds.get(TAG_PATIENT_NAME))
    if name:
        return f"name\x1f{name}"
    # No patient identity at all: at least keep a study's dates consistent with each other.
    return f"study\x1f{_text(ds.get(TAG_STUDY_INSTANCE_UID))}"


def _text(elem: DataElement | None) -> str:
    if elem is None or elem.value is None:
        return ""
    return str(elem.value).strip()


def _has_text(value) -> bool:
    return value is not None and str(value).strip() != ""


def _map_values(value, function: Callable[[str], str]):
    if isinstance(value, MultiValue):
        return [function(str(part)) for part in value]
    if value is None or value == "":
        return value
    return function(str(value))


def _known_vr(ds: Dataset, tag: int) -> str | None:
    """The element's VR without decoding its value; None when only decoding can tell."""
    elem = ds._dict[tag]
    if not isinstance(elem, RawDataElement):
        return elem.VR
    vr = elem.VR
    if vr is None or vr == "UN":
        vr = DicomDictionary.get(tag, (None,))[0]
    if vr is None or " or " in vr:
        return None
    return vr


def _pad(text: str, vr: str) -> bytes:
    """ASCII value bytes padded to even length (UIDs with NUL, other text with a space)."""
    data = text.encode("ascii")
    if len(data) % 2:
        data += b"\x00" if vr == "UI" else b" "
    return data


def _empty(vr: str):
    if vr in BYTES_VRS:
        return b""
    return None if vr in NUMERIC_VRS else ""


def _dummy(vr: str):
    if vr in DUMMY_TEXT:
        return DUMMY_TEXT[vr]
    if vr in NUMERIC_VRS:
        return 0
    return b""


def _shift_dates(value, vr: str, shift: dt.timedelta):
    """The DA/DT value(s) moved by ``shift``; None when a value cannot be shifted exactly."""
    parts = list(value) if isinstance(value, MultiValue) else [value]
    shifted = []
    for part in parts:
        text = str(part or "").strip()
        if not text:
            shifted.append(text)
            continue
        if vr not in ("DA", "DT") or len(text) < 8 or not text[:8].isdigit():
            return None  # partial dates (YYYY, YYYYMM), ranges and other forms
        try:
            day = dt.date(int(text[:4]), int(text[4:6]), int(text[6:8])) + shift
        except (ValueError, OverflowError):
            return None
        if vr == "DA" and len(text) != 8:
            return None
        shifted.append(day.strftime("%Y%m%d") + text[8:])
    return shifted if isinstance(value, MultiValue) else shifted[0]
