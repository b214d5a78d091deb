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

bench_database ""

python3 "${REPO_ROOT}/bench/employees_bench.py" --host "$B" --port "$PORT" --dbname bench --employees "$N" ${AUTH_SYNC_BENCH_ARGS:-}
