#!/usr/bin/env bash
# Benchmark for bulk_delete_users (not a test: it prints figures and ratios against the targets):
# deleting 100,000 users who own rows in two owned tables (examples/app_tasks.sql: tasks with a
# cascading foreign key, daily_checkins without one) and a profile, against the earlier tool's
# way: a client deleting each user's app rows and then the auth user, one transaction per user,
# from 8 threads over the local socket. Targets: <= 10 s, >= 5x faster than the client.
# Usage: bash bench/delete.sh [users, default 100000]
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
PGOPTIONS='-c client_min_messages=warning' psql_at "$B" "$PORT" bench -1 -f - <"${REPO_ROOT}/examples/app_tasks.sql" >/dev/null

python3 "${REPO_ROOT}/bench/delete_bench.py" --host "$B" --port "$PORT" --dbname bench --users "$N" ${AUTH_SYNC_BENCH_ARGS:-}
