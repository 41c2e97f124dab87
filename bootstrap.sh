#!/usr/bin/env bash
# Set up, build and run vmplan on Debian 12: ./bootstrap.sh demo|test|sanitize|build|integration|fuzz
#   demo      install what is missing, build, and plan an example VM on this host
#   test      install what is missing, build, and run the whole test suite (ctest)
#   sanitize  the same suite, built with AddressSanitizer and UBSan (build-asan/)
#   build     install what is missing and build build/vmplan
#   integration  also libvirtd and QEMU; start them (as root) and run the libvirt tests
#   fuzz      install clang; build the libFuzzer targets (build-fuzz/), replay each seed
#             corpus and run a fixed, seeded set of mutations (scripts/fuzz.sh seeded)
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(build-essential cmake pkg-config libhwloc-dev hwloc libvirt-dev libvirt0
	libxml2-dev libxml2-utils libjansson-dev libyaml-dev libsqlite3-dev libnuma-dev
	libcmocka-dev gnuplot-nox valgrind)
# For the libvirt integration test (tests/libvirt/t_qemu.sh): a daemon and QEMU.
INTEGRATION_PACKAGES=(libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86)

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
*)
	sed -n '2,10s/^# \{0,1\}//p' "$0" >&2
	exit 2
	;;
esac
