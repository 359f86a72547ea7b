#!/bin/sh
# make bench: throughput and latency of the portal as ratios to baselines taken
# in the same run on the same machine (absolute numbers say little; differences
# under ~15 % are noise). Starts its own stack under a temporary folder on its own
# ports, plus the libfcgi hello-world (hello_fcgi, 4 prefork workers) behind the
# same nginx at /_bench/hello, and stops all of it at the end.
#
# Environment: BENCH_SECONDS (10) per run, BENCH_WORKERS (4: as many as the
# hello-world has) portald request workers, PORTAL_BIN, KEEP_STACK=1 keeps the
# temporary folder (logs, wrk output).
set -eu

cd "$(dirname "$0")/../.."
REPO=$(pwd -P)
PORTAL_BIN=${PORTAL_BIN:-$REPO/bin}
DURATION=${BENCH_SECONDS:-10}
WORKERS=${BENCH_WORKERS:-4}
HELLO_WORKERS=4

die() {
	printf 'bench: %s\n' "$*" >&2
	exit 1
}

command -v wrk >/dev/null || die "wrk not found: run make deps"
[ -x "$PORTAL_BIN/hello_fcgi" ] || die "$PORTAL_BIN/hello_fcgi not found: build it with make"
[ -x "$PORTAL_BIN/portald" ] || die "$PORTAL_BIN/portald not found: build it with make"

VAR=$(mktemp -d "${TMPDIR:-/tmp}/portal-bench.XXXXXX")
# mktemp makes it 0700; nginx's workers (www-data when root) must pass through.
chmod 711 "$VAR"
HELLO_SOCKET=$VAR/run/hello.sock
HELLO_PIDFILE=$VAR/run/hello.pid

# Two free loopback ports, found by binding port 0.
# shellcheck disable=SC2046
set -- $(/usr/bin/python3 -c '
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
')
PORT=$1
SMTP_PORT=$2

# MAX_REQUESTS: no worker recycling in the middle of a measurement (hello_fcgi
# never recycles either).
stack() {
	env VAR="$VAR" PORT="$PORT" SMTP_PORT="$SMTP_PORT" WORKERS="$WORKERS" \
		MAX_REQUESTS=100000000 PORTAL_BIN="$PORTAL_BIN" BENCH_HELLO_SOCKET="$HELLO_SOCKET" \
		PLUGINS="example invites content" \
		sh core/scripts/stack.sh "$@"
}

cleanup() {
	stack stop >/dev/null 2>&1 || echo "bench: stack.sh stop failed (folder $VAR)" >&2
	# hello_fcgi's master leads its own process group: its workers go with it.
	if [ -r "$HELLO_PIDFILE" ]; then
		hello=$(cat "$HELLO_PIDFILE")
		kill -TERM "-$hello" 2>/dev/null || true
	fi
	if [ -n "${KEEP_STACK:-}" ]; then
		echo "bench: kept $VAR"
	else
		rm -rf "$VAR"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

echo "bench: starting a stack in $VAR (nginx on 127.0.0.1:$PORT, $WORKERS portald workers)"
stack start >"$VAR/stack-start.log" 2>&1 || {
	cat "$VAR/stack-start.log" >&2
	die "the stack did not start"
}

# The baseline: hello_fcgi in its own session (so the group can be stopped as
# one), its socket handed to nginx's group as portald's is.
# shellcheck disable=SC2016
setsid sh -c 'echo $$ >"$0"; exec "$@"' "$HELLO_PIDFILE" \
	"$PORTAL_BIN/hello_fcgi" "$HELLO_SOCKET" "$HELLO_WORKERS" \
	</dev/null >"$VAR/log/hello.log" 2>&1 &
n=0
until [ -S "$HELLO_SOCKET" ]; do
	[ $n -lt 50 ] || die "hello_fcgi did not open $HELLO_SOCKET: $(tail -n 1 "$VAR/log/hello.log")"
	sleep 0.1
	n=$((n + 1))
done
[ "$(id -u)" != 0 ] || chgrp www-data "$HELLO_SOCKET"

BASE=http://127.0.0.1:$PORT

# A portfolio of 10,000 properties, listed and searched by a signed-in manager
# (the runs named portfolio-*, which alone send the session cookie).
echo "bench: creating an organisation with 10,000 properties"
activation=$("$PORTAL_BIN/portalctl" -c "$VAR/portal.conf" org create --name Bench \
	--admin-email bench@example.org) || die "portalctl org create failed"
token=${activation##*/}
COOKIE=$(curl -s -D - -o "$VAR/activate.json" -H 'Content-Type: application/json' \
	-d "{\"token\":\"$token\",\"password\":\"bench password 123\"}" \
	"http://127.0.0.1:$PORT/api/v1/activate" |
	sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\).*/\1/p' | tail -n 1)
CSRF=$(sed -n 's/.*"csrf_token":"\([^"]*\)".*/\1/p' "$VAR/activate.json")
if [ -z "$COOKIE" ] || [ -z "$CSRF" ]; then
	die "could not sign in"
fi
mariadb --defaults-file="$VAR/mariadb.cnf" -u "$(id -un)" portal -e "
	INSERT INTO properties (org_id, reference_id, name, street, zip, city, country, notes, created_at)
	SELECT o.id, CONCAT('B-', s.seq), CONCAT('Objekt ', LPAD(s.seq, 5, '0')),
	       CONCAT('Bahnhofstraße ', s.seq), LPAD(s.seq % 99999, 5, '0'),
	       ELT(1 + s.seq % 5, 'Berlin', 'Köln', 'München', 'Hamburg', 'Dresden'),
	       'Deutschland', '', UTC_TIMESTAMP()
	FROM seq_1_to_10000 s JOIN orgs o ON o.name = 'Bench'" || die "could not insert the portfolio"
# Rows written with SQL have no search words until they are indexed.
"$PORTAL_BIN/portalctl" -c "$VAR/portal.conf" search rebuild >/dev/null ||
	die "portalctl search rebuild failed"

# 10,000 residents, one in each property, for the announcement's fan-out.
mariadb --defaults-file="$VAR/mariadb.cnf" -u "$(id -un)" portal -e "
	INSERT INTO users (org_id, role, email, name, created_at)
	SELECT o.id, 'resident', CONCAT('bewohner', s.seq, '@example.org'), CONCAT('Bewohner ', s.seq),
	       UTC_TIMESTAMP()
	FROM seq_1_to_10000 s JOIN orgs o ON o.name = 'Bench';
	INSERT INTO memberships (property_id, user_id, org_id, state, joined_at)
	SELECT p.id, u.id, u.org_id, 'active', UTC_TIMESTAMP()
	FROM users u JOIN properties p ON p.org_id = u.org_id
	 AND p.reference_id = CONCAT('B-', SUBSTRING(u.email, 9, LOCATE('@', u.email) - 9))
	WHERE u.email LIKE 'bewohner%@example.org'" || die "could not insert the residents"

# name and path of each run; hello first: it is what the others are compared to
RUNS="hello:/_bench/hello
static:/static/portal.css
example:/api/v1/example
pk-select:/brand/1.css
portfolio-list:/api/v1/properties
portfolio-search:/api/v1/properties?q=K%C3%B6ln+9
portfolio-page:/api/v1/properties?q=Objekt&limit=50"

# Only the portfolio runs send the session cookie: elsewhere it would add a
# session lookup to what is measured.

# Milliseconds from wrk's units (us, ms, s, m).
to_ms() {
	awk -v v="$1" 'BEGIN {
		n = v + 0
		if (v ~ /us$/) n /= 1000
		else if (v ~ /ms$/) n = n
		else if (v ~ /m$/) n *= 60000
		else if (v ~ /s$/) n *= 1000
		printf "%.2f", n
	}'
}

echo "bench: warming up"
echo "$RUNS" | while IFS=: read -r name path; do
	case $name in
	portfolio-*) status=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $COOKIE" "$BASE$path" || echo 000) ;;
	*) status=$(curl -s -o /dev/null -w '%{http_code}' "$BASE$path" || echo 000) ;;
	esac
	case $status in
	2??) ;;
	*) echo "bench: warning: $path answers $status: its numbers measure an error" ;;
	esac
	case $name in
	portfolio-*) wrk -t1 -c4 -d2s -H "Cookie: $COOKIE" "$BASE$path" >/dev/null 2>&1 || true ;;
	*) wrk -t1 -c4 -d2s "$BASE$path" >/dev/null 2>&1 || true ;;
	esac
done

echo "bench: wrk -t2 -c32 -d${DURATION}s --latency, one URL after another"
echo "$RUNS" | while IFS=: read -r name path; do
	case $name in
	portfolio-*) set -- -H "Cookie: $COOKIE" ;;
	*) set -- ;;
	esac
	wrk -t2 -c32 -d"${DURATION}s" --latency "$@" "$BASE$path" >"$VAR/wrk-$name.txt" 2>&1 ||
		echo "bench: wrk failed on $path (see $VAR/wrk-$name.txt)"
done

# One row per run: name path rps p50 p99 non-2xx socket-errors
rows=$(echo "$RUNS" | while IFS=: read -r name path; do
	out=$VAR/wrk-$name.txt
	rps=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
	p50=$(awk '$1 == "50%" { print $2 }' "$out")
	p99=$(awk '$1 == "99%" { print $2 }' "$out")
	bad=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$out")
	errors=$(awk '/Socket errors:/ { sub(/.*Socket errors: /, ""); gsub(/ /, ""); print }' "$out")
	echo "$name $path ${rps:-0} $(to_ms "${p50:-0}") $(to_ms "${p99:-0}") ${bad:-0} ${errors:--}"
done)

echo
echo "$rows" | awk '
	NR == 1 { hello = $3 }
	{ rows[NR] = $0 }
	END {
		printf "%-30s %10s %9s %9s %9s %9s  %s\n", "what", "req/s", "p50 ms", "p99 ms", "vs hello", "non-2xx", "socket errors"
		for (i = 1; i <= NR; i++) {
			split(rows[i], f, " ")
			ratio = hello > 0 ? sprintf("%.2f", f[3] / hello) : "-"
			printf "%-30s %10.0f %9s %9s %9s %9s  %s\n", f[2], f[3], f[4], f[5], ratio, f[6], f[7]
		}
	}'

# Publishing to every property of an organisation with 10,000 residents: the
# request queues one mail each in its transaction (the jobs worker sends them).
publish=$(curl -s -o "$VAR/publish.json" -w '%{http_code} %{time_total}' \
	-H "Cookie: $COOKIE" -H "X-CSRF-Token: $CSRF" -H 'Content-Type: application/json' \
	-d '{"title":"Wasserabstellung","body":"Am Montag wird das Wasser von 9 bis 12 Uhr abgestellt.","property_ids":"all"}' \
	"$BASE/api/v1/announcements")
queued=$(mariadb --defaults-file="$VAR/mariadb.cnf" -u "$(id -un)" -N portal \
	-e "SELECT COUNT(*) FROM outbox WHERE kind = 'announcements'")
echo
echo "Announcement to all properties with 10,000 residents: HTTP ${publish% *}," \
	"$(awk -v t="${publish#* }" 'BEGIN { printf "%.2f", t }') s, $queued mails queued"

echo
echo "Resident memory (VmRSS) after the runs (portald's children: request workers and the jobs worker):"
rss() {
	awk '/^VmRSS:/ { printf "%d kB", $2 }' "/proc/$1/status" 2>/dev/null || echo "?"
}
children() {
	for f in /proc/[0-9]*/stat; do
		s=$(cat "$f" 2>/dev/null) || continue
		# shellcheck disable=SC2086
		set -- ${s##*") "}
		if [ "$2" = "$PARENT" ] && [ "$1" != Z ]; then
			p=${f#/proc/}
			echo "${p%/stat}"
		fi
	done
}
master=$(cat "$VAR/run/portald.pid" 2>/dev/null || echo)
if [ -n "$master" ]; then
	echo "  portald master $master: $(rss "$master")"
	PARENT=$master
	for pid in $(children); do
		echo "  portald child $pid: $(rss "$pid")"
	done
fi
hello=$(cat "$HELLO_PIDFILE" 2>/dev/null || echo)
if [ -n "$hello" ]; then
	PARENT=$hello
	for pid in $(children); do
		echo "  hello_fcgi worker $pid: $(rss "$pid")"
	done
fi
