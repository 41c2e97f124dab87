#!/usr/bin/env bash
# Start virtlogd and libvirtd in the background for the QEMU integration test (DESIGN.md:
# as root, qemu.conf with user/group root and no security driver). Exits 77 with a
# message where that cannot be done; 0 once qemu:///system answers.
set -u
say() { echo "start-daemons: $*" >&2; }
[ "$(id -u)" -eq 0 ] || { say "skip: needs root to run libvirtd"; exit 77; }
for p in libvirtd virtlogd qemu-system-x86_64 virsh; do
	command -v "$p" >/dev/null 2>&1 || [ -x "/usr/sbin/$p" ] ||
		{ say "skip: $p is missing (libvirt-daemon-system, qemu-system-x86)"; exit 77; }
done
if virsh -c qemu:///system version >/dev/null 2>&1; then
	# Already running; QEMU's output still goes through virtlogd.
	pgrep -x virtlogd >/dev/null || /usr/sbin/virtlogd -d || { say "skip: virtlogd does not start"; exit 77; }
	exit 0
fi
conf=/etc/libvirt/qemu.conf
mkdir -p /etc/libvirt /run/libvirt /var/lib/libvirt/qemu /var/log/libvirt/qemu
if ! grep -q '^security_driver = "none"' "$conf" 2>/dev/null; then
	[ -f "$conf" ] && cp -n "$conf" "$conf.vmplan-orig"
	{
		echo 'user = "root"'
		echo 'group = "root"'
		echo 'security_driver = "none"'
	} >>"$conf"
fi
PATH=/usr/sbin:$PATH
# libvirtd looks its built-in user and group up before it reads qemu.conf.
getent group kvm >/dev/null || groupadd -r kvm 2>/dev/null
getent group libvirt-qemu >/dev/null || groupadd -r libvirt-qemu 2>/dev/null
getent passwd libvirt-qemu >/dev/null ||
	useradd -r -g kvm -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu 2>/dev/null
pgrep -x virtlogd >/dev/null || virtlogd -d || { say "skip: virtlogd does not start"; exit 77; }
pgrep -x libvirtd >/dev/null || libvirtd -d || { say "skip: libvirtd does not start"; exit 77; }
# A first start can take some seconds (it probes QEMU's capabilities).
for _ in $(seq 1 150); do
	virsh -c qemu:///system version >/dev/null 2>&1 && exit 0
	sleep 0.2
done
say "skip: libvirtd started but qemu:///system does not answer"
exit 77
