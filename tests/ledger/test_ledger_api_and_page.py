"""/api/v1/ledger and the /ledger page with the fixed cast: public reads, guarded writes."""

from __future__ import annotations

from yizhi.ledger.note import generate_signer, parse_vkey
from yizhi.ledger.receipt import verify_receipt


def test_anyone_reads_status_entries_proofs_and_receipts(cast, api):
    anonymous = api()
    status = anonymous.get("/api/v1/ledger")
    assert status.status_code == 200, status.text
    body = status.json()
    assert body["size"] >= 5  # the cast's organisations and memberships were recorded
    entry = anonymous.get("/api/v1/ledger/entries/0").json()
    assert set(entry) == {"index", "leaf", "leaf_hash"}
    assert '"email"' not in entry["leaf"] and "@" not in entry["leaf"]
    proof = anonymous.get("/api/v1/ledger/proof/inclusion/0", params={"size": 3}).json()
    assert proof["tree_size"] == 3 and proof["leaf_index"] == 0
    consistency = anonymous.get(f"/api/v1/ledger/proof/consistency/2/{body['size']}").json()
    assert consistency["first"] == 2 and consistency["proof"]
    receipt = anonymous.get("/api/v1/ledger/entries/1/receipt").json()
    checkpoint, _ = verify_receipt(receipt, parse_vkey(body["public_key"]))
    assert checkpoint.size >= 2
    note = anonymous.get("/api/v1/ledger/checkpoint")
    assert note.status_code == 200 and note.text.startswith(body["origin"] + "\n")


def test_unknown_entry_and_bad_sizes_are_clear_errors(cast, api):
    anonymous = api()
    missing = anonymous.get("/api/v1/ledger/entries/999999")
    assert missing.status_code == 404 and "999999" in missing.json()["error"]["message"]
    bad = anonymous.get("/api/v1/ledger/proof/consistency/9/2")
    assert bad.status_code == 422


def test_only_commission_staff_append_and_verify(cast, api):
    assert api().post("/api/v1/ledger/entries", json={"kind": "operator.note", "data": {}}).status_code == 401
    assert api(cast.owner).post("/api/v1/ledger/entries", json={"kind": "operator.note", "data": {}}).status_code == 403
    created = api(cast.admin).post("/api/v1/ledger/entries", json={"kind": "operator.note", "data": {"ticket": 7}})
    assert created.status_code == 201 and '"ticket":7' in created.json()["leaf"]
    refused = api(cast.admin).post("/api/v1/ledger/entries", json={"kind": "operator.note", "data": {"phone": "x"}})
    assert refused.status_code == 422 and "data.phone" in refused.json()["error"]["message"]
    assert api(cast.colleague).get("/api/v1/ledger/verify").status_code == 403
    report = api(cast.admin).get("/api/v1/ledger/verify").json()
    assert report["ok"] and report["entries_checked"] == report["size"]
    checkpoint = api(cast.admin).post("/api/v1/ledger/checkpoint")
    assert checkpoint.status_code == 200 and checkpoint.json()["tree_size"] >= report["size"]  # api() itself records token.created


def test_org_owner_registers_a_witness_others_cannot(cast, api):
    key = generate_signer("witness.hospital.test", "cosignature/v1").verifier.vkey
    assert api(cast.colleague).post("/api/v1/ledger/witnesses", json={"org": "hospital", "vkey": key}).status_code == 403
    assert api(cast.outsider).post("/api/v1/ledger/witnesses", json={"org": "hospital", "vkey": key}).status_code == 404
    created = api(cast.owner).post("/api/v1/ledger/witnesses", json={"org": "hospital", "vkey": key})
    assert created.status_code == 201 and created.json()["org"] == "hospital"
    listed = api().get("/api/v1/ledger/witnesses").json()
    assert [w["name"] for w in listed] == ["witness.hospital.test"]
    duplicate = api(cast.owner).post("/api/v1/ledger/witnesses", json={"org": "hospital", "vkey": key})
    assert duplicate.status_code == 422


def test_offline_cosignature_submitted_by_the_owner(cast, api, tmp_path):
    from yizhi.ledger.witness import Witness

    status = api().get("/api/v1/ledger").json()
    witness = Witness.init(tmp_path / "w", "witness.hospital.test")
    witness.trust_log(status["public_key"])
    api(cast.owner).post("/api/v1/ledger/witnesses", json={"org": "hospital", "vkey": witness.signer.verifier.vkey})
    checkpoint = api(cast.admin).post("/api/v1/ledger/checkpoint", params={"cosign": "false"}).json()
    response = witness.add_checkpoint(f"old 0\n\n{checkpoint['note']}")
    assert response.status == 200
    assert api(cast.outsider).post("/api/v1/ledger/witnesses/witness.hospital.test/cosignature",
                                   json={"lines": response.body}).status_code == 404
    accepted = api(cast.owner).post("/api/v1/ledger/witnesses/witness.hospital.test/cosignature", json={"lines": response.body})
    assert accepted.status_code == 200, accepted.text
    assert [c["witness"] for c in accepted.json()["cosigners"]] == ["witness.hospital.test"]
    garbage = api(cast.owner).post("/api/v1/ledger/witnesses/witness.hospital.test/cosignature", json={"lines": "— x AAAA"})
    assert garbage.status_code == 422


def test_public_page_shows_key_checkpoint_and_entry_lookup(cast, web, api):
    status = api().get("/api/v1/ledger").json()
    api(cast.admin).post("/api/v1/ledger/checkpoint")
    page = web().get("/ledger")
    assert page.status_code == 200
    assert status["fingerprint"] in page.text and status["public_key"] in page.text
    assert "data-checkpoint" in page.text
    lookup = web().get("/ledger", params={"index": 1})
    assert "data-audit-path" in lookup.text and "/api/v1/ledger/entries/1/receipt" in lookup.text
    assert "999999" in web().get("/ledger", params={"index": 999999}).text
    assert "Register your organisation" not in page.text and "注册本机构的见证节点" not in page.text


def test_owner_registers_witness_through_the_page(cast, web, api):
    key = generate_signer("witness.page.test", "cosignature/v1").verifier.vkey
    client = web(cast.owner)
    response = client.post_form("/ledger/witnesses", {"org": "hospital", "vkey": key, "url": ""})
    assert response.status_code == 303
    assert [w["name"] for w in api().get("/api/v1/ledger/witnesses").json()] == ["witness.page.test"]
    refused = web(cast.colleague).post_form("/ledger/witnesses", {"org": "hospital", "vkey": key, "url": ""})
    assert refused.status_code == 403


def test_dashboard_cards(cast, web, api):
    admin_home = web(cast.admin).get("/")
    assert admin_home.status_code == 200 and 'href="/ledger"' in admin_home.text
    owner_home = web(cast.owner).get("/")
    assert "/ledger#witnesses" in owner_home.text
    key = generate_signer("witness.dash.test", "cosignature/v1").verifier.vkey
    api(cast.owner).post("/api/v1/ledger/witnesses", json={"org": "hospital", "vkey": key})
    assert "/ledger#witnesses" not in web(cast.owner).get("/").text
    assert "/ledger#witnesses" not in web(cast.company).get("/").text


def test_owner_retires_the_witness(cast, api):
    key = generate_signer("witness.retire.test", "cosignature/v1").verifier.vkey
    api(cast.owner).post("/api/v1/ledger/witnesses", json={"org": "hospital", "vkey": key})
    assert api(cast.colleague).post("/api/v1/ledger/witnesses/witness.retire.test/retire").status_code == 403
    assert api(cast.outsider).post("/api/v1/ledger/witnesses/witness.retire.test/retire").status_code == 404
    retired = api(cast.owner).post("/api/v1/ledger/witnesses/witness.retire.test/retire")
    assert retired.status_code == 200 and retired.json()["active"] is False
    kinds = [api().get(f"/api/v1/ledger/entries/{i}").json()["leaf"] for i in range(api().get("/api/v1/ledger").json()["size"])]
    assert any('"kind":"ledger.witness_retired"' in leaf for leaf in kinds)
