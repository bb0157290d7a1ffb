# SPDX-License-Identifier: BSD-3-Clause
# Harness of the PostgreSQL tests: a private PostgreSQL 15 on loopback (design.md §10), started
# as the postgres user in a fresh folder, on a port of our own (tests/common/fp_test_ports.sh),
# and always stopped.
#   . pg_lib.sh BUILD_DIR SRC_DIR   then: pg_init; pg_stop; pg_start; pg_sql "SELECT ..."; $PG_URL
# (or sourced after tests/e2e/e2e_lib.sh, sharing its work folder, pids and cleanup).
set -euo pipefail
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

pg_as() { runuser -u postgres -- "$@"; }

# pg_server_down: stop our server, if it runs, at once.
pg_server_down() {
	if [[ -f $PG_DATA/postmaster.pid ]]; then
		pg_as "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate -w stop >/dev/null 2>&1 || true
	fi
}

if [[ -z ${work:-} ]]; then
	bin=$1
	src=$2
	work=$(mktemp -d /tmp/fp-pg.XXXXXX)
	pids=()
	pg_cleanup() {
		for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
		for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
		pg_server_down
		[[ ${KEEP:-0} == 1 ]] || rm -rf "$work"
		[[ -z ${base:-} ]] || fp_test_ports_release "$base" $$
	}
	trap pg_cleanup EXIT
	fail() {
		echo "FAIL: $*" >&2
		if [[ -f $work/pg.log ]]; then
			echo "--- postgres log" >&2
			tail -5 "$work/pg.log" >&2 || true
		fi
		exit 1
	}
else
	# Sourced after tests/e2e/e2e_lib.sh: its cleanup stops the processes and removes $work.
	trap 'pg_server_down; cleanup' EXIT
fi
chmod 755 "$work" # the postgres user reaches its folders inside
PG_DATA=$work/pgdata
PG_SOCK=$work/sock
# The last port of our block (e2e_lib's, whose ports firm.sh uses up to base+8, or our own).
if [[ -z ${base:-} ]]; then
	. "$src/tests/common/fp_test_ports.sh"
	base=$(fp_test_ports_claim $$) || fail "no free block of test ports"
fi
PG_PORT=$((base + 9))
PG_URL="postgresql://fastpath@127.0.0.1:$PG_PORT/fastpath"

skip_unless_pg() {
	if [[ ! -x $PG_BIN/initdb ]] || ! id postgres >/dev/null 2>&1; then
		echo "SKIP: no PostgreSQL 15 in $PG_BIN (bash deploy/setup.sh installs it)"
		exit 0
	fi
	if [[ $(id -u) -ne 0 ]]; then
		echo "SKIP: starting PostgreSQL as the postgres user needs root (runuser)"
		exit 0
	fi
}

# pg_init: initdb with trust on loopback, a role and a database "fastpath".
pg_init() {
	skip_unless_pg
	mkdir -p "$PG_DATA" "$PG_SOCK"
	touch "$work/pg.log"
	chown postgres: "$PG_DATA" "$PG_SOCK" "$work/pg.log"
	pg_as "$PG_BIN/initdb" -D "$PG_DATA" -A trust -U postgres -E UTF8 --no-sync \
		>"$work/initdb.log" 2>&1 || { cat "$work/initdb.log" >&2; fail "initdb"; }
	pg_start
	pg_as "$PG_BIN/psql" -h "$PG_SOCK" -p "$PG_PORT" -U postgres -d postgres -qAt \
		-c "CREATE ROLE fastpath LOGIN" -c "CREATE DATABASE fastpath OWNER fastpath" \
		>/dev/null || fail "create role/database"
}

pg_start() {
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$work/pg.log" -w -t 20 \
		-o "-k $PG_SOCK -p $PG_PORT -c listen_addresses=127.0.0.1 -c fsync=off" \
		start >/dev/null || fail "pg_ctl start"
}

pg_stop() {
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null || fail "pg_ctl stop"
}

# pg_sql SQL: one value per line (unaligned, tuples only), as the fastpath role.
pg_sql() {
	"$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U fastpath -d fastpath -qAt -v ON_ERROR_STOP=1 \
		-c "$1"
}
