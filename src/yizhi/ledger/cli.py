"""`yizhi ledger ...` commands: append, checkpoint, entry, proof, receipt, verify, verify-receipt, key,
and `yizhi ledger witness ...` (run a witness, or register one with the platform)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from yizhi.cli_support import cli_session, fail

app = typer.Typer(help="Transparency ledger: append, checkpoints, proofs, verification, witnesses.",
                  no_args_is_help=True)
proof_app = typer.Typer(help="Inclusion and consistency proofs (RFC 9162).", no_args_is_help=True)
witness_app = typer.Typer(
    help="Witnesses: run one (init, trust, serve, cosign) or register one with the platform (add, list, request, accept).",
    no_args_is_help=True,
)
app.add_typer(proof_app, name="proof")
app.add_typer(witness_app, name="witness")


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _user_errors() -> tuple[type[BaseException], ...]:
    from yizhi.ledger.canonical import LedgerDataError
    from yizhi.ledger.keys import LedgerKeyError
    from yizhi.ledger.note import NoteError
    from yizhi.ledger.receipt import ReceiptError
    from yizhi.ledger.service import LedgerError
    from yizhi.ledger.witness import WitnessError

    return (LedgerError, LedgerDataError, NoteError, ReceiptError, WitnessError, LedgerKeyError, OSError)


def _session():
    """A database session; the ledger's own errors, as domain errors, become one line and exit 1."""
    return cli_session(_user_errors())


def _guard(action: Callable[[], Any]) -> Any:
    try:
        return action()
    except _user_errors() as exc:
        fail(str(exc))


def _read_text(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"{path}: cannot read ({exc})")
        raise  # unreachable


def _key_text(value: str) -> str:
    """A key given inline or as a path to a file holding it."""
    candidate = Path(value)
    if "+" not in value or candidate.is_file():
        return _read_text(value).strip()
    return value.strip()


def _write_output(path: Path, text: str) -> None:
    from yizhi.ledger.keys import write_atomically

    write_atomically(path, text)


# --- the log ----------------------------------------------------------------------------------


@app.command()
def append(
    kind: Annotated[str, typer.Argument(help="Event kind, e.g. operator.note")],
    data: Annotated[str, typer.Argument(help="JSON object of ids and content hashes (no personal data)")],
    subject: Annotated[str, typer.Option(help="What the event is about, e.g. dataset:7")] = "ledger:operator",
    actor: Annotated[str | None, typer.Option(help="Who acted (id or slug)")] = None,
    org: Annotated[str | None, typer.Option(help="Organisation slug")] = None,
) -> None:
    """Append an operator's note to the ledger and print its index."""
    from yizhi.ledger.store import record

    try:
        payload = json.loads(data)
    except json.JSONDecodeError as exc:
        fail(f"JSON argument, line {exc.lineno} column {exc.colno}: {exc.msg}")
    if not isinstance(payload, dict):
        fail("JSON argument must be an object like {\"dataset_id\": 7}")
    with _session() as session:
        entry = record(session, kind, subject, payload, actor=actor, org=org)
    typer.echo(entry.index)


@app.command()
def checkpoint(
    cosign: Annotated[bool, typer.Option(help="Ask registered witnesses (with a URL) to cosign")] = True,
) -> None:
    """Print the latest signed checkpoint, making one first if the tree grew."""
    from yizhi.ledger import service

    # Sign and commit first: witnesses are asked afterwards, so no database lock is held while we
    # wait on the network.
    with _session() as session:
        latest = service.make_checkpoint(session)
        note = latest.note
    if cosign:
        with _session() as session:
            latest = service.latest_checkpoint(session)
            if service.list_witnesses(session, active_only=True):
                for name, outcome in service.collect_cosignatures(session, latest).items():
                    typer.echo(f"witness {name}: {outcome}", err=True)
                if not service.quorum_met(session, latest):
                    typer.echo("warning: the checkpoint does not yet have the required witness quorum", err=True)
            note = latest.note
    typer.echo(note, nl=False)


@app.command()
def entry(index: Annotated[int, typer.Argument(help="Entry index (from 0)")]) -> None:
    """Print one entry: its index, the canonical JSON that was hashed, and the leaf hash."""
    from yizhi.ledger import service

    with _session() as session:
        _print_json(service.get_entry(session, index))


@proof_app.command("inclusion")
def proof_inclusion(
    index: Annotated[int, typer.Argument(help="Entry index")],
    size: Annotated[int | None, typer.Option(help="Tree size to prove against (default: current)")] = None,
) -> None:
    """Inclusion proof of entry INDEX in the tree of SIZE entries."""
    from yizhi.ledger import service

    with _session() as session:
        _print_json(service.inclusion_proof(session, index, size))


@proof_app.command("consistency")
def proof_consistency(
    old: Annotated[int, typer.Argument(help="Earlier tree size")],
    new: Annotated[int, typer.Argument(help="Later tree size")],
) -> None:
    """Consistency proof that the tree of OLD entries is a prefix of the tree of NEW entries."""
    from yizhi.ledger import service

    with _session() as session:
        _print_json(service.consistency_proof(session, old, new))


@app.command()
def receipt(
    index: Annotated[int, typer.Argument(help="Entry index")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the receipt here")] = None,
) -> None:
    """Print (or write) a receipt: the entry, its inclusion proof and a signed checkpoint."""
    from yizhi.ledger import service

    with _session() as session:
        data = service.receipt(session, index)
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if output:
        _guard(lambda: _write_output(output, text))
        typer.echo(f"receipt for entry {index} written to {output}", err=True)
    else:
        typer.echo(text, nl=False)


@app.command()
def key() -> None:
    """Print the platform's public (verifier) key and its fingerprint."""
    from yizhi.ledger import service

    with _session() as session:
        verifier = service.platform_verifier(session)
    typer.echo(verifier.vkey)
    typer.echo(f"fingerprint {verifier.fingerprint}", err=True)


@app.command()
def verify(
    key: Annotated[str | None, typer.Option(help="Log verifier key (text or file); default: the platform key")] = None,
) -> None:
    """Recompute the tree from the stored leaves and check every checkpoint; exit 1 naming the first bad index."""
    from yizhi.ledger import service
    from yizhi.ledger.note import parse_vkey

    log_key = _guard(lambda: parse_vkey(_key_text(key))) if key else None
    with _session() as session:
        total = service.entry_count(session)
        progress = _progress(total)
        with progress as (advance):
            report = service.verify_log(session, log_key, progress=advance)
    if report.ok:
        typer.echo(f"ok: {report.entries_checked} entries and {report.checkpoints_checked} checkpoints verified")
        return
    for problem in report.problems:
        typer.echo(f"BAD: {problem.message}", err=True)
    if report.first_bad_index is not None:
        typer.echo(f"first bad index: {report.first_bad_index}", err=True)
    raise typer.Exit(1)


@contextmanager
def _progress(total: int) -> Iterator[Callable[[int], None] | None]:
    if not sys.stderr.isatty() or total < 10_000:
        yield None
        return
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task("verifying", total=total)
        yield lambda done: bar.update(task, completed=done)


@app.command("verify-receipt")
def verify_receipt_command(
    receipt_file: Annotated[Path, typer.Argument(metavar="RECEIPT.json", help="Receipt file")],
    key: Annotated[str, typer.Option("--key", help="Log public key (vkey text or file)")],
    witness: Annotated[list[str] | None, typer.Option("--witness", help="Trusted witness key (repeatable)")] = None,
    quorum: Annotated[int, typer.Option(help="Witness cosignatures required")] = 0,
) -> None:
    """Check a receipt offline: leaf hash, inclusion proof, checkpoint signature (and k-of-n cosignatures)."""
    from yizhi.ledger.note import parse_vkey
    from yizhi.ledger.receipt import verify_receipt

    text = _read_text(str(receipt_file))
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        fail(f"{receipt_file}, line {exc.lineno} column {exc.colno}: {exc.msg}")
    log_key = _guard(lambda: parse_vkey(_key_text(key)))
    witnesses = [_guard(lambda w=w: parse_vkey(_key_text(w))) for w in witness or []]
    checkpoint_obj, cosigners = _guard(lambda: verify_receipt(data, log_key, witnesses, quorum))
    names = ", ".join(v.name for v in cosigners) or "none"
    typer.echo(
        f"ok: entry {data['entry']['index']} is in {checkpoint_obj.origin} at size {checkpoint_obj.size}; cosigned by {names}"
    )


# --- witnesses --------------------------------------------------------------------------------


@witness_app.command("init")
def witness_init(
    directory: Annotated[Path, typer.Argument(help="Witness state directory")],
    name: Annotated[str, typer.Option(help="Witness key name, e.g. witness.cityhosp.example")],
) -> None:
    """Create a witness key in DIRECTORY and print its public key (register that with the platform)."""
    from yizhi.ledger.witness import Witness

    witness = _guard(lambda: Witness.init(directory, name))
    typer.echo(witness.signer.verifier.vkey)


@witness_app.command("trust")
def witness_trust(
    directory: Annotated[Path, typer.Argument(help="Witness state directory")],
    log_key: Annotated[str, typer.Argument(help="The log's public key (vkey text or file)")],
    hash_name: Annotated[str, typer.Option("--hash", help="The log's tree hash: sha256 or sm3")] = "sha256",
) -> None:
    """Let the witness cosign checkpoints of the log with this key."""
    from yizhi.ledger.witness import Witness

    origin = _guard(lambda: Witness(directory).trust_log(_key_text(log_key), hash_name))
    typer.echo(f"trusting log {origin}")


@witness_app.command("cosign")
def witness_cosign(
    directory: Annotated[Path, typer.Argument(help="Witness state directory")],
    request: Annotated[str, typer.Argument(help="add-checkpoint request body file, or - for stdin")],
) -> None:
    """Offline witness: check an add-checkpoint request (old size, consistency proof, checkpoint)
    and print the cosignature line; exit 1 with the reason if refused."""
    from yizhi.ledger.witness import Witness

    response = _guard(lambda: Witness(directory).add_checkpoint(_read_text(request)))
    if response.status != 200:
        fail(f"refused ({response.status}): {response.body.strip()}")
    typer.echo(response.body, nl=False)


@witness_app.command("serve")
def witness_serve(
    directory: Annotated[Path, typer.Argument(help="Witness state directory")],
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8788,
) -> None:
    """Run the witness over HTTP (POST /add-checkpoint, c2sp.org/tlog-witness)."""
    import uvicorn

    from yizhi.ledger.witness import Witness, make_app

    witness = Witness(directory)
    verifier = _guard(lambda: witness.signer.verifier)
    typer.echo(f"witness {verifier.name} on http://{host}:{port}/add-checkpoint", err=True)
    uvicorn.run(make_app(witness), host=host, port=port, log_level="warning")


@witness_app.command("add")
def witness_add(
    vkey: Annotated[str, typer.Argument(help="The witness's public key (vkey text or file)")],
    org: Annotated[str, typer.Option(help="Slug of the organisation that runs it")],
    url: Annotated[str | None, typer.Option(help="Witness submission prefix, e.g. https://w.hosp.example")] = None,
) -> None:
    """Register a witness with the platform."""
    from yizhi.ledger import service

    with _session() as session:
        witness = service.register_witness(session, org, _key_text(vkey), url)
        typer.echo(f"registered witness {witness.name} for {org}")


@witness_app.command("list")
def witness_list() -> None:
    """List registered witnesses."""
    from yizhi.ledger import service

    with _session() as session:
        rows = [
            {"name": w.name, "org": w.org, "url": w.url, "active": w.active, "last_size": w.last_size, "key": w.vkey}
            for w in service.list_witnesses(session)
        ]
    _print_json(rows)


def _find_witness(session: Any, name: str) -> Any:
    from yizhi.ledger import service

    return service.find_witness(session, name)


@witness_app.command("retire")
def witness_retire(
    name: Annotated[str, typer.Argument(help="Registered witness name")],
    reinstate: Annotated[bool, typer.Option(help="Ask it to cosign again")] = False,
) -> None:
    """Stop asking a witness to cosign (past cosignatures stay valid), or --reinstate it."""
    from yizhi.ledger import service

    with _session() as session:
        service.set_witness_active(session, _find_witness(session, name), reinstate)
        typer.echo(f"witness {name} {'reinstated' if reinstate else 'retired'}")


@witness_app.command("request")
def witness_request(name: Annotated[str, typer.Argument(help="Registered witness name")]) -> None:
    """Print the add-checkpoint request for an offline witness (feed it to `witness cosign`)."""
    from yizhi.ledger import service

    with _session() as session:
        body = service.witness_request(session, _find_witness(session, name), service.make_checkpoint(session))
    typer.echo(body, nl=False)


@witness_app.command("accept")
def witness_accept(
    name: Annotated[str, typer.Argument(help="Registered witness name")],
    response: Annotated[str, typer.Argument(help="File with the witness's cosignature line, or -")],
) -> None:
    """Attach an offline witness's cosignature to the latest checkpoint."""
    from yizhi.ledger import service

    text = _read_text(response)
    with _session() as session:
        latest = service.latest_checkpoint(session)
        if latest is None:
            raise service.LedgerError("there is no checkpoint yet")
        if not service.accept_cosignature(session, _find_witness(session, name), latest, text):
            raise service.LedgerError(f"no valid cosignature by {name} on the checkpoint at size {latest.tree_size}")
        typer.echo(f"cosignature by {name} on size {latest.tree_size} accepted")
