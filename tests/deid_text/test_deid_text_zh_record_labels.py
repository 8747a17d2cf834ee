"""Numbers of a treatment course, a study or a trial's subject, read by their label (issue 16: "RT-20240077")."""

from __future__ import annotations

import pytest

from yizhi.deid.text import detect

pytestmark = pytest.mark.db_independent


@pytest.mark.parametrize("text, number", [
    ("放疗号RT-20240077，今日第12次放疗。", "RT-20240077"),
    ("受试者编号S-0173，已签署知情同意书。", "S-0173"),
    ("随机号R20231105，入组A组。", "R20231105"),
    ("透析号：HD-0042，规律透析。", "HD-0042"),
    ("MR号：MR-88231，示腔隙性梗死。", "MR-88231"),
])
def test_the_number_after_its_label_is_a_record_number(text, number):
    found = [(text[s.start:s.end], s.type) for s in detect(text, lang="zh")]
    assert (number, "RECORD_NUMBER") in found, found


@pytest.mark.parametrize("text", ["今日第12次放疗，耐受可。", "CT示右肺结节约8mm。", "患者随机分入A组。"])
def test_treatment_words_without_a_number_label_take_nothing(text):
    assert [s for s in detect(text, lang="zh") if s.type == "RECORD_NUMBER"] == []
