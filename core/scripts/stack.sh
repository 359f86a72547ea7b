#!/bin/sh
# Runs the whole portal on this machine: a private MariaDB, an SMTP sink that keeps
# every mail, the portald pool and nginx, all on loopback or unix sockets, all
# under one data folder.
#
#   stack.sh start    start what is not running yet, in the background
#   stack.sh stop     stop what start started (by its pid files)
#   stack.sh run      start, show portald's log until Ctrl-C or SIGTERM, then stop
#   stack.sh status   list what runs (exit 0 when everything runs, 3 otherwise)
#
# Environment:
#   VAR          data folder (default <repo>/var)
#   PORT         nginx's port on 127.0.0.1 (default 8080)
#   SMTP_PORT    the SMTP sink's port on 127.0.0.1 (default 2525)
#   WORKERS      portald request workers (default: the number of cores)
#   PORTAL_BIN   where portald and plugins/ are (default <repo>/bin)
#   PLUGINS      the enabled plugins; otherwise the config's `plugins =` line is
#                kept, and a new config gets "example"
#   REQUEST_TIMEOUT (30), MAX_REQUESTS (10000): portald's; nginx waits a little
#                longer than REQUEST_TIMEOUT for an answer
#   SESSION_RATE (10r/s), SESSION_BURST (20): nginx's limit per client address
#                on each group of anonymous routes (sign-in, reset, sign-up,
#                activation and confirmation)
#   BENCH_HELLO_SOCKET  make bench only: serve /_bench/hello from this socket
#   METRICS_ALLOW  addresses besides loopback that may read /metrics (nginx's
#                geo and portald's metrics_allow)
#   MARIADB_INCLUDE  an option file the private MariaDB reads last (the
#                cluster test makes it the first Galera node)
#   TEST_CLOCK   tests only: portal.conf's test_clock, the file of seconds
#                every process adds to the clock (tests/integration/stack.mjs)
set -eu

REPO=$(cd "$(dirname "$0")/../.." && pwd -P)

die() {
	printf 'stack: %s\n' "$*" >&2
	exit 1
}

say() {
	printf 'stack: %s\n' "$*"
}

absolute() {
	case $1 in
	/*) printf '%s\n' "$1" ;;
	*) printf '%s/%s\n' "$(pwd -P)" "$1" ;;
	esac
}

number() { # NAME VALUE: VALUE must be a positive integer
	case $2 in
	'' | *[!0-9]* | 0) die "$1 must be a positive number, not '$2'" ;;
	esac
}

VAR=$(absolute "${VAR:-$REPO/var}")
PORTAL_BIN=$(absolute "${PORTAL_BIN:-$REPO/bin}")
PORT=${PORT:-8080}
SMTP_PORT=${SMTP_PORT:-2525}
WORKERS=${WORKERS:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)}
REQUEST_TIMEOUT=${REQUEST_TIMEOUT:-30}
MAX_REQUESTS=${MAX_REQUESTS:-10000}
SESSION_RATE=${SESSION_RATE:-10r/s}
SESSION_BURST=${SESSION_BURST:-20}
BENCH_HELLO_SOCKET=${BENCH_HELLO_SOCKET:-}
METRICS_ALLOW=${METRICS_ALLOW:-}
TEST_CLOCK=${TEST_CLOCK:-}
for v in PORT SMTP_PORT WORKERS REQUEST_TIMEOUT MAX_REQUESTS SESSION_BURST; do
	eval "number $v \"\$$v\""
done
[ "$PORT" -le 65535 ] || die "PORT must be below 65536"
[ "$SMTP_PORT" -le 65535 ] || die "SMTP_PORT must be below 65536"
[ "$PORT" != "$SMTP_PORT" ] || die "PORT and SMTP_PORT must differ"
case $SESSION_RATE in
[0-9]*r/s | [0-9]*r/m) ;;
*) die "SESSION_RATE must look like 10r/s, not '$SESSION_RATE'" ;;
esac

RUN=$VAR/run
LOG=$VAR/log
CONF=$VAR/portal.conf
CNF=$VAR/mariadb.cnf
SOCKET=$RUN/portald.sock
DB_SOCKET=$RUN/mariadb.sock
URL=http://127.0.0.1:$PORT/

if [ "$(id -u)" = 0 ]; then
	AS_ROOT=1
	SOCKET_GROUP=www-data
else
	AS_ROOT=0
	SOCKET_GROUP=
fi

# --- processes -------------------------------------------------------------

# The fields of /proc/PID/stat after the command name (which may hold spaces):
# state ppid pgrp ...
proc_fields() {
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	printf '%s\n' "${s##*") "}"
}

# An exited child lingers as a zombie until its parent reaps it (and pid 1 here
# may never do that), and kill -0 succeeds on a zombie: look at the state.
alive() {
	f=$(proc_fields "$1") || return 1
	case $f in
	Z* | X*) return 1 ;;
	esac
	return 0
}

# The program each pid file belongs to: a pid file is trusted only when its
# process still runs that program (pids are reused after a crash or reboot).
program_of() {
	case $1 in
	mariadb) echo mariadbd ;;
	smtp) echo aiosmtpd ;;
	portald) echo portald ;;
	nginx) echo nginx ;;
	esac
}

# pid_of NAME prints the pid of $RUN/NAME.pid when that process is alive and ours.
pid_of() {
	[ -r "$RUN/$1.pid" ] || return 1
	p=$(tr -dc '0-9' <"$RUN/$1.pid" 2>/dev/null) || return 1
	[ -n "$p" ] && alive "$p" || return 1
	tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q -- "$(program_of "$1")" || return 1
	printf '%s\n' "$p"
}

wait_gone() { # PID TENTHS
	n=0
	while alive "$1"; do
		[ "$n" -lt "$2" ] || return 1
		sleep 0.1
		n=$((n + 1))
	done
}

# The live processes of process group $GROUP that run $PROGRAM: the workers a
# master leaves behind when it dies first (kill -9, a crash). We started the
# master as a group leader, so its pid is the group's id.
group_members() {
	for f in /proc/[0-9]*/stat; do
		s=$(cat "$f" 2>/dev/null) || continue
		# shellcheck disable=SC2086
		set -- ${s##*") "}
		case $1 in Z | X) continue ;; esac
		[ "$3" = "$GROUP" ] || continue
		member=${f#/proc/}
		member=${member%/stat}
		tr '\0' ' ' <"/proc/$member/cmdline" 2>/dev/null | grep -q -- "$PROGRAM" && echo "$member"
	done
	return 0
}

# Daemons get their own session (setsid), so a Ctrl-C in the terminal of
# `make run` reaches only this script, which then stops them in order. `-w`
# keeps $! meaningful even if setsid has to fork. Fd 9 is the lock (below): no
# daemon may inherit it.
spawn() { # LOGFILE COMMAND...
	log=$1
	shift
	setsid -w "$@" </dev/null >>"$log" 2>&1 9>&- &
	SPAWNED=$!
}

# For programs that write no pid file: the shell writes its own pid, then
# becomes the program.
spawn_with_pidfile() { # PIDFILE LOGFILE COMMAND...
	pidfile=$1 log=$2
	shift 2
	# shellcheck disable=SC2016
	setsid -w sh -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@" </dev/null >>"$log" 2>&1 9>&- &
	SPAWNED=$!
}

# stop_one NAME SIGNAL: signal the process of the pid file, wait up to 10 s, then
# KILL; then whatever is left of the process group it leads.
stop_one() {
	name=$1 sig=$2
	[ -f "$RUN/$name.pid" ] || return 0
	GROUP=$(tr -dc '0-9' <"$RUN/$name.pid" 2>/dev/null) || GROUP=
	PROGRAM=$(program_of "$name")
	if pid=$(pid_of "$name"); then
		kill "-$sig" "$pid" 2>/dev/null || true
		if ! wait_gone "$pid" 100; then
			say "$name (pid $pid) did not stop within 10 s: killing it"
			kill -KILL "$pid" 2>/dev/null || true
			wait_gone "$pid" 50 || true
		fi
		say "stopped $name (pid $pid)"
		STOPPED=$((STOPPED + 1))
	fi
	if [ -n "$GROUP" ] && [ -n "$(group_members)" ]; then
		say "stopping what is left of $name's process group $GROUP"
		# shellcheck disable=SC2046
		kill -TERM $(group_members) 2>/dev/null || true
		n=0
		while [ -n "$(group_members)" ] && [ $n -lt 30 ]; do
			sleep 0.1
			n=$((n + 1))
		done
		# shellcheck disable=SC2046
		[ -z "$(group_members)" ] || kill -KILL $(group_members) 2>/dev/null || true
		STOPPED=$((STOPPED + 1))
	fi
	rm -f "$RUN/$name.pid"
}

# Something listening on PORT, on any address (IPv4 or IPv6)?
port_in_use() {
	hex=$(printf ':%04X' "$1")
	cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
		awk -v h="$hex" '$4 == "0A" && substr($2, length($2) - 4) == h { f = 1 } END { exit !f }'
}

LOCKED=0
lock() {
	[ "$LOCKED" = 0 ] || return 0
	command -v flock >/dev/null || return 0
	mkdir -p "$RUN"
	exec 9>"$RUN/stack.lock"
	flock -w 60 9 || die "another stack.sh is still busy with $VAR"
	LOCKED=1
}

unlock() {
	[ "$LOCKED" = 1 ] || return 0
	exec 9>&-
	LOCKED=0
}

# --- folders and configuration ---------------------------------------------

make_folders() {
	mkdir -p "$VAR" "$RUN" "$LOG" "$VAR/tmp" "$VAR/files" "$VAR/nginx" \
		"$VAR/mail/new" "$VAR/mail/cur" "$VAR/mail/tmp"
	chmod 700 "$VAR/tmp" "$VAR/mail"
	chmod 755 "$VAR/nginx"
	if [ "$AS_ROOT" = 1 ]; then
		# nginx's workers (www-data) open the pool's socket and read the files it
		# serves through /_files/; the setgid bit hands the group on to new files.
		chmod 711 "$RUN"
		chmod 750 "$LOG"
		chgrp www-data "$VAR/files"
		chmod 2750 "$VAR/files"
	else
		chmod 700 "$RUN" "$LOG" "$VAR/files"
	fi
	[ ${#DB_SOCKET} -lt 100 ] || die "the path $DB_SOCKET is too long for a unix socket: choose a shorter VAR"
}

# Started as root, portald becomes the user portal (made by make deps) once its
# socket is open: that user owns the folders portald writes and reads the
# configuration, and must be able to reach the checkout (templates, plugins).
# Without that user (a machine whose deps ran before it existed) portald stays
# root, and says so.
portald_user() {
	[ "$AS_ROOT" = 1 ] && id portal >/dev/null 2>&1 || return 0
	if ! runuser -u portal -- test -r "$REPO/templates/layout.html"; then
		# A checkout in a private folder (mktemp -d): let others pass through
		# it, as they pass through /home and /tmp, without reading its list.
		chmod o+x "$REPO"
	fi
	runuser -u portal -- test -r "$REPO/templates/layout.html" ||
		die "the user portal cannot read $REPO/templates: let it pass through the folders above the checkout"
	chown portal "$VAR/tmp"
	chown portal:www-data "$VAR/files"
	echo portal
}

conf_value() { # KEY: its value in the current portal.conf, or nothing
	[ -r "$CONF" ] || return 0
	sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*//p" "$CONF" | tail -n 1 |
		sed 's/[[:space:]]*$//'
}

random_password() {
	od -An -tx1 -N18 /dev/urandom | tr -d ' \n'
}

# portal.conf is generated on every start; the plugins line, the database
# password and the secret key survive.
write_portal_conf() {
	PORTALD_USER=$(portald_user) || exit 1
	if [ "$AS_ROOT" = 1 ] && [ -z "$PORTALD_USER" ]; then
		say "warning: portald runs as root (make deps creates the user portal it would become)"
	fi
	SECRET_KEY=$(conf_value secret_key)
	case $SECRET_KEY in
	'' | *[!0-9a-f]*) SECRET_KEY=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n') ;;
	esac
	plugins=${PLUGINS:-$(conf_value plugins)}
	plugins=${plugins:-invites content documents tickets community}
	DB_PASSWORD=$(conf_value db_password)
	case $DB_PASSWORD in
	'' | *[!A-Za-z0-9]*)
		[ -z "$DB_PASSWORD" ] || say "db_password in $CONF has unusual characters: making a new one"
		DB_PASSWORD=$(random_password)
		;;
	esac
	(
		umask 077
		cat >"$CONF.new" <<EOF
# Generated by core/scripts/stack.sh on every start. The plugins line, the
# database password and the secret key are kept; other changes are overwritten.
listen = $SOCKET
pid_file = $RUN/portald.pid
workers = $WORKERS
max_requests = $MAX_REQUESTS
request_timeout = $REQUEST_TIMEOUT
plugins = $plugins
plugin_dir = $PORTAL_BIN/plugins
plugin_share = $REPO/plugins
template_dir = $REPO/templates
sql_dir = $REPO/sql
tmp_dir = $VAR/tmp
files_dir = $VAR/files
db_socket = $DB_SOCKET
db_name = portal
db_user = portal
db_password = $DB_PASSWORD
secret_key = $SECRET_KEY
base_url = http://127.0.0.1:$PORT
socket_group = $SOCKET_GROUP
user = $PORTALD_USER
smtp_url = smtp://127.0.0.1:$SMTP_PORT
mail_from = portal@localhost
metrics_allow = $METRICS_ALLOW
test_clock = $TEST_CLOCK
EOF
	)
	# portald reads it again on a reload, as the user it became
	[ -z "$PORTALD_USER" ] || { chgrp "$PORTALD_USER" "$CONF.new" && chmod 640 "$CONF.new"; }
	mv "$CONF.new" "$CONF"
}

write_mariadb_cnf() {
	{
		echo "# Generated by core/scripts/stack.sh: a private server for this stack."
		echo "[client]"
		echo "socket = $DB_SOCKET"
		echo
		echo "[mariadbd]"
		[ "$AS_ROOT" = 0 ] || echo "user = root"
		echo "datadir = $VAR/mariadb"
		echo "socket = $DB_SOCKET"
		echo "pid-file = $RUN/mariadb.pid"
		echo "log-error = $LOG/mariadb.err"
		echo "# Its temporary files (sorts, a big import's windows) stay in its folder."
		echo "tmpdir = $VAR/tmp"
		echo "skip-networking"
		echo "skip-name-resolve"
		echo "character-set-server = utf8mb4"
		echo "collation-server = utf8mb4_unicode_ci"
		echo "innodb_buffer_pool_size = 128M"
		echo "innodb_log_file_size = 64M"
		echo "# A local stack may lose the last second of commits in a power cut."
		echo "innodb_flush_log_at_trx_commit = 2"
		echo "performance_schema = OFF"
		echo "max_connections = 200"
		# A test's own options last, so they win (a Galera node's, say).
		[ -z "${MARIADB_INCLUDE:-}" ] || echo "!include $MARIADB_INCLUDE"
	} >"$CNF"
}

# --- MariaDB -----------------------------------------------------------------

# The administrator account authenticates by unix socket: only the system account
# that runs the stack (root, or the user) can use it, with no password to keep.
DB_ADMIN=$(id -un)

db() {
	mariadb --defaults-file="$CNF" -u "$DB_ADMIN" "$@"
}

# A new MariaDB data folder (output to the caller's redirection).
mariadb_install() {
	rm -rf "$VAR/mariadb"
	# Its temporary tables in a folder of its own: in the shared /tmp one
	# vanished under it now and then on a machine busy with other runs.
	mariadb-install-db --no-defaults --user="$DB_ADMIN" --datadir="$VAR/mariadb" \
		--tmpdir="$VAR/tmp" --auth-root-authentication-method=socket --skip-test-db 9>&-
}

mariadb_start() {
	if pid=$(pid_of mariadb); then
		say "mariadb is running (pid $pid)"
		return 0
	fi
	# A marker, not the folder, says the data folder is complete: an interrupted
	# mariadb-install-db leaves a folder that must be made again.
	if [ ! -e "$VAR/mariadb/.portal-ready" ]; then
		say "creating the MariaDB data folder $VAR/mariadb"
		# On a machine busy with other test runs it has failed once in a
		# while: a second try from scratch (both logged) before giving up.
		mariadb_install >"$LOG/mariadb-install.log" 2>&1 ||
			{ say "mariadb-install-db failed; trying once more" &&
				mariadb_install >>"$LOG/mariadb-install.log" 2>&1; } ||
			die "mariadb-install-db failed (see $LOG/mariadb-install.log)"
		: >"$VAR/mariadb/.portal-ready"
	fi
	rm -f "$RUN/mariadb.pid"
	spawn "$LOG/mariadb.out" /usr/sbin/mariadbd --defaults-file="$CNF"
	n=0
	until db -N -e 'SELECT 1' >/dev/null 2>&1; do
		alive "$SPAWNED" ||
			die "mariadb did not start: $(grep -h 'ERROR' "$LOG/mariadb.err" "$LOG/mariadb.out" 2>/dev/null | tail -n 1) (see $LOG/mariadb.err)"
		[ $n -lt 300 ] || die "mariadb did not answer within 30 s (see $LOG/mariadb.err)"
		sleep 0.1
		n=$((n + 1))
	done
	say "mariadb started (pid $(pid_of mariadb || echo "$SPAWNED"))"
}

# Idempotent, so that the password in portal.conf and the server always agree.
database_setup() {
	db <<EOF || die "could not create the database portal and its user (see $LOG/mariadb.err)"
CREATE DATABASE IF NOT EXISTS portal CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS 'portal'@'localhost' IDENTIFIED BY '$DB_PASSWORD';
ALTER USER 'portal'@'localhost' IDENTIFIED BY '$DB_PASSWORD';
GRANT ALL PRIVILEGES ON portal.* TO 'portal'@'localhost';
EOF
}

# --- SMTP sink -----------------------------------------------------------------

smtp_start() {
	if pid=$(pid_of smtp); then
		say "smtp sink is running (pid $pid)"
		return 0
	fi
	! port_in_use "$SMTP_PORT" || die "port $SMTP_PORT is in use: choose another SMTP_PORT"
	rm -f "$RUN/smtp.pid"
	# -n: as root aiosmtpd would otherwise become nobody and could not write the
	# Maildir. /usr/bin/python3: the python3 first on PATH may lack the module.
	spawn_with_pidfile "$RUN/smtp.pid" "$LOG/smtp.log" \
		/usr/bin/python3 -m aiosmtpd -n -l "127.0.0.1:$SMTP_PORT" \
		-c aiosmtpd.handlers.Mailbox "$VAR/mail"
	n=0
	until port_in_use "$SMTP_PORT"; do
		alive "$SPAWNED" || die "the smtp sink did not start: $(tail -n 1 "$LOG/smtp.log")"
		[ $n -lt 100 ] || die "the smtp sink did not listen within 10 s (see $LOG/smtp.log)"
		sleep 0.1
		n=$((n + 1))
	done
	say "smtp sink started (pid $(pid_of smtp || echo "$SPAWNED"))"
}

# --- portald -------------------------------------------------------------------

portald_start() {
	if pid=$(pid_of portald); then
		say "portald is running (pid $pid)"
		return 0
	fi
	[ -x "$PORTAL_BIN/portald" ] || die "$PORTAL_BIN/portald not found: build it with make"
	# Check configuration and plugins first, for one clear line instead of a
	# daemon that dies in the background.
	if ! out=$("$PORTAL_BIN/portald" -t -c "$CONF" 2>&1 9>&-); then
		die "portald refuses to start: $(printf '%s\n' "$out" | tail -n 1)"
	fi
	rm -f "$RUN/portald.pid"
	[ ! -S "$SOCKET" ] || rm -f "$SOCKET"
	spawn "$LOG/portald.log" "$PORTAL_BIN/portald" -c "$CONF"
	# The first start applies every migration: give it time.
	n=0
	until [ -S "$SOCKET" ] && pid_of portald >/dev/null; do
		alive "$SPAWNED" || die "portald did not start: $(tail -n 1 "$LOG/portald.log") (see $LOG/portald.log)"
		[ $n -lt 600 ] || die "portald did not open $SOCKET within 60 s (see $LOG/portald.log)"
		sleep 0.1
		n=$((n + 1))
	done
	say "portald started (pid $(pid_of portald))"
}

# --- nginx ---------------------------------------------------------------------

write_nginx_conf() {
	[ "$AS_ROOT" = 1 ] && as_root=1 || as_root=
	# nginx serves a copy under VAR: the repository may sit where nginx's
	# workers (www-data) cannot read, such as a private temporary folder.
	rm -rf "$VAR/static"
	cp -R "$REPO/templates/static" "$VAR/static"
	chmod -R a+rX "$VAR/static"
	for name in portal-http portal-server portal; do
		out=$VAR/nginx/$name.conf
		[ "$name" != portal ] || out=$VAR/nginx/nginx.conf
		{
			echo "# Generated by core/scripts/stack.sh from nginx/$name.conf.in: edit that instead."
			sh "$REPO/nginx/render.sh" "$REPO/nginx/$name.conf.in" \
				PORT="$PORT" VAR="$VAR" CONF_DIR="$VAR/nginx" SOCKET="$SOCKET" \
				AS_ROOT="$as_root" BENCH_SOCKET="$BENCH_HELLO_SOCKET" \
				STATIC_DIR="$VAR/static" FILES_DIR="$VAR/files" \
				ACCESS_LOG="$LOG/nginx-access.log" ERROR_LOG="$LOG/nginx-error.log" \
				FCGI_READ_TIMEOUT="$((REQUEST_TIMEOUT + 5))" \
				SESSION_RATE="$SESSION_RATE" SESSION_BURST="$SESSION_BURST" \
				METRICS_ALLOW="$METRICS_ALLOW"
		} >"$out.new" || die "cannot render nginx/$name.conf.in"
		mv "$out.new" "$out"
	done
}

# nginx's workers run as www-data when we are root: they must reach the socket.
check_www_data() {
	[ "$AS_ROOT" = 1 ] || return 0
	command -v runuser >/dev/null || return 0
	runuser -u www-data -- test -x "$RUN" ||
		die "nginx (user www-data) cannot reach $RUN: let others traverse the folders above it (chmod o+x) or choose another VAR"
}

nginx_start() {
	if pid=$(pid_of nginx); then
		say "nginx is running (pid $pid)"
		return 0
	fi
	! port_in_use "$PORT" || die "port $PORT is in use: choose another PORT"
	check_www_data
	rm -f "$RUN/nginx.pid"
	# nginx binds its port before it detaches, so a failure shows in its exit
	# status; -e keeps it from touching /var/log/nginx before it reads its config.
	if ! nginx -p "$VAR/nginx/" -c "$VAR/nginx/nginx.conf" -e "$LOG/nginx-error.log" \
		>"$LOG/nginx-start.log" 2>&1 9>&-; then
		die "nginx did not start: $(grep -h 'emerg\|alert' "$LOG/nginx-start.log" | tail -n 1)"
	fi
	n=0
	# Any answer will do; a dot file under /static/ is a 404 that logs no error.
	until pid_of nginx >/dev/null && curl -s -o /dev/null --max-time 2 "${URL}static/.ready"; do
		[ $n -lt 100 ] || die "nginx did not answer on $URL within 10 s (see $LOG/nginx-error.log)"
		sleep 0.1
		n=$((n + 1))
	done
	say "nginx started (pid $(pid_of nginx))"
}

# --- commands ------------------------------------------------------------------

# Everything that can be known to fail is checked before anything starts.
preflight() {
	for prog in mariadb-install-db mariadb nginx curl setsid; do
		command -v "$prog" >/dev/null || die "$prog not found: run make deps"
	done
	[ -x /usr/sbin/mariadbd ] || die "/usr/sbin/mariadbd not found: run make deps"
	/usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null || die "python3-aiosmtpd is missing: run make deps"
	[ -x "$PORTAL_BIN/portald" ] || die "$PORTAL_BIN/portald not found: build it with make"
	pid_of nginx >/dev/null || ! port_in_use "$PORT" || die "port $PORT is in use: choose another PORT"
	pid_of smtp >/dev/null || ! port_in_use "$SMTP_PORT" || die "port $SMTP_PORT is in use: choose another SMTP_PORT"
}

# With DEMO=1 (make run and make start), the first start creates the demo
# organisation and keeps its login in $VAR/demo-login.txt.
demo_start() {
	[ "${DEMO:-0}" = 1 ] && [ ! -e "$VAR/demo-login.txt" ] || return 0
	if login=$("$PORTAL_BIN/portalctl" -c "$VAR/portal.conf" demo); then
		# portalctl demo prints "EMAIL PASSWORD": split it into the two.
		# shellcheck disable=SC2086
		set -- $login
		umask 077
		printf 'demo login: %s  password: %s\n' "$1" "$2" >"$VAR/demo-login.txt"
	else
		say "warning: the demo organisation could not be created"
	fi
}

cmd_start() {
	lock
	# A master that died (kill -9, a crash) may have left workers holding its
	# port or socket: clear them away before starting it again.
	STOPPED=0
	for name in nginx portald smtp mariadb; do
		pid_of "$name" >/dev/null || stop_one "$name" TERM
	done
	preflight
	make_folders
	write_portal_conf
	write_mariadb_cnf
	mariadb_start
	database_setup
	smtp_start
	portald_start
	write_nginx_conf
	nginx_start
	demo_start
	echo
	echo "portal: $URL"
	echo "mail:   sent to smtp://127.0.0.1:$SMTP_PORT, kept in $VAR/mail/new"
	echo "logs:   $LOG"
	if [ -r "$VAR/demo-login.txt" ]; then
		cat "$VAR/demo-login.txt"
	fi
}

cmd_stop() {
	if [ ! -d "$RUN" ]; then
		say "nothing runs under $VAR"
		return 0
	fi
	lock
	STOPPED=0
	# nginx first (QUIT: finish the requests in flight), the database last.
	stop_one nginx QUIT
	stop_one portald TERM
	[ ! -S "$SOCKET" ] || rm -f "$SOCKET"
	stop_one smtp TERM
	stop_one mariadb TERM
	[ "$STOPPED" -gt 0 ] || say "nothing was running under $VAR"
}

cmd_status() {
	all=0
	for name in mariadb smtp portald nginx; do
		if pid=$(pid_of "$name"); then
			extra=
			if [ "$name" = portald ]; then
				kids=$(grep -l "^[0-9]* (.*) [^ZX] $pid " /proc/[0-9]*/stat 2>/dev/null | wc -l)
				extra=", $kids children"
			fi
			printf '%-8s running (pid %s%s)\n' "$name" "$pid" "$extra"
		else
			printf '%-8s stopped\n' "$name"
			all=3
		fi
	done
	if pid_of nginx >/dev/null; then
		echo "portal:  $URL"
	fi
	return $all
}

# run: the stack lives as long as this script. A signal stops everything; so does
# a portald that went away by itself.
cmd_run() {
	TAIL_PID=
	trap 'on_signal' INT TERM HUP
	cmd_start
	unlock
	echo "Ctrl-C stops everything. portald's log ($LOG/portald.log):"
	tail -n 20 -f "$LOG/portald.log" &
	TAIL_PID=$!
	while pid_of portald >/dev/null; do
		sleep 1 &
		wait $! || true
	done
	say "portald has stopped by itself (see $LOG/portald.log)"
	finish 1
}

on_signal() {
	echo
	finish 0
}

finish() {
	trap - INT TERM HUP
	[ -z "$TAIL_PID" ] || kill "$TAIL_PID" 2>/dev/null || true
	cmd_stop
	exit "$1"
}

case ${1:-} in
start) cmd_start ;;
stop) cmd_stop ;;
run) cmd_run ;;
status) cmd_status ;;
*)
	echo "usage: stack.sh run|start|stop|status" >&2
	exit 2
	;;
esac
