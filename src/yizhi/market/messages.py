"""Texts built in Python and translated where they are shown: notification templates and the
values (states, kinds, categories of deployment and price) pages show to users."""

from __future__ import annotations

from collections.abc import Callable

from yizhi.errors import N_

NOTIFICATIONS = {
    "certification_requested": N_("%(company)s asks for certification of %(product)s %(version)s."),
    "certified": N_("%(product)s %(version)s is certified for the supermarket until %(date)s."),
    "certification_refused": N_("Certification of %(product)s %(version)s was refused."),
    "certificate_withdrawn": N_("The certificate of %(product)s %(version)s was withdrawn."),
    "certificate_expired": N_("The certificate of %(product)s %(version)s has expired."),
    "pilot_requested": N_("%(hospital)s asks to pilot %(product)s %(version)s."),
    "pilot_agreed": N_("%(company)s agreed to the pilot of %(product)s %(version)s; it is running."),
    "pilot_declined": N_("%(company)s declined the pilot of %(product)s %(version)s."),
    "incident_reported": N_("%(hospital)s reported a problem with %(product)s %(version)s."),
    "incident_answered": N_("%(company)s answered your report on %(product)s %(version)s."),
    "reevaluation_requested": N_("Repeated post-market reports: %(product)s %(version)s needs re-evaluation."),
    "voucher_issued": N_("A voucher of %(amount)s (%(programme)s) was issued to %(org)s."),
}

SHOWN_VALUES = (
    N_("requested"), N_("certified"), N_("refused"), N_("withdrawn"), N_("expired"),
    N_("accepted"), N_("declined"), N_("incident"), N_("drift"), N_("low"), N_("medium"), N_("high"),
    N_("open"), N_("answered"), N_("closed"), N_("active"), N_("revoked"),
    N_("compute"), N_("data"), N_("fund"), N_("issue"), N_("spend"), N_("expire"), N_("revoke"),
    N_("on_premises"), N_("cloud"), N_("his_integration"), N_("pacs_integration"), N_("emr_integration"),
    N_("one_time"), N_("subscription"), N_("per_use"), N_("free"), N_("negotiable"),
    N_("metric"), N_("worst_group"), N_("subgroup_gap"), N_("robustness"), N_("verdict"),
    N_("value"), N_("ci_lower"), N_("ci_upper"), N_("equalized_odds_difference"), N_("demographic_parity_difference"),
    N_("grant_fee"), N_("tier_b_compute"),
    N_("scientific_research"), N_("product_development"), N_("product_evaluation"), N_("public_health"),
    N_("education"),
    N_("Product supermarket"), N_("Vouchers"),
)


def notification_text(gettext: Callable[[str], str], kind: str, params: dict, locale: str = "zh") -> str:
    """The text in the reader's language; organisation names too (``<key>_en`` when stored)."""
    template = NOTIFICATIONS.get(kind)
    if template is None:
        return kind
    keys = ("company", "hospital", "product", "version", "date", "amount", "programme", "org")
    values = {key: (locale == "en" and params.get(f"{key}_en")) or params.get(key, "") for key in keys}
    return gettext(template) % values
