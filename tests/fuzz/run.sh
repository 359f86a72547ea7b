#!/bin/sh
# Builds every libFuzzer target tests/fuzz/fuzz_NAME.c into build/fuzz/ and runs
# it for FUZZ_SECONDS (default 60) on build/fuzz/corpus-NAME, seeded from
# tests/fuzz/seeds/NAME/. Prints "fuzz NAME: ok" or "fuzz NAME: FAILED" per
# target and "N passed, N failed" last; exits non-zero when any target failed.
# Crashes are kept as build/fuzz/NAME-crash-*, the output as build/fuzz/NAME.log.
#
# tests/fuzz/seeds/NAME holds hand-written seeds and what ten-minute runs found
# (kept small with libFuzzer's -merge=1, so that each run starts where the
# last long one ended): after a long run,
#   build/fuzz/fuzz_NAME -merge=1 tests/fuzz/seeds/NAME build/fuzz/corpus-NAME
# A crash found becomes a unit test of the parser it broke.

cd "$(dirname "$0")/../.." || exit 1

seconds=${FUZZ_SECONDS:-60}
out=build/fuzz
mkdir -p "$out" || exit 1

# The pure core sources; some may not be written yet, so only those that exist.
sources=
for f in core/lib/arena.c core/lib/value.c core/lib/buf.c core/http/utf8.c core/http/form.c \
	core/http/cookies.c core/http/json.c core/http/multipart.c core/view/template.c \
	core/view/locale.c core/import/import_rows.c core/import/csv.c core/import/xlsx.c \
	core/lib/text.c core/lib/datetime.c core/mime/mail_format.c core/mime/address.c; do
	if [ -f "$f" ]; then
		sources="$sources $f"
	fi
done

if ! yajl_libs=$(pkg-config --libs yajl); then
	echo "fuzz: pkg-config cannot find yajl" >&2
	exit 1
fi
yajl_cflags=$(pkg-config --cflags yajl)

passed=0
failed=0
for target in tests/fuzz/fuzz_*.c; do
	[ -f "$target" ] || continue
	name=$(basename "$target" .c)
	name=${name#fuzz_}
	bin=$out/fuzz_$name
	corpus=$out/corpus-$name
	log=$out/$name.log
	ok=yes

	# UBSan findings stop the run like ASan's do, so they count as failures.
	# shellcheck disable=SC2086 # word splitting of the source list is wanted
	if ! clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-std=c11 -D_GNU_SOURCE -Icore -Icore/include $yajl_cflags \
		-o "$bin" "$target" $sources $yajl_libs -lzip -lexpat -lm >"$log" 2>&1; then
		ok=no
	else
		mkdir -p "$corpus" || ok=no
		if [ -d "tests/fuzz/seeds/$name" ]; then
			cp -R "tests/fuzz/seeds/$name/." "$corpus/" || ok=no
		fi
		if [ "$ok" = yes ] && ! "./$bin" -max_total_time="$seconds" -rss_limit_mb=2048 \
			-artifact_prefix="$out/$name-" "$corpus" >>"$log" 2>&1; then
			ok=no
		fi
	fi

	if [ "$ok" = yes ]; then
		passed=$((passed + 1))
		echo "fuzz $name: ok"
	else
		failed=$((failed + 1))
		tail -n 30 "$log" >&2
		echo "(the whole output is in $log)" >&2
		echo "fuzz $name: FAILED"
	fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
