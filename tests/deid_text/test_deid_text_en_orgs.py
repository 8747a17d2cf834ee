"""Organisations in English nursing notes named by a form around them (issue 16, en-orgs;
english_nursing_places._facility_forms): a facility and its town as one name, the facility after "<facility> or",
a lower-case name before a service and clinic/center, an agency before its kind or after what it provides, a company
before a lower-case kind of home — each
on a sentence written here by hand, not taken from the dev sets; and what must stay."""

import pytest

from nursing_lines import covered, removed

pytestmark = pytest.mark.db_independent


@pytest.mark.parametrize("line, value", [
    ("Lives at Maplewood at Amesbury (ALF). hr 80s, sbp 110s, lasix 40.", "Maplewood at Amesbury"),  # facility at a town
    ("pt prefers hebrew rehab or whittier. sbp 110s, hr 80s, lasix 40.", "whittier"),     # the alternative after "or"
    ("f/u w/ faulkner anticoag clinic 5/2, inr 2.4, hr 80s, sbp 110s.", "faulkner"),      # a hospital's clinic: the hospital
    ("last sleep study 2019 at merrimack valley sleep center, cpap 9, hr 80s.", "merrimack valley sleep center"),  # a centre
    ("d/c home 5/2 w/ services. Beacon Home Care to open case, hr 80s sbp 110s.", "Beacon Home Care"),  # agency before its kind
    ("back to ALF 5/2 w/ hospice by Good Shepherd. hr 80s, sbp 110s.", "Good Shepherd"),   # agency after what it provides
    ("dc plan: home vs Greenbriar senior living, hr 80s sbp 110s lasix 40.", "Greenbriar"),  # a company before a kind of home
])
def test_found(line, value):
    assert covered(line, value), (line, value, removed(line))


@pytest.mark.parametrize("line, kept", [
    ("f/u w/ renal transplant clinic 5/2. hr 80s, sbp 110s, lasix 40.", "renal"),          # a service alone
    ("pt to f/u at wound care center, sbp 110s, hr 80s, lasix 40.", "wound"),              # a service alone
    ("pt to f/u w/ outpatient anticoag clinic, inr 2.3, hr 80s.", "outpatient"),            # a generic word
    ("urged him to reschedule his pain clinic appt, hr 80s.", "reschedule"),                # a verb before "his"
    ("dc to rehab or snf, hr 80s, sbp 110s, lasix 40.", "snf"),                             # shorthand after "or"
    ("dc to rehab or home w/ services, hr 80s sbp 110s.", "home"),                          # a common word after "or"
    ("consult from Craig Dunham at Needham, hr 80s, sbp 110s, lasix 40.", "Craig Dunham at"),  # a person at a town
    ("Services provided by Visiting Nurse Association, hr 80s sbp 110s.", "Visiting"),      # generic agency words
    ("dc plan: home vs Local assisted living, hr 80s sbp 110s lasix 40.", "Local"),         # a generic word before a kind
])
def test_kept(line, kept):
    assert not covered(line, kept), (line, kept, removed(line))


def test_clinic_is_the_hospital_only():
    from yizhi.deid.text import detect

    line = "f/u w/ faulkner anticoag clinic 5/2, inr 2.4, hr 80s, sbp 110s."
    assert [s.text for s in detect(line, "en") if s.type == "ORGANIZATION"] == ["faulkner"]  # (the clinic is a service)
