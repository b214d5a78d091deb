#!/usr/bin/env bash
# Benchmark for bulk_create_users (not a test: it prints figures and ratios against the targets).
#   (a) 100,000 users with pre-hashed passwords: bulk_create_users vs the floor (hand-written
#       set-based INSERT ... SELECT from a staging table, row triggers off) and vs the earlier
#       tool's way (8 client threads calling a per-user create function), over the local socket
#       and through a proxy that adds a 10 ms round trip (a delay line in its own process: every
#       byte arrives 5 ms after it was sent, each way, with no limit on throughput);
#   (b) 2,000 users with plaintext passwords at cost 10: bulk_create_users vs one SQL statement
#       using pgcrypto's crypt(pw, gen_salt('bf', 10));
#   (c) peak memory of the backend during the 100,000-row import, above an idle backend.
# Usage: bash bench/import.sh [users for (a), default 100000]
#        AUTH_SYNC_BENCH_ARGS=--only-a (or --only-b) bash bench/import.sh   (just (a) and (c), or just (b))
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
N=${1:-100000}

bench_database "127.0.0.1"
psql_at "$B" "$PORT" bench -c "CREATE EXTENSION IF NOT EXISTS pgcrypto" >/dev/null

python3 "${REPO_ROOT}/bench/import_bench.py" --host "$B" --port "$PORT" --dbname bench --users "$N" ${AUTH_SYNC_BENCH_ARGS:-}
