# The command line guides: exit statuses and messages that say what to do.
. "$(dirname "$0")/lib.sh"

# bench_plan with a fixture it cannot read says so and fails, instead of printing figures.
BENCH_PLAN="$(dirname "$VMPLAN")/bench_plan"
if [ -x "$BENCH_PLAN" ]; then
	"$BENCH_PLAN" /nonexistent.xml >"$TMP/out" 2>"$TMP/err"
	status=$?
	expect_status 2 "bench_plan of a missing fixture"
	expect_in err "cannot read hwloc XML '/nonexistent.xml': No such file" "bench_plan says why"
fi
finish
