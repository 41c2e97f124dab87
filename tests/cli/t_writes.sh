#!/usr/bin/env bash
# The write layer's promises: no foreign symlink followed, backups never overwritten, a set
# of files committed together or not at all, SIGPIPE not fatal, charts drawn whole or not at all.
. "$(dirname "$0")/lib.sh"
S="pack:2 [numa(memory=16GB)] l3:1 core:8 pu:2"
PLAN="$VMPLAN_SOURCE_DIR/tests/golden/full/plan.json"
DOMAIN="$VMPLAN_SOURCE_DIR/tests/data/domains/webshop.xml"

# -- symbolic links: another user's link is refused; one's own (or root's) is followed.
if [ "$(id -u)" = 0 ]; then
	echo "root's file" >"$TMP/victim"
	mkdir "$TMP/l"
	ln -s "$TMP/victim" "$TMP/l/plan.json"
	chown -h 65534 "$TMP/l/plan.json"
	run suggest --synthetic "$S" --vm name=a,vcpus=2,memory=1G -o "$TMP/l/plan.json"
	expect_status 1 "-o through another user's symlink"
	expect_in err "is a symbolic link owned by another user (uid 65534)" "the link is named"
	expect_true "the link's target is untouched" test "$(cat "$TMP/victim")" = "root's file"
	expect_true "the link is still a link" test -L "$TMP/l/plan.json"
	# A link two hops away that is foreign is refused too.
	ln -s "$TMP/l/plan.json" "$TMP/l/mine.json"
	run suggest --synthetic "$S" --vm name=a,vcpus=2,memory=1G -o "$TMP/l/mine.json"
	expect_status 1 "-o through one's own link to a foreign link"
	expect_true "the target is untouched again" test "$(cat "$TMP/victim")" = "root's file"
else
	echo "note: not root, the foreign-symlink checks are skipped"
fi
echo old >"$TMP/own-target"
ln -s "$TMP/own-target" "$TMP/own.json"
run suggest --synthetic "$S" --vm name=a,vcpus=2,memory=1G -o "$TMP/own.json"
expect_status 0 "-o through one's own symlink"
expect_true "one's own link is followed" grep -q '"schema"' "$TMP/own-target"
expect_true "and stays a link" test -L "$TMP/own.json"

# /dev/stdout into a pipe: root's link, then a magic /proc link with no path behind it.
checks=$((checks + 1))
[ "$("$VMPLAN" probe --synthetic "$S" -o /dev/stdout 2>"$TMP/err" | grep -c '"schema"')" = 1 ] ||
	fail "-o /dev/stdout into a pipe"

# -- backups: a new generation each time, created exclusively, never through a link.
cp "$DOMAIN" "$TMP/rt.xml"
cp "$DOMAIN" "$TMP/orig.xml"
echo "not a backup" >"$TMP/planted"
ln -s "$TMP/planted" "$TMP/rt.xml.bak"
run export "$PLAN" --domain-xml "$TMP/rt.xml"
expect_status 0 "merge with a planted .bak link"
expect_true "the planted link's target is untouched" test "$(cat "$TMP/planted")" = "not a backup"
expect_true "the backup went to the next generation" cmp -s "$TMP/orig.xml" "$TMP/rt.xml.bak.1"
expect_in out "previous XML kept in $TMP/rt.xml.bak.1" "the real backup is named"
# A second change keeps the first backup: the original is never overwritten.
sed 's/<vcpu[^>]*>[0-9]*</<vcpu placement="static">3</' "$DOMAIN" >"$TMP/rt.xml"
cp "$TMP/rt.xml" "$TMP/second.xml"
run export "$PLAN" --domain-xml "$TMP/rt.xml"
expect_status 0 "second merge"
expect_true "first backup kept" cmp -s "$TMP/orig.xml" "$TMP/rt.xml.bak.1"
expect_true "second backup is a new generation" cmp -s "$TMP/second.xml" "$TMP/rt.xml.bak.2"

# A 140-character domain name: NAME.xml.bak and NAME.xml were cut to the same file.
L=$(printf 'd%.0s' $(seq 140))
cat >"$TMP/longnode.xml" <<XML
<node>
  <cpu><mhz>2000</mhz><model>x86_64</model>
    <nodes>1</nodes><sockets>1</sockets><cores>4</cores><threads>1</threads></cpu>
  <memory>8388608</memory>
  <domain type='test'><name>$L</name><memory unit='MiB'>1024</memory><vcpu>2</vcpu>
    <os><type>hvm</type></os></domain>
</node>
XML
run suggest --synthetic "pack:1 [numa(memory=8GB)] core:4 pu:1" --vm name=rt,vcpus=2,memory=1G \
	-o "$TMP/lp.json"
run export "$TMP/lp.json" --connect "test://$TMP/longnode.xml" --domain "$L" --vm rt \
	--out-dir "$TMP/long" --force
expect_status 0 "merge into a domain with a 140-character name"
expect_true "the backup is the domain's XML" grep -q "<vcpu[^>]*>2</vcpu>" "$TMP/long/$L.xml.bak"
expect_true "the merged XML is beside it" grep -q "vcpupin" "$TMP/long/$L.xml"

# -- a set of files: --xml-dir and -o are written together or not at all.
VMS=()
for i in 1 2 3; do VMS+=(--vm "name=v$i,vcpus=2,memory=1G"); done
mkdir "$TMP/isdir"
run suggest --synthetic "$S" "${VMS[@]}" --xml-dir "$TMP/set" -o "$TMP/isdir"
expect_status 1 "-o naming a folder"
expect_true "no XML written when plan.json cannot be" not test -e "$TMP/set/v1.xml"
expect_true "no temporaries left" test -z "$(find "$TMP/set" -name '*.tmp.*' 2>/dev/null)"
run suggest --synthetic "$S" "${VMS[@]}" --xml-dir "$TMP/set" -o "$TMP/set.json"
expect_status 0 "--xml-dir and -o"
expect_true "all XML written" test -s "$TMP/set/v1.xml" -a -s "$TMP/set/v3.xml"
expect_true "plan.json written" test -s "$TMP/set.json"
# export --out-dir with one file per VM: a VM whose file cannot be written stops all.
run export "$TMP/set.json" --out-dir "$TMP/exp"
expect_status 0 "export --out-dir"
rm -r "$TMP/exp" && mkdir -p "$TMP/exp/v3.xml"
run export "$TMP/set.json" --out-dir "$TMP/exp"
expect_status 2 "export --out-dir with a folder in the way"
expect_true "no file of the set is written" not test -e "$TMP/exp/v1.xml"

# -- SIGPIPE: a reader that goes away does not stop -o (the printed XML is over 64 KiB).
VMS=()
for i in $(seq 1 60); do VMS+=(--vm "name=p$i,vcpus=1,memory=256M"); done
"$VMPLAN" suggest --synthetic "$S" "${VMS[@]}" --show-xml -o "$TMP/piped.json" 2>"$TMP/err" |
	true
checks=$((checks + 1))
grep -q '"p60"' "$TMP/piped.json" 2>/dev/null || fail "-o written although stdout closed early"

# -- charts: gnuplot draws in a temporary folder; a failing gnuplot leaves no partial chart.
mkdir "$TMP/bin"
cat >"$TMP/bin/gnuplot" <<'GP'
#!/bin/sh
echo partial >capacity.png
exit 1
GP
chmod +x "$TMP/bin/gnuplot"
MIX="$VMPLAN_SOURCE_DIR/tests/data/reports/mix.yaml"
PATH="$TMP/bin:$PATH" "$VMPLAN" report capacity --synthetic "$S" --vms "$MIX" \
	--out "$TMP/rep" >"$TMP/out" 2>"$TMP/err"
status=$?
expect_status 1 "a failing gnuplot"
expect_true "no partial chart" not test -e "$TMP/rep/capacity.png"
expect_true "no render folder left" test -z "$(find "$TMP/rep" -name '.render.*')"

finish
