#!/usr/bin/env bash
# The main job on a throwaway local Postgres: installs auth_sync, starts a cluster owned by the
# postgres user on a free port, gives it a Supabase-shaped auth schema (the test fixture: a local
# Postgres has no Supabase Auth), applies migrations/ in order, prints the installation checks,
# signs up a few users, imports examples/users.csv (a few bad rows, non-atomic) and prints the
# import report and the profiles, adds the example app's owned rows, deletes a user with
# bulk_delete_users (dry run first), and prints the sync summary.
# The cluster is left running; the last lines say how to connect and how to stop it.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

prepare_toolchain
install_extension --release

DEMO="${AUTH_SYNC_DEMO_DIR:-/tmp/auth_sync_demo}"
if [ -d "$DEMO" ]; then
    log "removing the previous demo cluster in ${DEMO}"
    stop_cluster "$DEMO"
    rm -rf "$DEMO"
fi
make_pg_dir "$DEMO"
PORT=$(free_port)
log "starting a throwaway cluster in ${DEMO} on 127.0.0.1:${PORT}"
start_cluster "$DEMO" "$PORT" "127.0.0.1"

psql_at "$DEMO" "$PORT" postgres -c "CREATE DATABASE app" >/dev/null
log "loading the Supabase-shaped auth schema (pgrx-tests/fixture/supabase_auth.sql)"
psql_at "$DEMO" "$PORT" app -f - <"$FIXTURE_SQL" >/dev/null

for m in $(find "${REPO_ROOT}/migrations" -maxdepth 1 -name '*.sql' | sort); do
    log "applying migrations/$(basename "$m")"
    PGOPTIONS='-c client_min_messages=warning' psql_at "$DEMO" "$PORT" app -1 -f - <"$m" >/dev/null
done

log "auth_sync.verify_installation()"
psql_at "$DEMO" "$PORT" app -c "SELECT * FROM auth_sync.verify_installation()"

log "signing up three users (examples/demo_signups.sql); the trigger creates their profiles"
psql_at "$DEMO" "$PORT" app -f - <"${REPO_ROOT}/examples/demo_signups.sql" >/dev/null
psql_at "$DEMO" "$PORT" app -c "SELECT email, full_name, avatar_url, sso_provider, role FROM public.user_profiles ORDER BY email"

log "importing examples/users.csv (non-atomic: the bad rows are reported, the good ones created)"
psql_at "$DEMO" "$PORT" app -f - <"${REPO_ROOT}/examples/demo_companies.sql" >/dev/null
# (psql 15 has no \bind: the file goes in as a psql variable here; applications pass it as a
# bound parameter)
psql_at "$DEMO" "$PORT" app -v csv="$(cat "${REPO_ROOT}/examples/users.csv")" -f - <<'SQL'
SET auth_sync.bcrypt_cost = 10;
SELECT line_number, email, status, error_code, message
  FROM auth_sync.bulk_create_users(:'csv', atomic => false, source_name => 'examples/users.csv');
SQL
psql_at "$DEMO" "$PORT" app -c "SELECT p.email, p.full_name, p.role, p.department, c.name AS company FROM public.user_profiles p LEFT JOIN public.companies c ON c.id = p.company_id ORDER BY p.email"

log "the example app (examples/app_tasks.sql): tasks and daily check-ins the users own"
PGOPTIONS='-c client_min_messages=warning' psql_at "$DEMO" "$PORT" app -1 -f - <"${REPO_ROOT}/examples/app_tasks.sql" >/dev/null
psql_at "$DEMO" "$PORT" app -f - <<'SQL'
INSERT INTO public.tasks (user_id, title)
SELECT u.id, t FROM auth.users u, unnest(ARRAY['Read the docs', 'Ship it']) AS t;
INSERT INTO public.daily_checkins (user_id, day, mood)
SELECT u.id, current_date - d, 4 FROM auth.users u, generate_series(0, 2) AS d;
SQL

log "bulk_delete_users: a dry run, then the real thing (a user, one unknown address, a typo)"
psql_at "$DEMO" "$PORT" app -c "SELECT * FROM auth_sync.bulk_delete_users(ARRAY['Ada@Example.com', 'nobody@example.com', 'not-an-email'], dry_run => true)"
psql_at "$DEMO" "$PORT" app -c "SELECT * FROM auth_sync.bulk_delete_users(ARRAY['Ada@Example.com', 'nobody@example.com', 'not-an-email'])"

log "auth_sync.full_sync(dry_run => true): nothing left to repair"
psql_at "$DEMO" "$PORT" app -c "SELECT step, sum(affected) AS affected FROM auth_sync.full_sync(dry_run => true) GROUP BY step ORDER BY min(step)"

log "auth_sync.get_auth_sync_summary()"
psql_at "$DEMO" "$PORT" app -x -c "SELECT * FROM auth_sync.get_auth_sync_summary()"

cat <<MSG

The demo cluster is running (data in ${DEMO}/data, log in ${DEMO}/postgres.log).
  connect: psql -h 127.0.0.1 -p ${PORT} -U postgres app
  stop:    runuser -u postgres -- ${PG_BIN}/pg_ctl -D ${DEMO}/data stop
MSG
