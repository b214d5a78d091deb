#!/usr/bin/env bash
# Runs every test layer of auth_sync against a real PostgreSQL 15, from a fresh machine or not:
#   1. cargo test            the pure crate (auth_sync_core), no Postgres
#   2. cargo pgrx test       #[pg_test] functions inside a server pgrx starts (as postgres)
#   3. pg_regress            pgrx-tests/sql/NAME.sql vs pgrx-tests/expected/NAME.out
#   4. pg_isolation_regress  pgrx-tests/isolation specs (concurrent sessions)
#   5. migrations            migrations/ applied twice to a fresh fixture database
#   6. security              attacks that must fail: pgrx-tests/security (pg_regress, then the
#                            scripts in pgrx-tests/security/scripts, each against the same cluster)
# Every test of layers 3, 4 and 6 runs in a database of its own, a fresh copy of its layer's
# template (scripts/fresh_db.sh), so the tests are independent of each other and of their order.
# A failing test in any layer makes the script exit non-zero. The last line is the total.
#
#   bash scripts/test.sh                  every layer (CI)
#   bash scripts/test.sh --only NAME ...  only the tests of layers 3, 4 and 6 named NAME: the file
#                                         name without its extension, or a shell pattern
#                                         ('import_*'); --only may be given several times
# AUTH_SYNC_LAYERS="3 4" runs only those layers (for development; CI runs all).
set -uo pipefail
source "$(dirname "$0")/lib.sh"

ONLY=()
while [ $# -gt 0 ]; do
    case $1 in
        --only) [ $# -ge 2 ] || die "--only needs a test name"; ONLY+=("$2"); shift 2 ;;
        --only=*) ONLY+=("${1#--only=}"); shift ;;
        -h|--help) sed -n '2,/^set -uo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument: $1 (bash scripts/test.sh --help)" ;;
    esac
done

# tests DIR EXT: the tests of the checkout's DIR (the files NAME.EXT), sorted by name; with --only,
# those whose NAME matches one of its patterns.
tests() {
    local f name pat
    for f in "${REPO_ROOT}/$1"/*."$2"; do
        [ -e "$f" ] || continue
        name=$(basename "$f" ".$2")
        [ ${#ONLY[@]} -eq 0 ] && { echo "$name"; continue; }
        for pat in "${ONLY[@]}"; do
            # shellcheck disable=SC2053 # (a pattern, on purpose)
            if [[ $name == $pat ]]; then echo "$name"; break; fi
        done
    done
}
mapfile -t REGRESS_TESTS < <(tests pgrx-tests/sql sql)
mapfile -t ISOLATION_TESTS < <(tests pgrx-tests/isolation/specs spec)
mapfile -t SECURITY_TESTS < <(tests pgrx-tests/security/sql sql)
mapfile -t SECURITY_SCRIPTS < <(tests pgrx-tests/security/scripts py)
if [ ${#ONLY[@]} -gt 0 ]; then
    all=" ${REGRESS_TESTS[*]} ${ISOLATION_TESTS[*]} ${SECURITY_TESTS[*]} ${SECURITY_SCRIPTS[*]} "
    for pat in "${ONLY[@]}"; do
        found=0
        for name in $all; do
            # shellcheck disable=SC2053
            [[ $name == $pat ]] && found=1 && break
        done
        [ "$found" = 1 ] || die "--only ${pat}: no test of that name in pgrx-tests/sql, pgrx-tests/isolation/specs, pgrx-tests/security/sql or pgrx-tests/security/scripts"
    done
fi

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

# want LAYER: whether to run it (AUTH_SYNC_LAYERS; with --only, the layers of the tests named)
want() {
    [[ -z "${AUTH_SYNC_LAYERS:-}" || " ${AUTH_SYNC_LAYERS} " == *" $1 "* ]] || return 1
    [ ${#ONLY[@]} -eq 0 ] && return 0
    case $1 in
        3) [ ${#REGRESS_TESTS[@]} -gt 0 ] ;;
        4) [ ${#ISOLATION_TESTS[@]} -gt 0 ] ;;
        6) [ $((${#SECURITY_TESTS[@]} + ${#SECURITY_SCRIPTS[@]})) -gt 0 ] ;;
        *) return 1 ;;
    esac
}

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
# the launcher that gives each test its own database (readable by postgres)
cp "${REPO_ROOT}/scripts/fresh_db.sh" "${TESTROOT}/fresh_db.sh"
chown postgres:postgres "${TESTROOT}/fresh_db.sh"; chmod 755 "${TESTROOT}/fresh_db.sh"

# run_suite LAYER RUNNER WORKDIR TEMPLATE NAME...: pg_regress or pg_isolation_regress, as postgres,
# over the tests NAME... of WORKDIR, one at a time (CREATE EXTENSION auth_sync in two databases at
# once would collide on its cluster-wide role), each in a fresh copy of database TEMPLATE; records
# the counts and keeps the results in the checkout (ignored by git) for review.
run_suite() {
    local layer=$1 runner=$2 work=$3 template=$4 p f name
    shift 4
    { echo "# generated by scripts/test.sh: each test in a fresh copy of database ${template}"
      for name in "$@"; do echo "test: ${name}"; done; } >"${work}/schedule"
    chown postgres:postgres "${work}/schedule"
    (cd "$work" && as_pg env AUTH_SYNC_TEST_TEMPLATE="$template" AUTH_SYNC_PSQL="${PG_BIN}/psql" \
        "$runner" --bindir="$PG_BIN" --inputdir="$work" --outputdir="$work" \
        --host="$CL" --port="$PORT" --user=postgres --use-existing --dbname=not_used_each_test_has_its_own \
        --launcher="${TESTROOT}/fresh_db.sh" --schedule="${work}/schedule") 2>&1 | tee "${work}.log"
    read -r p f < <(regress_counts "${work}.log")
    [ -s "${work}/regression.diffs" ] && cat "${work}/regression.diffs"
    record "$layer" "$p" "$f"
}

# --- 3. pg_regress --------------------------------------------------------------------------
# Each test starts from the fixture alone and sets up what it needs (pgrx-tests/setup).
if want 3; then
log "layer 3: pg_regress (pgrx-tests/sql: ${#REGRESS_TESTS[@]} tests)"
RW="${TESTROOT}/regress"
stage "${REPO_ROOT}/pgrx-tests" "$RW"
stage "${REPO_ROOT}/migrations" "${RW}/migrations"
# webhook requests signed now by an independent implementation (the standardwebhooks package, in
# a throwaway virtualenv), for the tests that include them (through pgrx-tests/setup/webhook.sql).
# Those tests run first: handle_clerk_webhook() takes a signature for 300 seconds.
mapfile -t signed < <(cd "${REPO_ROOT}/pgrx-tests/sql" && grep -ls -e 'webhook_signed\.sql' -e 'setup/webhook\.sql' \
                          "${REGRESS_TESTS[@]/%/.sql}" | sed 's/\.sql$//')
if [ ${#signed[@]} -gt 0 ]; then
    python3 -m venv "${TESTROOT}/venv" >/dev/null
    "${TESTROOT}/venv/bin/pip" install --quiet --disable-pip-version-check \
        -r "${REPO_ROOT}/pgrx-tests/webhook/requirements.txt" >/dev/null || die "pip install standardwebhooks failed"
    "${TESTROOT}/venv/bin/python" "${REPO_ROOT}/pgrx-tests/webhook/sign_events.py" >"${RW}/webhook_signed.sql" \
        || die "signing the webhook test events failed"
    chown postgres:postgres "${RW}/webhook_signed.sql"
fi
mapfile -t unsigned < <(printf '%s\n' "${REGRESS_TESTS[@]}" | grep -vxF -f <(printf '%s\n' "${signed[@]}"))
run_suite "pg_regress" "${PGXS_TEST}/regress/pg_regress" "$RW" fixture_template "${signed[@]}" "${unsigned[@]}"
rm -rf "${REPO_ROOT}/pgrx-tests/results"; cp -r "${RW}/results" "${REPO_ROOT}/pgrx-tests/results" 2>/dev/null
fi

# --- 4. pg_isolation_regress ----------------------------------------------------------------
# Each spec starts from the fixture with auth_sync installed.
if want 4; then
log "layer 4: pg_isolation_regress (pgrx-tests/isolation: ${#ISOLATION_TESTS[@]} specs)"
IW="${TESTROOT}/isolation"
stage "${REPO_ROOT}/pgrx-tests/isolation" "$IW"
psql_at "$CL" "$PORT" postgres -c "CREATE DATABASE isolation_template TEMPLATE fixture_template" >/dev/null
psql_at "$CL" "$PORT" isolation_template -c "CREATE EXTENSION auth_sync" >/dev/null
run_suite "pg_isolation_regress" "${PGXS_TEST}/isolation/pg_isolation_regress" "$IW" isolation_template "${ISOLATION_TESTS[@]}"
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
# Each starts from what a deployment has: the fixture, then the migration pack. Roles are
# cluster-wide: each test creates its own (named after the test) and drops them.
if want 6; then
log "layer 6: security (pgrx-tests/security: ${#SECURITY_TESTS[@]} tests, ${#SECURITY_SCRIPTS[@]} scripts)"
SW="${TESTROOT}/security"
stage "${REPO_ROOT}/pgrx-tests/security" "$SW"
psql_at "$CL" "$PORT" postgres -c "CREATE DATABASE auth_sync_security_template TEMPLATE fixture_template" >/dev/null
for m in $(find "${REPO_ROOT}/migrations" -maxdepth 1 -name '*.sql' | sort); do
    PGOPTIONS='-c client_min_messages=warning' psql_at "$CL" "$PORT" auth_sync_security_template -1 -f - <"$m" >/dev/null \
        || die "migration $(basename "$m") failed on the security database"
done
if [ ${#SECURITY_TESTS[@]} -gt 0 ]; then
    run_suite "security (pg_regress)" "${PGXS_TEST}/regress/pg_regress" "$SW" auth_sync_security_template \
        "${SECURITY_TESTS[@]}"
    rm -rf "${REPO_ROOT}/pgrx-tests/security/results"; cp -r "${SW}/results" "${REPO_ROOT}/pgrx-tests/security/results" 2>/dev/null
fi
# The scripts (timing, memory, threads, server log): each prints "ok ..." / "FAIL ..." lines and
# exits non-zero on a failure. They get the cluster's socket directory, port and the template
# database holding the fixture and the migration pack.
if [ ${#SECURITY_SCRIPTS[@]} -gt 0 ]; then
    [ -x "${TESTROOT}/venv/bin/python" ] || python3 -m venv "${TESTROOT}/venv" >/dev/null
    "${TESTROOT}/venv/bin/pip" install --quiet --disable-pip-version-check 'psycopg[binary]' >/dev/null \
        || die "pip install psycopg failed"
    p=0; f=0
    for s in "${SECURITY_SCRIPTS[@]}"; do
        if "${TESTROOT}/venv/bin/python" "${REPO_ROOT}/pgrx-tests/security/scripts/${s}.py" --host "$CL" --port "$PORT" \
               --template auth_sync_security_template --log "${CL}/postgres.log"; then
            p=$((p + 1)); echo "ok   ${s}.py"
        else
            f=$((f + 1)); echo "FAIL ${s}.py"
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
