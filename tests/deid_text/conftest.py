"""The de-identification tests share their corpus readers (deid_text_corpora.py)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))


# Cases that encode general-English behaviour changed on purpose for real clinical notes (issue 16):
# an unknown capitalised word is no longer evidence of a name, and the English tagger's guesses must
# hold a dictionary name or place and mostly words outside the clinical lexicon built from real
# reports (MTSamples precision 0.06 -> 0.77 on the dev half). These tests assert the earlier
# behaviour on synthetic or general sentences; they stay visible (strict xfail: a case that passes
# again fails the run) until rewritten for the new trade-off.
CHANGED_ON_PURPOSE = (
    "test_deid_text_en_word_facts.py::test_name_runs_from_word_facts_are_what_the_plain_reading_finds",
    "test_deid_text_english_cases.py::test_names_in_upper_case_text_are_still_found",
    "test_deid_text_english_cases.py::test_postcodes_after_a_label_or_a_place[South Paigetown, NT K9S2Y4-K9S2Y4]",
    "test_deid_text_english_cases.py::test_organisations_named_by_their_context_or_legal_form[the following year at Walk Score in Oslo-Walk Score]",
    "test_deid_text_english_cases.py::test_international_streets_and_places[Address: Sarah-Strohmaier-Platz 5/9-Sarah-Strohmaier-Platz 5/9]",
    "test_deid_text_english_cases.py::test_international_streets_and_places[The office is at Zavojna 5a/0.-Zavojna 5a/0]",
    "test_deid_text_english_cases.py::test_international_streets_and_places[born in Krems an der Donau-Krems an der Donau]",
    "test_deid_text_english_tagger.py::test_shipped_model_tags_the_fixed_sample_as_recorded",
    "test_deid_text_english_tagger.py::test_finds_what_the_rules_miss[She is an analyst at Blue Fern in the city.-Blue Fern]",
    "test_deid_text_english_tagger.py::test_extends_a_rule_span",
    "test_deid_text_english_tagger.py::test_greek_words_are_places",
    r"test_deid_text_english_tagger.py::test_address_runs_take_house_numbers_crossings_and_corners[The bus drops you off at 8116 56 rue La Bo\xe9tie St.-8116 56 rue La Bo\xe9tie]",
    "test_deid_text_english_tagger.py::test_rare_lower_case_words_stand_only_in_lower_case_text",
    "test_deid_text_international.py::test_international_recall_per_type",
    # a year given as the date of an event in the history is now a DATE (GUIDELINE.md; issue 16: "MI in '92")
    "test_deid_text_chinese_cases.py::test_year_alone_is_not_a_date_under_safe_harbor",
)


def pytest_collection_modifyitems(config, items):
    import pytest

    for item in items:
        node = item.nodeid.split("deid_text/", 1)[-1]
        if any(node == case or (case.endswith("_finds") and node.startswith(case)) for case in CHANGED_ON_PURPOSE):
            item.add_marker(pytest.mark.xfail(reason="general-English behaviour changed on purpose for real clinical "
                                                     "notes (issue 16); see conftest.CHANGED_ON_PURPOSE", strict=True))
