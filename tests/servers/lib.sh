# tests/servers/lib.sh — starts real PostgreSQL and MariaDB servers from the
# Debian packages in a private folder, loads MLflow stores into them, stops
# them. Sourced by the server tests and the server benchmark:
#
#   . tests/servers/lib.sh
#   servers_start DIR        # sets PG_URL / MY_URL, or PG_SKIP / MY_SKIP (why)
#   trap 'servers_stop' EXIT
#   pg_load DB FILE.sql      # runs FILE as the servers' superuser into DB
#   my_load DB FILE.sql
#
# Each server listens on its own socket in DIR and on a free loopback port,
# never on the machine's usual ones, and starts from an empty data folder.
# Both refuse to run as root, so as root they run as the user `nobody`.
# The reading user is `runsite` with password $SERVERS_PASSWORD, allowed to
# read only; the superusers (postgres, root) log in without one over the
# socket, for loading.

SERVERS_PASSWORD='runsite-pw-4f9c'

# A free TCP port on 127.0.0.1 (the kernel's choice; released at once).
servers_free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Runs a server program as an unprivileged user when we are root.
servers_as() {
	if [ "$(id -u)" = 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi
}

servers_pg_bin() {
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
		[ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
	done
	return 1
}

# Starts PostgreSQL in $SERVERS_DIR/pg. Sets PG_URL, PG_HOST (socket folder),
# PG_PORT, PG_BIN, or PG_SKIP with the reason.
servers_start_pg() {
	PG_URL= PG_SKIP=
	PG_BIN=$(servers_pg_bin) || { PG_SKIP="PostgreSQL server not installed (Debian package postgresql; scripts/install-deps.sh --test)"; return 1; }
	command -v psql >/dev/null || { PG_SKIP="psql not installed (postgresql-client)"; return 1; }
	PG_HOST=$SERVERS_DIR/pg
	PG_PORT=$(servers_free_port) || { PG_SKIP="no free loopback port"; return 1; }
	mkdir -p "$PG_HOST"
	[ "$(id -u)" = 0 ] && chown nobody "$PG_HOST"
	if ! servers_as "$PG_BIN/initdb" -D "$PG_HOST/data" -U postgres --auth=trust -E UTF8 \
		--no-locale --no-sync >"$PG_HOST/initdb.log" 2>&1; then
		PG_SKIP="initdb failed: $(tail -1 "$PG_HOST/initdb.log")"; return 1
	fi
	cat >>"$PG_HOST/data/postgresql.conf" <<-EOF
	listen_addresses = '127.0.0.1'
	port = $PG_PORT
	unix_socket_directories = '$PG_HOST'
	fsync = off
	synchronous_commit = off
	full_page_writes = off
	max_connections = 20
	shared_buffers = ${SERVERS_PG_BUFFERS:-32MB}
	EOF
	# The superuser over the socket without a password (loading); everyone
	# else, over the socket or TCP, with one.
	cat >"$PG_HOST/data/pg_hba.conf" <<-EOF
	local all postgres trust
	local all all scram-sha-256
	host all all 127.0.0.1/32 scram-sha-256
	EOF
	if ! servers_as "$PG_BIN/pg_ctl" -D "$PG_HOST/data" -l "$PG_HOST/server.log" -w -t 30 \
		start >/dev/null 2>&1; then
		PG_SKIP="PostgreSQL did not start: $(tail -2 "$PG_HOST/server.log" 2>/dev/null | tr '\n' ' ')"; return 1
	fi
	pg_admin postgres -c "CREATE ROLE runsite LOGIN PASSWORD '$SERVERS_PASSWORD'" >/dev/null || {
		PG_SKIP="could not create the reading user"; return 1; }
	PG_URL="postgresql://runsite@127.0.0.1:$PG_PORT"
	return 0
}

# psql as the superuser over the private socket: pg_admin DB [psql args].
pg_admin() {
	db=$1; shift
	env -u PGPASSWORD psql -X -q -v ON_ERROR_STOP=1 -h "$PG_HOST" -p "$PG_PORT" -U postgres -d "$db" "$@"
}

# pg_load DB FILE: makes DB afresh, runs FILE in it, lets runsite read it.
pg_load() {
	pg_admin postgres -c "DROP DATABASE IF EXISTS \"$1\"" -c "CREATE DATABASE \"$1\"" >/dev/null &&
	pg_admin "$1" -f "$2" >/dev/null &&
	pg_admin "$1" -c "GRANT SELECT ON ALL TABLES IN SCHEMA public TO runsite" >/dev/null
}

servers_stop_pg() {
	[ -n "$PG_BIN" ] && [ -f "$PG_HOST/data/postmaster.pid" ] &&
		servers_as "$PG_BIN/pg_ctl" -D "$PG_HOST/data" -m immediate -w -t 20 stop >/dev/null 2>&1
	return 0
}

# Starts MariaDB in $SERVERS_DIR/my. Sets MY_URL, MY_SOCK, MY_PORT, or MY_SKIP.
servers_start_my() {
	MY_URL= MY_SKIP=
	MY_D=$(command -v mariadbd || ls /usr/sbin/mariadbd 2>/dev/null) || {
		MY_SKIP="MariaDB server not installed (Debian package mariadb-server; scripts/install-deps.sh --test)"; return 1; }
	command -v mariadb-install-db >/dev/null && command -v mariadb >/dev/null || {
		MY_SKIP="mariadb-install-db or the mariadb client is missing"; return 1; }
	MY_DIR=$SERVERS_DIR/my
	MY_SOCK=$MY_DIR/sock
	MY_PORT=$(servers_free_port) || { MY_SKIP="no free loopback port"; return 1; }
	mkdir -p "$MY_DIR"
	user=
	if [ "$(id -u)" = 0 ]; then chown nobody "$MY_DIR"; user=--user=nobody; fi
	if ! mariadb-install-db --no-defaults $user --datadir="$MY_DIR/data" --skip-test-db \
		--auth-root-authentication-method=normal >"$MY_DIR/install.log" 2>&1; then
		MY_SKIP="mariadb-install-db failed: $(tail -1 "$MY_DIR/install.log")"; return 1
	fi
	# Started as root it changes to --user itself; in the background, as a
	# server is. Small buffers and no flushing: a test server, not a store.
	"$MY_D" --no-defaults $user --datadir="$MY_DIR/data" --socket="$MY_SOCK" \
		--port="$MY_PORT" --bind-address=127.0.0.1 --pid-file="$MY_DIR/pid" \
		--log-error="$MY_DIR/server.log" --innodb-buffer-pool-size="${SERVERS_MY_POOL:-64M}" \
		--innodb-log-file-size=32M --innodb-flush-log-at-trx-commit=0 \
		--innodb-doublewrite=0 --skip-name-resolve --character-set-server=utf8mb4 \
		--collation-server=utf8mb4_bin >/dev/null 2>&1 &
	MY_PID=$!
	i=0
	until env -u MYSQL_PWD mariadb-admin --no-defaults --socket="$MY_SOCK" -u root ping >/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -gt 300 ] || ! kill -0 "$MY_PID" 2>/dev/null; then
			MY_SKIP="MariaDB did not start: $(tail -2 "$MY_DIR/server.log" 2>/dev/null | tr '\n' ' ')"
			return 1
		fi
		sleep 0.1
	done
	my_admin "" -e "CREATE USER runsite@localhost IDENTIFIED BY '$SERVERS_PASSWORD';
		CREATE USER runsite@'127.0.0.1' IDENTIFIED BY '$SERVERS_PASSWORD'" || {
		MY_SKIP="could not create the reading user"; return 1; }
	MY_URL="mysql://runsite@127.0.0.1:$MY_PORT"
	return 0
}

# The mariadb client as root over the private socket: my_admin DB [args].
my_admin() {
	db=$1; shift
	env -u MYSQL_PWD mariadb --no-defaults --socket="$MY_SOCK" -u root ${db:+"$db"} "$@"
}

# my_load DB FILE: makes DB afresh, runs FILE in it, lets runsite read it.
my_load() {
	my_admin "" -e "DROP DATABASE IF EXISTS \`$1\`; CREATE DATABASE \`$1\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin" &&
	my_admin "$1" <"$2" &&
	my_admin "" -e "GRANT SELECT ON \`$1\`.* TO runsite@localhost; GRANT SELECT ON \`$1\`.* TO runsite@'127.0.0.1'"
}

servers_stop_my() {
	# Every command may fail (the server already gone), also under set -e.
	if [ -n "$MY_PID" ] && kill -0 "$MY_PID" 2>/dev/null; then
		kill "$MY_PID" 2>/dev/null || true
		i=0
		while kill -0 "$MY_PID" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
		kill -9 "$MY_PID" 2>/dev/null || true
	fi
	MY_PID=
	return 0
}

# servers_start DIR: both servers in DIR (made if missing); what could not
# start is in PG_SKIP / MY_SKIP.
servers_start() {
	SERVERS_DIR=$1
	mkdir -p "$SERVERS_DIR"
	# The unprivileged servers must reach their folders inside it.
	chmod 755 "$SERVERS_DIR"
	[ "$(id -u)" = 0 ] && chmod o+x "$(dirname "$SERVERS_DIR")"
	servers_start_pg
	servers_start_my
	return 0
}

servers_stop() {
	servers_stop_pg
	servers_stop_my
}
