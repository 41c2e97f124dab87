# Shared helpers for the CLI end-to-end tests: run vmplan, check status and output.
set -u
: "${VMPLAN:?VMPLAN must name the vmplan binary}"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
. "$(dirname "${BASH_SOURCE[0]}")/testnode.sh"
failures=0
checks=0

# run ARGS...: run vmplan, keeping status in $status, stdout in $TMP/out, stderr in $TMP/err.
run() {
	"$VMPLAN" "$@" >"$TMP/out" 2>"$TMP/err"
	status=$?
}

fail() {
	echo "FAIL: $*" >&2
	echo "  stdout: $(head -c 2000 "$TMP/out")" >&2
	echo "  stderr: $(head -c 2000 "$TMP/err")" >&2
	failures=$((failures + 1))
}

# expect_status N DESCRIPTION
expect_status() {
	checks=$((checks + 1))
	[ "$status" -eq "$1" ] || fail "$2: exit status $status, expected $1"
}

# expect_in FILE TEXT DESCRIPTION: FILE (out or err) contains TEXT literally.
expect_in() {
	checks=$((checks + 1))
	grep -qF -- "$2" "$TMP/$1" || fail "$3: '$2' not in std$1"
}

# expect_true DESCRIPTION COMMAND...
expect_true() {
	local what=$1
	shift
	checks=$((checks + 1))
	"$@" || fail "$what"
}

# not COMMAND...: succeed when COMMAND fails (for expect_true).
not() {
	! "$@"
}

finish() {
	echo "$((checks - failures)) passed, $failures failed"
	[ "$failures" -eq 0 ]
}
