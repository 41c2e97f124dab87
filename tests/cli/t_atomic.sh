# Nothing lost: a write that fails leaves the previous file as it was and no partial or
# temporary file, for suggest -o, suggest --xml-dir, probe -o and export --out-dir.
. "$(dirname "$0")/lib.sh"
S="pack:2 [numa(memory=16GB)] l3:1 core:8 pu:2"
VM=name=big,vcpus=12,memory=2G,iothreads=2,hugepages=2M,sched=fifo,sched_priority=10

# limited ARGS...: run vmplan with files limited to 1 KiB; SIGXFSZ is ignored, so a write
# past the limit fails with EFBIG in the middle of the file, as on a full disk.
limited() {
	(
		trap '' XFSZ
		ulimit -f 1
		exec "$VMPLAN" "$@"
	) >"$TMP/out" 2>"$TMP/err"
	status=$?
}

# intact FILE WHAT: FILE still holds "previous" and no temporary file is left beside it.
intact() {
	checks=$((checks + 1))
	[ "$(cat "$1")" = "previous $1" ] || fail "$2: $1 was changed"
	checks=$((checks + 1))
	local left
	left=$(find "$(dirname "$1")" -name '*.tmp.*')
	[ -z "$left" ] || fail "$2: temporary files left: $left"
}

previous() {
	for f in "$@"; do
		mkdir -p "$(dirname "$f")"
		echo "previous $f" >"$f"
	done
}

# The files written here must be over the limit, or the test proves nothing.
mkdir "$TMP/full"
run suggest --synthetic "$S" --vm $VM -o "$TMP/full/plan.json" --xml-dir "$TMP/full/xml"
expect_status 0 "unlimited suggest"
expect_true "plan.json is over 1 KiB" test "$(stat -c %s "$TMP/full/plan.json")" -gt 1024
expect_true "big.xml is over 1 KiB" test "$(stat -c %s "$TMP/full/xml/big.xml")" -gt 1024
expect_true "written files are 0644" test "$(stat -c %a "$TMP/full/plan.json")" = 644

# suggest -o
previous "$TMP/s/plan.json"
limited suggest --synthetic "$S" --vm $VM -o "$TMP/s/plan.json"
expect_status 1 "suggest -o past the file size limit"
expect_in err "cannot write '$TMP/s/plan.json': File too large" "suggest -o message"
intact "$TMP/s/plan.json" "suggest -o"

# suggest --xml-dir
previous "$TMP/x/big.xml"
limited suggest --synthetic "$S" --vm $VM --xml-dir "$TMP/x"
expect_status 1 "suggest --xml-dir past the limit"
expect_in err "cannot write '$TMP/x/big.xml'" "suggest --xml-dir message"
intact "$TMP/x/big.xml" "suggest --xml-dir"

# probe -o
previous "$TMP/p/host.json"
limited probe --synthetic "$S" -o "$TMP/p/host.json"
expect_status 1 "probe -o past the limit"
expect_in err "cannot write '$TMP/p/host.json': File too large" "probe -o message"
intact "$TMP/p/host.json" "probe -o"

# export --out-dir, each format
previous "$TMP/e/big.xml" "$TMP/e/vmplan.sls" "$TMP/e/plan.json"
for format in libvirt salt json; do
	limited export "$TMP/full/plan.json" --format $format --out-dir "$TMP/e"
	expect_status 1 "export --format $format --out-dir past the limit"
	expect_in err "cannot write '$TMP/e/" "export --format $format message"
done
intact "$TMP/e/big.xml" "export libvirt"
intact "$TMP/e/vmplan.sls" "export salt"
intact "$TMP/e/plan.json" "export json"

# export --domain-xml: neither the domain XML nor its backup is half-written.
# Without its vCPU pins, so that the merge has something to write.
grep -v '<vcpupin ' "$TMP/full/xml/big.xml" >"$TMP/dom.xml"
cp "$TMP/dom.xml" "$TMP/dom.orig"
limited export "$TMP/full/plan.json" --domain-xml "$TMP/dom.xml"
expect_status 1 "export --domain-xml past the limit"
expect_true "export --domain-xml: the domain XML is as it was" cmp -s "$TMP/dom.xml" "$TMP/dom.orig"
expect_true "export --domain-xml: no temporary file" \
	test -z "$(find "$TMP" -maxdepth 1 -name '*.tmp.*')"

# A directory where the file goes: rename fails; the temporary file goes too.
mkdir -p "$TMP/d/plan.json"
run suggest --synthetic "$S" --vm $VM -o "$TMP/d/plan.json"
expect_status 1 "suggest -o onto a directory"
expect_in err "cannot write '$TMP/d/plan.json'" "suggest -o onto a directory: message"
expect_true "suggest -o onto a directory: no temporary file" \
	test -z "$(find "$TMP/d" -name '*.tmp.*')"

# And when all goes well, the previous file is replaced whole.
previous "$TMP/ok/plan.json"
run suggest --synthetic "$S" --vm $VM -o "$TMP/ok/plan.json"
expect_status 0 "suggest -o"
expect_true "suggest -o replaced the file" cmp -s "$TMP/ok/plan.json" "$TMP/full/plan.json"

# -o onto a pipe or a device writes into it: a rename would replace it (as root, -o /dev/null
# put a regular file where the device was). A FIFO stands in for the device here.
mkfifo "$TMP/pipe"
cat "$TMP/pipe" >"$TMP/from-pipe" &
reader=$!
run probe --synthetic "$S" -o "$TMP/pipe"
saved=$status
# Replaced, the FIFO would never see a writer: do not wait for its reader then.
test -p "$TMP/pipe" && wait "$reader" || kill "$reader" 2>/dev/null
status=$saved
expect_status 0 "probe -o a FIFO"
expect_true "the FIFO is still a FIFO" test -p "$TMP/pipe"
expect_true "the reader got host.json" grep -q '"schema"' "$TMP/from-pipe"
expect_true "no temporary file beside it" not ls "$TMP"/pipe.tmp.*

# -o through a symlink writes its target and leaves the link (as /dev/stdout is one).
echo old >"$TMP/target.json"
ln -s target.json "$TMP/link.json"
run probe --synthetic "$S" -o "$TMP/link.json"
expect_status 0 "probe -o a symlink"
expect_true "the link is still a link" test -L "$TMP/link.json"
expect_true "its target got host.json" grep -q '"schema"' "$TMP/target.json"

finish
