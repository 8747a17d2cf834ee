"""The `yizhi` command: exit codes and clear errors."""

from typer.testing import CliRunner

from yizhi.cli import app

runner = CliRunner()


def run(*args, input=None):
    return runner.invoke(app, list(args), input=input)


def test_version():
    from yizhi import __version__

    assert run("version").stdout.strip() == __version__


def test_org_user_token_create_chain(db):
    from yizhi.accounts.models import Membership, Person

    assert run("org", "create", "clinic", "--kind", "hospital", "--name", "社区医院").exit_code == 0
    result = run("user", "create", "doc@clinic.test", "--org", "clinic", "--role", "owner", "--password-stdin",
                 input="Clinic-Strong-Pass-3\n")
    assert result.exit_code == 0, result.output
    person = db.query(Person).filter_by(email="doc@clinic.test").one()
    assert db.query(Membership).filter_by(person_id=person.id).one().role.value == "owner"
    token = run("token", "create", "doc@clinic.test", "--name", "etl")
    assert token.exit_code == 0 and token.stdout.strip().splitlines()[-1].startswith("yzt_")


def test_errors_are_one_line_and_non_zero():
    bad_kind = run("org", "create", "x1", "--kind", "shop", "--name", "X")
    assert bad_kind.exit_code == 1 and "kind 'shop' is not one of" in bad_kind.output
    assert "Traceback" not in bad_kind.output
    run("org", "create", "dup", "--kind", "company", "--name", "D")
    dup = run("org", "create", "dup", "--kind", "company", "--name", "D")
    assert dup.exit_code == 1 and "already exists" in dup.output
    no_org = run("user", "create", "a@b.test", "--org", "missing", "--password-stdin", input="Some-Strong-Pass-1\n")
    assert no_org.exit_code == 1 and "no organisation with slug 'missing'" in no_org.output
    weak = run("user", "create", "a@b.test", "--org", "dup", "--password-stdin", input="weak\n")
    assert weak.exit_code == 1 and "at least 10 characters" in weak.output
    no_stdin = run("user", "create", "a@b.test", "--org", "dup")
    assert no_stdin.exit_code == 2
    unknown = run("token", "create", "ghost@x.test", "--name", "n")
    assert unknown.exit_code == 1 and "no person" in unknown.output


def test_demo_is_idempotent(db):
    from yizhi.accounts.models import Membership, Organization, Person

    first = run("demo")
    assert first.exit_code == 0, first.output
    counts = (db.query(Organization).count(), db.query(Person).count(), db.query(Membership).count())
    assert counts[0] == 6 and counts[1] >= 12
    kinds = {o.kind.value for o in db.query(Organization)}
    assert kinds == {"commission", "hospital", "company", "university"}
    roles = {m.role.value for m in db.query(Membership)}
    assert roles == {"owner", "member", "reviewer", "annotator"}
    second = run("demo")
    assert second.exit_code == 0 and "nothing to do" in second.output
    db.expire_all()
    assert (db.query(Organization).count(), db.query(Person).count(), db.query(Membership).count()) == counts


def test_config_lists_every_setting():
    
    from yizhi.config import documented_settings

    result = run("config")
    assert result.exit_code == 0
    for variable, _default, _help in documented_settings():
        assert variable in result.stdout
