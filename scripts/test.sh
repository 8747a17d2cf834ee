#!/usr/bin/env bash
# Run the whole suite on SQLite, then on a throwaway PostgreSQL server started here in a
# temporary directory on a free port, and always stopped. Exit non-zero if either run fails.
# Usage: scripts/test.sh [--postgres-only] [pytest arguments, e.g. tests/catalog]
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
only_postgres=0
if [ "${1:-}" = "--postgres-only" ]; then only_postgres=1; shift; fi

status=0
if [ $only_postgres -eq 0 ]; then
  echo "=== test suite on SQLite ==="
  env -u YIZHI_TEST_DATABASE_URL $PY -m pytest -q -p no:cacheprovider "$@" || status=1
fi

echo "=== test suite on PostgreSQL ==="
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$pgbin" ]; then
  echo "error: PostgreSQL server binaries not found (make system-deps installs them)" >&2
  exit 1
fi
workdir=$(mktemp -d /tmp/yizhi-pg.XXXXXX)
port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres "$workdir"
  as_pg=(runuser -u postgres --)
fi
stop_pg() {
  "${as_pg[@]}" "$pgbin/pg_ctl" -D "$workdir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$workdir"
}
trap stop_pg EXIT

"${as_pg[@]}" "$pgbin/initdb" -D "$workdir/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null \
  || { echo "error: initdb failed" >&2; exit 1; }
# Durability off: a throwaway test server, speed matters more than crash safety.
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$workdir/data" -l "$workdir/server.log" -w -o \
  "-p $port -k $workdir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
  start >/dev/null || { echo "error: PostgreSQL did not start:" >&2; cat "$workdir/server.log" >&2; exit 1; }
"${as_pg[@]}" "$pgbin/createdb" -h 127.0.0.1 -p "$port" -U postgres yizhi_test || exit 1

YIZHI_TEST_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$port/yizhi_test" \
  $PY -m pytest -q -p no:cacheprovider "$@" || status=1
exit $status
