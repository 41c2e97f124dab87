#!/usr/bin/env bash
# Bad option values of bench, nightly, suggest, rebalance and export (cli/args.c): message and exit 2.
. "$(dirname "$0")/lib.sh"

# bad ERR_TEXT ARGS...: vmplan ARGS... exits 2 and says ERR_TEXT.
bad() {
	local text=$1
	shift
	run "$@"
	expect_status 2 "$*"
	expect_in err "$text" "$*"
}

bad "bad --engine 'foo': use host or guest" bench --engine foo plan.json
bad "bad --guest-accel 'foo': use kvm, tcg or auto" bench --guest-accel foo plan.json
bad "bad --baseline 'x': use unpinned, naive or both" bench --baseline x plan.json
bad "bad --reps '0': expected a whole number from 1 to 1000" bench --reps 0 plan.json
bad "bad --seconds 'x': expected a number from 0.001 to 3600" bench --seconds x plan.json
bad "bad --compare-last '0': expected a whole number from 1 to 100000" bench --compare-last 0 p
bad "bad --threshold '2000': expected a number from 0 to 1000" bench --threshold 2000 p
bad "bad --workload: unknown workload 'nope'" bench --workload nope plan.json
bad "--compare-last and --threshold need --history DB" bench --threshold 5 plan.json
bad "unexpected argument 'b'; see 'vmplan bench --help'" bench a b
bad "bad --skip 'foo': use verify, bench or reports" nightly --skip verify,foo
bad "bad --reps '0': expected a whole number from 1 to 1000" nightly --reps 0
bad "bad --threshold 'x': expected a number from 0 to 1000" nightly --threshold x
bad "bad --keep-days '-1': expected a whole number from 0 to 100000" nightly --keep-days -1
bad "bad --guest-timeout '0': expected a number from 1 to 86400" nightly --guest-timeout 0
bad "unexpected argument 'a'; see 'vmplan nightly --help'" nightly a
bad "bad --order 'x': use batch or given" suggest --order x --vm name=a,vcpus=1
bad "bad --resctrl-default 'x': use shrink or keep" suggest --resctrl-default x
bad "bad --type 'xen': use kvm or qemu" suggest --type xen
bad "unexpected argument 'a'; see 'vmplan suggest --help'" suggest a
bad "--engine and --guest-* choose how --validate benches; add --validate" suggest --engine host \
	--vm name=a,vcpus=1,memory=1G --synthetic "pack:1 core:2 pu:1"
bad "bad --type 'xen': use kvm or qemu" rebalance --type xen
bad "unexpected argument 'zz'; see 'vmplan rebalance --help'" rebalance zz
bad "bad --type 'xen': use kvm or qemu" export --type xen plan.json
bad "bad --salt-state 'up': use defined or running" export --salt-state up plan.json

finish
