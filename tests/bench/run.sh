#!/bin/sh
# make bench: throughput and latency of the portal as ratios to baselines taken
# in the same run on the same machine (absolute numbers say little; differences
# under ~15 % are noise). Starts its own stack under a temporary folder on its own
# ports, plus the libfcgi hello-world (hello_fcgi, 4 prefork workers) behind the
# same nginx at /_bench/hello, and stops all of it at the end.
#
# What it measures, against an organisation of 10,000 properties with one
# resident each: routes without a session; a resident's home (3 properties with
# their content); the manager's pages (the properties, a content form with its
# property picker, the FAQ with its entries' pickers) and API lists, a search
# (also in organisations of 100 and of 100,000 properties), page 1 and page 200
# of a keyset list, the manager's tickets (page and API) and ticket searches
# (two words, and one word that an eighth of them have) among 100,000 tickets;
# for each of them the bytes of one request and its database round trips (from
# portald's log line); the import of 10,000 rows (xlsx and csv); an
# announcement to all 10,000 residents and the sending of its mails; and the
# memory of every portald child at the end. A route that answers anything but
# 2xx fails the run: its numbers would measure an error.
#
# Environment: BENCH_SECONDS (10) per run, BENCH_WORKERS (4: as many as the
# hello-world has) portald request workers, BENCH_MAIL_WAIT (240) seconds to wait
# for the announcement's mails, PORTAL_BIN, KEEP_STACK=1 keeps the temporary
# folder (logs, wrk output), BENCH_ONLY=REGEX measures only the runs whose
# name matches it (and hello), without the import, the fan-out and the memory.
set -eu

cd "$(dirname "$0")/../.."
REPO=$(pwd -P)
PORTAL_BIN=${PORTAL_BIN:-$REPO/bin}
DURATION=${BENCH_SECONDS:-10}
WORKERS=${BENCH_WORKERS:-4}
MAIL_WAIT=${BENCH_MAIL_WAIT:-240}
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
LOGFILE=$VAR/log/portald.log

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
BASE=http://127.0.0.1:$PORT

# MAX_REQUESTS: no worker recycling in the middle of a measurement (hello_fcgi
# never recycles either).
stack() {
	env VAR="$VAR" PORT="$PORT" SMTP_PORT="$SMTP_PORT" WORKERS="$WORKERS" \
		MAX_REQUESTS=100000000 PORTAL_BIN="$PORTAL_BIN" BENCH_HELLO_SOCKET="$HELLO_SOCKET" \
		PLUGINS="example invites content tickets" \
		sh core/scripts/stack.sh "$@"
}

sql() {
	mariadb --defaults-file="$VAR/mariadb.cnf" -u "$(id -un)" portal "$@"
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

# --- the data ----------------------------------------------------------------

# new_org NAME EMAIL: a new organisation, its admin activated through the API;
# sets COOKIE and CSRF to that manager's session.
new_org() {
	activation=$("$PORTAL_BIN/portalctl" -c "$VAR/portal.conf" org create --name "$1" \
		--admin-email "$2") || die "portalctl org create --name $1 failed"
	token=${activation##*/}
	curl -s -D "$VAR/activate-$1.head" -o "$VAR/activate-$1.json" \
		-H 'Content-Type: application/json' \
		-d "{\"token\":\"$token\",\"password\":\"bench password 123\"}" \
		"$BASE/api/v1/activate" || die "could not activate the admin of $1"
	COOKIE=$(sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\).*/\1/p' "$VAR/activate-$1.head" | tail -n 1)
	CSRF=$(sed -n 's/.*"csrf_token":"\([^"]*\)".*/\1/p' "$VAR/activate-$1.json")
	if [ -z "$COOKIE" ] || [ -z "$CSRF" ]; then
		die "could not sign in as the admin of $1"
	fi
}

# post PATH JSON: as the manager of the portfolio; anything but 2xx stops the bench.
post() {
	status=$(curl -s -o "$VAR/post.json" -w '%{http_code}' -H "Cookie: $MANAGER_COOKIE" \
		-H "X-CSRF-Token: $MANAGER_CSRF" -H 'Content-Type: application/json' -d "$2" \
		"$BASE$1") || status=000
	case $status in
	2??) ;;
	*) die "POST $1 answers $status: $(head -c 300 "$VAR/post.json")" ;;
	esac
}

# A portfolio of 10,000 properties, listed and searched by a signed-in manager.
echo "bench: creating an organisation with 10,000 properties and 10,000 residents"
new_org Bench bench@example.org
MANAGER_COOKIE=$COOKIE
MANAGER_CSRF=$CSRF
sql -e "
	INSERT INTO properties (org_id, reference_id, name, street, zip, city, country, notes, created_at)
	SELECT o.id, CONCAT('B-', s.seq), CONCAT('Objekt ', LPAD(s.seq, 5, '0')),
	       CONCAT('Bahnhofstraße ', s.seq), LPAD(s.seq % 99999, 5, '0'),
	       ELT(1 + s.seq % 5, 'Berlin', 'Köln', 'München', 'Hamburg', 'Dresden'),
	       'Deutschland', '', UTC_TIMESTAMP()
	FROM seq_1_to_10000 s JOIN orgs o ON o.name = 'Bench'" || die "could not insert the portfolio"

# The same search at 100 and at 100,000 properties: organisations of their
# own with rows of the same kind (names of six digits).
search_org() { # NAME COUNT: sets COOKIE to its manager's session
	new_org "$1" "$1@example.org"
	sql -e "
	INSERT INTO properties (org_id, reference_id, name, street, zip, city, country, notes, created_at)
	SELECT o.id, CONCAT('S-', s.seq), CONCAT('Objekt ', LPAD(s.seq, 6, '0')),
	       CONCAT('Bahnhofstraße ', s.seq), LPAD(s.seq % 99999, 5, '0'),
	       ELT(1 + s.seq % 5, 'Berlin', 'Köln', 'München', 'Hamburg', 'Dresden'),
	       'Deutschland', '', UTC_TIMESTAMP()
	FROM seq_1_to_$2 s JOIN orgs o ON o.name = '$1'" || die "could not insert the properties of $1"
}
echo "bench: creating organisations with 100 and with 100,000 properties for the search"
search_org Search100 100
SMALL_COOKIE=$COOKIE
search_org Search100000 100000
LARGE_COOKIE=$COOKIE
# 100,000 tickets of the portfolio, ten per property, as managers record
# calls: eight kinds of title, fifty reporters' names; a tenth in progress,
# a tenth resolved.
echo "bench: creating 100,000 tickets"
sql -e "
	SET @org = (SELECT id FROM orgs WHERE name = 'Bench');
	INSERT INTO tickets (org_id, number, property_id, reporter_name, title, description, category,
	                     status, created_at, updated_at)
	SELECT x.org_id, x.n, x.id,
	       CONCAT(ELT(1 + x.n % 2, 'Frau ', 'Herr '), ELT(1 + (x.n DIV 8) % 50, 'Müller', 'Schmidt',
	        'Schneider', 'Fischer', 'Weber', 'Meyer', 'Wagner', 'Becker', 'Schulz', 'Hoffmann',
	        'Schäfer', 'Koch', 'Bauer', 'Richter', 'Klein', 'Wolf', 'Schröder', 'Neumann',
	        'Schwarz', 'Zimmermann', 'Braun', 'Krüger', 'Hofmann', 'Hartmann', 'Lange', 'Schmitt',
	        'Werner', 'Schmitz', 'Krause', 'Meier', 'Lehmann', 'Schmid', 'Schulze', 'Maier',
	        'Köhler', 'Herrmann', 'König', 'Walter', 'Mayer', 'Huber', 'Kaiser', 'Fuchs', 'Peters',
	        'Lang', 'Scholz', 'Möller', 'Weiß', 'Jung', 'Hahn', 'Schubert')),
	       CONCAT(ELT(1 + x.n % 8, 'Heizung ausgefallen', 'Aufzug steckt', 'Wasserschaden im Keller',
	        'Licht im Treppenhaus defekt', 'Lärm nachts', 'Briefkasten klemmt', 'Fenster undicht',
	        'Müll nicht abgeholt'), ' in Wohnung ', x.n % 40),
	       'Telefonisch gemeldet. Bitte prüfen und einen Handwerker beauftragen.',
	       ELT(1 + x.n % 6, 'Schaden/Reparatur', 'Heizung/Wasser', 'Aufzug', 'Reinigung', 'Lärm', 'Sonstiges'),
	       IF(x.n % 10 = 1, 'in_progress', IF(x.n % 10 = 2, 'resolved', 'open')),
	       UTC_TIMESTAMP() - INTERVAL (100000 - x.n) MINUTE, UTC_TIMESTAMP() - INTERVAL (100000 - x.n) MINUTE
	FROM (SELECT p.org_id, p.id, ROW_NUMBER() OVER (ORDER BY k.seq, p.id) AS n
	      FROM properties p JOIN seq_0_to_9 k WHERE p.org_id = @org) x;
	INSERT INTO ticket_numbers (org_id, last_number) VALUES (@org, 100000)" ||
	die "could not insert the tickets"

# Rows written with SQL have no search words until they are indexed.
"$PORTAL_BIN/portalctl" -c "$VAR/portal.conf" search rebuild >/dev/null ||
	die "portalctl search rebuild failed"

# 10,000 residents, one in each property, for the announcement's fan-out. The
# memberships' triggers count residents on properties (sql/024), so the
# statement that writes memberships must not read properties: their pairs go
# through a temporary table.
sql -e "
	INSERT INTO users (org_id, role, email, email_confirmed_at, name, created_at)
	SELECT o.id, 'resident', CONCAT('bewohner', s.seq, '@example.org'), UTC_TIMESTAMP(),
	       CONCAT('Bewohner ', s.seq), UTC_TIMESTAMP()
	FROM seq_1_to_10000 s JOIN orgs o ON o.name = 'Bench';
	CREATE TEMPORARY TABLE bench_members AS
	SELECT p.id AS property_id, u.id AS user_id, u.org_id
	FROM users u JOIN properties p ON p.org_id = u.org_id
	 AND p.reference_id = CONCAT('B-', SUBSTRING(u.email, 9, LOCATE('@', u.email) - 9))
	WHERE u.email LIKE 'bewohner%@example.org';
	INSERT INTO memberships (property_id, user_id, org_id, state, joined_at)
	SELECT property_id, user_id, org_id, 'active', UTC_TIMESTAMP() FROM bench_members" ||
	die "could not insert the residents"

# The measured resident lives in three of them; each has its own content,
# written through the API as a manager does (without mail: the fan-out is
# measured on its own below).
echo "bench: writing the content of a resident's three properties"
HOME_PROPERTIES=$(sql -N -e "SELECT p.id FROM properties p JOIN orgs o ON o.id = p.org_id
	WHERE o.name = 'Bench' AND p.reference_id IN ('B-1', 'B-2', 'B-3')" | tr '\n' ' ')
TEXT='Liebe Bewohnerinnen und Bewohner, am kommenden Montag werden die Rauchwarnmelder in allen Wohnungen geprüft. Bitte ermöglichen Sie den Zugang zwischen 8 und 16 Uhr oder hinterlegen Sie einen Schlüssel bei der Hausverwaltung. Vielen Dank für Ihr Verständnis.'
for p in $HOME_PROPERTIES; do
	i=1
	while [ $i -le 30 ]; do
		post /api/v1/announcements "{\"title\":\"Mitteilung $i für Objekt $p\",\"body\":\"$TEXT\",\"property_ids\":[$p],\"notify\":false}"
		i=$((i + 1))
	done
	i=1
	while [ $i -le 10 ]; do
		starts=$(date -u -d "+$i days" +%Y-%m-%dT10:00:00Z)
		ends=$(date -u -d "+$i days" +%Y-%m-%dT12:00:00Z)
		post /api/v1/appointments "{\"title\":\"Termin $i\",\"body\":\"$TEXT\",\"location\":\"Gemeinschaftsraum\",\"starts_at\":\"$starts\",\"ends_at\":\"$ends\",\"property_ids\":[$p]}"
		i=$((i + 1))
	done
	i=1
	while [ $i -le 8 ]; do
		post /api/v1/faq "{\"question\":\"Frage $i: Wann wird der Müll abgeholt?\",\"answer\":\"$TEXT\",\"property_ids\":[$p],\"position\":$i}"
		i=$((i + 1))
	done
	i=1
	while [ $i -le 5 ]; do
		post /api/v1/contacts "{\"name\":\"Ansprechpartner $i\",\"role\":\"Hausmeister\",\"phone\":\"0351 123456$i\",\"email\":\"kontakt$i@example.org\",\"note\":\"Montag bis Freitag 8 bis 16 Uhr\",\"property_ids\":[$p]}"
		i=$((i + 1))
	done
done

# The resident's account is made as the integration tests make one (residents
# sign up through the invites plugin's pages otherwise): SQL for the user and the
# memberships, a password through a reset link, then a sign-in.
echo "bench: signing in a resident of those three properties"
sql -e "
	INSERT INTO users (org_id, role, email, email_confirmed_at, name, created_at)
	SELECT id, 'resident', 'rita@example.org', UTC_TIMESTAMP(), 'Rita Resident', UTC_TIMESTAMP()
	FROM orgs WHERE name = 'Bench';
	CREATE TEMPORARY TABLE bench_home AS
	SELECT p.id AS property_id, u.id AS user_id, u.org_id
	FROM users u JOIN properties p ON p.org_id = u.org_id
	 AND p.reference_id IN ('B-1', 'B-2', 'B-3')
	WHERE u.email = 'rita@example.org';
	INSERT INTO memberships (property_id, user_id, org_id, resident_group, state, joined_at)
	SELECT property_id, user_id, org_id, 'resident', 'active', UTC_TIMESTAMP() FROM bench_home" ||
	die "could not insert the resident"
reset=$("$PORTAL_BIN/portalctl" -c "$VAR/portal.conf" user reset-password rita@example.org) ||
	die "portalctl user reset-password failed"
status=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
	-d "{\"token\":\"${reset##*/}\",\"password\":\"Bewohner Passwort 123\"}" \
	"$BASE/api/v1/password/reset") || status=000
[ "$status" = 200 ] || die "the resident's password reset answers $status"
RESIDENT_COOKIE=$(curl -s -D - -o /dev/null -H 'Content-Type: application/json' \
	-d '{"email":"rita@example.org","password":"Bewohner Passwort 123"}' \
	"$BASE/api/v1/session" | sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\).*/\1/p' | tail -n 1)
[ -n "$RESIDENT_COOKIE" ] || die "the resident could not sign in"

# A keyset list's page 200: the cursor is what 199 pages' "next" lead to.
echo "bench: following 199 cursors of /api/v1/properties?limit=50"
after=
n=1
while [ $n -lt 200 ]; do
	after=$(curl -s -H "Cookie: $MANAGER_COOKIE" \
		"$BASE/api/v1/properties?limit=50${after:+&after=$after}" |
		sed -n 's/.*"next":"\([A-Za-z0-9_-]*\)".*/\1/p')
	[ -n "$after" ] || die "page $n of /api/v1/properties?limit=50 has no next cursor (of URL-safe characters)"
	n=$((n + 1))
done

# --- the runs ------------------------------------------------------------------

# name, whose session it sends (- for none: a cookie would add a session lookup
# to what is measured), path. hello first: it is what the others are compared to.
RUNS="hello - /_bench/hello
static - /static/portal.css
example - /api/v1/example
pk-select - /brand/1.css
resident-home resident /portal
manager-page manager /app/properties
content-form manager /app/content/announcement/new
content-faq manager /app/content/faq
manager-list manager /api/v1/properties
manager-search manager /api/v1/properties?q=K%C3%B6ln+9
search-100 small /api/v1/properties?q=K%C3%B6ln+9
search-100000 large /api/v1/properties?q=K%C3%B6ln+9
manager-search-all manager /api/v1/properties?q=Objekt&limit=50
manager-me manager /api/v1/me
keyset-page-1 manager /api/v1/properties?limit=50
keyset-page-200 manager /api/v1/properties?limit=50&after=$after
ticket-page manager /app/tickets
ticket-list manager /api/v1/tickets
ticket-search manager /api/v1/tickets?q=Schmidt+Heizung
ticket-search-word manager /api/v1/tickets?q=heizung"
if [ -n "${BENCH_ONLY:-}" ]; then
	RUNS=$(echo "$RUNS" | awk -v only="$BENCH_ONLY" 'NR == 1 || $1 ~ only')
fi

cookie_of() {
	case $1 in
	manager) echo "$MANAGER_COOKIE" ;;
	resident) echo "$RESIDENT_COOKIE" ;;
	small) echo "$SMALL_COOKIE" ;;
	large) echo "$LARGE_COOKIE" ;;
	esac
}

# round_trips ID: the database round trips in portald's log line of nginx's
# request ID ("-" when portald did not serve it). The worker writes the line
# after the answer: give it a moment.
round_trips() {
	[ -n "$1" ] || {
		echo -
		return
	}
	n=0
	until line=$(grep -m 1 " id=$1\$" "$LOGFILE"); do
		[ $n -lt 20 ] || {
			echo "?"
			return
		}
		sleep 0.1
		n=$((n + 1))
	done
	trips=${line##* db=}
	echo "${trips%% *}"
}

# prepare NAME WHO PATH: a warm-up, then one request that must answer 2xx; its
# round trips and size go to check-NAME.txt.
prepare() {
	name=$1 path=$3 cookie=$(cookie_of "$2")
	if [ -n "$cookie" ]; then set -- -H "Cookie: $cookie"; else set --; fi
	wrk -t1 -c4 -d2s "$@" "$BASE$path" >/dev/null 2>&1 || true
	answer=$(curl -s -o /dev/null -D "$VAR/check-$name.head" -w '%{http_code} %{size_download}' \
		"$@" "$BASE$path") || answer="000 0"
	case ${answer% *} in
	2??) ;;
	*) die "FAILED: $path answers ${answer% *} after the warm-up; its numbers would measure an error" ;;
	esac
	id=$(sed -n 's/^[Xx]-[Rr]equest-[Ii]d: \([0-9a-f]*\).*/\1/p' "$VAR/check-$name.head")
	echo "$(round_trips "$id") ${answer#* }" >"$VAR/check-$name.txt"
}

# measure NAME WHO PATH: the run itself, into wrk-NAME.txt.
measure() {
	name=$1 path=$3 cookie=$(cookie_of "$2")
	if [ -n "$cookie" ]; then set -- -H "Cookie: $cookie"; else set --; fi
	wrk -t2 -c32 -d"${DURATION}s" --latency "$@" "$BASE$path" >"$VAR/wrk-$name.txt" 2>&1 ||
		echo "bench: wrk failed on $path (see $VAR/wrk-$name.txt)"
}

echo "bench: warming up, one request each for its status and its database round trips"
while read -r name who path; do
	prepare "$name" "$who" "$path"
done <<EOF
$RUNS
EOF

echo "bench: wrk -t2 -c32 -d${DURATION}s --latency, one URL after another"
while read -r name who path; do
	measure "$name" "$who" "$path"
done <<EOF
$RUNS
EOF

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

# One row per run: name path rps p50 p99 non-2xx round-trips bytes. A run
# without a Requests/sec line (wrk failed) counts as failed too. wrk counts
# answers of 400 and more as "Non-2xx or 3xx"; a redirect is caught by the
# request after each run (a session that ended sends pages to /login).
rows=$(while read -r name who path; do
	out=$VAR/wrk-$name.txt
	rps=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
	p50=$(awk '$1 == "50%" { print $2 }' "$out")
	p99=$(awk '$1 == "99%" { print $2 }' "$out")
	bad=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$out")
	cookie=$(cookie_of "$who")
	if [ -n "$cookie" ]; then set -- -H "Cookie: $cookie"; else set --; fi
	later=$(curl -s -o /dev/null -w '%{http_code}' "$@" "$BASE$path") || later=000
	case $later in
	2??) ;;
	*) bad="${bad:-0}+$later" ;;
	esac
	[ -n "$rps" ] || bad=${bad:-wrk}
	echo "$name $path ${rps:-0} $(to_ms "${p50:-0}") $(to_ms "${p99:-0}") ${bad:-0} $(cat "$VAR/check-$name.txt")"
done <<EOF
$RUNS
EOF
)

echo
# "vs pk-select": against the route of one primary-key SELECT, what any
# route with a database round trip can reach on this machine.
echo "$rows" | awk '
	NR == 1 { hello = $3 }
	$1 == "pk-select" && $6 == "0" { select1 = $3 }
	{ rows[NR] = $0 }
	END {
		printf "%-19s %9s %8s %8s %9s %9s %9s %8s %9s  %s\n", "what", "req/s", "p50 ms", "p99 ms",
			"vs hello", "vs select", "db trips", "non-2xx", "bytes", "path"
		for (i = 1; i <= NR; i++) {
			split(rows[i], f, " ")
			if (f[6] != "0") {
				# an error measured: no numbers for it
				printf "%-19s %9s %8s %8s %9s %9s %9s %8s %9s  %s\n", f[1], "-", "-", "-",
					"FAILED", "-", f[7], f[6], f[8], f[2]
				continue
			}
			ratio = hello > 0 ? sprintf("%.2f", f[3] / hello) : "-"
			versus = select1 > 0 ? sprintf("%.2f", f[3] / select1) : "-"
			printf "%-19s %9.0f %8s %8s %9s %9s %9s %8s %9s  %s\n", f[1], f[3], f[4], f[5], ratio,
				versus, f[7], f[6], f[8], f[2]
		}
	}'
while read -r name who path; do
	errors=$(awk '/Socket errors:/ { sub(/.*Socket errors: /, ""); print }' "$VAR/wrk-$name.txt")
	[ -z "$errors" ] || echo "socket errors of $name: $errors"
done <<EOF
$RUNS
EOF
failed=$(echo "$rows" | awk '$6 != "0" {
	n = split($6, bad, "+")
	if (bad[1] == "wrk")
		printf "\n  %s: wrk measured nothing", $2
	else
		printf "\n  %s: %s answers of 400 or more under load", $2, bad[1]
	if (n > 1) printf ", and %s to a request after the run", bad[2]
}')
[ -z "$failed" ] || die "FAILED: answers other than 2xx, so no numbers for them:$failed
(see $VAR/wrk-*.txt, KEEP_STACK=1 keeps them)"

if [ -n "${BENCH_ONLY:-}" ]; then
	echo
	echo "bench: BENCH_ONLY=$BENCH_ONLY: no import, no fan-out, no memory"
	exit 0
fi

# --- the import ----------------------------------------------------------------

# 10,000 rows, each file into an organisation of its own so that every row is
# new (a row whose reference ID exists updates that property instead).
echo
echo "bench: importing 10,000 rows as xlsx and as csv"
/usr/bin/python3 tests/bench/make-xlsx.py "$VAR/import.xlsx" 10000 || die "could not write the xlsx"
awk 'BEGIN {
	split("Leipzig Köln München Hamburg Dresden", city, " ")
	print "Name;Referenz-ID;Straße;PLZ;Ort;Land;Notizen"
	for (i = 1; i <= 10000; i++)
		printf "Import %05d;X-%d;Lindenallee %d;%05d;%s;Deutschland;Zeile %d\n",
			i, i, i, i % 99999, city[1 + i % 5], i
}' >"$VAR/import.csv"

# import_file FILE TYPE ORG: prints the seconds of the upload and the import.
import_file() {
	new_org "$3" "$3@example.org"
	answer=$(curl -s -o "$VAR/import-$3.json" -w '%{http_code} %{time_total}' \
		-H "Cookie: $COOKIE" -H "X-CSRF-Token: $CSRF" -F "file=@$1;type=$2" \
		"$BASE/api/v1/properties/import") || answer="000 0"
	if [ "${answer% *}" != 200 ] || ! grep -q '"created":10000,' "$VAR/import-$3.json"; then
		die "FAILED: the import of $(basename "$1") answers ${answer% *}: $(head -c 300 "$VAR/import-$3.json")"
	fi
	echo "Import of 10,000 rows, $(basename "$1"): $(awk -v t="${answer#* }" 'BEGIN { printf "%.2f", t }') s"
}
import_file "$VAR/import.xlsx" application/vnd.openxmlformats-officedocument.spreadsheetml.sheet import-xlsx
import_file "$VAR/import.csv" text/csv import-csv

# --- the fan-out ---------------------------------------------------------------

# Publishing to every property of an organisation with 10,000 residents: the
# request queues one mail each in its transaction; then the jobs worker sends
# them (to the stack's SMTP sink), and what that costs it shows in its memory below.
publish=$(curl -s -o "$VAR/publish.json" -w '%{http_code} %{time_total}' \
	-H "Cookie: $MANAGER_COOKIE" -H "X-CSRF-Token: $MANAGER_CSRF" -H 'Content-Type: application/json' \
	-d '{"title":"Wasserabstellung","body":"Am Montag wird das Wasser von 9 bis 12 Uhr abgestellt.","property_ids":"all"}' \
	"$BASE/api/v1/announcements") || publish="000 0"
[ "${publish% *}" = 201 ] ||
	die "FAILED: the announcement to all properties answers ${publish% *}: $(head -c 300 "$VAR/publish.json")"
queued=$(sql -N -e "SELECT COUNT(*) FROM outbox WHERE kind = 'announcements'")
echo
echo "Announcement to all properties with 10,000 residents: HTTP ${publish% *}," \
	"$(awk -v t="${publish#* }" 'BEGIN { printf "%.2f", t }') s, $queued mails queued"
started=$(date +%s)
while :; do
	waited=$(($(date +%s) - started))
	left=$(sql -N -e "SELECT COUNT(*) FROM outbox WHERE kind = 'announcements' AND status = 'queued'")
	if [ "$left" = 0 ] || [ "$waited" -ge "$MAIL_WAIT" ]; then
		break
	fi
	sleep 1
done
mails_failed=$(sql -N -e "SELECT COUNT(*) FROM outbox WHERE kind = 'announcements' AND status = 'failed'")
if [ "$left" = 0 ]; then
	echo "  the jobs worker sent them in $waited s ($(awk -v n="$queued" -v s="$waited" \
		'BEGIN { printf "%.0f", (s > 0 ? n / s : n) }') mails/s), $mails_failed failed"
else
	echo "  the jobs worker left $left of them queued after $waited s (the bench waits no longer: BENCH_MAIL_WAIT), $mails_failed failed"
fi

# --- memory --------------------------------------------------------------------

echo
echo "Resident memory (VmRSS) at the end:"
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
# A child's role, from the prefix of its log lines ("portald[PID] worker 2:",
# "portald[PID] jobs:"): both run the same program with the same arguments.
role_of() {
	role=$(grep -m 1 -o "^[^ ]* portald\[$1\] [^:]*:" "$LOGFILE" | sed 's/.*\] \(.*\):$/\1/')
	case $role in
	jobs) echo "jobs worker" ;;
	worker*) echo "request ${role}" ;;
	*) echo "portald child (no line in the log)" ;;
	esac
}
master=$(cat "$VAR/run/portald.pid" 2>/dev/null || echo)
if [ -n "$master" ]; then
	echo "  portald master $master: $(rss "$master")"
	PARENT=$master
	for pid in $(children); do
		echo "  $(role_of "$pid") (pid $pid): $(rss "$pid")"
	done
fi
hello=$(cat "$HELLO_PIDFILE" 2>/dev/null || echo)
if [ -n "$hello" ]; then
	PARENT=$hello
	for pid in $(children); do
		echo "  hello_fcgi worker (pid $pid): $(rss "$pid")"
	done
fi
