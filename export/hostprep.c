/* Host preparation: the kernel, tuned, irqbalance, systemd and resctrl settings a plan assumes. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmplan/error.h"
#include "vmplan/hostprep.h"

static const char *const slices[] = {"system.slice", "user.slice", "machine.slice"};

static int no_memory(void)
{
	vmp_error_set("cannot prepare the host: out of memory");
	return VMP_ENOMEM;
}

static int add_file(vmp_hostprep *hp, const char *name, const char *dest, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int add_file(vmp_hostprep *hp, const char *name, const char *dest, const char *fmt, ...)
{
	vmp_hostprep_file *f;
	va_list ap;
	int n;

	if (hp->nfiles >= VMP_HOSTPREP_FILES_MAX)
		return no_memory();
	f = &hp->files[hp->nfiles];
	va_start(ap, fmt);
	n = vasprintf(&f->content, fmt, ap);
	va_end(ap);
	if (n < 0) {
		f->content = NULL;
		return no_memory();
	}
	snprintf(f->name, sizeof(f->name), "%s", name);
	snprintf(f->dest, sizeof(f->dest), "%s", dest);
	hp->nfiles++;
	return VMP_OK;
}

static int add_write(vmp_hostprep *hp, const char *path, const char *value, const char *what)
{
	vmp_hostprep_write *grown = realloc(hp->writes, sizeof(*grown) * (size_t)(hp->nwrites + 1));

	if (!grown)
		return no_memory();
	hp->writes = grown;
	memset(&grown[hp->nwrites], 0, sizeof(*grown));
	snprintf(grown[hp->nwrites].path, sizeof(grown->path), "%s", path);
	snprintf(grown[hp->nwrites].value, sizeof(grown->value), "%s", value);
	snprintf(grown[hp->nwrites].what, sizeof(grown->what), "%s", what);
	hp->nwrites++;
	return VMP_OK;
}

/* root + rest, with one slash between; "/" alone adds nothing. */
static void under(char *out, size_t size, const char *root, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void under(char *out, size_t size, const char *root, const char *fmt, ...)
{
	char rest[384];
	size_t n = strlen(root);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rest, sizeof(rest), fmt, ap);
	va_end(ap);
	while (n > 0 && root[n - 1] == '/')
		n--;
	snprintf(out, size, "%.*s%s", (int)n, root, rest);
}

static void cpus(vmp_hostprep *hp, const vmp_plan *plan, const vmp_host *host)
{
	vmp_cpuset used;

	vmp_cpuset_zero(&used);
	for (int i = 0; i < plan->nvms; i++) {
		const vmp_plan_vm *vm = &plan->vms[i];

		if (!vm->placed)
			continue;
		vmp_cpuset_or(&used, &used, &vm->pcpus);
		vmp_cpuset_or(&used, &used, &vm->emulatorpin);
		for (int t = 0; t < vm->niothreads && t < VMP_MAX_IOTHREADS; t++)
			vmp_cpuset_or(&used, &used, &vm->iothreadpin[t]);
		if (vm->req.cpu == VMP_CPU_DEDICATED)
			vmp_cpuset_or(&hp->dedicated, &hp->dedicated, &vm->pcpus);
	}
	/* Housekeeping CPUs of the plan (emulator=isolate, I/O threads) stay housekeeping. */
	vmp_cpuset_andnot(&hp->housekeeping, &host->online, &used);
	vmp_cpuset_or(&hp->housekeeping, &hp->housekeeping, &host->reserved);
	vmp_cpuset_andnot(&hp->housekeeping, &hp->housekeeping, &hp->dedicated);
}

/* Pages of page_bytes the plan's placed VMs put on node id. */
static uint64_t pages_on(const vmp_plan *plan, int node, uint64_t page_bytes)
{
	uint64_t pages = 0;

	for (int i = 0; i < plan->nvms; i++) {
		const vmp_plan_vm *vm = &plan->vms[i];

		if (!vm->placed || vm->req.hugepage_bytes != page_bytes)
			continue;
		for (int c = 0; c < vm->ncells; c++)
			if (vm->cells[c].host_node == node)
				pages += (vm->cells[c].memory_bytes + page_bytes - 1) / page_bytes;
	}
	return pages;
}

static const vmp_hugepages *pool(const vmp_node *n, uint64_t kib)
{
	for (int k = 0; k < n->nhugepages; k++)
		if (n->hugepages[k].size_kib == kib)
			return &n->hugepages[k];
	return NULL;
}

/* Runtime pools where short; the boot-time "hugepagesz=S hugepages=N0:P0,..." in cmdline. */
static int hugepages(vmp_hostprep *hp, char *cmdline, size_t size, const vmp_plan *plan,
		     const vmp_host *host, const char *root)
{
	uint64_t sizes[8];
	int nsizes = 0, err;

	for (int i = 0; i < plan->nvms; i++) {
		uint64_t b = plan->vms[i].req.hugepage_bytes;
		bool seen = false;

		for (int k = 0; k < nsizes; k++)
			seen = seen || sizes[k] == b;
		if (plan->vms[i].placed && b && !seen && nsizes < 8)
			sizes[nsizes++] = b;
	}
	for (int k = 0; k < nsizes; k++) {
		uint64_t kib = sizes[k] / 1024;
		size_t len = strlen(cmdline);
		int parts = 0;

		len += (size_t)snprintf(
		    cmdline + len, size - len, " hugepagesz=%" PRIu64 "%s hugepages=",
		    kib >= 1048576 ? kib / 1048576 : kib / 1024, kib >= 1048576 ? "G" : "M");
		for (int n = 0; n < host->nnodes && len < size; n++) {
			const vmp_hugepages *p = pool(&host->nodes[n], kib);
			uint64_t need = pages_on(plan, host->nodes[n].id, sizes[k]);
			uint64_t free_pages = p ? p->free : 0, total = p ? p->total : 0;
			char path[512], value[32], what[96];

			if (!need)
				continue;
			len += (size_t)snprintf(cmdline + len, size - len, "%s%d:%" PRIu64,
						parts++ ? "," : "", host->nodes[n].id, need);
			if (need <= free_pages)
				continue;
			under(path, sizeof(path), root,
			      "/sys/devices/system/node/node%d/hugepages/hugepages-%" PRIu64
			      "kB/nr_hugepages",
			      host->nodes[n].id, kib);
			snprintf(value, sizeof(value), "%" PRIu64, total + need - free_pages);
			snprintf(what, sizeof(what), "hugepages node %d %" PRIu64 "kB",
				 host->nodes[n].id, kib);
			if ((err = add_write(hp, path, value, what)) < 0)
				return err;
		}
	}
	return VMP_OK;
}

/* Each IRQ of the host's PCI devices to the housekeeping CPUs of the device's node (all
 * housekeeping CPUs where that node has none). */
static int irqs(vmp_hostprep *hp, const vmp_host *host, const char *root)
{
	for (int d = 0; d < host->ndevices; d++) {
		const vmp_device *dev = &host->devices[d];
		vmp_cpuset to = hp->housekeeping;
		char dir[512], path[512], value[256], what[96];
		struct dirent *de;
		DIR *dh;
		int err;

		if (!*dev->pci)
			continue;
		if (dev->node >= 0 && dev->node < host->nnodes) {
			vmp_cpuset_and(&to, &to, &host->nodes[dev->node].cpus);
			if (vmp_cpuset_empty(&to))
				to = hp->housekeeping;
		}
		vmp_cpuset_format(value, sizeof(value), &to);
		under(dir, sizeof(dir), root, "/sys/bus/pci/devices/%s/msi_irqs", dev->pci);
		if (!(dh = opendir(dir)))
			continue; /* no MSI: the device's IRQs follow irqaffinity= */
		while ((de = readdir(dh))) {
			char *end;
			long irq = strtol(de->d_name, &end, 10);

			if (*de->d_name == '.' || *end || irq < 0)
				continue;
			under(path, sizeof(path), root, "/proc/irq/%ld/smp_affinity_list", irq);
			snprintf(what, sizeof(what), "irq %ld (%s %s)", irq, dev->kind, dev->pci);
			if ((err = add_write(hp, path, value, what)) < 0) {
				closedir(dh);
				return err;
			}
		}
		closedir(dh);
	}
	return VMP_OK;
}

static int cgroups(vmp_hostprep *hp, const char *root)
{
	char path[512], value[256], what[96];
	int err;

	vmp_cpuset_format(value, sizeof(value), &hp->housekeeping);
	for (size_t i = 0; i < sizeof(slices) / sizeof(*slices); i++) {
		/* machine.slice holds the VMs: libvirt pins their threads itself. */
		if (!strcmp(slices[i], "machine.slice"))
			continue;
		/* cgroup v2 (unified), then v1's cpuset hierarchy: the host has one of them. */
		snprintf(what, sizeof(what), "AllowedCPUs of %s (runtime)", slices[i]);
		under(path, sizeof(path), root, "/sys/fs/cgroup/%s/cpuset.cpus", slices[i]);
		if ((err = add_write(hp, path, value, what)) < 0)
			return err;
		under(path, sizeof(path), root, "/sys/fs/cgroup/cpuset/%s/cpuset.cpus", slices[i]);
		if ((err = add_write(hp, path, value, what)) < 0)
			return err;
	}
	return VMP_OK;
}

/* The longest run of contiguous set bits of mask (Intel CAT takes only contiguous masks). */
static uint64_t longest_run(uint64_t mask)
{
	uint64_t best = 0;

	for (int lo = 0; lo < 64; lo++) {
		uint64_t run = 0;

		for (int b = lo; b < 64 && (mask >> b & 1); b++)
			run |= UINT64_C(1) << b;
		if (__builtin_popcountll(run) > __builtin_popcountll(best))
			best = run;
	}
	return best;
}

/* The default resctrl group keeps the L3 ways no VM is given, in every domain. */
static int resctrl(vmp_hostprep *hp, const vmp_plan *plan, const vmp_host *host, const char *root)
{
	const vmp_rdt_cache *l3 = &host->resctrl.l3;
	char line[256] = "L3:", path[512];
	size_t len = 3;
	bool any = false;

	for (int i = 0; i < plan->nvms; i++)
		any = any || (plan->vms[i].placed && plan->vms[i].ncachetune);
	if (!any || !host->resctrl.present || !l3->present)
		return VMP_OK;
	for (int d = 0; d < l3->ndomains; d++) {
		uint64_t vm_ways = 0, keep;

		for (int i = 0; i < plan->nvms; i++)
			for (int k = 0; plan->vms[i].placed && k < plan->vms[i].ncachetune; k++)
				if (plan->vms[i].cachetune[k].level == 3 &&
				    plan->vms[i].cachetune[k].cache_id == l3->domains[d].id)
					vm_ways |= plan->vms[i].cachetune[k].ways_mask;
		/* Where the plan needs none of the default group's ways it keeps them (what the
		 * planner assumed); else the longest run of the rest (planner/rdt.c). */
		keep = l3->domains[d].default_mask && !(l3->domains[d].default_mask & vm_ways)
			   ? l3->domains[d].default_mask
			   : longest_run(l3->cbm_mask & ~vm_ways);
		if (!keep || (unsigned)__builtin_popcountll(keep) < l3->min_cbm_bits) {
			vmp_error_set(
			    "the plan gives every L3 way of cache %d to VMs: the default "
			    "resctrl group needs at least %u; re-plan with smaller cache=",
			    l3->domains[d].id, l3->min_cbm_bits);
			return VMP_EINFEASIBLE;
		}
		len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%d=%" PRIx64,
					d ? ";" : "", l3->domains[d].id, keep);
	}
	under(path, sizeof(path), root, "/sys/fs/resctrl/schemata");
	return add_write(hp, path, line, "resctrl default group L3 ways");
}

static int kernel_files(vmp_hostprep *hp, const char *cmdline)
{
	char d[1024], h[1024];
	int err;

	vmp_cpuset_format(d, sizeof(d), &hp->dedicated);
	vmp_cpuset_format(h, sizeof(h), &hp->housekeeping);
	if ((err =
		 add_file(hp, "kernel-cmdline.txt", "",
			  "# Append to the kernel command line (GRUB_CMDLINE_LINUX in "
			  "/etc/default/grub, then update-grub or grub2-mkconfig); takes effect at "
			  "the next boot.\n%s\n",
			  cmdline)) < 0 ||
	    (err = add_file(hp, "cpu-partitioning-variables.conf",
			    "/etc/tuned/cpu-partitioning-variables.conf",
			    "# tuned's cpu-partitioning profile: the CPUs of dedicated vCPUs\n"
			    "isolated_cores=%s\n",
			    d)) < 0 ||
	    (err = add_file(hp, "irqbalance", "/etc/sysconfig/irqbalance",
			    "# irqbalance leaves the CPUs of dedicated vCPUs alone (Debian: "
			    "/etc/default/irqbalance)\nIRQBALANCE_BANNED_CPULIST=%s\n",
			    d)) < 0)
		return err;
	for (size_t i = 0; i < 2; i++) {
		char name[64], dest[160];

		snprintf(name, sizeof(name), "%s-allowedcpus.conf", slices[i]);
		snprintf(dest, sizeof(dest), "/etc/systemd/system/%s.d/50-vmplan-allowedcpus.conf",
			 slices[i]);
		if ((err = add_file(hp, name, dest, "[Slice]\nAllowedCPUs=%s\n", h)) < 0)
			return err;
	}
	return VMP_OK;
}

/* A Salt state that installs every file with a destination; the reboot is the operator's. */
static int salt_file(vmp_hostprep *hp)
{
	char *sls = NULL, *grown;
	int n = hp->nfiles;

	for (int i = 0; i < n; i++) {
		const vmp_hostprep_file *f = &hp->files[i];

		if (!*f->dest)
			continue;
		if (asprintf(&grown,
			     "%svmplan-hostprep-%s:\n  file.managed:\n    - name: '%s'\n    - "
			     "source: salt://vmplan/hostprep/%s\n    - makedirs: true\n\n",
			     sls ? sls : "", f->name, f->dest, f->name) < 0) {
			free(sls);
			return no_memory();
		}
		free(sls);
		sls = grown;
	}
	n = add_file(hp, "hostprep.sls", "",
		     "# Salt states: put the other files of this folder under "
		     "salt://vmplan/hostprep/.\n# The kernel command line "
		     "(kernel-cmdline.txt) needs a reboot: vmplan never does it.\n\n%s",
		     sls ? sls : "");
	free(sls);
	return n;
}

void vmp_hostprep_free(vmp_hostprep *hp)
{
	if (!hp)
		return;
	for (int i = 0; i < hp->nfiles; i++)
		free(hp->files[i].content);
	free(hp->writes);
	free(hp);
}

int vmp_hostprep_make(vmp_hostprep **out, const vmp_plan *plan, const vmp_host *host,
		      const char *root)
{
	vmp_hostprep *hp = calloc(1, sizeof(*hp));
	char cmdline[8192], d[1024], h[1024];
	int err;

	*out = NULL;
	if (!hp)
		return no_memory();
	cpus(hp, plan, host);
	if (vmp_cpuset_empty(&hp->housekeeping)) {
		vmp_error_set("the plan leaves no CPU for housekeeping (services, IRQs, RCU "
			      "callbacks); re-plan with --reserve auto or a CPU set");
		err = VMP_EINFEASIBLE;
		goto out;
	}
	vmp_cpuset_format(d, sizeof(d), &hp->dedicated);
	vmp_cpuset_format(h, sizeof(h), &hp->housekeeping);
	if (vmp_cpuset_empty(&hp->dedicated))
		snprintf(cmdline, sizeof(cmdline), "irqaffinity=%s", h);
	else
		snprintf(cmdline, sizeof(cmdline),
			 "isolcpus=managed_irq,domain,%s nohz_full=%s rcu_nocbs=%s irqaffinity=%s",
			 d, d, d, h);
	if ((err = hugepages(hp, cmdline, sizeof(cmdline), plan, host, root)) < 0 ||
	    (err = cgroups(hp, root)) < 0 || (err = irqs(hp, host, root)) < 0 ||
	    (err = resctrl(hp, plan, host, root)) < 0 || (err = kernel_files(hp, cmdline)) < 0 ||
	    (err = salt_file(hp)) < 0)
		goto out;
	snprintf(hp->reboot, sizeof(hp->reboot),
		 "the kernel command line (%s) takes effect at the next boot; vmplan never "
		 "reboots",
		 cmdline);
	*out = hp;
	hp = NULL;
out:
	vmp_hostprep_free(hp);
	return err;
}

/* The line of a schemata file that holds L3 (what the default group's write replaces). */
static void l3_line(char *out, size_t size, const char *text)
{
	const char *p = strstr(text, "L3:");

	if (!p || (p != text && p[-1] != '\n' && p[-1] != ' '))
		p = text;
	snprintf(out, size, "%.*s", (int)strcspn(p, "\n"), p);
}

int vmp_hostprep_read_value(char *out, size_t size, const char *path)
{
	char text[4096];
	size_t n;
	FILE *f = fopen(path, "r");

	if (!f && errno == ENOENT) {
		vmp_error_set("cannot read '%s': %s", path, strerror(errno));
		return VMP_ENOTFOUND;
	}
	if (!f) {
		vmp_error_set("cannot read '%s': %s", path, strerror(errno));
		return VMP_ESYS;
	}
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	if (strstr(path, "/schemata"))
		l3_line(out, size, text);
	else
		snprintf(out, size, "%.*s", (int)strcspn(text, "\n"), text);
	return VMP_OK;
}

int vmp_hostprep_read_old(vmp_hostprep *hp)
{
	int kept = 0, err;

	for (int i = 0; i < hp->nwrites; i++) {
		vmp_hostprep_write *w = &hp->writes[i];

		err = vmp_hostprep_read_value(w->old, sizeof(w->old), w->path);
		if (err == VMP_ENOTFOUND) {
			hp->nmissing++;
			continue;
		}
		if (err < 0)
			return err;
		if (kept != i)
			hp->writes[kept] = *w;
		kept++;
	}
	hp->nwrites = kept;
	return VMP_OK;
}

int vmp_hostprep_write_value(const char *path, const char *value)
{
	FILE *f = fopen(path, "w");
	int bad;

	if (!f) {
		vmp_error_set("cannot write '%s': %s", path, strerror(errno));
		return VMP_ESYS;
	}
	/* A kernel file takes the value in one write() and refuses it at write or close. */
	bad = fprintf(f, "%s\n", value) < 0;
	bad |= fclose(f) != 0;
	if (bad) {
		vmp_error_set("cannot write '%s' to '%s': %s", value, path, strerror(errno));
		return VMP_ESYS;
	}
	return VMP_OK;
}
