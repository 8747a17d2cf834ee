"""Errors carry an English msgid and its values apart, so each reader gets their own language."""

from yizhi.errors import ValidationFailed

import pytest

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent


def test_message_is_filled_in_english_and_localized_on_demand():
    error = ValidationFailed("table %(table)s has no column %(column)s", params={"table": "labs", "column": "x"})
    assert error.message == "table labs has no column x"
    assert str(error) == error.message
    zh = {"table %(table)s has no column %(column)s": "表 %(table)s 没有列 %(column)s"}
    assert error.localized(lambda s: zh.get(s, s)) == "表 labs 没有列 x"


def test_a_translation_that_lost_a_placeholder_still_gives_a_message():
    error = ValidationFailed("grant %(id)s expired", params={"id": 3})
    assert "id=3" in error.localized(lambda s: "授权 %(ident)s 已过期")


def test_messages_without_values_are_unchanged():
    assert ValidationFailed("100% sure").message == "100% sure"
