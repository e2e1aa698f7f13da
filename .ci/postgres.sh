#!/usr/bin/env bash
# Start a local PostgreSQL (Debian's packaged cluster) with a throwaway database for the outbox tests,
# and print its URL. Used by .ci/run; safe to run again.
set -euo pipefail
# Only the URL goes to stdout (the caller captures it); everything the tools print goes to stderr.
exec 3>&1 1>&2
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
version=$(pg_lsclusters --no-header | awk 'NR==1 {print $1}')
cluster=$(pg_lsclusters --no-header | awk 'NR==1 {print $2}')
if [ -z "$version" ]; then
    version=$(ls /usr/lib/postgresql | sort -n | tail -n 1)
    cluster=main
    pg_createcluster "$version" "$cluster" 3>&- >/dev/null
fi
# 3>&- : the server must not inherit the pipe the caller reads the URL from, or that read never ends.
pg_ctlcluster "$version" "$cluster" start 3>&- || pg_ctlcluster "$version" "$cluster" status 3>&- >/dev/null
port=$(pg_lsclusters --no-header | awk -v v="$version" -v c="$cluster" '$1==v && $2==c {print $3}')
as_postgres() { su postgres -c "$*"; }
as_postgres "psql -p $port -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='vigi_test'\"" | grep -q 1 \
    || as_postgres "psql -p $port -qc \"CREATE ROLE vigi_test LOGIN PASSWORD 'vigi_test'\""
as_postgres "psql -p $port -qc 'DROP DATABASE IF EXISTS vigi_test'"
as_postgres "psql -p $port -qc 'CREATE DATABASE vigi_test OWNER vigi_test'"
echo "postgresql+psycopg://vigi_test:vigi_test@127.0.0.1:$port/vigi_test" >&3
