"""The compact profile table is exactly what the generator makes from the standard's Table E.1-1."""

from __future__ import annotations

from pathlib import Path

import pytest

from yizhi.deid.dicom import generate_profile, iod_types, profile_table

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent

SOURCE = generate_profile.DEFAULT_SOURCE


def test_committed_table_equals_a_fresh_generation(tmp_path):
    if not SOURCE.exists():
        pytest.skip(f"reference table {SOURCE} is absent (shared/data not beside the repo)")
    pytest.importorskip("highdicom", reason="highdicom (test extra) provides the IOD module tables")
    target, types = tmp_path / "profile_table.py", tmp_path / "iod_types.py"
    assert generate_profile.main([str(SOURCE), str(target), str(types)]) == 0
    assert target.read_text() == Path(profile_table.__file__).read_text()
    assert types.read_text() == Path(iod_types.__file__).read_text()


def test_table_notes_edition_and_covers_every_row():
    text = Path(profile_table.__file__).read_text()
    assert "DO NOT EDIT" in text and "edition 2024b" in text
    assert profile_table.EDITION == "2024b"
    assert len(profile_table.PROFILE) + len(profile_table.PATTERNS) == 621
    assert profile_table.PROFILE[0x00100010][0] == "Z"  # Patient's Name
    assert profile_table.PROFILE[0x0020000D][:2] == ("U", "K")  # Study Instance UID, Retain UIDs
    assert iod_types.IOD_OF_SOP_CLASS["1.2.840.10008.5.1.4.1.1.2"] == "ct-image"
    assert iod_types.TYPES["ct-image"][0x00080021] == "3"  # Series Date, General Series
    assert set(profile_table.PATTERNS) == {"curve_groups", "overlay_data", "overlay_comments", "private_attributes"}


def test_generator_rejects_a_row_it_does_not_understand(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('[{"name": "X", "tag": "(0010,0010)", "id": "1", "stdCompIOD": "Y", "basicProfile": "Q"}]')
    with pytest.raises(generate_profile.ProfileSourceError, match="row 0.*unknown basicProfile action 'Q'"):
        generate_profile.render(bad)
    assert generate_profile.main([str(bad), str(tmp_path / "out.py")]) == 1
    assert not (tmp_path / "out.py").exists()
