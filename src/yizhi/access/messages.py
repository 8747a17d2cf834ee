"""Labels shown on pages and built in Python (states, purposes, kinds, modes...), marked for
extraction so each is translated where it is shown (``{{ _(value) }}``)."""

from __future__ import annotations

from yizhi.errors import N_

LABELS = [
    # request states and changes
    N_("draft"), N_("submitted"), N_("prescreen"), N_("in_review"), N_("approved"), N_("approved_with_conditions"),
    N_("rejected"), N_("withdrawn"), N_("granted"), N_("closed"), N_("initial"), N_("amendment"), N_("extension"),
    N_("renewal"),
    # history actions
    N_("create"), N_("submit"), N_("start_prescreen"), N_("accept"), N_("return"), N_("withdraw"), N_("approve"),
    N_("approve_with_conditions"), N_("reject"), N_("auto_approve"), N_("grant"), N_("close"),
    # purposes, kinds, modes
    N_("scientific_research"), N_("product_development"), N_("product_evaluation"), N_("public_health"),
    N_("education"), N_("data"), N_("statistics"), N_("space"), N_("extract"),
    # grant, step and issue states; closure report
    N_("active"), N_("expired"), N_("suspended"), N_("revoked"), N_("waiting"), N_("done"), N_("open"),
    N_("acknowledged"), N_("resolved"), N_("yes"), N_("partly"), N_("no"), N_("manual"), N_("automatic"),
    # organisation kinds
    N_("commission"), N_("hospital"), N_("company"), N_("university"), N_("evaluator"),
    # sides of a request
    N_("applicant"), N_("reviewers"),
    # navigation and flashes
    N_("Data access"), N_("Access reviews"), N_("Data Use Register"), N_("All marked as read."),
    N_("Data steward review"),
]

# Kinds of output in a closure report, shown with their own labels ("product" is a maturity level
# elsewhere and is translated differently there).
OUTPUT_LABELS = {"paper": N_("Paper"), "model": N_("Model"), "product": N_("Product"), "report": N_("Report")}
