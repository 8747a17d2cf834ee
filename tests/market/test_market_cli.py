"""The commission's commands (names exact): yizhi market certify, yizhi vouchers issue, yizhi vouchers
statement ORG — and clear one-line errors for bad input."""

from __future__ import annotations

import json
from datetime import date, timedelta

from market_helpers import CRITERIA, make_product
from typer.testing import CliRunner

from yizhi.cli import app


def test_market_certify_refuses_with_reasons_then_certifies(db, cast, pima_report, tmp_path):
    runner = CliRunner()
    product, version = make_product(db, pima_report, certify=False,
                                    criteria=[{"kind": "metric", "metric": "auroc", "bound": "ci_lower", "min": 0.99}])
    refused = runner.invoke(app, ["market", "certify", "pima-risk@1.0.0", "--by", cast.admin.email])
    assert refused.exit_code != 0 and "cannot be certified" in str(refused.exception)
    criteria = tmp_path / "criteria.yaml"
    criteria.write_text(json.dumps(CRITERIA))
    published = runner.invoke(app, ["market", "criteria", "chronic_disease", "--set", str(criteria)])
    assert published.exit_code == 0 and "revision 2" in published.stdout
    certified = runner.invoke(app, ["market", "certify", "pima-risk@1.0.0", "--months", "6", "--by", cast.admin.email])
    assert certified.exit_code == 0, certified.output
    assert "certified pima-risk@1.0.0 until" in certified.stdout
    listed = runner.invoke(app, ["market", "list"])
    assert listed.stdout.startswith("pima-risk@1.0.0\t")
    db.expire_all()
    assert version.certifications[-1].decided_by_id == cast.admin.id
    bad = runner.invoke(app, ["market", "certify", "no-at-sign"])
    assert bad.exit_code != 0 and "PRODUCT@VERSION" in str(bad.exception)


def test_a_company_member_cannot_certify_from_the_cli(db, cast, pima_report):
    from yizhi.errors import PermissionDenied

    make_product(db, pima_report, certify=False)
    result = CliRunner().invoke(app, ["market", "certify", "pima-risk@1.0.0", "--by", cast.company.email])
    assert isinstance(result.exception, PermissionDenied)


def test_vouchers_issue_and_statement(db, cast):
    runner = CliRunner()
    until = (date.today() + timedelta(days=200)).isoformat()
    created = runner.invoke(app, ["vouchers", "programme", "create", "compute-2026", "--title", "算力券 2026",
                                  "--kind", "compute", "--budget", "100000", "--until", until, "--kinds", "company"])
    assert created.exit_code == 0, created.output
    issued = runner.invoke(app, ["vouchers", "issue", "compute-2026", "company", "--amount", "2500.50"])
    assert issued.exit_code == 0, issued.output
    code = issued.stdout.strip().splitlines()[-1]
    assert code.startswith("CV-")
    statement = runner.invoke(app, ["vouchers", "statement", "company", "--json"])
    data = json.loads(statement.stdout)
    assert data["closing"]["vouchers_fen"] == 250050 and data["vouchers"][0]["code"] == code
    text = runner.invoke(app, ["vouchers", "statement", "company"]).stdout
    assert "¥2,500.50" in text
    assert runner.invoke(app, ["vouchers", "verify"]).exit_code == 0
    for args, fragment in (
        (["vouchers", "issue", "compute-2026", "company", "--amount", "-1"], "not an amount"),
        (["vouchers", "issue", "compute-2026", "hospital", "--amount", "1"], "not eligible"),
        (["vouchers", "issue", "nope", "company", "--amount", "1"], "no voucher programme"),
        (["vouchers", "issue", "compute-2026", "company", "--amount", "999999"], "left to issue"),
        (["vouchers", "statement", "company", "--since", "yesterday"], "YYYY-MM-DD"),
        (["vouchers", "programme", "create", "x", "--title", "t", "--kind", "gold", "--budget", "1", "--until", until],
         "kind"),
    ):
        result = runner.invoke(app, args)
        assert result.exit_code != 0 and fragment in str(result.exception), (args, result.exception)
