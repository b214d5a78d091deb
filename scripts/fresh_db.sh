#!/usr/bin/env bash
# The --launcher scripts/test.sh gives pg_regress and pg_isolation_regress: it runs one test in a
# database of its own, a copy of the suite's template database, and drops it afterwards. So every
# test starts from the same state, whatever ran before it or beside it, and any test runs alone.
#
# pg_regress runs         LAUNCHER psql -X -a -q -d DB ...  < sql/NAME.sql   > results/NAME.out 2>&1
# pg_isolation_regress    LAUNCHER isolationtester dbname=DB < specs/NAME.spec > results/NAME.out 2>&1
# This script creates "t_NAME" (NAME from the file on its standard input) from the template named
# by AUTH_SYNC_TEST_TEMPLATE, runs the command with DB replaced by it, then drops it. The server
# is the one pg_regress was given (it exports PGHOST, PGPORT and PGUSER); AUTH_SYNC_PSQL is the
# psql to create and drop with. Whatever this script prints lands in the test's output, so a
# database that cannot be created fails the test visibly; on success it prints nothing.
set -u
: "${AUTH_SYNC_TEST_TEMPLATE:?}" "${AUTH_SYNC_PSQL:?}"

input="$(readlink "/proc/$$/fd/0" 2>/dev/null || true)"
name="$(basename "${input:-pid$$}")"
db="t_${name%.*}"

admin() { # SQL: run in database postgres, never reading the test's standard input
    "$AUTH_SYNC_PSQL" -X -q -v ON_ERROR_STOP=1 -d postgres -c 'SET client_min_messages = warning' -c "$1" </dev/null
}
admin "DROP DATABASE IF EXISTS \"${db}\" WITH (FORCE)" || exit 2
admin "CREATE DATABASE \"${db}\" TEMPLATE \"${AUTH_SYNC_TEST_TEMPLATE}\"" || exit 2

cmd=()
while [ $# -gt 0 ]; do
    case $1 in
        -d) cmd+=(-d "$db"); shift ;;
        dbname=*) cmd+=("dbname=${db}") ;;
        *) cmd+=("$1") ;;
    esac
    shift
done
"${cmd[@]}"
rc=$?
admin "DROP DATABASE \"${db}\" WITH (FORCE)" || exit 2
exit "$rc"
