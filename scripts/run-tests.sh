#!/bin/bash
# The whole test suite, as `make test` runs it:
#   1. normal build: unit tests (cmocka via meson) and integration tests (pytest)
#   2. the same under AddressSanitizer + UndefinedBehaviorSanitizer
#   3. every libFuzzer harness for a short run (clang build)
#   4. source formatting check
# Ends with one line "N passed, N failed" and a non-zero status on failure.
set -u
cd "$(dirname "$0")/.."
root=$(pwd)
results=$(mktemp -d /tmp/loft-results.XXXXXX)
PYTHON=/usr/bin/python3
FUZZ_SECONDS=${LOFT_FUZZ_SECONDS:-20}
status=0

step() { printf '\n==== %s ====\n' "$*"; }
record() { # name result(pass|fail)
	printf '%s %s\n' "$2" "$1" >>"$results/extra.txt"
}

run_suite() { # label builddir
	local label=$1 dir=$2
	step "$label: build"
	if ! sh scripts/build.sh "$dir" "${@:3}"; then
		record "$label build" fail
		return
	fi
	record "$label build" pass
	step "$label: unit tests"
	meson test -C "$dir" --suite unit --print-errorlogs --num-processes 2 \
		--timeout-multiplier 3 || true
	cp "$dir/meson-logs/testlog.json" "$results/$label-unit.json" 2>/dev/null
	step "$label: integration tests"
	LOFT_BUILD_DIR="$root/$dir" "$PYTHON" -m pytest -q -rs \
		-p no:cacheprovider \
		--junitxml="$results/$label-integration.xml" tests/integration
	local rc=$?
	# 5 = no tests collected; anything else non-zero is reported through
	# the junit counts (or as a failure when no report was written).
	if [ $rc -ne 0 ] && [ $rc -ne 1 ] && [ $rc -ne 5 ]; then
		record "$label pytest run (exit $rc)" fail
	fi
}

export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:halt_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

run_suite normal build
run_suite sanitizers build-asan -Db_sanitize=address,undefined -Db_lundef=false

step "fuzz: build"
if CC=clang sh scripts/build.sh build-fuzz -Dfuzzing=true -Dtests=false \
	-Db_lundef=false; then
	record "fuzz build" pass
	for f in $(find build-fuzz/tests/fuzz -type f -name 'fuzz-*' -perm -u+x | sort); do
		name=$(basename "$f")
		src=$(dirname "$f" | sed "s|^build-fuzz/||")
		work=$(mktemp -d /tmp/loft-fuzz.XXXXXX)
		for c in "$src"/corpus-"${name#fuzz-}"; do
			[ -d "$c" ] && cp -r "$c"/. "$work"/
		done
		step "fuzz: $name (${FUZZ_SECONDS}s)"
		if "$f" -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 \
			-print_final_stats=0 "$work" >"$results/$name.log" 2>&1; then
			record "$name" pass
		else
			tail -40 "$results/$name.log"
			record "$name" fail
		fi
		rm -rf "$work"
	done
else
	record "fuzz build" fail
fi

step "format check"
if find src tests -name '*.[ch]' -print0 |
	xargs -0 clang-format --dry-run --Werror 2>"$results/format.log"; then
	record "clang-format" pass
else
	head -40 "$results/format.log"
	record "clang-format" fail
fi

"$PYTHON" scripts/test-summary.py "$results" || status=1
rm -rf "$results"
exit $status
