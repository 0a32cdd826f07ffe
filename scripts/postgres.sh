#!/usr/bin/env bash
# A private PostgreSQL 15 + PostGIS 3 primary and a streaming standby on loopback, in a folder of
# their own, for the tests that need a real database.
#
#   scripts/postgres.sh start DIR   installs PostgreSQL + PostGIS if absent (as root), starts both,
#                                   and prints the environment the tests read:
#                                     REFUGE_TEST_POSTGRES=postgres://…/refuge  (the primary)
#                                     REFUGE_TEST_STANDBY=postgres://…/refuge   (the standby)
#                                     REFUGE_TEST_PGDATA=DIR
#   scripts/postgres.sh stop DIR    stops both
#   scripts/postgres.sh fail DIR    a failover drill: the primary stops at once (as a crash would),
#                                   and the standby is promoted to primary
#
# Ports: REFUGE_PG_PORT (default 18432) for the primary, the next one for the standby.
# REFUGE_PG_STANDBY_DELAY (e.g. 500ms) makes the standby apply each commit that much later, as a
# loaded replica would.
set -euo pipefail
command=${1:?usage: scripts/postgres.sh start|stop|fail DIR}
dir=${2:?usage: scripts/postgres.sh start|stop|fail DIR}
port=${REFUGE_PG_PORT:-18432}
standby_port=$((port + 1))
PGBIN=/usr/lib/postgresql/15/bin
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

stop() {
  for cluster in "$dir/standby" "$dir/primary"; do
    if [ -f "$cluster/postmaster.pid" ]; then
      as_postgres "$PGBIN/pg_ctl" -D "$cluster" -m fast stop >/dev/null 2>&1 || true
    fi
  done
}

case "$command" in
  stop) stop; exit 0 ;;
  fail)
    as_postgres "$PGBIN/pg_ctl" -D "$dir/primary" -m immediate stop >/dev/null
    as_postgres "$PGBIN/pg_ctl" -D "$dir/standby" -w promote >/dev/null
    exit 0 ;;
  start) ;;
  *) echo "usage: scripts/postgres.sh start|stop|fail DIR" >&2; exit 2 ;;
esac

if ! dpkg -s postgresql-15-postgis-3 >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] || { echo "needs postgresql-15-postgis-3: run as root or apt-get install it" >&2; exit 1; }
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15-postgis-3 >/dev/null
fi

stop
rm -rf "$dir"
mkdir -p "$dir"
[ "$(id -u)" = 0 ] && chown postgres "$dir"
chmod 755 "$dir"
as_postgres "$PGBIN/initdb" -D "$dir/primary" -A trust -U postgres >/dev/null
cat >>"$dir/primary/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
wal_level = replica
max_wal_senders = 4
hot_standby = on
fsync = on
CONF
echo "host replication postgres 127.0.0.1/32 trust" >>"$dir/primary/pg_hba.conf"
as_postgres "$PGBIN/pg_ctl" -D "$dir/primary" -l "$dir/primary.log" -w start >/dev/null
as_postgres psql -q -h 127.0.0.1 -p "$port" -U postgres -c "CREATE DATABASE refuge" >/dev/null

# The standby: a base backup of the primary that follows its WAL stream.
as_postgres "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$port" -U postgres -D "$dir/standby" -R -X stream --checkpoint=fast >/dev/null
sed -i "s/^port = $port/port = $standby_port/" "$dir/standby/postgresql.conf"
if [ -n "${REFUGE_PG_STANDBY_DELAY:-}" ]; then
  echo "recovery_min_apply_delay = '$REFUGE_PG_STANDBY_DELAY'" >>"$dir/standby/postgresql.conf"
fi
as_postgres "$PGBIN/pg_ctl" -D "$dir/standby" -l "$dir/standby.log" -w start >/dev/null

echo "REFUGE_TEST_POSTGRES=postgres://postgres@127.0.0.1:$port/refuge"
echo "REFUGE_TEST_STANDBY=postgres://postgres@127.0.0.1:$standby_port/refuge"
echo "REFUGE_TEST_PGDATA=$dir"
