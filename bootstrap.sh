#!/usr/bin/env bash
# Set up, build and run vmplan on Debian 12: ./bootstrap.sh COMMAND, one of
#   demo      install what is missing, build, and plan an example VM on this host
#   test      install what is missing, build, and run the whole test suite (ctest)
#   sanitize  the same suite, built with AddressSanitizer and UBSan (build-asan/)
#   build     install what is missing and build build/vmplan
#   integration  also libvirtd and QEMU; start them (as root) and run the libvirt tests
#   fuzz      install clang; build the libFuzzer targets (build-fuzz/), replay each seed
#             corpus and run a fixed, seeded set of mutations (scripts/fuzz.sh seeded)
#   clang     install clang; build with it, warnings as errors (build-clang/), run the unit tests
#   analyze   install cppcheck; static analysis of every compiled file (scripts/cppcheck.sh)
#   format    install clang-format-14; check every C file's format (scripts/format.sh check)
#   fresh     the test command on a copy of the tracked files with no ../shared beside it
#             (scripts/test-fresh-clone.sh): fixture tests must skip, not fail
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(build-essential cmake pkg-config libhwloc-dev hwloc libvirt-dev libvirt0
	libxml2-dev libxml2-utils libjansson-dev libyaml-dev libsqlite3-dev libnuma-dev
	libcmocka-dev gnuplot-nox valgrind libarchive-dev coinor-libcbc-dev)
# For the libvirt integration tests (tests/libvirt/t_*.sh): a daemon and QEMU, and the kernel
# the guest bench boots (tests/libvirt/t_guest_boot.sh; installing it runs initramfs-tools'
# hooks, which need no answer).
INTEGRATION_PACKAGES=(libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86
	linux-image-cloud-amd64)

install_missing() {
	local missing=()
	for p in "${PACKAGES[@]}" "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	local sudo=()
	[ "$(id -u)" -eq 0 ] || sudo=(sudo)
	echo "bootstrap: installing ${missing[*]}" >&2
	"${sudo[@]}" apt-get update -q
	DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q "${missing[@]}"
}

build() { # build DIR [cmake args...]
	local dir=$1
	shift
	cmake -S . -B "$dir" -DVMPLAN_WERROR=ON "$@" >/dev/null
	cmake --build "$dir" -j"$(nproc)"
}

case "${1:-}" in
demo)
	install_missing
	build build
	set -x
	build/vmplan suggest --vm name=demo,vcpus=1,memory=1G --show-xml
	;;
test)
	install_missing
	build build
	cd build && ctest --output-on-failure
	;;
sanitize)
	install_missing
	build build-asan -DVMPLAN_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		ctest --output-on-failure
	;;
build)
	install_missing
	build build
	;;
integration)
	install_missing "${INTEGRATION_PACKAGES[@]}"
	build build
	status=0
	tests/libvirt/start-daemons.sh || status=$?
	if [ "$status" -eq 77 ]; then
		echo "bootstrap: libvirt integration test skipped (see the message above)" >&2
		exit 0
	fi
	[ "$status" -eq 0 ] || exit "$status"
	cd build && ctest --output-on-failure -L libvirt
	;;
fuzz)
	install_missing clang
	scripts/fuzz.sh seeded
	;;
clang)
	install_missing clang
	CC=clang build build-clang
	cd build-clang && ctest --output-on-failure -L unit
	;;
analyze)
	install_missing cppcheck clang
	scripts/cppcheck.sh
	;;
format)
	install_missing clang-format-14
	scripts/format.sh check
	;;
fresh)
	install_missing
	scripts/test-fresh-clone.sh
	;;
*)
	sed -n '2,15s/^# \{0,1\}//p' "$0" >&2
	exit 2
	;;
esac
