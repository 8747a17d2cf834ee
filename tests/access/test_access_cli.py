"""`yizhi access list|show|grant|grant-check`: administrative grants on the ledger as such, exit codes,
one-line errors."""

import json

from access_helpers import walk_to_grant
from typer.testing import CliRunner

from yizhi.cli import app
from yizhi.ledger.models import LedgerEntry

runner = CliRunner()


def run(*args):
    return runner.invoke(app, ["access", *args])


def test_an_administrative_grant_prints_its_id_last_and_is_on_the_ledger(db, cast, dataset):
    assert run("grant-check", "--org", "company", "--dataset", dataset).exit_code == 1
    made = run("grant", "--org", "company", "--dataset", dataset, "--columns", "labs:hba1c,age", "visits:ward",
               "--days", "30", "--epsilon", "2.5", "--reason", "evaluation of model X")
    assert made.exit_code == 0, made.output
    grant_id = int(made.stdout.strip().splitlines()[-1])
    from yizhi.access.models import Grant

    grant = db.get(Grant, grant_id)
    assert grant.administrative and grant.epsilon_budget == 2.5
    assert grant.datasets[0].columns == {"labs": ["hba1c", "age"], "visits": ["ward"]}
    entry = db.query(LedgerEntry).filter_by(kind="access.grant_created", subject=f"grant:{grant_id}").one()
    assert json.loads(entry.leaf)["data"]["administrative"] is True and entry.actor == "cli"
    repeated = run("grant", "--org", "company", "--dataset", dataset, "--columns", "labs:site", "--columns",
                   "visits:ward", "--reason", "second form: --columns repeated")
    assert repeated.exit_code == 0, repeated.output
    assert db.get(Grant, int(repeated.stdout.split()[-1])).datasets[0].columns == {"labs": ["site"], "visits": ["ward"]}
    checked = run("grant-check", "--org", "company", "--dataset", dataset)
    assert checked.exit_code == 0 and str(grant_id) in checked.stdout
    assert run("grant-check", "--org", "other-hospital", "--dataset", dataset).exit_code == 1


def test_grant_refusals_are_one_line(cast, dataset):
    cases = [
        (["--org", "company", "--dataset", dataset, "--reason", "x", "--columns", "labs"], "TABLE:COL"),
        (["--org", "company", "--dataset", dataset, "--reason", "x", "--columns", "labs:nope"], "no column"),
        (["--org", "nobody", "--dataset", dataset, "--reason", "x"], "no organisation"),
        (["--org", "company", "--dataset", "dm-emr@9", "--reason", "x"], "no dataset version"),
        (["--org", "company", "--dataset", dataset, "--reason", " "], "needs its reason"),
        (["--org", "company", "--dataset", dataset, "--reason", "x", "--days", "0"], "between 1 and"),
        (["--org", "company", "--dataset", dataset, "--reason", "x", "--mode", "download"], "space or extract"),
        (["--org", "company", "--dataset", dataset, "--reason", "x", "stray"], "unexpected argument"),
    ]
    for args, expected in cases:
        result = run("grant", *args)
        assert result.exit_code in (1, 2), (args, result.output)
        assert expected in result.output, (args, result.output)
        assert "Traceback" not in result.output


def test_list_and_show(api, cast, dataset):
    walked = walk_to_grant(api, cast, dataset)
    listed = run("list", "--json")
    assert listed.exit_code == 0
    rows = json.loads(listed.stdout)
    assert [r["id"] for r in rows] == [walked.request_id] and rows[0]["state"] == "granted"
    assert json.loads(run("list", "--state", "draft", "--json").stdout) == []
    assert run("list", "--state", "bogus").exit_code == 2
    shown = run("show", str(walked.request_id), "--json")
    body = json.loads(shown.stdout)
    assert body["grant"]["id"] == walked.grant_id and body["messages"] == []
    text = run("show", str(walked.request_id))
    assert "granted" in text.stdout and dataset in text.stdout
    missing = run("show", "999999")
    assert missing.exit_code == 1 and "no access request 999999" in missing.output
