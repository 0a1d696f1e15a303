/*
 * tp_ind.c -- indicators laid out as older plugins are, or saying where
 * their outputs are drawn.  "The running sum of the close and the bar
 * count", built several ways (tests/plugins/include.am):
 *   (default)     "tp-sum10": as a plugin built for ABI 1.0 would be: its
 *                 ops table ends at update (no batch entry) and its module
 *                 says minor 0.  It proves that the host's batch path
 *                 still serves such plugins, through update() per bar.
 *   TP_PLACED     "tp-placed": ABI 1.7, no QD_INDICATOR_OVERLAY, its first
 *                 output QD_OUTPUT_PRICE: over the candles, the second in
 *                 a pane.
 *   TP_LAYOUT_16  "tp-placed16": laid out as ABI 1.6 built it (the table
 *                 ends at flags, module minor 6), QD_INDICATOR_OVERLAY:
 *                 both outputs over the candles.  Its output_flags, past
 *                 the declared size, say "pane": a host that read them
 *                 would put both in a pane.
 *   TP_BAD_FLAGS  "tp-placed-bad": its second output both QD_OUTPUT_PRICE
 *                 and QD_OUTPUT_PANE: the loader refuses the module.
 */
#include <stddef.h>
#include <stdlib.h>

#include <quantd/sdk.h>

#if defined(TP_PLACED) || defined(TP_LAYOUT_16) || defined(TP_BAD_FLAGS)
#define TP_PLACEMENT 1
#endif

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

#ifndef TP_PLACEMENT
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
#endif

static const char *const outs[] = { "sum", "count" };

#ifdef TP_PLACEMENT
#if defined(TP_PLACED)
#define TP_IND_NAME "tp-placed"
#define TP_OPS_SIZE sizeof(struct qd_indicator_ops)
#define TP_FLAGS 0
#define TP_MINOR QD_ABI_MINOR
static const uint32_t places[] = { QD_OUTPUT_PRICE, 0 };
#elif defined(TP_LAYOUT_16)
#define TP_IND_NAME "tp-placed16"
#define TP_OPS_SIZE offsetof(struct qd_indicator_ops, output_flags)
#define TP_FLAGS QD_INDICATOR_OVERLAY
#define TP_MINOR 6
static const uint32_t places[] = { QD_OUTPUT_PANE, QD_OUTPUT_PANE };
#else
#define TP_IND_NAME "tp-placed-bad"
#define TP_OPS_SIZE sizeof(struct qd_indicator_ops)
#define TP_FLAGS 0
#define TP_MINOR QD_ABI_MINOR
static const uint32_t places[] = { 0, QD_OUTPUT_PRICE | QD_OUTPUT_PANE };
#endif

static const struct qd_indicator_ops ops = {
	.base = { .size = TP_OPS_SIZE, .create = create, .destroy = destroy },
	.outputs = outs, .n_outputs = 2,
	.lookback = lookback, .update = update,
	.flags = TP_FLAGS, .output_flags = places,
};
#define TP_DESC "running sum and count of the closes, placed per output"
#else
static const struct qd_indicator_ops ops = {
	/* the size of the table as ABI 1.0 defined it */
	.base = { .size = offsetof(struct qd_indicator_ops, batch),
		  .create = create, .destroy = destroy },
	.outputs = outs, .n_outputs = 2,
	.lookback = lookback, .update = update,
	.batch = poison_batch,
};
#define TP_IND_NAME "tp-sum10"
#define TP_DESC "running sum and count of the closes (ABI 1.0 layout)"
#define TP_MINOR 0
#endif

static const struct qd_plugin plugin = {
	.size = sizeof(struct qd_plugin), .kind = QD_KIND_INDICATOR,
	.name = TP_IND_NAME, .version = "1.0.0",
	.description = TP_DESC,
	.license = "MIT", .ops = &ops,
};

static const struct qd_plugin *const plugins[] = { &plugin, NULL };

QD_EXPORT const struct qd_module qd_module = {
	1, TP_MINOR, sizeof(struct qd_module), plugins
};
