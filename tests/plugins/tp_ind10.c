/*
 * tp_ind10.c -- an indicator as a plugin built for ABI 1.0 would be: its ops
 * table ends at update (no batch entry) and its module says minor 0.  It
 * proves that the host's batch path still serves such plugins, through
 * update() per bar.  "tp-sum10": the running sum of the close and the bar
 * count.
 */
#include <stddef.h>
#include <stdlib.h>

#include <quantd/sdk.h>

struct st {
	double sum, n;
};

static int
create(const struct qd_host_api *api, qd_ctx *ctx, const qd_params *p,
	void **state)
{
	(void)api;
	(void)ctx;
	(void)p;
	*state = calloc(1, sizeof(struct st));
	return *state ? QD_OK : QD_ERR_NOMEM;
}

static void
destroy(void *state)
{
	free(state);
}

static uint32_t
lookback(const void *state)
{
	(void)state;
	return 0;
}

static void
update(void *state, const struct qd_bar *bar, double *out)
{
	struct st *s = state;

	s->sum += bar->close;
	s->n += 1.0;
	out[0] = s->sum;
	out[1] = s->n;
}

/*
 * Beyond the declared size: a host that read past base.size would call
 * this, and its -1s would show in the test.
 */
static void
poison_batch(void *state, const struct qd_series *s, double *const *out)
{
	size_t i;

	(void)state;
	for (i = 0; i < s->n; i++)
		out[0][i] = out[1][i] = -1.0;
}

static const char *const outs[] = { "sum", "count" };

static const struct qd_indicator_ops ops = {
	/* the size of the table as ABI 1.0 defined it */
	.base = { .size = offsetof(struct qd_indicator_ops, batch),
		  .create = create, .destroy = destroy },
	.outputs = outs, .n_outputs = 2,
	.lookback = lookback, .update = update,
	.batch = poison_batch,
};

static const struct qd_plugin plugin = {
	.size = sizeof(struct qd_plugin), .kind = QD_KIND_INDICATOR,
	.name = "tp-sum10", .version = "1.0.0",
	.description = "running sum and count of the closes (ABI 1.0 layout)",
	.license = "MIT", .ops = &ops,
};

static const struct qd_plugin *const plugins[] = { &plugin, NULL };

QD_EXPORT const struct qd_module qd_module = {
	1, 0, sizeof(struct qd_module), plugins
};
