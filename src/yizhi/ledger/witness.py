"""A tlog-witness (c2sp.org/tlog-witness): cosigns a log's checkpoint only when it is consistent
with the last checkpoint this witness cosigned for that log.

A hospital runs one with its own key; the platform cannot get a cosignature for a history that
forks or rewrites what the witness already saw. State lives in one directory:

* ``witness.key`` — the cosignature/v1 signer key (0600); ``witness.vkey`` the public key;
* ``logs.json`` — trusted logs: origin → log verifier key;
* ``state.json`` — per origin, the latest cosigned size and root (replaced atomically).

Check-and-update runs under an exclusive ``fcntl`` lock on ``state.lock`` so two requests (threads
or processes) cannot roll the recorded size back (the race the spec warns about).
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import json
import os
import secrets
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from yizhi.ledger.hashing import get_hasher
from yizhi.ledger.merkle import ProofError, verify_consistency
from yizhi.ledger.note import NoteError, Signer, cosign, generate_signer, parse_skey, parse_vkey, verify_note, parse_checkpoint_body

MAX_PROOF_LINES = 63
MAX_REQUEST_BYTES = 64 * 1024
SIZE_CONTENT_TYPE = "text/x.tlog.size"


class WitnessError(RuntimeError):
    """The witness directory is missing or damaged."""


@dataclass(frozen=True)
class WitnessResponse:
    status: int
    body: str
    content_type: str = "text/plain; charset=utf-8"


def _write_atomically(path: Path, text: str, mode: int = 0o644) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


class Witness:
    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    # -- set-up -----------------------------------------------------------------------------
    @classmethod
    def init(cls, directory: Path, name: str) -> Witness:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        key_path = directory / "witness.key"
        if key_path.exists():
            raise WitnessError(f"{key_path} already exists; refusing to replace a witness key")
        signer = generate_signer(name, "cosignature/v1")
        _write_atomically(key_path, signer.skey + "\n", 0o600)
        _write_atomically(directory / "witness.vkey", signer.verifier.vkey + "\n")
        for file_name in ("logs.json", "state.json"):
            if not (directory / file_name).exists():
                _write_atomically(directory / file_name, "{}\n")
        return cls(directory)

    @property
    def signer(self) -> Signer:
        path = self.directory / "witness.key"
        try:
            return parse_skey(path.read_text(encoding="ascii"))
        except (OSError, NoteError) as exc:
            raise WitnessError(f"{path}: {exc}; run `yizhi ledger witness init` first") from None

    def _read_json(self, name: str) -> dict:
        path = self.directory / name
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, json.JSONDecodeError) as exc:
            raise WitnessError(f"{path}: unreadable ({exc})") from None
        if not isinstance(data, dict):
            raise WitnessError(f"{path}: expected a JSON object")
        return data

    def trust_log(self, vkey: str, hash_name: str = "sha256") -> str:
        """Trust the log whose checkpoints ``vkey`` signs (its tree hash is ``hash_name``)."""
        get_hasher(hash_name)
        verifier = parse_vkey(vkey)
        if verifier.kind not in ("ed25519", "sm2"):
            raise NoteError("a log key must be an ed25519 or sm2 verifier key")
        with self._locked():
            logs = self._read_json("logs.json")
            logs[verifier.name] = {"vkey": verifier.vkey, "hash": hash_name}
            _write_atomically(self.directory / "logs.json", json.dumps(logs, indent=2) + "\n")
        return verifier.name

    def state(self) -> dict:
        return self._read_json("state.json")

    @contextmanager
    def _locked(self):
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / "state.lock", "a+") as lock_file:
            fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock_file.fileno(), fcntl.LOCK_UN)

    # -- add-checkpoint -----------------------------------------------------------------------
    def add_checkpoint(self, request_body: str) -> WitnessResponse:
        """Handle one add-checkpoint request body; never raises for bad input."""
        if len(request_body.encode("utf-8")) > MAX_REQUEST_BYTES:
            return WitnessResponse(400, "request too large\n")
        parsed = _parse_request(request_body)
        if isinstance(parsed, WitnessResponse):
            return parsed
        old_size, proof, note = parsed
        try:
            first_line = note.split("\n", 1)[0]
        except IndexError:
            return WitnessResponse(400, "missing checkpoint\n")
        logs = self._read_json("logs.json")
        if first_line not in logs:
            return WitnessResponse(404, f"unknown log origin {first_line!r}\n")
        try:
            log_key = parse_vkey(logs[first_line]["vkey"])
            hasher = get_hasher(logs[first_line].get("hash", "sha256"))
        except (NoteError, ValueError, KeyError, TypeError) as exc:
            raise WitnessError(f"{self.directory / 'logs.json'}: bad entry for {first_line!r}: {exc}") from None
        try:
            body, _verified = verify_note(note, [log_key])
            checkpoint = parse_checkpoint_body(body)
        except NoteError as exc:
            return WitnessResponse(403, f"checkpoint not signed by the trusted log key: {exc}\n")
        if old_size > checkpoint.size:
            return WitnessResponse(400, f"old size {old_size} is larger than the checkpoint size {checkpoint.size}\n")
        if old_size == 0 and proof:
            return WitnessResponse(400, "the consistency proof must be empty when old size is 0\n")
        with self._locked():
            state = self._read_json("state.json")
            seen = state.get(checkpoint.origin, {"size": 0, "root": None})
            if old_size != seen["size"]:
                return WitnessResponse(409, f"{seen['size']}\n", SIZE_CONTENT_TYPE)
            if old_size > 0:
                old_root = base64.b64decode(seen["root"])
                try:
                    verify_consistency(hasher, old_size, checkpoint.size, old_root, checkpoint.root_hash, proof)
                except ProofError as exc:
                    status = 409 if old_size == checkpoint.size else 422
                    return WitnessResponse(status, f"not consistent with size {old_size}: {exc}\n")
            state[checkpoint.origin] = {
                "size": checkpoint.size,
                "root": base64.b64encode(checkpoint.root_hash).decode("ascii"),
            }
            _write_atomically(self.directory / "state.json", json.dumps(state, indent=2) + "\n")
        return WitnessResponse(200, cosign(body, self.signer).line)


def _parse_request(text: str) -> tuple[int, list[bytes], str] | WitnessResponse:
    head, separator, note = text.partition("\n\n")
    if not separator:
        return WitnessResponse(400, "request must be: old line, proof lines, blank line, checkpoint\n")
    lines = head.split("\n")
    old_line, proof_lines = lines[0], lines[1:]
    if not old_line.startswith("old ") or not old_line[4:].isdigit() or (
        old_line[4:] != "0" and old_line[4:].startswith("0")
    ):
        return WitnessResponse(400, f"first line must be 'old <size>', got {old_line[:40]!r}\n")
    if len(proof_lines) > MAX_PROOF_LINES:
        return WitnessResponse(400, f"more than {MAX_PROOF_LINES} consistency proof lines\n")
    proof = []
    for number, line in enumerate(proof_lines, start=2):
        try:
            node = base64.b64decode(line, validate=True)
        except binascii.Error:
            return WitnessResponse(400, f"line {number}: proof hash is not base64\n")
        if len(node) != 32:
            return WitnessResponse(400, f"line {number}: proof hash must be 32 bytes\n")
        proof.append(node)
    return int(old_line[4:]), proof, note


def make_app(witness: Witness):
    """A Starlette app serving POST /add-checkpoint (and GET / with the witness's public key)."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    async def add_checkpoint(request: Request) -> PlainTextResponse:
        # Read at most MAX_REQUEST_BYTES: the endpoint is unauthenticated by design.
        chunks, received = [], 0
        async for chunk in request.stream():
            received += len(chunk)
            if received > MAX_REQUEST_BYTES:
                return PlainTextResponse("request too large\n", status_code=413)
            chunks.append(chunk)
        raw = b"".join(chunks)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return PlainTextResponse("request is not UTF-8\n", status_code=400)
        response = witness.add_checkpoint(text)
        return PlainTextResponse(response.body, status_code=response.status, media_type=response.content_type)

    async def public_key(_request: Request) -> PlainTextResponse:
        return PlainTextResponse(witness.signer.verifier.vkey + "\n")

    return Starlette(routes=[Route("/add-checkpoint", add_checkpoint, methods=["POST"]), Route("/", public_key)])
