"""Products, versions, certificates and vouchers as JSON-able dicts (the API's and the CLI's shapes),
and the side-by-side comparison a hospital reads."""

from __future__ import annotations

from sqlalchemy.orm import Session

from yizhi.accounts.models import Person
from yizhi.errors import N_, ValidationFailed
from yizhi.market import permissions as rules
from yizhi.market import pilots, reports
from yizhi.market.models import Certification, Product, ProductVersion
from yizhi.market.money import yuan

MAX_COMPARED = 4


def certificate_out(cert: Certification | None) -> dict | None:
    if cert is None:
        return None
    return {"id": cert.id, "state": cert.state.value, "valid_until": cert.valid_until.isoformat() if cert.valid_until
            else None, "decided_at": cert.decided_at.isoformat() if cert.decided_at else None,
            "criteria_set_id": cert.criteria_set_id, "withdrawn_reason": cert.withdrawn_reason or None,
            "decision_note": cert.decision_note or None, "ledger_index": cert.ledger_index,
            "reports": cert.reports}


def latest_certificate(version: ProductVersion) -> Certification | None:
    return version.certifications[-1] if version.certifications else None


def product_out(product: Product, person: Person | None) -> dict:
    shown = [v for v in product.versions if rules.version_visible(person, v)]
    return {"slug": product.slug, "name": product.name, "organization": product.organization.slug,
            "organization_name": product.organization.name,
            "organization_name_en": product.organization.display_name("en"), "description": product.description,
            "intended_use": product.intended_use, "population": product.population, "modalities": product.modalities,
            "category": product.category, "nmpa": {
                "class": product.nmpa_class, "certificate": product.nmpa_certificate or None,
                "valid_from": product.nmpa_valid_from.isoformat() if product.nmpa_valid_from else None,
                "valid_until": product.nmpa_valid_until.isoformat() if product.nmpa_valid_until else None},
            "deployments": product.deployments, "price_model": product.price_model, "price_note": product.price_note,
            "contact": {"name": product.contact_name, "info": product.contact_info} if person is not None else None,
            "listed": rules.product_listed(product),
            "versions": [{"label": v.label, "released_on": v.released_on.isoformat() if v.released_on else None,
                          "certificate": certificate_out(latest_certificate(v)),
                          "live": rules.live_certificate(v) is not None} for v in shown]}


def version_out(session: Session, version: ProductVersion, person: Person | None) -> dict:
    """The version with its reports verified now (the caller commits: a receipt may sign a checkpoint)."""
    return {"product": version.product.slug, "label": version.label, "ref": version.ref,
            "release_notes": version.release_notes,
            "released_on": version.released_on.isoformat() if version.released_on else None,
            "certificate": certificate_out(latest_certificate(version)),
            "live": rules.live_certificate(version) is not None,
            "reports": reports.shown_reports(session, version),
            "ratings": pilots.ratings_summary(session, [version.id])}


def listed_out(row) -> dict:
    product = row.product
    return {"product": product.slug, "name": product.name, "organization": product.organization.slug,
            "organization_name": product.organization.name,
            "organization_name_en": product.organization.display_name("en"), "category": product.category,
            "version": row.version.label,
            "ref": row.version.ref, "intended_use": product.intended_use, "nmpa_class": product.nmpa_class,
            "nmpa_certificate": product.nmpa_certificate or None, "deployments": product.deployments,
            "price_model": product.price_model, "certificate": certificate_out(row.certificate)}


def compare(session: Session, versions: list[ProductVersion]) -> dict:
    """Columns of figures for 2-4 certified versions, with a warning when their reports come from
    different test sets (their figures then cannot be compared directly)."""
    if not 1 <= len(versions) <= MAX_COMPARED:
        raise ValidationFailed(N_("compare between 1 and %(max)s versions"), params={"max": MAX_COMPARED},
                               field="versions")
    columns, datasets = [], set()
    for version in versions:
        product = version.product
        shown = reports.shown_reports(session, version)
        verified = [r for r in shown if r["check"]["verified"] and r["figures"]]
        for r in verified:
            datasets.add((r["figures"]["benchmark"], r["figures"]["dataset"]))
        summary = pilots.ratings_summary(session, [version.id])
        accepted = [r for r in pilots.pilots_of(session, product) if r.version_id == version.id]
        columns.append({
            "ref": version.ref, "product": product.name, "company": product.organization.name,
            "company_en": product.organization.display_name("en"), "category": product.category, "nmpa_class": product.nmpa_class,
            "nmpa_certificate": product.nmpa_certificate or None,
            "certificate": certificate_out(rules.live_certificate(version) or latest_certificate(version)),
            "price_model": product.price_model, "price_note": product.price_note, "deployments": product.deployments,
            "reports": [r["figures"] for r in verified], "unverified": [r["submission_id"] for r in shown
                                                                        if not r["check"]["verified"]],
            "pilots": {"agreed": len(accepted), "closed": sum(1 for r in accepted if r.pilot and
                                                             r.pilot.status.value == "closed"),
                       "sites": sorted({r.site for r in accepted})},
            "ratings": summary})
    metrics = sorted({m for c in columns for r in c["reports"] for m in r["metrics"]},
                     key=lambda m: reports.SHOWN_METRICS.index(m) if m in reports.SHOWN_METRICS else 99)
    return {"columns": columns, "metrics": metrics, "same_test_set": len(datasets) <= 1,
            "test_sets": sorted(f"{b} ({d})" for b, d in datasets)}


def voucher_out(voucher) -> dict:
    return {"code": voucher.code, "programme": voucher.programme.slug, "kind": voucher.programme.kind.value,
            "organization": voucher.organization.slug, "amount_fen": voucher.amount_fen, "amount": yuan(voucher.amount_fen),
            "balance_fen": voucher.balance_fen, "balance": yuan(voucher.balance_fen), "state": voucher.state.value,
            "valid_until": voucher.valid_until.isoformat(), "grant_id": voucher.grant_id,
            "issued_at": voucher.issued_at.isoformat(timespec="seconds")}


def programme_out(programme) -> dict:
    return {"slug": programme.slug, "title": programme.title, "kind": programme.kind.value,
            "description": programme.description, "budget_fen": programme.budget_fen,
            "available_fen": programme.available_fen, "budget": yuan(programme.budget_fen),
            "available": yuan(programme.available_fen), "eligible_kinds": programme.eligible_kinds,
            "eligible_orgs": programme.eligible_orgs, "purposes": programme.purposes,
            "valid_from": programme.valid_from.isoformat(), "valid_until": programme.valid_until.isoformat(),
            "state": programme.state.value}


def transaction_out(txn) -> dict:
    return {"id": txn.id, "kind": txn.kind.value, "amount_fen": txn.amount_fen, "amount": yuan(txn.amount_fen),
            "voucher": txn.voucher.code if txn.voucher else None, "purpose": txn.purpose, "reference": txn.reference,
            "payee": txn.payee.slug if txn.payee else None, "digest": txn.digest, "ledger_index": txn.ledger_index,
            "at": txn.created_at.isoformat(timespec="seconds"),
            "entries": [{"account": e.account, "amount_fen": e.amount_fen} for e in txn.entries]}
