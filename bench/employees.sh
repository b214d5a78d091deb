#!/usr/bin/env bash
# Benchmark for the employee link (not a test: it prints figures against the targets):
# link_employees() linking 100,000 employees to their auth users (5% of them inactive, so banned
# as they are linked), then the monitor view and find_employees_without_auth() over the employees
# (after 10,000 auth users were deleted and 10,000 employees without accounts were added).
# Targets: link_employees <= 5 s; the monitor view and find_employees_without_auth <= 1 s each.
# Usage: bash bench/employees.sh [employees, default 100000]
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
N=${1:-100000}

prepare_toolchain
python3 -c 'import psycopg' 2>/dev/null || pip install --quiet 'psycopg[binary]' >/dev/null 2>&1
install_extension --release
B="$(throwaway_dir auth_sync_bench)"
trap 'stop_cluster "$B"; rm -rf "$B"' EXIT
PORT=$(free_port)
start_cluster "$B" "$PORT" ""
psql_at "$B" "$PORT" postgres -c "ALTER SYSTEM SET shared_buffers = '1GB'" -c "ALTER SYSTEM SET max_wal_size = '8GB'" >/dev/null
as_pg env -u RUST_BACKTRACE "${PG_BIN}/pg_ctl" -D "${B}/data" -w restart -o "-p ${PORT} -k ${B} -c listen_addresses=''" >/dev/null
psql_at "$B" "$PORT" postgres -c "CREATE DATABASE bench" >/dev/null
psql_at "$B" "$PORT" bench -f - <"$FIXTURE_SQL" >/dev/null
for m in $(find "${REPO_ROOT}/migrations" -maxdepth 1 -name '*.sql' | sort); do
    PGOPTIONS='-c client_min_messages=warning' psql_at "$B" "$PORT" bench -1 -f - <"$m" >/dev/null
done

python3 "${REPO_ROOT}/bench/employees_bench.py" --host "$B" --port "$PORT" --dbname bench --employees "$N" ${AUTH_SYNC_BENCH_ARGS:-}
