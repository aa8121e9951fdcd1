#!/usr/bin/env bash
# The MariaDB container's command (Dockerfile, stage mariadb): a data directory made on the first
# start (the volume keeps it), then mariadbd in the foreground. Each start (re)creates the
# service's account from MYSQL_USER and MYSQL_PASSWORD; the service applies the schema itself.
set -euo pipefail
: "${MYSQL_USER:?set MYSQL_USER}" "${MYSQL_PASSWORD:?set MYSQL_PASSWORD}"
# It goes into MYSQL_URL as it is, and into SQL below: URL-safe characters only.
case "$MYSQL_USER$MYSQL_PASSWORD" in
  *[!A-Za-z0-9._~-]*) echo "mariadb-start: MYSQL_USER and MYSQL_PASSWORD may hold letters, digits and ._~- only; e.g. MYSQL_PASSWORD=\$(openssl rand -hex 16)" >&2; exit 1 ;;
esac
datadir=/var/lib/mysql
if [ ! -d "$datadir/mysql" ]; then
  mariadb-install-db --defaults-file=/etc/flash-sale/mariadb.cnf --datadir="$datadir" --user=mysql \
    --auth-root-authentication-method=socket --skip-test-db >/dev/null
fi
mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld "$datadir"
# The password goes to mariadbd in a file only it reads, never on a command line.
init=/run/mysqld/init.sql
(umask 077 && cat >"$init" <<SQL
CREATE USER IF NOT EXISTS '$MYSQL_USER'@'%' IDENTIFIED BY '$MYSQL_PASSWORD';
ALTER USER '$MYSQL_USER'@'%' IDENTIFIED BY '$MYSQL_PASSWORD';
GRANT ALL ON flash_sale.* TO '$MYSQL_USER'@'%';
GRANT ALL ON dtm_barrier.* TO '$MYSQL_USER'@'%';
SQL
)
chown mysql "$init"
exec mariadbd --defaults-file=/etc/flash-sale/mariadb.cnf --user=mysql --datadir="$datadir" \
  --bind-address="${LISTEN_HOST:-127.0.0.1}" --port="${MYSQL_PORT:-3306}" --init-file="$init"
