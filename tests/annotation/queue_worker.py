"""Run by the concurrency test in separate processes: annotators (e-mails) in threads drain one
project's queue, answering every item; prints one JSON line per answered item."""

from __future__ import annotations

import json
import sys
import threading


def drain(slug: str, email: str, out: list) -> None:
    from sqlalchemy import select

    from yizhi.accounts.models import Person
    from yizhi.annotation import queue, service
    from yizhi.db import session_factory

    session = session_factory()()
    try:
        person = session.scalar(select(Person).where(Person.email == email))
        for membership in person.memberships:
            _ = membership.organization
        project = service.get_project(session, slug)
        while (assignment := queue.next_item(session, project, person)) is not None:
            queue.submit(session, project, person, assignment.id, {"kind": "other"})
            out.append({"item": assignment.item_id, "annotator": person.id})
    finally:
        session.close()


def main() -> None:
    slug, emails = sys.argv[1], sys.argv[2:]
    out: list = []
    threads = [threading.Thread(target=drain, args=(slug, e, out)) for e in emails]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for row in out:
        print(json.dumps(row))


if __name__ == "__main__":
    main()
