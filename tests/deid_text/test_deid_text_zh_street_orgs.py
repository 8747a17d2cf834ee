"""An organisation's suffix inside a street name ("学院路"), and a centre named after its street."""

from __future__ import annotations

import pytest

from yizhi.deid.text import detect

pytestmark = pytest.mark.db_independent


def _found(text):
    return [(text[s.start:s.end], s.type) for s in detect(text, lang="zh")]


def test_an_address_after_its_label_keeps_the_label_out():
    text = "患者之女张晓梅电话13812345678，住址海淀区学院路38号3单元502室。"
    assert ("海淀区学院路38号3单元502室", "ADDRESS") in _found(text)


def test_a_centre_named_after_its_street_is_an_organisation():
    assert _found("曾于学院路社区卫生服务中心随访。") == [("学院路社区卫生服务中心", "ORGANIZATION")]


@pytest.mark.parametrize("text", ["转至某大学附属医院。", "转上级医院进一步治疗。", "于社区卫生服务中心随访。"])
def test_generic_institutions_stay(text):
    assert _found(text) == []
