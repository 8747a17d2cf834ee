"""Texts built in Python and translated where they are shown (marked for extraction with N_)."""

from __future__ import annotations

from collections.abc import Callable


def N_(message: str) -> str:  # noqa: N802 — the conventional gettext marker name
    return message


NOTIFICATIONS = {
    "need_submitted": N_("Need “%(title)s” was submitted for review."),
    "need_under_review": N_("The commission started reviewing “%(title)s”."),
    "need_returned": N_("Need “%(title)s” was returned with comments."),
    "need_published": N_("Need “%(title)s” was approved and published."),
    "need_closed": N_("Need “%(title)s” was closed."),
    "interest_expressed": N_("%(company)s is interested in “%(title)s”."),
    "engagement_accepted": N_("The hospital accepted your interest in “%(title)s”."),
    "engagement_declined": N_("The hospital declined your interest in “%(title)s”."),
    "engagement_message": N_("New message about “%(title)s”."),
    "engagement_withdrawn": N_("%(company)s withdrew its interest in “%(title)s”."),
    "pilot_started": N_("A pilot started for “%(title)s”."),
    "pilot_closed": N_("The pilot for “%(title)s” was closed."),
}

LABELS = [
    # need states, engagement and pilot states, grades, maturity levels and categories shown on pages
    N_("draft"), N_("submitted"), N_("under_review"), N_("returned"), N_("published"), N_("in_engagement"),
    N_("piloting"), N_("closed"), N_("pending"), N_("accepted"), N_("declined"), N_("withdrawn"), N_("running"),
    N_("high"), N_("medium"), N_("low"), N_("research"), N_("prototype"), N_("product"), N_("nmpa_registered"),
    N_("imaging"), N_("pathology"), N_("assisted_diagnosis"), N_("surgical_planning"), N_("chronic_disease"),
    N_("biopharma"), N_("medical_service"), N_("public_health"), N_("tcm"), N_("elderly_care"), N_("insurance"),
    N_("education"), N_("other"),
    N_("Needs library"), N_("Solutions"), N_("Needs lists"), N_("Review queue"),
    # flash messages (views call translator(request)(...))
    N_("Draft saved."), N_("Needs list released."), N_("All marked as read."), N_("Saved."), N_("Message sent."),
    N_("Pilot started."), N_("Pilot closed."), N_("Solution published."), N_("Interest withdrawn."),
]


def notification_text(gettext: Callable[[str], str], kind: str, params: dict, locale: str = "zh") -> str:
    template = NOTIFICATIONS.get(kind)
    if template is None:
        return kind
    company = (locale == "en" and params.get("company_en")) or params.get("company", "")
    values = {"title": params.get("title", ""), "company": company}
    return gettext(template) % values
