"""Unit tests of two pieces of the queue's hot path that the HTTP tests do not isolate: the SQLite
writer lock, which processes must see (flock), and the row-group cache, which a burst of requests
must fill once (not once per request). No database or server: each runs in milliseconds."""

import fcntl
import threading

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from yizhi.annotation import content
from yizhi.annotation.writer import SqliteWriter


def _other_process_could_lock(path: str) -> bool:
    """flock locks conflict between open files even within one process: a second open of the
    lock file stands for another server process."""
    with open(path, "a+") as other:
        try:
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(other, fcntl.LOCK_UN)
        return True


def test_the_sqlite_writer_lock_is_held_across_processes_while_writing(tmp_path):
    writer = SqliteWriter(str(tmp_path / "yizhi.sqlite3"))
    lock_file = str(tmp_path / "yizhi.sqlite3.writer-lock")
    with writer:
        assert not _other_process_could_lock(lock_file)
    assert _other_process_could_lock(lock_file)
    with writer:   # and again
        assert not _other_process_could_lock(lock_file)
    assert _other_process_could_lock(lock_file)


def test_the_writer_lock_of_an_in_memory_database_is_the_thread_lock_alone(tmp_path):
    writer = SqliteWriter(":memory:")
    with writer:
        assert writer._lock.locked()
    assert not writer._lock.locked()
    assert not list(tmp_path.iterdir())


def test_a_burst_of_readers_reads_a_row_group_once_and_gets_the_right_rows(tmp_path, monkeypatch):
    path = tmp_path / "notes.parquet"
    pq.write_table(pa.table({"text": [f"note {i}" for i in range(5000)], "n": list(range(5000))}), path,
                   row_group_size=2000)
    reads = []
    real = pq.ParquetFile

    class Counting(real):
        def read_row_group(self, group, *args, **kwargs):
            reads.append(group)
            return super().read_row_group(group, *args, **kwargs)

    monkeypatch.setattr(content.pq, "ParquetFile", Counting)
    rows = [4999, 0, 2500, 1999, 2000, 3333, 17, 4000]
    found: dict[int, dict] = {}
    start = threading.Barrier(len(rows))

    def read(index: int, row: int) -> None:
        start.wait()
        found[index] = content.read_row(path, row, ["text", "n"])

    threads = [threading.Thread(target=read, args=(i, row)) for i, row in enumerate(rows)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [found[i] for i in range(len(rows))] == [{"text": f"note {row}", "n": row} for row in rows]
    assert sorted(reads) == [0, 1, 2]          # three groups, each read once for 8 readers at once
    with pytest.raises(Exception, match="row 5000"):
        content.read_row(path, 5000, ["text"])
