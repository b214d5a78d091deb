#!/usr/bin/env bash
# Benchmark for profile sync (not a test: it prints figures and ratios against the targets).
#   1. sign-up throughput with auth_sync's trigger vs the plain plpgsql trigger Supabase's docs
#      recommend, same profile table, pgbench with several clients   (target ratio >= 0.95)
#   2. sync_profiles() creating 100,000 missing profiles among 1,000,000 users (target <= 10 s)
#   3. get_auth_sync_summary() on 1,000,000 users                          (target <= 1 s)
# Runs on a throwaway cluster with default durability (fsync and synchronous_commit on).
# Usage: bash bench/profile_sync.sh [seconds per pgbench run, default 20]
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
SECS=${1:-20}
CLIENTS=4

prepare_toolchain
install_extension --release
B="$(throwaway_dir auth_sync_bench)"
trap 'stop_cluster "$B"; rm -rf "$B"' EXIT
PORT=$(free_port)
start_cluster "$B" "$PORT" ""
as_pg "${PG_BIN}/psql" -X -q -h "$B" -p "$PORT" -U postgres -d postgres \
    -c "ALTER SYSTEM SET shared_buffers = '2GB'" -c "ALTER SYSTEM SET max_wal_size = '8GB'" \
    -c "ALTER SYSTEM SET work_mem = '64MB'" -c "ALTER SYSTEM SET maintenance_work_mem = '512MB'" >/dev/null
as_pg "${PG_BIN}/pg_ctl" -D "${B}/data" -w restart -o "-p ${PORT} -k ${B} -c listen_addresses=''" >/dev/null
q() { psql_at "$B" "$PORT" "$@"; }

for db in plain with_auth_sync; do
    q postgres -c "CREATE DATABASE ${db}" >/dev/null
    q "$db" -f - <"$FIXTURE_SQL" >/dev/null
    q "$db" -c "CREATE TABLE public.profiles (id uuid PRIMARY KEY REFERENCES auth.users (id) ON DELETE CASCADE,
                                              full_name text, avatar_url text)" >/dev/null
done
# the trigger from Supabase's docs ("Managing user data")
q plain >/dev/null <<'SQL'
CREATE FUNCTION public.handle_new_user() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
  INSERT INTO public.profiles (id, full_name, avatar_url)
  VALUES (new.id, new.raw_user_meta_data ->> 'full_name', new.raw_user_meta_data ->> 'avatar_url');
  RETURN new;
END;
$$;
CREATE TRIGGER on_auth_user_created AFTER INSERT ON auth.users
  FOR EACH ROW EXECUTE PROCEDURE public.handle_new_user();
SQL
q with_auth_sync >/dev/null <<'SQL'
CREATE EXTENSION auth_sync;
SELECT count(*) FROM auth_sync.register_table('public.profiles', 'id',
    column_map => '{"full_name": "display_name", "avatar_url": "avatar_url"}');
SQL

cat >"${B}/signup.sql" <<'SQL'
INSERT INTO auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                        raw_app_meta_data, raw_user_meta_data, created_at, updated_at,
                        confirmation_token, recovery_token, email_change_token_new, email_change)
SELECT '00000000-0000-0000-0000-000000000000', u, 'authenticated', 'authenticated',
       'u' || u || '@bench.example', '', now(), '{"provider": "google", "providers": ["google"]}',
       jsonb_build_object('full_name', 'Bench User', 'avatar_url', 'https://img.example/a.png',
                          'provider_id', '1234567890', 'email_verified', true),
       now(), now(), '', '', '', ''
  FROM gen_random_uuid() AS u;
SQL
chown postgres:postgres "${B}/signup.sql"
tps() { # db
    as_pg env PGOPTIONS="${PGOPTIONS:-}" "${PG_BIN}/pgbench" -n -h "$B" -p "$PORT" -U postgres -c "$CLIENTS" -j 2 -T "$SECS" \
        -f "${B}/signup.sql" "$1" 2>/dev/null | awk '/^tps = / { print $3 }'
}
# Two settings: durable (synchronous_commit on: every sign-up waits for its WAL flush, as on a real
# server) and CPU-bound (synchronous_commit off: no flush wait, so the triggers' CPU cost is all
# that differs). Runs alternate A B B A A B B A A B with empty tables and a checkpoint before
# each. Each pair of neighbouring runs (one of each) gives a ratio, and the figure is the median
# of the five: the machine's speed drifts over minutes, and a flush that stalls for a second
# spoils one pair, not the figure.
declare -A runs seq
RUNS=5
for mode in on off; do
    log "1. sign-up throughput, synchronous_commit=${mode}: ${CLIENTS} clients, ${SECS} s per run, ${RUNS} runs each"
    order=()
    for i in $(seq 1 "$RUNS"); do
        if (( i % 2 )); then order+=(plain with_auth_sync); else order+=(with_auth_sync plain); fi
    done
    for db in "${order[@]}"; do
        q "$db" -c "SET client_min_messages = warning" -c "TRUNCATE auth.users CASCADE" -c "CHECKPOINT" >/dev/null
        t=$(PGOPTIONS="-c synchronous_commit=${mode}" tps "$db")
        runs["${mode}_${db}"]="${runs["${mode}_${db}"]:-} $t"
        seq["${mode}"]="${seq["${mode}"]:-} ${db}=${t}"
        echo "   ${db}: ${t} tps"
    done
done
profiles_ok=$(q with_auth_sync -At -c "SELECT count(*) = (SELECT count(*) FROM public.profiles) FROM auth.users")
failures=$(q with_auth_sync -At -c "SELECT count(*) FROM auth_sync.sync_failures")

# --- 2 and 3: a million users -------------------------------------------------------------------
timed() { # db sql -> seconds
    local t0 t1
    t0=$(date +%s.%N); q "$1" -c "$2" >/dev/null; t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}
log "2. loading 900,000 users with the triggers off, then sync_profiles() (creates 900,000)"
q with_auth_sync -c "SET client_min_messages = warning" -c "TRUNCATE auth.users CASCADE" >/dev/null
q with_auth_sync -c "SELECT count(*) FROM auth_sync.uninstall_triggers()" >/dev/null
load_users() { # from to
    q with_auth_sync -c "
    INSERT INTO auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                            raw_app_meta_data, raw_user_meta_data, created_at, updated_at,
                            confirmation_token, recovery_token, email_change_token_new, email_change)
    SELECT '00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated',
           'user' || g || '@bench.example', '', now(), '{\"provider\": \"email\", \"providers\": [\"email\"]}',
           CASE WHEN g % 3 = 0 THEN '{}'::jsonb
                ELSE jsonb_build_object('full_name', 'User ' || g, 'avatar_url', 'https://img.example/' || g) END,
           now(), now(), '', '', '', ''
      FROM generate_series($1, $2) g" >/dev/null
}
t0=$(date +%s.%N)
load_users 1 900000
t_load=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
q with_auth_sync -c "VACUUM ANALYZE auth.users" >/dev/null
t_sync900=$(timed with_auth_sync "SELECT count(*) FROM auth_sync.sync_profiles()")
load_users 900001 1000000
q with_auth_sync -c "VACUUM ANALYZE auth.users, public.profiles" >/dev/null
t_sync100=$(timed with_auth_sync "SELECT count(*) FROM auth_sync.sync_profiles()")
created=$(q with_auth_sync -At -c "SELECT counts->>'created' FROM auth_sync.sync_runs ORDER BY id DESC LIMIT 1")
q with_auth_sync -c "VACUUM ANALYZE public.profiles" >/dev/null

log "3. get_auth_sync_summary() on 1,000,000 users (5 runs, warm)"
summ=()
for i in 1 2 3 4 5; do summ+=("$(timed with_auth_sync "SELECT * FROM auth_sync.get_auth_sync_summary()")"); done
median=$(printf '%s\n' "${summ[@]}" | sort -n | sed -n 3p)
q with_auth_sync -c "SELECT total_auth_users, total_profiles, missing_profiles, sync_percentage FROM auth_sync.get_auth_sync_summary()"

median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { printf "%.3f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo
echo "auth_sync profile-sync benchmark ($(nproc) cores, PostgreSQL ${PG_MAJOR}, release build)"
for mode in on off; do
    pm=$(median ${runs["${mode}_plain"]}); sm=$(median ${runs["${mode}_with_auth_sync"]})
    # the ratio of each pair of neighbouring runs (auth_sync / plain)
    pairs=$(printf '%s\n' ${seq["${mode}"]} | awk -F= '{ v[$1] = $2 } NR % 2 == 0 { printf "%.3f ", v["with_auth_sync"] / v["plain"] }')
    target=0.95; [ "$mode" = off ] && target=0.80
    printf '  sign-up tps, synchronous_commit=%-3s ratio %.3f, median of the pairs %s(target >= %s; %s pairs of %s-s runs, %s clients; median tps: plain %s, auth_sync %s)\n' \
        "$mode" "$(median $pairs)" "$pairs" "$target" "$RUNS" "$SECS" "$CLIENTS" "$pm" "$sm"
done
printf '  every sign-up got its profile:       %s (sync_failures: %s)\n' "$profiles_ok" "$failures"
printf '  loading 900,000 users (INSERT ... SELECT, triggers off): %s s\n' "$t_load"
printf '  sync_profiles() creating 900,000:    %s s\n' "$t_sync900"
printf '  sync_profiles() creating %s of 1,000,000: %s s (target <= 10 s)\n' "$created" "$t_sync100"
printf '  get_auth_sync_summary(), 1,000,000 users: median %s s of %s (target <= 1 s)\n' "$median" "${summ[*]}"
