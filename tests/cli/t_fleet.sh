# suggest --fleet end to end: host.json hosts, libvirt's test driver as a host, a host down.
. "$(dirname "$0")/lib.sh"

run probe --synthetic "pack:2 [numa(memory=32GB)] core:4 pu:2" -o "$TMP/big.json"
expect_status 0 "probe big"
run probe --synthetic "pack:1 [numa(memory=16GB)] core:4 pu:2" -o "$TMP/small.json"
expect_status 0 "probe small"
# A test-driver node of 4 CPUs; domain 'busy' holds CPUs 0-2 and 3 GiB of the 4.
test_node "$TMP/node.xml" 1 4194304 busy:3072:0-2:3:0
mkdir "$TMP/hosts"
mv "$TMP/big.json" "$TMP/small.json" "$TMP/hosts/"
cat >"$TMP/fleet.yaml" <<EOF
hosts:
  - host: hosts/big.json
    name: big
    labels: [ssd]
  - host: hosts/small.json
    name: small
  - uri: test://$TMP/node.xml
    name: tiny
    labels: tiny
  - uri: test:///nonexistent/gone.xml
    name: gone
EOF
cat >"$TMP/mix.yaml" <<'EOF'
vms:
  - {name: db1, vcpus: 2, memory: 2G, group: db}
  - {name: db2, vcpus: 2, memory: 2G, group: db}
  - {name: fast, vcpus: 2, memory: 1G, host: ssd}
  - {name: edge, vcpus: 1, memory: 512M, host: tiny}
EOF

run suggest --fleet "$TMP/fleet.yaml" --vms "$TMP/mix.yaml" --reserve none --explain \
	--xml-dir "$TMP/xml" -o "$TMP/plan.json"
expect_status 0 "every VM placed"
expect_in err "host 'gone' left out: cannot connect to libvirt at 'test:///nonexistent/gone.xml'" \
	"the host that does not answer is named"
expect_in out "fleet: 4 hosts, 3 up, policy pack" "the fleet summary"
expect_in out "4 of 4 VMs placed" "the count"
expect_in out "host gone refused: down" "--explain names the host that is down"
expect_in out "host small refused: no label 'ssd'" "--explain: the label refusal"
expect_in out "holds a member of group 'db'" "--explain: the anti-affinity refusal"
expect_true "the labelled VM on the labelled host" test -s "$TMP/xml/big/fast.xml"
expect_true "the test-driver host's VM in its directory" test -s "$TMP/xml/tiny/edge.xml"
expect_true "the one CPU the existing domain leaves" grep -q 'vcpupin vcpu="0" cpuset="3"' \
	"$TMP/xml/tiny/edge.xml"
db1=$(cd "$TMP/xml" && ls -d */db1.xml)
db2=$(cd "$TMP/xml" && ls -d */db2.xml)
expect_true "group members on different hosts ($db1, $db2)" [ "${db1%/*}" != "${db2%/*}" ]
expect_true "fleet plan.json written" grep -q '"kind": "fleet"' "$TMP/plan.json"
expect_true "the host's URI in plan.json" grep -q "\"uri\": \"test://$TMP/node.xml\"" \
	"$TMP/plan.json"
expect_true "the group key in plan.json" grep -q '"group": "db"' "$TMP/plan.json"

# vmplan reads the fleet plan back: export writes DIR/HOST/, --define fleet uses each host's URI.
run export "$TMP/plan.json" --out-dir "$TMP/exported"
expect_status 0 "export of a fleet plan"
expect_true "each host's XML in its directory" test -s "$TMP/exported/big/fast.xml"
expect_true "the test-driver host's too" grep -q 'cpuset="3"' "$TMP/exported/tiny/edge.xml"
run export "$TMP/plan.json" --define fleet --dry-run
expect_status 2 "host.json hosts have no URI to define on"
expect_in err "host 'big' came from a host.json and has no URI; nothing defined" "said so"
run export "$TMP/plan.json" --define test:///default
expect_status 2 "a fleet plan is defined per host"
expect_in err "--define fleet" "the way to define it"
printf 'hosts:\n  - uri: test:///default\n    name: t1\n  - uri: test:///default\n    name: t2\n' \
	>"$TMP/test.yaml"
run suggest --fleet "$TMP/test.yaml" --fleet-policy spread --vm name=v1,vcpus=1,memory=256M \
	--vm name=v2,vcpus=1,memory=256M -o "$TMP/tplan.json"
expect_status 0 "a fleet of test-driver hosts"
run export "$TMP/tplan.json" --define fleet
expect_status 0 "defined on each host"
expect_in out "v1: created" "v1 defined"
expect_in out "v2: created" "v2 defined"

# --define fleet checks each host is the one planned (identity), before defining anywhere.
sed 's/<cores>4</<cores>2</' "$TMP/node.xml" >"$TMP/node2.xml"
sed 's/<cores>4</<cores>6</' "$TMP/node.xml" >"$TMP/node3.xml"
printf 'hosts:\n  - uri: test://%s/node2.xml\n    name: n2\n  - uri: test://%s/node3.xml\n    name: n3\n' \
	"$TMP" "$TMP" >"$TMP/ident.yaml"
run suggest --fleet "$TMP/ident.yaml" --fleet-policy spread --reserve none \
	--vm name=i1,vcpus=1,memory=256M --vm name=i2,vcpus=1,memory=256M -o "$TMP/iplan.json"
expect_status 0 "a fleet of two test-driver nodes"
run export "$TMP/iplan.json" --define fleet
expect_status 0 "each host the one planned: defined"
expect_in out "i2: created" "defined on the second host"
# n3 is now another machine: 8 GiB, not 4.
sed -e 's/<cores>4</<cores>6</' -e 's/4194304/8388608/' "$TMP/node.xml" >"$TMP/node3.xml"
run export "$TMP/iplan.json" --define fleet
expect_status 2 "a host that is not the one planned"
expect_in err "fleet host 'n3' refused; nothing defined on any host" "the host named"
expect_in err "the plan is for host" "the difference named"
expect_true "nothing defined on n2 either" not grep -q "created" "$TMP/out"
run export "$TMP/iplan.json" --define fleet --force
expect_status 0 "--force defines anyway"
expect_in err "warning: --force" "with a warning"
expect_in out "i1: created" "the first host's VM"

# pack keeps whole hosts free; spread balances.
printf 'hosts:\n  - host: hosts/small.json\n    name: a\n  - host: hosts/small.json\n    name: b\n' \
	>"$TMP/two.yaml"
run suggest --fleet "$TMP/two.yaml" --reserve none --vm name=x,vcpus=2,memory=1G \
	--vm name=y,vcpus=2,memory=1G
expect_status 0 "pack"
expect_in out "2 of 2 VMs placed on 1 host" "pack: one host"
run suggest --fleet "$TMP/two.yaml" --fleet-policy spread --reserve none \
	--vm name=x,vcpus=2,memory=1G --vm name=y,vcpus=2,memory=1G --json
expect_status 0 "spread"
expect_true "spread: two hosts" [ "$(grep -c '"plan": {' "$TMP/out")" = 2 ]

# Keep-together: spread would part t1 and t2; the group keeps them on one host.
run suggest --fleet "$TMP/two.yaml" --fleet-policy spread --reserve none --explain \
	--vm name=t1,vcpus=2,memory=1G,together=t --vm name=t2,vcpus=2,memory=1G,together=t \
	--vm name=z,vcpus=1,memory=1G,group=t --xml-dir "$TMP/txml" -o "$TMP/together.json"
expect_status 0 "a keep-together group"
t1=$(cd "$TMP/txml" && ls -d */t1.xml)
t2=$(cd "$TMP/txml" && ls -d */t2.xml)
expect_true "together on one host ($t1, $t2)" [ "${t1%/*}" = "${t2%/*}" ]
expect_in out "chosen for keep-together group 't'" "--explain names the group"
expect_true "the together key in plan.json" grep -q '"together": "t"' "$TMP/together.json"
run export "$TMP/together.json" --out-dir "$TMP/texported"
expect_status 0 "the plan with together= reads back"
run suggest --fleet "$TMP/two.yaml" --reserve none --vm name=b1,vcpus=6,memory=1G,together=b \
	--vm name=b2,vcpus=6,memory=1G,together=b
expect_status 3 "a group no host takes whole"
expect_in out "keep-together group 'b' (2 VMs): no host of 2 takes it" "why, for the group"
expect_true "neither member placed" grep -q "0 of 2 VMs placed" "$TMP/out"
run suggest --vm "name=x,vcpus=1,memory=1G,together=a/b"
expect_status 2 "a bad keep-together name"

# A VM no host takes: status 3, with the reason.
run suggest --fleet "$TMP/two.yaml" --reserve none --vm name=huge,vcpus=64,memory=1G
expect_status 3 "not placed"
expect_in out "no host of 2 takes it: 2 CPUs" "why not"

# Bad input: status 2, nothing written.
printf 'hosts:\n  - name: x\n' >"$TMP/bad.yaml"
run suggest --fleet "$TMP/bad.yaml" --vm name=x,vcpus=1,memory=1G -o "$TMP/bad.json"
expect_status 2 "a host without uri or host"
expect_in err "hosts[0] (line 2): give 'uri'" "the entry and line named"
expect_true "nothing written" test ! -e "$TMP/bad.json"
run suggest --fleet "$TMP/two.yaml" --host "$TMP/hosts/small.json" --vm name=x,vcpus=1,memory=1G
expect_status 2 "--fleet with --host"
run suggest --fleet "$TMP/two.yaml" --fleet-policy tight --vm name=x,vcpus=1,memory=1G
expect_status 2 "bad policy"
expect_in err "bad --fleet-policy 'tight'" "the policy quoted"
run suggest --fleet-policy pack --vm name=x,vcpus=1,memory=1G
expect_status 2 "--fleet-policy without --fleet"
run suggest --vm "name=x,vcpus=1,memory=1G,group=a b"
expect_status 2 "a bad group name"
printf 'hosts:\n  - uri: test:///nonexistent/a.xml\n' >"$TMP/down.yaml"
run suggest --fleet "$TMP/down.yaml" --vm name=x,vcpus=1,memory=1G
expect_status 1 "every host down"
expect_in err "no host of fleet" "said so"

finish
