# Host fixtures written at test time, shared by tests/cli and tests/libvirt scripts (sourced).

# test_node FILE NODES MEMORY_KIB [DOMAIN...]: a libvirt test-driver node description in FILE,
# for a test:// URI: one socket of 4 cores, one thread each, in NODES NUMA nodes, MEMORY_KIB of
# memory, and a running domain for each DOMAIN, given as NAME:MIB:CPUSET:VCPUS[:NODESET] (VCPUS
# vCPUs placed on CPUSET, MIB MiB of memory, bound strictly to NODESET where given).
test_node() {
	local file=$1 nodes=$2 memory=$3 d name mib cpuset vcpus nodeset
	shift 3
	{
		echo "<node>"
		echo "  <cpu><nodes>$nodes</nodes><sockets>1</sockets><cores>4</cores><threads>1</threads></cpu>"
		echo "  <memory>$memory</memory>"
		for d in "$@"; do
			IFS=: read -r name mib cpuset vcpus nodeset <<<"$d"
			echo "  <domain type='test'>"
			echo "    <name>$name</name><memory unit='MiB'>$mib</memory>"
			echo "    <vcpu placement='static' cpuset='$cpuset'>$vcpus</vcpu>"
			[ -z "$nodeset" ] ||
				echo "    <numatune><memory mode='strict' nodeset='$nodeset'/></numatune>"
			echo "    <os><type>hvm</type></os>"
			echo "  </domain>"
		done
		echo "</node>"
	} >"$file"
}

# running_host_json EMPTY OUT NAME: OUT is the host.json EMPTY (a one-node host of 8 GB saved by
# 'vmplan probe') with a running VM NAME pinned to CPUs 0-1 and 2 GiB on node 0, as a probe
# through libvirt writes it: the pins are used, the memory not free.
running_host_json() {
	sed -e "s/\"existing\": \[\]/\"existing\": [{\"name\": \"$3\", \"cpus\": \"0-1\", \"memory_bytes\": 2147483648, \"nodes\": \"0\"}]/" \
		-e 's/"used": ""/"used": "0-1"/' \
		-e 's/"free_bytes": 8000000000/"free_bytes": 5852516352/' \
		"$1" >"$2"
}
