# Machine and terminal output: --json, colour only on a terminal, NO_COLOR honoured.
. "$(dirname "$0")/lib.sh"
S="node:2 core:2 pu:1"

run suggest --synthetic "$S" --reserve none --vm name=a,vcpus=1,memory=100M \
	--vm name=huge,vcpus=64,memory=100M --json
expect_status 3 "--json keeps the exit status"
expect_in out '"schema": 1' "plan.json on stdout"
expect_in out '"name": "huge"' "every VM listed"
expect_true "no summary mixed in" not grep -qE "VMs? placed" "$TMP/out"

# Piped: no escape sequences.
run suggest --synthetic "$S" --vm name=huge,vcpus=64,memory=100M
expect_true "no colour when piped" not grep -q $'\033\\[' "$TMP/out"

if command -v script >/dev/null; then
	cmd="'$VMPLAN' suggest --synthetic '$S' --vm name=huge,vcpus=64,memory=100M"
	TERM=xterm script -qec "$cmd" /dev/null >"$TMP/tty" 2>&1
	expect_true "colour on a terminal" grep -q $'\033\\[31mnot placed' "$TMP/tty"
	NO_COLOR=1 TERM=xterm script -qec "$cmd" /dev/null >"$TMP/tty" 2>&1
	expect_true "NO_COLOR honoured" not grep -q $'\033\\[' "$TMP/tty"
	expect_true "the text is there without colour" grep -q "not placed" "$TMP/tty"
fi

finish
