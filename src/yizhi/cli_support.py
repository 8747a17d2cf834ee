"""What every domain's command line shares: one error line on stderr, and a database session whose
errors become that line.

Apart from ``yizhi.cli`` because that module mounts every domain's commands: a domain importing it
would import itself in a circle.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import typer


def fail(message: str, code: int = 1) -> NoReturn:
    """``error: message`` on stderr (red on a terminal, plain in a pipe, never wrapped) and exit."""
    typer.echo(typer.style("error:", fg="red") + f" {message}", err=True)
    raise typer.Exit(code)


def cli_message(exc) -> str:
    """A domain error in English, with every listed problem (each bad line of an import) on its own line."""
    from yizhi.errors import localize_problem

    lines = [exc.message, *(localize_problem(p, lambda text: text) for p in getattr(exc, "problems", []))]
    return "\n  ".join(lines)


def database_message(exc) -> str:
    """A database error as a hint: the driver's first line, and the usual cause."""
    reason = str(exc.orig).strip().splitlines()[0] if getattr(exc, "orig", None) else str(exc)
    return f"database: {reason}; has the database been migrated (`yizhi migrate`)?"


@contextmanager
def cli_session(user_errors: tuple[type[BaseException], ...] = ()) -> Iterator[Any]:
    """One transaction; a domain error (or one of ``user_errors``) becomes one line and exit code 1."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from yizhi.db import session_scope
    from yizhi.errors import YizhiError

    try:
        with session_scope() as session:
            yield session
    except YizhiError as exc:
        fail(cli_message(exc))
    except user_errors as exc:
        fail(str(exc))
    except (OperationalError, ProgrammingError) as exc:
        fail(database_message(exc))
