#!/bin/bash
# Print vmplan's measured bandwidth and latency next to likwid-bench's: rounds, then the best.
#
# usage: scripts/bench-probe.sh [ROUNDS] [quick|full]   (default: 3 rounds, full)
# env:   BUILD=dir (default build), SIZE=likwid working set (default 1GB)
#
# The probe's figures come from `vmplan probe --measure LEVEL -o FILE` when the
# probe command has --measure, otherwise from a small driver compiled here
# against libvmplan_probes.a and libvmplan_core.a. likwid-bench (apt-get install likwid) runs on
# socket 0 with 2 threads, as the targets of issue 3 say:
#   likwid-bench -t stream_mem_avx -w S0:1GB:2   (triad, non-temporal stores)
#   likwid-bench -t load_avx       -w S0:1GB:2   (read)
set -euo pipefail

ROUNDS=${1:-3}
LEVEL=${2:-full}
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$SRC/build}
SIZE=${SIZE:-1GB}
THREADS=${THREADS:-2}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" -j"$(nproc)" >/dev/null

# One line "read triad latency" (GB/s GB/s ns, node 0 to node 0) from the probe.
probe_figures() {
	if "$BUILD/vmplan" probe --help 2>&1 | grep -q -- --measure; then
		"$BUILD/vmplan" probe --measure "$LEVEL" -o "$TMP/host.json" >/dev/null 2>&1
		python3 -c 'import json, sys
h = json.load(open(sys.argv[1]))
b = h.get("bandwidth", h)
lat = h.get("latency_ns", b.get("latency_ns"))
print("%.2f %.2f %.1f" % (b["read_gbs"][0][0], b["triad_gbs"][0][0], lat[0][0]))' \
			"$TMP/host.json"
	else
		"$TMP/drv" "$LEVEL"
	fi
}

if ! "$BUILD/vmplan" probe --help 2>&1 | grep -q -- --measure; then
	cat >"$TMP/drv.c" <<'C'
/* Measure the live host and print node 0's read, triad and latency figures. */
#include <stdio.h>
#include <string.h>
#include "vmplan/error.h"
#include "vmplan/measure.h"
int main(int argc, char **argv)
{
	vmp_measure_options o = {.level = argc > 1 && !strcmp(argv[1], "quick") ? VMP_MEASURE_QUICK
									   : VMP_MEASURE_FULL};
	vmp_measure_report *r;
	vmp_host *h;

	if (vmp_probe_live(&h) < 0 || vmp_measure_run(&r, h, &o, NULL, NULL) < 0) {
		fprintf(stderr, "error: %s\n", vmp_error_last());
		return 1;
	}
	printf("%.2f %.2f %.1f\n", h->read_gbs[0], h->triad_gbs[0], h->latency_ns[0]);
	fprintf(stderr, "probe: %s kernels, arrays 3 x %zu MiB, %d threads, %d repetitions, "
		"median read %.2f triad %.2f GB/s, %.0f%% of the chase on 2 MiB pages, %.1f s\n",
		vmp_measure_isa_name(r->isa), r->array_bytes >> 20, r->threads[0], r->repetitions,
		r->read_median_gbs[0], r->triad_median_gbs[0], 100 * r->hugepage_fraction[0],
		r->seconds);
	vmp_measure_report_free(r);
	vmp_host_free(h);
	return 0;
}
C
	# shellcheck disable=SC2046
	cc -O2 -I"$SRC/include" -I"$BUILD/generated" "$TMP/drv.c" \
		"$BUILD/libvmplan_probes.a" "$BUILD/libvmplan_core.a" \
		$(pkg-config --libs hwloc libvirt libxml-2.0 jansson yaml-0.1 sqlite3) -lnuma -lm \
		-lpthread -o "$TMP/drv"
fi

likwid_gbs() {
	likwid-bench -t "$1" -w "S0:$SIZE:$THREADS" 2>/dev/null |
		awk '/^MByte\/s:/ { printf "%.2f\n", $2 / 1000 }'
}

best() { sort -g | tail -1; }

have_likwid=1
command -v likwid-bench >/dev/null || have_likwid=0
: >"$TMP/p" && : >"$TMP/lt" && : >"$TMP/ll"
printf '%-6s %10s %10s %10s %12s %12s\n' round "read" triad "lat(ns)" "likwid load" "likwid triad"
for i in $(seq 1 "$ROUNDS"); do
	read -r rd tr lat < <(probe_figures)
	echo "$rd $tr $lat" >>"$TMP/p"
	lt=- ll=-
	if [ "$have_likwid" = 1 ]; then
		lt=$(likwid_gbs stream_mem_avx)
		ll=$(likwid_gbs load_avx)
		echo "$lt" >>"$TMP/lt"
		echo "$ll" >>"$TMP/ll"
	fi
	printf '%-6s %10s %10s %10s %12s %12s\n' "$i" "$rd" "$tr" "$lat" "$ll" "$lt"
done
brd=$(cut -d' ' -f1 "$TMP/p" | best)
btr=$(cut -d' ' -f2 "$TMP/p" | best)
blat=$(cut -d' ' -f3 "$TMP/p" | sort -g | head -1)
printf '%-6s %10s %10s %10s' best "$brd" "$btr" "$blat"
if [ "$have_likwid" = 1 ]; then
	bll=$(best <"$TMP/ll")
	blt=$(best <"$TMP/lt")
	printf ' %12s %12s\n' "$bll" "$blt"
	awk -v a="$brd" -v b="$bll" -v c="$btr" -v d="$blt" \
		'BEGIN { printf "ratios: read/load_avx %.2f, triad/stream_mem_avx %.2f (target 0.90)\n",
			 a / b, c / d }'
else
	printf '\n(likwid-bench not installed: apt-get install likwid)\n'
fi
