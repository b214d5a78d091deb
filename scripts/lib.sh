# Shared helpers for auth_sync's scripts. Source it; do not run it.
# shellcheck shell=bash

PG_MAJOR=15
# AUTH_SYNC_PG_ROOT: a relocated copy of Debian's PostgreSQL (its usr/lib, usr/share and
# usr/include trees under one directory) to build and test against instead of the system one, so
# that two checkouts on one machine do not install over each other. Unset on CI.
PG_ROOT="${AUTH_SYNC_PG_ROOT:-}"
PG_BIN="${PG_ROOT}/usr/lib/postgresql/${PG_MAJOR}/bin"
PG_CONFIG="${PG_BIN}/pg_config"
PGXS_TEST="${PG_ROOT}/usr/lib/postgresql/${PG_MAJOR}/lib/pgxs/src/test"
PGRX_VERSION="0.18.1"
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FIXTURE_SQL="${REPO_ROOT}/pgrx-tests/fixture/supabase_auth.sql"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Run a command as the postgres OS user (Postgres refuses to run as root).
as_pg() {
    if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# make_pg_dir DIR: a directory owned by postgres, so nothing postgres must write is owned by root.
make_pg_dir() {
    mkdir -p "$1"
    chown postgres:postgres "$1"
    chmod 700 "$1"
}

# start_cluster DIR PORT LISTEN: initdb DIR/data as postgres and start it with its socket in DIR.
start_cluster() {
    local dir=$1 port=$2 listen=${3:-}
    as_pg "${PG_BIN}/initdb" -D "${dir}/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"${dir}/initdb.log" 2>&1 \
        || { cat "${dir}/initdb.log" >&2; die "initdb failed in ${dir}/data"; }
    # (a server started from a shell with RUST_BACKTRACE set would put Rust backtraces into the
    # DETAIL of errors that pass through the extension's Rust code)
    as_pg env -u RUST_BACKTRACE -u RUST_LIB_BACKTRACE "${PG_BIN}/pg_ctl" -D "${dir}/data" -l "${dir}/postgres.log" -w -t 60 \
        -o "-p ${port} -k ${dir} -c listen_addresses='${listen}' -c fsync=off" start >/dev/null \
        || { cat "${dir}/postgres.log" >&2; die "could not start Postgres in ${dir}/data"; }
}

stop_cluster() {
    local dir=$1
    [ -f "${dir}/data/postmaster.pid" ] && as_pg "${PG_BIN}/pg_ctl" -D "${dir}/data" -m fast -w stop >/dev/null 2>&1
    return 0
}

# psql_at DIR PORT DB ARGS...: psql as postgres over the cluster's socket, stopping at the first error.
psql_at() {
    local dir=$1 port=$2 db=$3; shift 3
    as_pg "${PG_BIN}/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres -d "$db" "$@"
}

# Installs what the project needs (scripts/setup.sh, idempotent) and works from the checkout.
prepare_toolchain() {
    bash "${REPO_ROOT}/scripts/setup.sh" || die "setup failed"
    export PATH="${HOME}/.cargo/bin:${PATH}"
    cd "$REPO_ROOT" || die "no checkout at ${REPO_ROOT}"
}

# install_extension [cargo pgrx install flags...]: builds auth_sync and installs it into Debian's
# PostgreSQL; the build log is shown only when it fails.
install_extension() {
    local build_log
    build_log="$(mktemp /tmp/auth_sync_install.XXXXXX.log)"
    log "cargo pgrx install $*"
    cargo pgrx install "$@" --pg-config "$PG_CONFIG" >"$build_log" 2>&1 \
        || { cat "$build_log"; die "cargo pgrx install failed"; }
    rm -f "$build_log"
}

# throwaway_dir NAME: a new postgres-owned directory under /tmp
throwaway_dir() {
    local d
    d="$(mktemp -d "/tmp/${1}.XXXXXX")"
    chown postgres:postgres "$d"
    echo "$d"
}

# bench_database LISTEN: for the benchmark programs. Installs the release build and psycopg,
# starts a throwaway cluster (stopped and removed when the calling script exits) listening on
# LISTEN ('' = the socket only) with room for big transactions, and creates database "bench" with
# the fixture and the migration pack. Sets B (the cluster's directory, also its socket directory)
# and PORT.
bench_database() {
    local listen=$1
    prepare_toolchain
    python3 -c 'import psycopg' 2>/dev/null || pip install --quiet 'psycopg[binary]' >/dev/null 2>&1
    install_extension --release
    B="$(throwaway_dir auth_sync_bench)"
    trap 'stop_cluster "$B"; rm -rf "$B"' EXIT
    PORT=$(free_port)
    start_cluster "$B" "$PORT" "$listen"
    psql_at "$B" "$PORT" postgres -c "ALTER SYSTEM SET shared_buffers = '1GB'" -c "ALTER SYSTEM SET max_wal_size = '8GB'" >/dev/null
    as_pg env -u RUST_BACKTRACE "${PG_BIN}/pg_ctl" -D "${B}/data" -w restart \
        -o "-p ${PORT} -k ${B} -c listen_addresses='${listen}'" >/dev/null
    psql_at "$B" "$PORT" postgres -c "CREATE DATABASE bench" >/dev/null
    psql_at "$B" "$PORT" bench -f - <"$FIXTURE_SQL" >/dev/null
    local m
    for m in $(find "${REPO_ROOT}/migrations" -maxdepth 1 -name '*.sql' | sort); do
        PGOPTIONS='-c client_min_messages=warning' psql_at "$B" "$PORT" bench -1 -f - <"$m" >/dev/null
    done
}
