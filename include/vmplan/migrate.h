/* Migration targets: a running domain's XML and the request its shape makes (probes/migrate.c). */
#ifndef VMPLAN_MIGRATE_H
#define VMPLAN_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>

#include "vmplan/model.h"

/**
 * A domain's XML as libvirt gives it for a migration (VIR_DOMAIN_XML_MIGRATABLE: what
 * `virsh dumpxml --migratable` prints, the form `virsh migrate --xml` takes back), read
 * through a read-write connection; where only a read-only one is allowed, the live XML.
 *
 * @param out     the document; the caller frees it with free()
 * @param running set to whether the domain runs
 * @param uri     the libvirt URI of its host (NULL: libvirt's default)
 * @param domain  the domain's name
 * @return VMP_OK; VMP_ENOTFOUND when uri has no such domain ("no domain 'D' on 'URI'");
 *         VMP_ESYS when the connection or the read fails (with libvirt's message)
 */
int vmp_migrate_domain_xml(char **out, bool *running, const char *uri, const char *domain);

/**
 * The request a domain's shape makes, through the request key table: name, vcpus
 * (<vcpu>), memory (<memory>), cpu (dedicated when it has vcpupin, else shared), threads
 * (require when <cpu><topology threads> is above 1), numa (the <cpu><numa> cells),
 * memory_mode (<numatune><memory mode>), iothreads, hugepages (<memoryBacking><hugepages>
 * with its page size; 2M without one), locked, nosharepages, hard_limit, soft_limit,
 * swap_hard_limit (<memtune>), cache (the first <cachetune>'s size), membw (the first
 * <memorytune> node's bandwidth, in percent), sched and sched_priority (<vcpusched>),
 * shares, period and quota (<cputune>). What the domain leaves out keeps vmplan's default.
 *
 * @param out  the request
 * @param spec the same as a --vm SPEC ("name=db,vcpus=4,memory=4GiB,..."); truncated to size
 * @param size bytes of spec
 * @param xml  the domain XML
 * @param what names the domain in messages ("domain 'db' on 'qemu:///system'")
 * @return VMP_OK; VMP_EINVAL when the XML does not parse, has no name, vcpu or memory, or
 *         a value vmplan cannot take (the message names the element and the key)
 */
int vmp_migrate_domain_request(vmp_vm_request *out, char *spec, size_t size, const char *xml,
			       const char *what);

#endif
