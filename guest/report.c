/* The result line: "VMPLAN-RESULT " and one line of JSON, the contract with bench/guest_*.c. */
#include <math.h>
#include <stdio.h>

#include "guest/guest.h"

/* Each workload's unit and direction, in enum guest_workload's order. */
static const struct {
	const char *unit;
	bool higher_is_better;
} metric_info[GUEST_NWORKLOADS] = {
    {"GB/s", true}, {"ns", false}, {"ns", false}, {"Gop/s", true}, {"ns", false}};

/* A JSON string: quotes, backslashes and control characters escaped (RFC 8259). */
static void put_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

/* A number; JSON has no NaN or infinity: null. */
static void put_number(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, "%.9g", v);
	else
		fputs("null", f);
}

static void put_topology(FILE *f, const struct guest_topology *t)
{
	fputs("{\"nodes\":[", f);
	for (int i = 0; i < t->nnodes; i++) {
		const struct guest_node *nd = &t->nodes[i];

		fprintf(f, "%s{\"id\":%d,\"cpus\":", i ? "," : "", nd->id);
		put_string(f, nd->cpulist);
		fprintf(f, ",\"memory_bytes\":%llu,\"hugepages\":[", nd->memory_bytes);
		for (int h = 0; h < nd->nhuge; h++)
			fprintf(f, "%s{\"size_kib\":%lu,\"total\":%lu}", h ? "," : "",
				nd->huge[h].size_kib, nd->huge[h].total);
		fputs("]}", f);
	}
	fprintf(f, "],\"sockets\":%d,\"dies\":%d,\"cores\":%d,\"threads\":%d,\"distances\":[",
		t->sockets, t->dies, t->cores, t->threads);
	for (int i = 0; i < t->nnodes; i++) {
		fputs(i ? ",[" : "[", f);
		for (int j = 0; j < t->nnodes; j++)
			fprintf(f, "%s%d", j ? "," : "", t->distances[i][j]);
		fputc(']', f);
	}
	fputs("]}", f);
}

void guest_result_write(FILE *f, const char *vm, const struct guest_topology *t,
			const struct guest_results *r, const char *error)
{
	bool first = true;

	fputs("VMPLAN-RESULT {\"schema\":1,\"vm\":", f);
	put_string(f, vm ? vm : "");
	fputs(",\"topology\":", f);
	if (t)
		put_topology(f, t);
	else
		fputs("null", f);
	fputs(",\"workloads\":{", f);
	for (int w = 0; r && w < GUEST_NWORKLOADS; w++) {
		const struct guest_metric *m = &r->m[w];

		if (!m->ran)
			continue;
		fprintf(f, "%s\"%s\":{\"unit\":\"%s\",\"higher_is_better\":%s,\"samples\":[",
			first ? "" : ",", guest_workload_name((enum guest_workload)w),
			metric_info[w].unit, metric_info[w].higher_is_better ? "true" : "false");
		for (int s = 0; s < m->nsamples; s++) {
			if (s)
				fputc(',', f);
			put_number(f, m->samples[s]);
		}
		fputs("]}", f);
		first = false;
	}
	fputs("},\"error\":", f);
	if (error)
		put_string(f, error);
	else
		fputs("null", f);
	fputs("}\n", f);
}
