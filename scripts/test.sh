#!/usr/bin/env bash
# Run the whole suite on SQLite and on a throwaway PostgreSQL server started here in a temporary
# directory on a free port (always stopped). The two runs go side by side: much of the suite waits
# on browsers, servers and child processes, so on two cores together they take little longer than
# the slower one alone. The SQLite run's output is printed when it ends. Exit non-zero if either fails.
# Usage: scripts/test.sh [--postgres-only|--sqlite-only] [pytest arguments, e.g. tests/catalog]
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
run_sqlite=1
run_postgres=1
case "${1:-}" in
  --postgres-only) run_sqlite=0; shift ;;
  --sqlite-only) run_postgres=0; shift ;;
esac

workdir=$(mktemp -d /tmp/yizhi-test.XXXXXX)
pgdir=""
sqlite_pid=""
pg_started=0
as_pg=()
cleanup() {
  if [ -n "$sqlite_pid" ]; then kill "$sqlite_pid" 2>/dev/null || true; fi
  if [ $pg_started -eq 1 ]; then
    "${as_pg[@]}" "$pgbin/pg_ctl" -D "$pgdir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$workdir" ${pgdir:+"$pgdir"}
}
trap cleanup EXIT

start_postgres() {
  pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$pgbin" ]; then
    echo "error: PostgreSQL server binaries not found (make system-deps installs them)" >&2
    return 1
  fi
  pgdir=$(mktemp -d /tmp/yizhi-pg.XXXXXX)
  port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres "$pgdir"
    as_pg=(runuser -u postgres --)
  fi
  "${as_pg[@]}" "$pgbin/initdb" -D "$pgdir/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null \
    || { echo "error: initdb failed" >&2; return 1; }
  # Durability off: a throwaway test server, speed matters more than crash safety.
  "${as_pg[@]}" "$pgbin/pg_ctl" -D "$pgdir/data" -l "$pgdir/server.log" -w -o \
    "-p $port -k $pgdir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >/dev/null || { echo "error: PostgreSQL did not start:" >&2; cat "$pgdir/server.log" >&2; return 1; }
  pg_started=1
  "${as_pg[@]}" "$pgbin/createdb" -h 127.0.0.1 -p "$port" -U postgres yizhi_test || return 1
  pg_url="postgresql+psycopg://postgres@127.0.0.1:$port/yizhi_test"
}

status=0
if [ $run_sqlite -eq 1 ]; then
  if [ $run_postgres -eq 1 ]; then
    echo "=== test suite on SQLite: started beside PostgreSQL's, its output follows when it ends ==="
    env -u YIZHI_TEST_DATABASE_URL $PY -m pytest -q -p no:cacheprovider "$@" >"$workdir/sqlite.log" 2>&1 &
    sqlite_pid=$!
  else
    echo "=== test suite on SQLite ==="
    env -u YIZHI_TEST_DATABASE_URL $PY -m pytest -q -p no:cacheprovider "$@" || status=1
  fi
fi

if [ $run_postgres -eq 1 ]; then
  echo "=== test suite on PostgreSQL ==="
  if start_postgres; then
    YIZHI_TEST_DATABASE_URL="$pg_url" $PY -m pytest -q -p no:cacheprovider "$@" || status=1
  else
    status=1
  fi
fi

if [ -n "$sqlite_pid" ]; then
  wait "$sqlite_pid" || status=1
  sqlite_pid=""
  echo "=== test suite on SQLite (output) ==="
  cat "$workdir/sqlite.log"
fi
exit $status
