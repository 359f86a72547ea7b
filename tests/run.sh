#!/bin/sh
# Runs every test: `make test` calls it (`make unit` with the argument `unit`).
#
#   tests/run.sh         the format check and the linters, unit tests (and each
#                        under valgrind), a short fuzz smoke, HTTP integration
#                        tests, browser tests
#   tests/run.sh unit    unit tests only
#
# Each stage's output is shown as it runs; the last line is always
# "N passed, N failed" over all stages. Exit 1 when anything failed, or when a
# stage could not run or found no tests (a missing stage is never a pass).
#
# PORTAL_BIN (exported by the Makefile) tells which build to test: <repo>/bin for
# the normal one (unit tests in build/normal/tests), build/san/bin for `SAN=1`
# (unit tests in build/san/tests, no valgrind: it cannot run sanitized binaries).
# FUZZ_SMOKE_SECONDS (default 5) is the fuzz smoke's time per target;
# TEST_TIMEOUT_SECONDS (default 600) the most one node test or hook may take.
set -eu

cd "$(dirname "$0")/.."
REPO=$(pwd -P)

PORTAL_BIN=${PORTAL_BIN:-$REPO/bin}
case $PORTAL_BIN in
*/build/*/bin)
	UNIT_DIR=${PORTAL_BIN%/bin}/tests
	;;
*)
	UNIT_DIR=$REPO/build/normal/tests
	;;
esac
case $PORTAL_BIN in
*/build/san/bin) SAN=1 ;;
*) SAN=0 ;;
esac
export PORTAL_BIN

PASSED=0
FAILED=0
BROKEN=""  # stages that could not run
WORK=$(mktemp -d "${TMPDIR:-/tmp}/portal-tests.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

banner() {
	printf '\n==== %s ====\n' "$*"
}

broken() { # STAGE WHY
	printf 'run.sh: %s: %s\n' "$1" "$2"
	BROKEN="$BROKEN $1"
}

# The "N passed, N failed" on the last line of FILE, as "N N"; nothing otherwise.
summary_of() {
	tail -n 1 "$1" | sed -n 's/^\([0-9][0-9]*\) passed, \([0-9][0-9]*\) failed$/\1 \2/p'
}

# run_logged OUT COMMAND...: shows the output while keeping it in OUT; returns
# the command's status (a pipe would lose it).
run_logged() {
	out=$1
	shift
	{
		set +e
		"$@" 2>&1
		echo $? >"$out.rc"
	} | tee "$out"
	return "$(cat "$out.rc")"
}

# --- unit tests ------------------------------------------------------------------

stage_unit() {
	banner "unit tests ($UNIT_DIR)"
	found=0
	use_valgrind=0
	if [ "$SAN" = 0 ] && command -v valgrind >/dev/null; then
		use_valgrind=1
	fi
	for test in "$UNIT_DIR"/test_*; do
		{ [ -f "$test" ] && [ -x "$test" ]; } || continue
		case $test in *.d | *.o) continue ;; esac
		found=$((found + 1))
		name=$(basename "$test")
		echo "-- $name"
		out=$WORK/$name.out
		# Tests find their fixtures relative to the repository.
		if run_logged "$out" "$test"; then status=0; else status=$?; fi
		counts=$(summary_of "$out")
		if [ -n "$counts" ]; then
			# shellcheck disable=SC2086
			set -- $counts
			PASSED=$((PASSED + $1))
			FAILED=$((FAILED + $2))
			if [ "$status" != 0 ] && [ "$2" = 0 ]; then
				echo "run.sh: $name exited with status $status"
				FAILED=$((FAILED + 1))
			fi
		else
			echo "run.sh: $name ended (status $status) without its \"N passed, N failed\" line"
			FAILED=$((FAILED + 1))
		fi
		if [ "$use_valgrind" = 1 ]; then
			echo "-- $name under valgrind"
			# One more test per binary: valgrind finds nothing and the program
			# ends as it did without valgrind (its own failures are counted above).
			if valgrind -q --leak-check=full --error-exitcode=99 "$test" >"$WORK/$name.vg" 2>&1; then
				vg_status=0
			else
				vg_status=$?
			fi
			if [ "$vg_status" = 99 ]; then
				cat "$WORK/$name.vg"
				echo "run.sh: $name: valgrind found errors"
				FAILED=$((FAILED + 1))
			elif [ "$vg_status" != "$status" ]; then
				cat "$WORK/$name.vg"
				echo "run.sh: $name exited with status $vg_status under valgrind, $status without"
				FAILED=$((FAILED + 1))
			else
				PASSED=$((PASSED + 1))
			fi
		fi
	done
	if [ "$found" = 0 ]; then
		broken unit "no unit test binaries (test_*) in $UNIT_DIR: build them with make"
	elif [ "$use_valgrind" = 0 ] && [ "$SAN" = 0 ]; then
		echo "run.sh: valgrind not found: unit tests ran without it"
	fi
}

# The unit tests once more, built with AddressSanitizer and
# UndefinedBehaviorSanitizer, when the main run is not such a build already.
stage_unit_sanitized() {
	[ "$SAN" = 0 ] || return 0
	banner "building the unit tests with sanitizers"
	if ! make -s SAN=1 unit-bins; then
		broken unit-san "make SAN=1 unit-bins failed"
		return 0
	fi
	saved_dir=$UNIT_DIR
	UNIT_DIR=$REPO/build/san/tests SAN=1
	stage_unit
	UNIT_DIR=$saved_dir SAN=0
}

# --- lint ------------------------------------------------------------------------

# The formatter's check, cppcheck and shellcheck (make lint-*), each a test:
# code that drifts from make format, or that a linter flags, fails make test.
stage_lint() {
	banner "lint"
	for check in lint-format lint-cppcheck lint-shell; do
		echo "-- make $check"
		if run_logged "$WORK/$check.out" make -s --no-print-directory "$check"; then
			PASSED=$((PASSED + 1))
		else
			echo "run.sh: make $check failed"
			FAILED=$((FAILED + 1))
		fi
	done
}

# --- fuzz smoke ------------------------------------------------------------------

stage_fuzz() {
	banner "fuzz smoke"
	if [ ! -f tests/fuzz/run.sh ]; then
		echo "run.sh: tests/fuzz/run.sh does not exist: no fuzz smoke"
		return 0
	fi
	out=$WORK/fuzz.out
	if run_logged "$out" env FUZZ_SECONDS="${FUZZ_SMOKE_SECONDS:-5}" sh tests/fuzz/run.sh; then
		status=0
	else
		status=$?
	fi
	counts=$(summary_of "$out")
	if [ -z "$counts" ]; then
		broken fuzz "tests/fuzz/run.sh ended (status $status) without its \"N passed, N failed\" line"
		return 0
	fi
	# shellcheck disable=SC2086
	set -- $counts
	PASSED=$((PASSED + $1))
	FAILED=$((FAILED + $2))
	if [ "$status" != 0 ] && [ "$2" = 0 ]; then
		echo "run.sh: tests/fuzz/run.sh exited with status $status"
		FAILED=$((FAILED + 1))
	fi
}

# --- node tests (integration, browser) ---------------------------------------------

# stage_node NAME MINUTES FOLDER...: every FOLDER/*.test.mjs with node's test
# runner, one file at a time (each starts its own stack); counts from the TAP
# summary. Nothing may hang the run: a test or hook is failed after
# TEST_TIMEOUT_SECONDS (default 600), a file whose test left something running
# (a load loop, a timer) ends when its tests did, and the whole stage is
# stopped after MINUTES (then it has no summary and counts as broken).
stage_node() {
	stage=$1
	minutes=$2
	shift 2
	folders=$*
	banner "$stage tests ($folders)"
	set --
	for folder in $folders; do
		for f in "$folder"/*.test.mjs; do
			[ -f "$f" ] && set -- "$@" "$f"
		done
	done
	if [ $# = 0 ]; then
		broken "$stage" "no test files ($folders)"
		return 0
	fi
	command -v node >/dev/null || {
		broken "$stage" "node not found: run make deps"
		return 0
	}
	out=$WORK/$stage.tap
	if run_logged "$out" timeout -k 30 "${minutes}m" node --test --test-reporter=tap \
		--test-concurrency=1 --test-timeout="$((${TEST_TIMEOUT_SECONDS:-600} * 1000))" \
		--test-force-exit "$@"; then
		status=0
	else
		status=$?
	fi
	pass=$(sed -n 's/^# pass \([0-9][0-9]*\)$/\1/p' "$out" | tail -n 1)
	fail=$(sed -n 's/^# fail \([0-9][0-9]*\)$/\1/p' "$out" | tail -n 1)
	cancelled=$(sed -n 's/^# cancelled \([0-9][0-9]*\)$/\1/p' "$out" | tail -n 1)
	if [ -z "$pass" ] || [ -z "$fail" ]; then
		broken "$stage" "node --test ended (status $status) without a TAP summary"
		return 0
	fi
	fail=$((fail + ${cancelled:-0}))
	PASSED=$((PASSED + pass))
	FAILED=$((FAILED + fail))
	if [ "$status" != 0 ] && [ "$fail" = 0 ]; then
		echo "run.sh: node --test exited with status $status"
		FAILED=$((FAILED + 1))
	fi
}

case ${1:-all} in
unit)
	stage_unit
	;;
all)
	stage_lint
	stage_unit
	stage_unit_sanitized
	stage_fuzz
	# each plugin's own tests run with the integration tests
	stage_node integration 45 tests/integration plugins/*/tests
	stage_node browser 20 tests/browser
	;;
*)
	echo "usage: tests/run.sh [unit]" >&2
	exit 2
	;;
esac

echo
[ -z "$BROKEN" ] || echo "run.sh: stages that could not run:$BROKEN"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ] && [ -z "$BROKEN" ]
