"""C2SP signed notes and checkpoints: known answers, SM2, cosignatures, rejection of forgeries."""

from __future__ import annotations

import pytest

from yizhi.ledger.note import (
    Checkpoint,
    NoteError,
    add_signature_lines,
    cosign,
    Signer,
    generate_signer,
    open_checkpoint,
    parse_checkpoint_body,
    parse_skey,
    parse_vkey,
    sign_note,
    verify_note,
)

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent

# Known-answer vector published with Go's golang.org/x/mod/sumdb/note package.
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
GO_SIGNATURE = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"


def test_go_note_known_answer():
    signer = parse_skey(GO_SKEY)
    assert signer.verifier.vkey == GO_VKEY
    assert sign_note(GO_TEXT, signer) == GO_TEXT + "\n" + GO_SIGNATURE
    body, verified = verify_note(GO_TEXT + "\n" + GO_SIGNATURE, [parse_vkey(GO_VKEY)])
    assert body == GO_TEXT and verified == [parse_vkey(GO_VKEY)]


@pytest.mark.parametrize("kind", ["ed25519", "sm2"])
def test_checkpoint_round_trip_and_tamper(kind):
    signer = generate_signer("yizhi.test/ledger", kind)
    verifier = parse_vkey(signer.verifier.vkey)
    checkpoint = Checkpoint("yizhi.test/ledger", 42, bytes(range(32)))
    note = sign_note(checkpoint.body, signer)
    assert note.startswith("yizhi.test/ledger\n42\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n\n— yizhi.test/ledger ")
    opened, cosigners = open_checkpoint(note, verifier)
    assert opened == checkpoint and cosigners == []
    with pytest.raises(NoteError, match="does not verify"):
        open_checkpoint(note.replace("\n42\n", "\n43\n"), verifier)
    other = generate_signer("yizhi.test/ledger", kind).verifier
    with pytest.raises(NoteError, match="not signed by any trusted key"):
        open_checkpoint(note, other)


def test_cosignatures_and_quorum():
    log = generate_signer("yizhi.test/ledger")
    witnesses = [generate_signer(f"witness.h{i}", "cosignature/v1") for i in range(3)]
    body = Checkpoint("yizhi.test/ledger", 7, b"\x07" * 32).body
    note = sign_note(body, log)
    note = add_signature_lines(note, [cosign(body, w, timestamp=1_790_000_000).line for w in witnesses[:2]])
    keys = [w.verifier for w in witnesses]
    _, cosigners = open_checkpoint(note, log.verifier, keys, quorum=2)
    assert {c.name for c in cosigners} == {"witness.h0", "witness.h1"}
    with pytest.raises(NoteError, match="2 valid witness cosignatures; 3 required"):
        open_checkpoint(note, log.verifier, keys, quorum=3)
    # a cosignature over a different checkpoint body must not count
    forged = cosign(Checkpoint("yizhi.test/ledger", 8, b"\x07" * 32).body, witnesses[2]).line
    with pytest.raises(NoteError, match="witness.h2"):
        open_checkpoint(add_signature_lines(note, [forged]), log.verifier, keys)


def test_cosignature_signs_the_tlog_cosignature_v1_message():
    witness = generate_signer("witness.example", "cosignature/v1")
    body = Checkpoint("log.example", 3, b"\x01" * 32).body
    signature = cosign(body, witness, timestamp=1679315147)
    message = b"cosignature/v1\ntime 1679315147\n" + body.encode()
    assert signature.signature[:8] == (1679315147).to_bytes(8, "big")
    assert witness.verifier.verify(message, signature.signature[8:])
    assert signature.key_id == witness.verifier.key_id


@pytest.mark.parametrize(
    ("note", "reason"),
    [
        ("a\n1\nAAAA\n", "blank line"),
        ("log\n1\nroot\n\n— log !!!notbase64\n", "base64"),
        ("log\n1\nroot\n\nx log AAAAAAA=\n", "does not start"),
        ("log\x01\n\n— log AAAAAAA=\n", "control"),
        ("log\n1\nroot\n\n", "no signatures"),
    ],
)
def test_malformed_notes_are_rejected_with_a_reason(note, reason):
    with pytest.raises(NoteError, match=reason):
        verify_note(note, [parse_vkey(GO_VKEY)])


@pytest.mark.parametrize(
    ("body", "reason"), [("log\n01\nAA==\n", "leading zeros"), ("log\n1\nAA==\n", "32 bytes"), ("log\n1\n", "origin, size")]
)
def test_malformed_checkpoints(body, reason):
    with pytest.raises(NoteError, match=reason):
        parse_checkpoint_body(body)


def test_vkey_with_wrong_key_id_is_refused():
    with pytest.raises(NoteError, match="does not match"):
        parse_vkey(GO_VKEY.replace("c74f20a3", "c74f20a4"))


def test_sm2_key_whose_public_x_begins_with_04_signs_notes_that_verify():
    # Regression: gmssl's constructor lstrip("04")s a public key that starts with "04" (taking it for
    # the uncompressed-point prefix), so one SM2 key in 256 — scalar 11 here, x = 04b3cb10… — signed
    # notes that never verified; random keys made the round-trip test fail now and then.
    signer = Signer("yizhi.test/ledger", "sm2", (11).to_bytes(32, "big"))
    assert signer.verifier.public[4] == 0x04
    checkpoint = Checkpoint("yizhi.test/ledger", 7, bytes(32))
    opened, _ = open_checkpoint(sign_note(checkpoint.body, signer), parse_vkey(signer.verifier.vkey))
    assert opened == checkpoint
