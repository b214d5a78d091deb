#!/usr/bin/env bash
# Runs every test layer of auth_sync against a real PostgreSQL 15, from a fresh machine or not:
#   1. cargo test            the pure crate (auth_sync_core), no Postgres
#   2. cargo pgrx test       #[pg_test] functions inside a server pgrx starts (as postgres)
#   3. pg_regress            pgrx-tests/sql vs pgrx-tests/expected, fixture database
#   4. pg_isolation_regress  pgrx-tests/isolation specs (concurrent sessions)
#   5. migrations            migrations/ applied twice to a fresh fixture database
#   6. security              attacks that must fail: pgrx-tests/security (pg_regress, then the
#                            scripts in pgrx-tests/security/scripts, each against the same cluster)
# A failing test in any layer makes the script exit non-zero. The last line is the total.
# AUTH_SYNC_LAYERS="3 4" runs only those layers (for development; CI runs all).
set -uo pipefail
source "$(dirname "$0")/lib.sh"

prepare_toolchain
TESTROOT="$(throwaway_dir auth_sync_test)"
cleanup() { stop_cluster "${TESTROOT}/cluster"; rm -rf "$TESTROOT"; }
trap cleanup EXIT

total_pass=0
total_fail=0
summary=()
record() { # layer passed failed
    total_pass=$((total_pass + $2)); total_fail=$((total_fail + $3))
    summary+=("$(printf '%-22s %4d passed, %d failed' "$1" "$2" "$3")")
}

want() { [[ -z "${AUTH_SYNC_LAYERS:-}" || " ${AUTH_SYNC_LAYERS} " == *" $1 "* ]]; }

# Sums cargo's "test result:" lines from a log into "passed failed".
cargo_counts() {
    awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($i ~ /^passed;?$/) p += $(i-1); if ($i ~ /^failed;?$/) f += $(i-1) } }
         END { print p + 0, f + 0 }' "$1"
}

# Reads pg_regress's closing line ("All N tests passed." / "M of N tests failed.").
regress_counts() {
    local line
    line=$(grep -E 'tests? (passed|failed)' "$1" | tail -n 1)
    if [[ $line =~ All\ ([0-9]+)\ tests?\ passed ]]; then echo "${BASH_REMATCH[1]} 0"
    elif [[ $line =~ ([0-9]+)\ of\ ([0-9]+)\ tests?\ failed ]]; then
        echo "$((BASH_REMATCH[2] - BASH_REMATCH[1])) ${BASH_REMATCH[1]}"
    else echo "0 1"; fi
}

# --- 1. pure crate -------------------------------------------------------------------------
if want 1; then
log "layer 1: cargo test -p auth_sync_core"
cargo test -p auth_sync_core 2>&1 | tee "${TESTROOT}/cargo.log"
rc=${PIPESTATUS[0]}
read -r p f < <(cargo_counts "${TESTROOT}/cargo.log")
[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
record "cargo test" "$p" "$f"

# The SQL files' dependencies point one way, as src/lib.rs's requires say (and the check catches
# a file that calls one loaded after it).
log "layer 1: SQL file dependencies"
p=0; f=0
if python3 "${REPO_ROOT}/scripts/check_sql_deps.py" "${REPO_ROOT}"; then p=$((p + 1)); else f=$((f + 1)); fi
probe="${TESTROOT}/deps_probe"
mkdir -p "$probe" && cp -r "${REPO_ROOT}/sql" "${REPO_ROOT}/src" "$probe/"
printf '\nCREATE FUNCTION auth_sync._probe() RETURNS void LANGUAGE sql AS $$ SELECT auth_sync.verify_installation() $$;\n' \
    >>"${probe}/sql/install/schema.sql"
if python3 "${REPO_ROOT}/scripts/check_sql_deps.py" "$probe" >/dev/null; then
    echo "FAIL: check_sql_deps.py did not see sql/install/schema.sql call verify_installation() from a later file"
    f=$((f + 1))
else
    p=$((p + 1))
fi
record "sql dependencies" "$p" "$f"
fi

# --- 2. #[pg_test] --------------------------------------------------------------------------
if want 2; then
log "layer 2: cargo pgrx test pg${PG_MAJOR} --runas postgres"
cargo pgrx test "pg${PG_MAJOR}" --runas postgres --pgdata "${TESTROOT}/pgrx" 2>&1 | tee "${TESTROOT}/pgrx.log"
rc=${PIPESTATUS[0]}
read -r p f < <(cargo_counts "${TESTROOT}/pgrx.log")
[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
record "cargo pgrx test" "$p" "$f"
fi

# --- the release-shaped build for the SQL layers --------------------------------------------
# (`cargo pgrx test` installed a build with the pg_test feature; replace it with the real one.)
install_extension  # the debug profile: the SQL-level layers test it

CL="${TESTROOT}/cluster"
make_pg_dir "$CL"
PORT=$(free_port)
start_cluster "$CL" "$PORT" ""
psql_at "$CL" "$PORT" postgres -c "CREATE DATABASE fixture_template" >/dev/null
psql_at "$CL" "$PORT" fixture_template -f "$FIXTURE_SQL" >/dev/null || die "fixture failed to load"

# Copies a suite into a postgres-owned work dir (the checkout may not be readable by postgres).
stage() { # src dest
    cp -r "$1" "$2"
    chown -R postgres:postgres "$2"
}

# run_suite LAYER RUNNER WORKDIR DB: pg_regress or pg_isolation_regress over WORKDIR/schedule, as
# postgres; records the counts and keeps the results in the checkout (ignored by git) for review.
run_suite() {
    local layer=$1 runner=$2 work=$3 db=$4 p f
    (cd "$work" && as_pg "$runner" --bindir="$PG_BIN" --inputdir="$work" --outputdir="$work" \
        --host="$CL" --port="$PORT" --user=postgres --use-existing --dbname="$db" \
        --schedule="${work}/schedule") 2>&1 | tee "${TESTROOT}/${db}.log"
    read -r p f < <(regress_counts "${TESTROOT}/${db}.log")
    [ -s "${work}/regression.diffs" ] && cat "${work}/regression.diffs"
    record "$layer" "$p" "$f"
}

# --- 3. pg_regress --------------------------------------------------------------------------
if want 3; then
log "layer 3: pg_regress (pgrx-tests/sql)"
RW="${TESTROOT}/regress"
stage "${REPO_ROOT}/pgrx-tests" "$RW"
stage "${REPO_ROOT}/migrations" "${RW}/migrations"
# webhook requests signed now by an independent implementation (the standardwebhooks package, in
# a throwaway virtualenv), for sql/providers/clerk.sql
python3 -m venv "${TESTROOT}/venv" >/dev/null
"${TESTROOT}/venv/bin/pip" install --quiet --disable-pip-version-check \
    -r "${REPO_ROOT}/pgrx-tests/webhook/requirements.txt" >/dev/null || die "pip install standardwebhooks failed"
"${TESTROOT}/venv/bin/python" "${REPO_ROOT}/pgrx-tests/webhook/sign_events.py" >"${RW}/webhook_signed.sql" \
    || die "signing the webhook test events failed"
chown postgres:postgres "${RW}/webhook_signed.sql"
psql_at "$CL" "$PORT" postgres -c "CREATE DATABASE auth_sync_regress TEMPLATE fixture_template" >/dev/null
run_suite "pg_regress" "${PGXS_TEST}/regress/pg_regress" "$RW" auth_sync_regress
rm -rf "${REPO_ROOT}/pgrx-tests/results"; cp -r "${RW}/results" "${REPO_ROOT}/pgrx-tests/results" 2>/dev/null
fi

# --- 4. pg_isolation_regress ----------------------------------------------------------------
if want 4; then
log "layer 4: pg_isolation_regress (pgrx-tests/isolation)"
IW="${TESTROOT}/isolation"
stage "${REPO_ROOT}/pgrx-tests/isolation" "$IW"
psql_at "$CL" "$PORT" postgres -c "CREATE DATABASE auth_sync_isolation TEMPLATE fixture_template" >/dev/null
psql_at "$CL" "$PORT" auth_sync_isolation -c "CREATE EXTENSION auth_sync" >/dev/null
run_suite "pg_isolation_regress" "${PGXS_TEST}/isolation/pg_isolation_regress" "$IW" auth_sync_isolation
rm -rf "${REPO_ROOT}/pgrx-tests/isolation/results"; cp -r "${IW}/results" "${REPO_ROOT}/pgrx-tests/isolation/results" 2>/dev/null
fi

# --- 5. migrations --------------------------------------------------------------------------
if want 5; then
log "layer 5: migrations applied in order, twice"
p=0; f=0
psql_at "$CL" "$PORT" postgres -c "CREATE DATABASE auth_sync_migrations TEMPLATE fixture_template" >/dev/null
mapfile -t migrations < <(find "${REPO_ROOT}/migrations" -maxdepth 1 -name '*.sql' | sort)
# (pg_dump's \restrict lines carry a random key per run; they are not schema.)
dump() { as_pg "${PG_BIN}/pg_dump" -h "$CL" -p "$PORT" -U postgres --schema-only auth_sync_migrations | grep -v '^\\\(un\)\?restrict '; }
for pass in 1 2; do
    for m in "${migrations[@]}"; do
        if PGOPTIONS='-c client_min_messages=warning' psql_at "$CL" "$PORT" auth_sync_migrations -1 -f - <"$m" >/dev/null; then
            p=$((p + 1)); echo "ok   pass ${pass}: $(basename "$m")"
        else
            f=$((f + 1)); echo "FAIL pass ${pass}: $(basename "$m")"
        fi
    done
    [ "$pass" = 1 ] && dump >"${TESTROOT}/schema1.sql"
done
dump >"${TESTROOT}/schema2.sql"
if diff -u "${TESTROOT}/schema1.sql" "${TESTROOT}/schema2.sql"; then
    p=$((p + 1)); echo "ok   second application left the schema unchanged"
else
    f=$((f + 1)); echo "FAIL second application changed the schema"
fi
bad=$(psql_at "$CL" "$PORT" auth_sync_migrations -At -c \
    "SELECT string_agg(check_name || ': ' || detail, '; ') FROM auth_sync.verify_installation() WHERE NOT ok")
if [ -z "$bad" ]; then p=$((p + 1)); echo "ok   verify_installation() all ok after migrations"
else f=$((f + 1)); echo "FAIL verify_installation(): $bad"; fi
[ "${#migrations[@]}" -gt 0 ] || f=$((f + 1))
record "migrations" "$p" "$f"
fi

# --- 6. security ---------------------------------------------------------------------------
# Each test is an attack, written as the attacker would run it, and asserts its outcome (no role
# became superuser, the attacker's code never ran as another role, the victim's row unchanged).
# The database is what a deployment has: the fixture, then the migration pack.
if want 6; then
log "layer 6: security (pgrx-tests/security)"
SW="${TESTROOT}/security"
stage "${REPO_ROOT}/pgrx-tests/security" "$SW"
psql_at "$CL" "$PORT" postgres -c "CREATE DATABASE auth_sync_security TEMPLATE fixture_template" >/dev/null
for m in $(find "${REPO_ROOT}/migrations" -maxdepth 1 -name '*.sql' | sort); do
    PGOPTIONS='-c client_min_messages=warning' psql_at "$CL" "$PORT" auth_sync_security -1 -f - <"$m" >/dev/null \
        || die "migration $(basename "$m") failed on the security database"
done
psql_at "$CL" "$PORT" postgres -c "CREATE DATABASE auth_sync_security_template TEMPLATE auth_sync_security" >/dev/null
run_suite "security (pg_regress)" "${PGXS_TEST}/regress/pg_regress" "$SW" auth_sync_security
rm -rf "${REPO_ROOT}/pgrx-tests/security/results"; cp -r "${SW}/results" "${REPO_ROOT}/pgrx-tests/security/results" 2>/dev/null
# The scripts (timing, memory, threads, server log): each prints "ok ..." / "FAIL ..." lines and
# exits non-zero on a failure. They get the cluster's socket directory, port and a template
# database holding the fixture and the migration pack.
if compgen -G "${REPO_ROOT}/pgrx-tests/security/scripts/*.py" >/dev/null; then
    [ -x "${TESTROOT}/venv/bin/python" ] || python3 -m venv "${TESTROOT}/venv" >/dev/null
    "${TESTROOT}/venv/bin/pip" install --quiet --disable-pip-version-check 'psycopg[binary]' >/dev/null \
        || die "pip install psycopg failed"
    p=0; f=0
    for s in "${REPO_ROOT}"/pgrx-tests/security/scripts/*.py; do
        if "${TESTROOT}/venv/bin/python" "$s" --host "$CL" --port "$PORT" --template auth_sync_security_template \
               --log "${CL}/postgres.log"; then
            p=$((p + 1)); echo "ok   $(basename "$s")"
        else
            f=$((f + 1)); echo "FAIL $(basename "$s")"
        fi
    done
    record "security (scripts)" "$p" "$f"
fi
fi

echo
echo "auth_sync test layers:"
printf '  %s\n' "${summary[@]}"
echo "tests: ${total_pass} passed, ${total_fail} failed"
[ "$total_fail" -eq 0 ] && [ "$total_pass" -gt 0 ]
