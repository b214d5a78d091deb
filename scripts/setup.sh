#!/usr/bin/env bash
# Installs what auth_sync needs to build and test, and does nothing when all of it is present:
# Debian's PostgreSQL 15 with its server headers, clang, sudo, cargo-pgrx 0.18.1, and
# `cargo pgrx init` pointed at Debian's pg_config.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || die "run as root (it installs Debian packages and the extension)"

packages=(postgresql-15 postgresql-server-dev-15 postgresql-contrib libclang-dev clang sudo pkg-config)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    log "apt-get install ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

export PATH="${HOME}/.cargo/bin:${PATH}"
if [ "$(cargo pgrx --version 2>/dev/null || true)" != "cargo-pgrx ${PGRX_VERSION}" ]; then
    log "cargo install cargo-pgrx ${PGRX_VERSION} (about 10 minutes)"
    cargo install cargo-pgrx --version "${PGRX_VERSION}" --locked
fi

pgrx_home="${PGRX_HOME:-${HOME}/.pgrx}"
if ! grep -qs "pg${PG_MAJOR} = \"${PG_CONFIG}\"" "${pgrx_home}/config.toml"; then
    log "cargo pgrx init --pg${PG_MAJOR} ${PG_CONFIG}"
    cargo pgrx init "--pg${PG_MAJOR}" "${PG_CONFIG}" >/dev/null
fi
