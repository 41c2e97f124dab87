#!/usr/bin/env bash
# suggest --connect plans a VM that already exists again: its own current pins, memory and
# cache do not count as taken; another domain's still do.
. "$(dirname "$0")/lib.sh"
cat >"$TMP/node.xml" <<'XML'
<node>
  <cpu><mhz>2000</mhz><model>x86_64</model>
    <nodes>1</nodes><sockets>1</sockets><cores>4</cores><threads>1</threads></cpu>
  <memory>8388608</memory>
  <domain type='test'>
    <name>db</name><memory unit='MiB'>1024</memory>
    <vcpu placement='static' cpuset='0-2'>3</vcpu>
    <cputune><vcpupin vcpu='0' cpuset='0'/><vcpupin vcpu='1' cpuset='1'/>
      <vcpupin vcpu='2' cpuset='2'/></cputune>
    <os><type>hvm</type></os>
  </domain>
</node>
XML
run suggest --connect "test://$TMP/node.xml" --reserve 0 --vm name=db,vcpus=3,memory=1G
expect_status 0 "re-planning the running VM 'db' on its own CPUs"
expect_in out "1 of 1 VM placed" "db placed again"
# Another VM of the same shape: db's pins are taken, one CPU is free.
run suggest --connect "test://$TMP/node.xml" --reserve 0 --vm name=web,vcpus=3,memory=1G
expect_status 3 "a new VM still sees db's pins as taken"
expect_in out "the host has 1 free" "db's CPUs count for another VM"
finish
