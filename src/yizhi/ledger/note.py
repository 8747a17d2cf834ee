"""C2SP signed notes, checkpoints and cosignatures (c2sp.org/signed-note, tlog-checkpoint,
tlog-cosignature), with Ed25519 by default and SM2 as an option.

Pure code over text and bytes. Ed25519 comes from ``cryptography``; SM2 (GB/T 32918, signed with
SM3 and the default user id) from ``gmssl``. SM2 has no signature-type byte in the C2SP registry, so
it uses the reserved 0xff followed by the identifier ``SM2`` as the spec recommends.

Key text formats follow the Go ``note`` package: a verifier key (vkey) is
``<name>+<key id hex>+<base64(type || public key)>`` and a signer key is the same prefixed with
``PRIVATE+KEY+`` and carrying the private key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
import struct
import time as time_module
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

EM_DASH = "\u2014"
TYPE_ED25519 = 0x01
TYPE_COSIGNATURE_V1 = 0x04
TYPE_OTHER = 0xFF
SM2_IDENTIFIER = b"SM2"
MAX_SIGNATURES = 32
MAX_NOTE_BYTES = 1 << 20
_NAME_RE = re.compile(r"[^\s+]+")


class NoteError(ValueError):
    """A malformed or unverifiable note, key or checkpoint."""


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise NoteError(f"{what}: not valid base64") from None


def check_key_name(name: str) -> str:
    if not _NAME_RE.fullmatch(name or ""):
        raise NoteError(f"key name {name!r} must be non-empty without spaces or '+'")
    return name


def key_id(name: str, type_and_key: bytes) -> bytes:
    """First four bytes of SHA-256(name || 0x0A || type || public key)."""
    return hashlib.sha256(name.encode() + b"\n" + type_and_key).digest()[:4]


# --- verifiers and signers -------------------------------------------------------------------


@dataclass(frozen=True)
class Verifier:
    """A public key that can check note signatures (or cosignatures)."""

    name: str
    kind: str  # "ed25519", "sm2", "cosignature/v1"
    public: bytes  # type byte(s) || raw public key

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.public)

    @property
    def vkey(self) -> str:
        return f"{self.name}+{self.key_id.hex()}+{b64(self.public)}"

    @property
    def fingerprint(self) -> str:
        """SHA-256 over the encoded public key, shown to people who compare keys by eye."""
        digest = hashlib.sha256(self.public).hexdigest()
        return ":".join(digest[i : i + 4] for i in range(0, 32, 4))

    def verify(self, message: bytes, signature: bytes) -> bool:
        raw = self.public[1:]
        if self.kind in ("ed25519", "cosignature/v1"):
            try:
                Ed25519PublicKey.from_public_bytes(raw).verify(signature, message)
            except (InvalidSignature, ValueError):
                return False
            return True
        if self.kind == "sm2":
            point = raw[len(SM2_IDENTIFIER) :]
            if len(signature) != 64:
                return False
            crypt = _sm2(None, point.hex())
            try:
                return bool(crypt.verify_with_sm3(signature.hex(), message))
            except Exception:  # gmssl raises assorted errors on malformed points
                return False
        return False


@dataclass(frozen=True)
class Signer:
    """A private key that signs notes (Ed25519 or SM2) or cosigns checkpoints (cosignature/v1)."""

    name: str
    kind: str
    private: bytes  # Ed25519 seed (32 bytes) or SM2 scalar (32 bytes)

    @property
    def verifier(self) -> Verifier:
        if self.kind in ("ed25519", "cosignature/v1"):
            raw = Ed25519PrivateKey.from_private_bytes(self.private).public_key().public_bytes_raw()
            type_byte = TYPE_ED25519 if self.kind == "ed25519" else TYPE_COSIGNATURE_V1
            return Verifier(self.name, self.kind, bytes([type_byte]) + raw)
        from gmssl import sm2

        crypt = sm2.CryptSM2(private_key=self.private.hex(), public_key="")
        point = crypt._kg(int(self.private.hex(), 16), sm2.default_ecc_table["g"])
        return Verifier(self.name, "sm2", bytes([TYPE_OTHER]) + SM2_IDENTIFIER + bytes.fromhex(point))

    @property
    def skey(self) -> str:
        type_bytes = self.verifier.public[: 1 + (len(SM2_IDENTIFIER) if self.kind == "sm2" else 0)]
        return f"PRIVATE+KEY+{self.name}+{self.verifier.key_id.hex()}+{b64(type_bytes + self.private)}"

    def sign(self, message: bytes) -> bytes:
        if self.kind in ("ed25519", "cosignature/v1"):
            return Ed25519PrivateKey.from_private_bytes(self.private).sign(message)
        verifier = self.verifier
        crypt = _sm2(self.private.hex(), verifier.public[4:].hex())
        nonce = secrets.token_bytes(32).hex()
        return bytes.fromhex(crypt.sign_with_sm3(message, nonce))


def _sm2(private_hex: str | None, public_hex: str):
    """gmssl's SM2 context for a key pair given as hex (x || y for the public point).

    The public key is set after construction on purpose: gmssl's constructor takes a leading "04" for
    the uncompressed-point prefix and ``lstrip("04")``s it, which also eats the key itself when x
    begins with the byte 04 (one key in 256): such keys then signed notes that never verified.
    """
    from gmssl import sm2

    crypt = sm2.CryptSM2(private_key=private_hex, public_key="")
    crypt.public_key = public_hex
    return crypt


def generate_signer(name: str, kind: str = "ed25519") -> Signer:
    check_key_name(name)
    if kind in ("ed25519", "cosignature/v1"):
        return Signer(name, kind, Ed25519PrivateKey.generate().private_bytes_raw())
    if kind == "sm2":
        order = int("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123", 16)
        scalar = 1 + secrets.randbelow(order - 2)
        return Signer(name, "sm2", scalar.to_bytes(32, "big"))
    raise NoteError(f"unknown signature kind {kind!r}: ed25519, sm2 or cosignature/v1")


def _decode_typed_key(name: str, material: bytes, what: str) -> tuple[str, bytes, bytes]:
    """(kind, type prefix, key bytes) from base64-decoded key material."""
    if not material:
        raise NoteError(f"{what}: empty key material")
    if material[0] == TYPE_ED25519:
        return "ed25519", material[:1], material[1:]
    if material[0] == TYPE_COSIGNATURE_V1:
        return "cosignature/v1", material[:1], material[1:]
    if material[0] == TYPE_OTHER and material[1:4] == SM2_IDENTIFIER:
        return "sm2", material[:4], material[4:]
    raise NoteError(f"{what}: unsupported signature type 0x{material[0]:02x}")


def parse_vkey(text: str) -> Verifier:
    """A verifier from ``name+hexid+base64`` text, checking the embedded key id."""
    parts = text.strip().split("+", 2)
    if len(parts) != 3:
        raise NoteError("verifier key must look like <name>+<8 hex digits>+<base64 key>")
    name, hex_id, encoded = parts
    check_key_name(name)
    kind, prefix, raw = _decode_typed_key(name, unb64(encoded, "verifier key"), "verifier key")
    expected = {"ed25519": 32, "cosignature/v1": 32, "sm2": 64}[kind]
    if len(raw) != expected:
        raise NoteError(f"verifier key: {kind} public key must be {expected} bytes, got {len(raw)}")
    verifier = Verifier(name, kind, prefix + raw)
    if verifier.key_id.hex() != hex_id.lower():
        raise NoteError(f"verifier key: key id {hex_id} does not match the key")
    return verifier


def parse_skey(text: str) -> Signer:
    parts = text.strip().split("+", 4)
    if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
        raise NoteError("signer key must look like PRIVATE+KEY+<name>+<hex id>+<base64 key>")
    _, _, name, hex_id, encoded = parts
    check_key_name(name)
    kind, _prefix, raw = _decode_typed_key(name, unb64(encoded, "signer key"), "signer key")
    if len(raw) != 32:
        raise NoteError(f"signer key: {kind} private key must be 32 bytes")
    signer = Signer(name, kind, raw)
    if signer.verifier.key_id.hex() != hex_id.lower():
        raise NoteError(f"signer key: key id {hex_id} does not match the key")
    return signer


# --- notes ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoteSignature:
    name: str
    key_id: bytes
    signature: bytes  # without the key id

    @property
    def line(self) -> str:
        return f"{EM_DASH} {self.name} {b64(self.key_id + self.signature)}\n"


def split_note(note: str) -> tuple[str, list[NoteSignature]]:
    """Body text (with its final newline) and signature lines of a signed note."""
    if len(note.encode("utf-8")) > MAX_NOTE_BYTES:
        raise NoteError("note is too large")
    if any(ord(ch) < 0x20 and ch != "\n" for ch in note):
        raise NoteError("note contains control characters")
    if not note.endswith("\n"):
        raise NoteError("note must end with a newline")
    separator = note.rfind("\n\n")
    if separator < 0:
        raise NoteError("note has no blank line before its signatures")
    body, signature_block = note[: separator + 1], note[separator + 2 :]
    signatures = []
    for number, line in enumerate(signature_block.splitlines(), start=1):
        prefix = f"{EM_DASH} "
        if not line.startswith(prefix):
            raise NoteError(f"signature line {number} does not start with '{EM_DASH} '")
        pieces = line[len(prefix) :].split(" ")
        if len(pieces) != 2:
            raise NoteError(f"signature line {number} must be '{EM_DASH} <name> <base64>'")
        name, encoded = pieces
        check_key_name(name)
        raw = unb64(encoded, f"signature line {number}")
        if len(raw) < 5:
            raise NoteError(f"signature line {number} is too short")
        signatures.append(NoteSignature(name, raw[:4], raw[4:]))
    if not signatures:
        raise NoteError("note has no signatures")
    if len(signatures) > MAX_SIGNATURES:
        raise NoteError(f"note has more than {MAX_SIGNATURES} signatures")
    return body, signatures


def sign_note(body: str, signer: Signer) -> str:
    if not body.endswith("\n"):
        raise NoteError("note text must end with a newline")
    signature = NoteSignature(signer.name, signer.verifier.key_id, signer.sign(body.encode("utf-8")))
    return body + "\n" + signature.line


def add_signature_lines(note: str, lines: list[str]) -> str:
    """The note with extra signature lines appended (duplicates dropped)."""
    present = set(note.splitlines(keepends=True))
    extra = [line if line.endswith("\n") else line + "\n" for line in lines]
    return note + "".join(line for line in extra if line not in present)


def cosignature_message(body: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n{body}".encode("utf-8")


def verify_note(note: str, verifiers: list[Verifier]) -> tuple[str, list[Verifier]]:
    """Body and the known verifiers whose signatures are valid.

    Unknown keys are ignored; a known key whose signature fails rejects the whole note, and so does
    a note that no known key signed (c2sp.org/signed-note).
    """
    body, signatures = split_note(note)
    known = {(v.name, v.key_id): v for v in verifiers}
    verified: list[Verifier] = []
    for signature in signatures:
        verifier = known.get((signature.name, signature.key_id))
        if verifier is None:
            continue
        if verifier.kind == "cosignature/v1":
            ok = _verify_cosignature(verifier, body, signature.signature)
        else:
            ok = verifier.verify(body.encode("utf-8"), signature.signature)
        if not ok:
            raise NoteError(f"signature by {verifier.name} does not verify")
        if verifier not in verified:
            verified.append(verifier)
    if not verified:
        raise NoteError("note is not signed by any trusted key")
    return body, verified


def _verify_cosignature(verifier: Verifier, body: str, signature: bytes) -> bool:
    if len(signature) != 8 + 64:
        return False
    (timestamp,) = struct.unpack(">Q", signature[:8])
    if timestamp >= 1 << 63:
        return False
    return verifier.verify(cosignature_message(body, timestamp), signature[8:])


def cosign(body: str, signer: Signer, timestamp: int | None = None) -> NoteSignature:
    """A tlog-cosignature/v1 over a checkpoint body."""
    if signer.kind != "cosignature/v1":
        raise NoteError("cosignatures need a cosignature/v1 (witness) key")
    stamp = int(time_module.time()) if timestamp is None else timestamp
    signature = signer.sign(cosignature_message(body, stamp))
    return NoteSignature(signer.name, signer.verifier.key_id, struct.pack(">Q", stamp) + signature)


def cosignature_time(signature: NoteSignature) -> int:
    return struct.unpack(">Q", signature.signature[:8])[0]


# --- checkpoints ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    @property
    def body(self) -> str:
        lines = [self.origin, str(self.size), b64(self.root_hash), *self.extensions]
        return "\n".join(lines) + "\n"


def parse_checkpoint_body(body: str) -> Checkpoint:
    lines = body.split("\n")
    if len(lines) < 4 or lines[-1] != "":
        raise NoteError("checkpoint must have origin, size and root hash lines")
    origin, size_text, root_text, *extensions = lines[:-1]
    if not origin:
        raise NoteError("checkpoint origin line is empty")
    if not re.fullmatch(r"0|[1-9][0-9]{0,19}", size_text):
        raise NoteError(f"checkpoint size {size_text!r} is not a decimal without leading zeros")
    root = unb64(root_text, "checkpoint root hash")
    if len(root) != 32:
        raise NoteError("checkpoint root hash must be 32 bytes")
    if any(not line for line in extensions):
        raise NoteError("checkpoint extension lines must not be empty")
    return Checkpoint(origin, int(size_text), root, tuple(extensions))


def open_checkpoint(note: str, log_key: Verifier, witnesses: list[Verifier] = (), quorum: int = 0) -> tuple[Checkpoint, list[Verifier]]:
    """Verify a signed checkpoint: the log's signature, then ``quorum`` of the given witnesses.

    Returns the checkpoint and the witnesses whose cosignatures verified.
    """
    body, verified = verify_note(note, [log_key, *witnesses])
    if log_key not in verified:
        raise NoteError(f"checkpoint is not signed by the log key {log_key.name}")
    checkpoint = parse_checkpoint_body(body)
    if checkpoint.origin != log_key.name:
        raise NoteError(f"checkpoint origin {checkpoint.origin!r} is not the log key's name {log_key.name!r}")
    cosigners = [v for v in verified if v is not log_key]
    if len(cosigners) < quorum:
        raise NoteError(f"checkpoint has {len(cosigners)} valid witness cosignatures; {quorum} required")
    return checkpoint, cosigners
