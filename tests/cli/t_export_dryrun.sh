# vmplan export --dry-run on merges: a diff of what changes, laid out alike, only the tuning.
. "$(dirname "$0")/lib.sh"
PLAN="$VMPLAN_SOURCE_DIR/tests/golden/full/plan.json"
DOMAIN="$VMPLAN_SOURCE_DIR/tests/data/domains/webshop.xml"
# changed FILE: the changed lines of a diff (no ---/+++ heads).
changed() { grep -E '^[-+]' "$1" | grep -cvE '^(---|\+\+\+) '; }

# The domain file quotes its attributes with ', the merge writes ": a plain diff shows it all.
expect_true "the fixture quotes with '" grep -q "type='" "$DOMAIN"
cp "$DOMAIN" "$TMP/rt.xml"
run export "$PLAN" --domain-xml "$TMP/rt.xml" --dry-run
expect_status 0 "--domain-xml --dry-run"
cp "$TMP/out" "$TMP/dry"
expect_in out "rt: would be merged in $TMP/rt.xml" "says what the merge will do"
expect_in out "--- $TMP/rt.xml" "old side named"
expect_in out "+++ $TMP/rt.xml (merged)" "new side named"
expect_in out "+    <vcpupin" "the new pins shown"
expect_true "untouched lines are no change" not grep -qE '^[-+] *<(disk|source|target|interface)' "$TMP/dry"
expect_true "the file is untouched" cmp -s "$DOMAIN" "$TMP/rt.xml"
expect_true "no backup" test ! -e "$TMP/rt.xml.bak"
# The real merge, then a plain diff: far more lines than the dry run's.
run export "$PLAN" --domain-xml "$TMP/rt.xml"
expect_status 0 "the real merge"
diff "$DOMAIN" "$TMP/rt.xml" | grep -E '^[<>]' >"$TMP/plain"
expect_true "the dry run shows under half the plain diff's lines" \
	[ "$(changed "$TMP/dry")" -lt $(($(wc -l <"$TMP/plain") / 2)) ]
run export "$PLAN" --domain-xml "$TMP/rt.xml" --dry-run --json
expect_status 0 "dry run after the merge"
expect_in out '"action": "dry run"' "JSON action"
expect_in out '"result": "unchanged"' "nothing left to merge"
expect_in out '"diff": ""' "empty diff"

# A domain on a connection: the same, nothing printed but the diff.
run export "$PLAN" --connect test:///default --domain test --vm rt --force --dry-run
expect_status 0 "--connect --domain --dry-run"
expect_in out "rt: would be merged in domain 'test'" "says what"
expect_in out "+++ domain 'test' (merged)" "names the domain"
expect_true "no XML document printed" not grep -q '^<?xml' "$TMP/out"

# --dry-run without anything to compare.
run export "$PLAN" --dry-run
expect_status 2 "--dry-run alone"
expect_in err "--dry-run goes with --define, --domain-xml or --connect/--domain" "why"
run help export
expect_in out "with --define, --domain-xml or --connect/--domain" "--help says it"

finish
