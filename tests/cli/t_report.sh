#!/usr/bin/env bash
# vmplan report: capacity, host and bench reports end to end, and a clear error without gnuplot.
. "$(dirname "$0")/lib.sh"
MIX="$VMPLAN_SOURCE_DIR/tests/data/reports/mix.yaml"
SYN="pack:2 [numa(memory=32GiB)] l3:2 core:4 pu:2"

# The width and height in a PNG's IHDR, as "W H".
png_size() {
	local b
	b=($(od -An -tu1 -j16 -N8 "$1"))
	echo "$(((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3])) $(((b[4] << 24) | (b[5] << 16) | (b[6] << 8) | b[7]))"
}
is_png() {
	[ "$(od -An -tx1 -N8 "$1" | tr -d ' \n')" = 89504e470d0a1a0a ]
}
# A chart that draws something: at least 6 distinct colours (ImageMagick), or skip the check.
drawn() {
	command -v identify >/dev/null || return 0
	[ "$(identify -format %k "$1")" -ge 6 ]
}

# Without gnuplot on PATH: exit 1 and a message that says how to get it.
mkdir -p "$TMP/emptybin"
PATH="$TMP/emptybin" "$VMPLAN" report capacity --synthetic "$SYN" --vms "$MIX" --out "$TMP/nognu" \
	>"$TMP/out" 2>"$TMP/err"
status=$?
expect_status 1 "report without gnuplot"
expect_in err "gnuplot' is not on PATH" "missing gnuplot is named"
expect_in err "apt-get install gnuplot-nox" "missing gnuplot says how to install it"

# Usage errors are found before anything is drawn or written; each names what is wrong.
run report capacity --synthetic "$SYN" --vms "$MIX"
expect_status 2 "report without --out"
expect_in err "say where the report goes with --out DIR" "missing --out is named"
run report capacity --synthetic "$SYN" --vms "$MIX" --out "$TMP/u" extra
expect_status 2 "an extra argument"
expect_in err "unexpected argument 'extra'" "the extra argument is named"
run report capacity --synthetic "$SYN" --vm name=a,vcpus=0,memory=1G --out "$TMP/u"
expect_status 2 "a bad --vm"
expect_in err "bad --vm 'name=a,vcpus=0,memory=1G'" "the bad shape is named"
run report capacity --synthetic "$SYN" --vms "$TMP/none.yaml" --out "$TMP/u"
expect_status 2 "a missing mix"
expect_in err "cannot read mix" "the missing mix is named"
run report capacity --vms "$MIX" --out "$TMP/u"
expect_status 2 "capacity without a host"
expect_in err "no host; give --host" "says how to name a host"
run report bench --out "$TMP/u"
expect_status 2 "bench without --history"
expect_in err "say which bench history with --history DB" "missing --history is named"
run report bench --history "$TMP/none.db" --synthetic "$SYN" --out "$TMP/u"
expect_status 2 "bench with a synthetic host"
expect_in err "report bench takes one --host FINGERPRINT or HOSTNAME" "bench takes a name"
run report host --synthetic "$SYN" --synthetic "$SYN" --out "$TMP/u"
expect_status 2 "host with two hosts"
expect_in err "report host takes one host" "host takes one host"
expect_true "a usage error writes nothing" not test -e "$TMP/u"
run report host --help
expect_status 0 "report host --help"
expect_in out "usage: vmplan report capacity" "the help text"

if ! command -v gnuplot >/dev/null; then
	echo "skip: gnuplot is not installed (apt-get install gnuplot-nox)"
	finish || exit 1
	exit 77
fi

# A host saved as host.json with quotes and spaces in its name, and a what-if host.
run probe --synthetic "pack:1 [numa(memory=48GiB)] l3:1 core:6 pu:2" -o "$TMP/h.json"
expect_status 0 "probe -o"
sed -i 's/"hostname": "[^"]*"/"hostname": "rack \\"7\\" east host"/' "$TMP/h.json"
expect_true "hostname edited" grep -qF 'rack \"7\" east host' "$TMP/h.json"
hosts=(--host "$TMP/h.json" --synthetic "$SYN")
FIX="$VMPLAN_FIXTURES/hwloc-xml/16amd64-8n2c-cpusets.xml"
[ -r "$FIX" ] && hosts+=(--topology "$FIX")
run report capacity "${hosts[@]}" --vms "$MIX" --out "$TMP/cap" --svg
expect_status 0 "report capacity"
expect_in out "The whole mix fits" "terminal summary leads with the whole mix"
expect_in out "binds next" "terminal summary: how many more of each shape, what binds"
expect_true "per host tables only with --detail" not grep -qF "Per host (reserve" "$TMP/out"
expect_in out 'rack "7" east host' "host name intact in the summary"
for f in index.html summary.md report.json report.gp capacity.dat capacity.png headroom1.png \
	headroom1.dat capacity.csv capacity.svg; do
	expect_true "capacity report has $f" test -s "$TMP/cap/$f"
done
expect_true "capacity.png is a PNG" is_png "$TMP/cap/capacity.png"
expect_true "capacity.png is 900x500" test "$(png_size "$TMP/cap/capacity.png")" = "900 500"
for f in "$TMP"/cap/*.png; do
	expect_true "$(basename "$f") draws something" drawn "$f"
done
# The SVG has a white background.
expect_true "capacity.svg is white behind" grep -q 'fill="#ffffff"' "$TMP/cap/capacity.svg"
expect_true "html keeps the name" grep -qF 'rack "7" east host' "$TMP/cap/index.html"
# Every src/href of index.html names a file of the folder.
for l in $(grep -o '\(src\|href\)="[^"]*"' "$TMP/cap/index.html" | sed 's/.*="\(.*\)"/\1/'); do
	expect_true "index.html links $l" test -f "$TMP/cap/$l"
done

# The counts the summary shows are the planner's: 7 databases fit (suggest places 7, not 8).
run report capacity --synthetic "$SYN" --vms "$MIX" --out "$TMP/cap2" --json
expect_status 0 "report capacity --json"
expect_in out '"report": "capacity"' "json report"
specs=()
for i in 1 2 3 4 5 6 7 8; do specs+=(--vm "name=db$i,vcpus=4,memory=8G,profile=database"); done
run suggest --synthetic "$SYN" "${specs[@]:0:14}"
expect_status 0 "7 databases are placed"
run suggest --synthetic "$SYN" "${specs[@]}"
expect_status 3 "8 databases are not"
expect_true "db fits 7 in the summary" \
	grep -qE '^\| database, 4 vCPUs, 8 GiB \| 1 \| db \| [^|]+ \| [^|]+ \| 7 \(optimal\) \|$' \
	"$TMP/cap2/summary.md"
expect_true "summary.md escapes no hyphen" grep -qF 'latency-critical' "$TMP/cap2/summary.md"

# Identical VMs are one shape; --csv prints the counts, --detail every table.
specs=(--vm name=w1,vcpus=2,memory=2G --vm name=w2,vcpus=2,memory=2G --vm name=d,vcpus=4,memory=8G)
run report capacity --synthetic "$SYN" "${specs[@]}" --out "$TMP/cap3"
expect_status 0 "report capacity of three VMs"
expect_in out "3 VMs in 2 shapes" "identical VMs are one shape"
expect_true "the summary fits 80 columns" test "$(wc -L <"$TMP/out")" -le 80
run report capacity --synthetic "$SYN" "${specs[@]}" --out "$TMP/cap3" --csv
expect_status 0 "report capacity --csv"
expect_in out 'auto,synthetic,"2 vCPUs, 2 GiB","w1, w2",2,' "a CSV row per shape"
if command -v python3 >/dev/null; then
	fields=$(python3 -c 'import csv, sys
print(sorted(set(len(r) for r in csv.reader(open(sys.argv[1])))))' "$TMP/out")
	expect_true "every CSV row has 15 fields" test "$fields" = "[15]"
fi
run report capacity --synthetic "$SYN" --vms "$MIX" --out "$TMP/cap3" --detail
expect_in out "Per host (reserve auto)" "--detail prints the per host table"
expect_in out "0 (optimal); emulator=isolate needs housekeeping CPUs" "a 0 under reserve none says why"
run report capacity --synthetic "$SYN" "${specs[@]}" --out "$TMP/cap3" --csv --json
expect_status 2 "--csv with --json"

# The exact solver: each count says whether it is proven. On 2 nodes of 6 PUs, copies of
# 3 vCPUs in 2 cells: the heuristic places 3, the exact solver all 4 that 12 PUs hold.
FRAG="numa:2(memory=8GiB) core:6 pu:1"
ONE=(--vm name=a,vcpus=3,memory=3G,numa=2 --reserve none --out "$TMP/cap4")
run report capacity --synthetic "$FRAG" "${ONE[@]}" --csv
expect_status 0 "report capacity with the exact solver"
expect_in out 'none,synthetic,"3 vCPUs, 3 GiB",a,1,4,' "the exact solver counts 4"
expect_true "the count of 4 is proven optimal" grep -q ',optimal,4,' "$TMP/out"
run report capacity --synthetic "$FRAG" "${ONE[@]}" --time-limit 0
expect_status 0 "report capacity with the heuristic alone"
expect_in out ">= 3 (heuristic, bound 4)" "the heuristic's count is marked"
run report capacity --synthetic "$FRAG" "${ONE[@]}" --detail
expect_in out "4 (optimal)" "the summary marks a proven count"
expect_in out "'>= N (bound M)'" "--detail says what the marks mean"
run report capacity --synthetic "$FRAG" "${ONE[@]}" --time-limit soon
expect_status 2 "a bad --time-limit"
expect_in err "bad --time-limit 'soon'" "a bad --time-limit is named"
run report host --synthetic "$FRAG" --out "$TMP/cap4" --time-limit 1
expect_status 2 "--time-limit is for capacity"

# Host report with a plan.
run suggest --synthetic "$SYN" --vms "$MIX" -o "$TMP/plan.json"
run report host --synthetic "$SYN" --plan "$TMP/plan.json" --out "$TMP/host"
expect_status 0 "report host"
expect_in out "Pin map" "pin map section"
expect_in out "idle sibling" "isolated siblings shown"
expect_true "pinmap.png is a PNG" is_png "$TMP/host/pinmap.png"
# cpu=shared VMs are drawn too: web (profile general) has a key entry and its own colour.
expect_true "the shared VM web is in the pin map's key" grep -qF "title 'web'" "$TMP/host/report.gp"
expect_true "pinmap.png draws something" drawn "$TMP/host/pinmap.png"
# 24 packages fit a screen: the map goes on in columns.
BIG="$VMPLAN_FIXTURES/hwloc-xml/192em64t-24n8c2t.xml"
if [ -r "$BIG" ]; then
	run report host --topology "$BIG" --out "$TMP/big"
	expect_status 0 "report host of 24 nodes"
	read -r bw bh <<<"$(png_size "$TMP/big/pinmap.png")"
	expect_true "the 24-node pin map is at most 1600 px tall ($bw x $bh)" test "$bh" -le 1600
	expect_true "and at most 2600 px wide ($bw x $bh)" test "$bw" -le 2600
fi
run report host --synthetic "pack:1 [numa(memory=8GiB)] core:2 pu:1" --plan "$TMP/plan.json" \
	--out "$TMP/host2"
expect_status 2 "a plan for another host"
expect_in err "the plan was made for host" "says the plan is for another host"

# A 1x1 heatmap is coloured, not white (gnuplot's image cannot size one pixel).
run probe --synthetic "pack:1 [numa(memory=8GiB)] core:2 pu:1" -o "$TMP/one.json"
sed -i 's/"bandwidth": null/"bandwidth": {"read_gbs": [[12.5]], "triad_gbs": [[11.0]]}/' "$TMP/one.json"
expect_true "one-node bandwidth added" grep -qF '[[12.5]]' "$TMP/one.json"
run report host --host "$TMP/one.json" --out "$TMP/one"
expect_status 0 "report host of one node"
if command -v convert >/dev/null; then
	centre=$(convert "$TMP/one/read.png" -format '%[pixel:p{288,200}]' info:)
	expect_true "the 1x1 heatmap is coloured ($centre)" not test "$centre" = "white" -o "$centre" = "srgb(255,255,255)"
fi
# Firmware memory attributes are one bandwidth, not a STREAM triad measurement.
MEMATTRS="$VMPLAN_FIXTURES/hwloc-xml/8intel64-4n2t-memattrs.xml"
if [ -r "$MEMATTRS" ]; then
	run report host --topology "$MEMATTRS" --out "$TMP/fw"
	expect_in out "firmware attribute, not measured" "firmware bandwidth says so"
	expect_true "no triad heatmap for firmware values" not test -e "$TMP/fw/triad.png"
fi

# Usage errors.
run report bench --history "$TMP/none.db" --out "$TMP/b"
expect_status 2 "missing history"
expect_in err "cannot read bench history" "missing history message"
run report capacity --synthetic "$SYN" --out "$TMP/c"
expect_status 2 "capacity without shapes"
run report nosuch --out "$TMP/c"
expect_status 2 "unknown report"
finish
