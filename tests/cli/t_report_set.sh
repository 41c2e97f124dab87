#!/usr/bin/env bash
# report writes its files as one set: HTML, CSV, summary.md, JSON, script, data and charts all
# appear together or none does; a signal while gnuplot draws leaves no work folder behind.
. "$(dirname "$0")/lib.sh"
S="pack:2 [numa(memory=16GB)] l3:1 core:8 pu:2"
MIX="$VMPLAN_SOURCE_DIR/tests/data/reports/mix.yaml"
mkdir "$TMP/bin"

# What a report folder holds, but gnuplot's log (written as gnuplot runs, for the message).
files() {
	(cd "$1" && find . -mindepth 1 ! -name gnuplot.log | sort | tr '\n' ' ')
}

# A gnuplot that draws every chart the script names (a PNG's first bytes) and exits with $1.
stub() {
	cat >"$TMP/bin/gnuplot" <<GP
#!/bin/sh
test -f report.gp && test -f capacity.dat || exit 3
for f in \$(sed -n "s/^set output '\\(.*\\)'\$/\\1/p" report.gp); do
	printf '\\211PNG\\r\\n\\032\\n' >"\$f"
done
exit $1
GP
	chmod +x "$TMP/bin/gnuplot"
}

# -- gnuplot fails: nothing of the report, not its data or script either.
stub 1
PATH="$TMP/bin:$PATH" "$VMPLAN" report capacity --synthetic "$S" --vms "$MIX" \
	--out "$TMP/fail" >"$TMP/out" 2>"$TMP/err"
status=$?
expect_status 1 "a failing gnuplot"
expect_in err "gnuplot failed" "the failure is named"
expect_true "nothing written when gnuplot fails (found: $(files "$TMP/fail"))" \
	test -z "$(files "$TMP/fail")"

# -- gnuplot draws: every file, charts included.
stub 0
PATH="$TMP/bin:$PATH" "$VMPLAN" report capacity --synthetic "$S" --vms "$MIX" \
	--out "$TMP/good" >"$TMP/out" 2>"$TMP/err"
status=$?
expect_status 0 "a report drawn"
for f in index.html summary.md report.json capacity.csv capacity.dat report.gp capacity.png; do
	expect_true "$f written" test -s "$TMP/good/$f"
done
expect_true "no temporary or work folder left" \
	test -z "$(find "$TMP/good" -name '.render.*' -o -name '*.tmp.*')"

# -- a file of the set cannot be written (summary.md is a folder): no other one appears,
# charts neither.
mkdir -p "$TMP/blocked/summary.md"
PATH="$TMP/bin:$PATH" "$VMPLAN" report capacity --synthetic "$S" --vms "$MIX" \
	--out "$TMP/blocked" >"$TMP/out" 2>"$TMP/err"
status=$?
expect_true "refused (status $status)" test "$status" -ne 0
expect_in err "summary.md" "the file is named"
expect_true "only the folder in the way (found: $(files "$TMP/blocked"))" \
	test "$(files "$TMP/blocked")" = "./summary.md "

# -- SIGTERM while gnuplot draws: gnuplot stopped, the work folder removed, nothing written.
cat >"$TMP/bin/gnuplot" <<GP
#!/bin/sh
echo \$\$ >"$TMP/gnuplot.pid"
printf '\\211PNG' >capacity.png
exec sleep 60
GP
chmod +x "$TMP/bin/gnuplot"
rm -f "$TMP/gnuplot.pid"
PATH="$TMP/bin:$PATH" "$VMPLAN" report capacity --synthetic "$S" --vms "$MIX" \
	--out "$TMP/sig" >"$TMP/out" 2>"$TMP/err" &
pid=$!
for _ in $(seq 1 200); do
	[ -s "$TMP/gnuplot.pid" ] && [ -n "$(find "$TMP/sig" -path '*/.render.*/capacity.png')" ] &&
		break
	sleep 0.05
done
expect_true "gnuplot started in a work folder" test -s "$TMP/gnuplot.pid"
kill -TERM "$pid"
wait "$pid"
status=$?
expect_status 143 "vmplan dies of SIGTERM"
expect_true "nothing left but the log (found: $(files "$TMP/sig"))" test -z "$(files "$TMP/sig")"
gp=$(cat "$TMP/gnuplot.pid" 2>/dev/null)
expect_true "gnuplot stopped" not kill -0 "${gp:-0}" 2>/dev/null
[ -n "$gp" ] && kill "$gp" 2>/dev/null

finish
