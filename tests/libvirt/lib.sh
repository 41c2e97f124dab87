# Shared by the tests that need a real libvirtd (sourced after `set -u`): URI, a private
# TMP, skip (exit 77), fail (prints the logs in TMP, exit 1), and a cleanup on exit that
# destroys and undefines (with their NVRAM) the domains named in DOMAINS, runs the test's
# own cleanup_more if it has one, and removes TMP.
# need_libvirtd skips, naming what to do, where virsh is missing or libvirtd does not answer.
URI=qemu:///system
DOMAINS=""
TMP=$(mktemp -d "/tmp/vmplan-$(basename "$0" .sh).XXXXXX")
libvirt_cleanup() {
	for d in $DOMAINS; do
		virsh -c "$URI" destroy "$d" >/dev/null 2>&1
		virsh -c "$URI" undefine "$d" --nvram >/dev/null 2>&1
	done
	if [ "$(type -t cleanup_more)" = function ]; then cleanup_more; fi
	rm -rf "$TMP"
}
trap libvirt_cleanup EXIT
skip() { echo "skip: $*"; exit 77; }
fail() {
	echo "FAIL: $*"
	for f in "$TMP"/*.log; do [ -e "$f" ] && { echo "--- $f"; tail -c 20000 "$f"; }; done
	exit 1
}
need_libvirtd() {
	command -v virsh >/dev/null || skip "virsh is missing (libvirt-clients)"
	virsh -c "$URI" version >/dev/null 2>&1 ||
		skip "libvirtd does not answer on $URI (run tests/libvirt/start-daemons.sh as root)"
}
