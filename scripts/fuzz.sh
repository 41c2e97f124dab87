#!/usr/bin/env bash
# Build the libFuzzer targets (clang, ASan + UBSan) and run each for a while.
# usage: scripts/fuzz.sh [SECONDS | seeded] [TARGET...]
#
#   SECONDS  how long each target runs (default 60), with a random seed: a search for new bugs
#   seeded   what CI runs: every input of the seed corpus, then a fixed number of mutations
#            (about 8 s per target) from seed 1 and an empty working corpus, so that one
#            commit always runs the same inputs and passes or fails the same way
#   TARGET   cpuset size spec profile mix host_json plan_json merge resctrl sysfs caps
#            (default: all of them)
#
# The build goes to build-fuzz/ (BUILD_DIR overrides it). Each target starts from its seed
# corpus, fuzz/corpus/<target>/, and keeps what it learns in build-fuzz/corpus/<target>/
# (never in the source tree). A crash, leak, timeout or sanitizer error stops the script
# with status 1 and leaves the input in build-fuzz/artifacts/<target>/; replay it with
#   build-fuzz/fuzz/fuzz_<target> build-fuzz/artifacts/<target>/crash-...
# and, once fixed, add it to fuzz/corpus/<target>/ so that every seeded run replays it.
set -euo pipefail
cd "$(dirname "$0")/.."

ALL=(cpuset size spec profile mix host_json plan_json merge resctrl sysfs caps)
seconds=${1:-60}
[ $# -gt 0 ] && shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${ALL[@]}")
# The mutations a seeded run makes per target: about 8 s each on a 2-CPU CI machine.
declare -A RUNS=([cpuset]=1000000 [size]=2000000 [spec]=500000 [profile]=40000 [mix]=40000
	[host_json]=30000 [plan_json]=150000 [merge]=60000 [resctrl]=12000 [sysfs]=3000
	[caps]=60000)
case "$seconds" in
seeded) ;;
'' | *[!0-9]*)
	echo "fuzz.sh: SECONDS must be a number or 'seeded', not '$seconds'" >&2
	exit 2
	;;
esac
for t in "${targets[@]}"; do
	[[ " ${ALL[*]} " == *" $t "* ]] || {
		echo "fuzz.sh: no fuzz target '$t'; targets: ${ALL[*]}" >&2
		exit 2
	}
done
command -v clang >/dev/null || {
	echo "fuzz.sh: clang is missing (apt-get install clang)" >&2
	exit 2
}

build=${BUILD_DIR:-build-fuzz}
mkdir -p "$build"
build=$(cd "$build" && pwd)
CC=clang cmake -S . -B "$build" -DVMPLAN_FUZZ=ON -DVMPLAN_SANITIZE=ON -DVMPLAN_TESTS=OFF \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" --target $(printf 'fuzz_%s ' "${targets[@]}")

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# The targets' scratch files (the resctrl and sysfs targets write a tree per input) go to a
# tmpfs, so that an input's time does not wait on a busy disk: /dev/shm where it is a
# writable tmpfs, else build-fuzz/tmp.
scratch=$build/tmp
if [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] && [ -w /dev/shm ]; then
	scratch=$(mktemp -d /dev/shm/vmplan-fuzz.XXXXXX)
fi
mkdir -p "$scratch"
trap 'rm -rf "$scratch"' EXIT
export TMPDIR=$scratch
status=0
for t in "${targets[@]}"; do
	corpus=$build/corpus/$t artifacts=$build/artifacts/$t
	if [ "$seconds" = seeded ]; then
		corpus=$build/corpus-seeded/$t
		rm -rf "$corpus"
		# A hang is still found (libFuzzer reports it), but a machine busy with the
		# other CI steps does not turn a slow input into a failure: seeded runs pass or
		# fail the same way on a busy machine and a quiet one.
		limit=(-seed=1 -runs="${RUNS[$t]}" -timeout=60)
		echo "fuzz.sh: $t, seed 1, ${RUNS[$t]} runs" >&2
	else
		limit=(-max_total_time="$seconds")
		echo "fuzz.sh: $t for ${seconds}s" >&2
	fi
	mkdir -p "$corpus" "$artifacts"
	# -timeout: an input that takes 5 s is a hang (60 s in a seeded run, where the last
	# -timeout given wins); -rss_limit_mb: a runaway allocation.
	if ! "$build/fuzz/fuzz_$t" "$corpus" "fuzz/corpus/$t" -timeout=5 "${limit[@]}" \
		-rss_limit_mb=2048 -max_len=16384 -artifact_prefix="$artifacts/" \
		-print_final_stats=1 >"$build/fuzz-$t.log" 2>&1; then
		echo "fuzz.sh: $t FAILED; see $build/fuzz-$t.log and $artifacts/" >&2
		tail -n 40 "$build/fuzz-$t.log" >&2
		status=1
	else
		grep -E '^stat::number_of_executed_units' "$build/fuzz-$t.log" |
			sed "s/^/fuzz.sh: $t: /" >&2 || true
	fi
done
exit "$status"
