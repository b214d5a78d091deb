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

bench_database ""
PGOPTIONS='-c client_min_messages=warning' psql_at "$B" "$PORT" bench -1 -f - <"${REPO_ROOT}/examples/app_tasks.sql" >/dev/null

python3 "${REPO_ROOT}/bench/delete_bench.py" --host "$B" --port "$PORT" --dbname bench --users "$N" ${AUTH_SYNC_BENCH_ARGS:-}
