/* rebalance --apply: the steps through libvirt, in order, stopping at the first that fails. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "cmd_rebalance.h"
#include "vmplan/error.h"
#include "vmplan/rebalance_apply.h"

static void say(void *arg, int step, const char *line)
{
	fprintf((FILE *)arg, "  step %d: %s\n", step + 1, line);
}

/* Hosts given as host.json cannot be changed: each step's hosts need a libvirt URI. */
static int check_hosts(const vmp_rebalance *rb, const vmp_fleet *fleet)
{
	for (int i = 0; i < rb->nsteps; i++) {
		const vmp_rebalance_step *st = &rb->steps[i];
		const vmp_fleet_host *h[2] = {&fleet->hosts[st->from], &fleet->hosts[st->to]};

		for (int k = 0; k < 2; k++)
			if (!h[k]->uri[0]) {
				cli_error(
				    "--apply cannot change host '%s' (step %d, %s of '%s'): it "
				    "is a saved host.json, not a libvirt URI; give the host as "
				    "'uri:' in the fleet, or apply the steps by hand",
				    h[k]->name, i + 1,
				    st->kind == VMP_STEP_MIGRATE ? "migration" : "re-pin", st->vm);
				return EXIT_USAGE;
			}
	}
	return 0;
}

int cli_rebalance_apply(const vmp_rebalance *rb, const vmp_fleet *fleet, char *const *xmls,
			bool dry, FILE *out)
{
	vmp_apply_step *steps;
	int status, failed, applied, err;

	if (rb->make_room && !rb->done) {
		cli_error("nothing applied: no room can be made within the moves allowed");
		return EXIT_UNPLACED;
	}
	if (rb->nsteps <= 0) {
		fprintf(out, "nothing to apply: no step\n");
		return 0;
	}
	if ((status = check_hosts(rb, fleet)) != 0)
		return status;
	if (!(steps = calloc((size_t)rb->nsteps, sizeof(*steps)))) {
		cli_error("out of memory");
		return EXIT_RUNTIME;
	}
	for (int i = 0; i < rb->nsteps; i++) {
		const vmp_rebalance_step *st = &rb->steps[i];
		bool mig = st->kind == VMP_STEP_MIGRATE;

		steps[i] = (vmp_apply_step){
		    .kind = mig ? VMP_APPLY_MIGRATE : VMP_APPLY_REPIN,
		    .domain = st->vm,
		    .uri = fleet->hosts[st->from].uri,
		    .dest_uri = mig ? fleet->hosts[st->to].uri : NULL,
		    .dest_xml = mig ? xmls[i] : NULL,
		    .vm = &st->plan->vms[0],
		};
	}
	fprintf(out, dry ? "dry run: --apply would call, changing nothing:\n" : "applying:\n");
	err = vmp_rebalance_apply(&failed, &applied, steps, rb->nsteps, dry, say, out);
	free(steps);
	if (err == VMP_OK) {
		fprintf(out, dry ? "dry run: nothing changed\n" : "applied: %d step%s\n",
			rb->nsteps, rb->nsteps == 1 ? "" : "s");
		return 0;
	}
	if (failed < 0 || err == VMP_EINVAL || err == VMP_ENOMEM) {
		cli_error("%s", vmp_error_last());
		return cli_status(err);
	}
	cli_error("step %d (%s '%s') failed: %s", failed + 1,
		  rb->steps[failed].kind == VMP_STEP_MIGRATE ? "migrate" : "re-pin",
		  rb->steps[failed].vm, vmp_error_last());
	if (dry)
		cli_error("dry run: nothing was changed");
	else if (applied == 0)
		cli_error("no step was applied: the fleet is as it was");
	else if (applied == 1)
		cli_error("step 1 was applied and left the fleet feasible (every step is planned "
			  "so); nothing after step 2 was run");
	else
		cli_error("steps 1-%d were applied and left the fleet feasible (every step is "
			  "planned so); nothing after step %d was run",
			  applied, applied + 1);
	return EXIT_RUNTIME;
}
