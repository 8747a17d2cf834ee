"""The options of the Basic Application Level Confidentiality Profile that YiZhi offers.

Each option names its column in Table E.1-1 (see ``profile_table.OPTION_FIELDS``) and its code in
CID 7050 "De-identification Method", which goes into DeidentificationMethodCodeSequence.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Option(str, Enum):
    """Options a data owner can switch on (``--option NAME`` on the command line)."""

    RETAIN_LONG_MODIFIED_DATES = "retain-long-modified-dates"
    RETAIN_LONG_FULL_DATES = "retain-long-full-dates"
    RETAIN_PATIENT_CHARACTERISTICS = "retain-patient-chars"
    RETAIN_DEVICE_IDENTITY = "retain-device-id"
    RETAIN_INSTITUTION_IDENTITY = "retain-institution-id"
    RETAIN_UIDS = "retain-uids"
    CLEAN_DESCRIPTORS = "clean-descriptors"
    RETAIN_SAFE_PRIVATE = "retain-safe-private"


@dataclass(frozen=True)
class OptionInfo:
    table_field: str  # column of Table E.1-1
    code: str  # CID 7050 code value (coding scheme DCM)
    meaning: str  # CID 7050 code meaning


BASIC_PROFILE_CODE = ("113100", "Basic Application Confidentiality Profile")

OPTION_INFO: dict[Option, OptionInfo] = {
    Option.RETAIN_LONG_MODIFIED_DATES: OptionInfo(
        "rtnLongModifDatesOpt", "113107", "Retain Longitudinal Temporal Information Modified Dates Option"
    ),
    Option.RETAIN_LONG_FULL_DATES: OptionInfo(
        "rtnLongFullDatesOpt", "113106", "Retain Longitudinal Temporal Information Full Dates Option"
    ),
    Option.RETAIN_PATIENT_CHARACTERISTICS: OptionInfo(
        "rtnPatCharsOpt", "113108", "Retain Patient Characteristics Option"
    ),
    Option.RETAIN_DEVICE_IDENTITY: OptionInfo("rtnDevIdOpt", "113109", "Retain Device Identity Option"),
    Option.RETAIN_INSTITUTION_IDENTITY: OptionInfo(
        "rtnInstIdOpt", "113112", "Retain Institution Identity Option"
    ),
    Option.RETAIN_UIDS: OptionInfo("rtnUIDsOpt", "113110", "Retain UIDs Option"),
    Option.CLEAN_DESCRIPTORS: OptionInfo("cleanDescOpt", "113105", "Clean Descriptors Option"),
    Option.RETAIN_SAFE_PRIVATE: OptionInfo("rtnSafePrivOpt", "113111", "Retain Safe Private Option"),
}


class OptionError(ValueError):
    """An unknown option name, or two options that exclude each other."""


def parse_options(names: list[str] | tuple[str, ...]) -> frozenset[Option]:
    """Options from their command-line names; raises OptionError naming the bad one."""
    chosen: set[Option] = set()
    valid = ", ".join(option.value for option in Option)
    for name in names:
        try:
            chosen.add(Option(name.strip().lower()))
        except ValueError:
            raise OptionError(f"unknown option {name!r}; choose from: {valid}") from None
    if {Option.RETAIN_LONG_MODIFIED_DATES, Option.RETAIN_LONG_FULL_DATES} <= chosen:
        raise OptionError(
            "retain-long-modified-dates and retain-long-full-dates exclude each other; choose one"
        )
    return frozenset(chosen)
