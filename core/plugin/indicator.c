/*
 * indicator.c -- indicator instances on the host side.
 *
 * An indicator plugin is created with a small host API of its own (log and
 * param_*): indicators are pure functions of their input and must not need
 * anything else.  `ctx` is NULL for them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log/log.h"
#include "plugin/indicator.h"
#include "plugin/params.h"
#include "plugin/plugin.h"

/* Whether the ops table's declared size covers member f (added in a later
 * minor than the plugin may have been built for). */
#define OPS_COVER(io, f) ((io)->base.size >= offsetof(struct qd_indicator_ops, \
	f) + sizeof((io)->f))

struct qd_indicator {
	const struct qd_plugin *desc;
	const struct qd_indicator_ops *ops;
	qd_params *params;
	void *state;
	void (*update)(void *, const struct qd_bar *, double *);
	/* the plugin's batch entry (ABI 1.1), NULL if it has none */
	void (*batch)(void *, const struct qd_series *, double *const *);
	void *owner;
};

static void
ind_log(qd_ctx *ctx, enum qd_log_level level, const char *fmt, ...)
{
	va_list ap;

	(void)ctx;
	va_start(ap, fmt);
	log_vmsg(level, "indicator", fmt, ap);
	va_end(ap);
}

static int64_t
ind_now(qd_ctx *ctx)
{
	(void)ctx;
	return 0;
}

static const struct qd_host_api indicator_api = {
	.size = sizeof(struct qd_host_api),
	.abi_major = QD_ABI_MAJOR,
	.abi_minor = QD_ABI_MINOR,
	.log = ind_log,
	.now_ns = ind_now,
	.param_int = params_int,
	.param_double = params_double,
	.param_bool = params_bool,
	.param_string = params_string,
};

qd_indicator *
indicator_new(const struct plugin_registry *r, const char *name,
	const struct qd_kv *kv, size_t n_params, char *err, size_t errlen)
{
	const struct plugin *p = plugin_find_kind(r, QD_KIND_INDICATOR, name);
	qd_indicator *ind;
	int rc;

	if (p == NULL) {
		snprintf(err, errlen, "no indicator named '%s' is loaded "
			"(quantctl plugin list shows what is)", name);
		return NULL;
	}
	if ((ind = calloc(1, sizeof(*ind))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ind->desc = plugin_desc(p);
	ind->ops = ind->desc->ops;
	ind->update = ind->ops->update;
	if (OPS_COVER(ind->ops, batch))
		ind->batch = ind->ops->batch;
	ind->params = params_from_kv(ind->desc, kv, n_params, err, errlen);
	if (ind->params == NULL)
		goto fail;
	rc = ind->ops->base.create(&indicator_api, NULL, ind->params,
		&ind->state);
	if (rc != QD_OK) {
		snprintf(err, errlen, "indicator '%s' create failed: %s", name,
			qd_strerror(rc));
		goto fail;
	}
	return ind;
fail:
	params_free(ind->params);
	free(ind);
	return NULL;
}

void
indicator_free(qd_indicator *ind)
{
	if (ind == NULL)
		return;
	ind->ops->base.destroy(ind->state);
	params_free(ind->params);
	free(ind);
}

void
indicator_update(qd_indicator *ind, const struct qd_bar *bar, double *out)
{
	ind->update(ind->state, bar, out);
}

uint32_t
indicator_outputs(const qd_indicator *ind)
{
	return ind->ops->n_outputs;
}

const char *
indicator_output_name(const qd_indicator *ind, uint32_t i)
{
	return i < ind->ops->n_outputs ? ind->ops->outputs[i] : NULL;
}

uint32_t
indicator_lookback(const qd_indicator *ind)
{
	return ind->ops->lookback(ind->state);
}

uint32_t
indicator_output_flags(const struct qd_indicator_ops *io, uint32_t j)
{
	if (!OPS_COVER(io, output_flags) || io->output_flags == NULL ||
	    j >= io->n_outputs)
		return 0;
	return io->output_flags[j];
}

int
indicator_output_on_price(const struct qd_indicator_ops *io, uint32_t j)
{
	uint32_t f = indicator_output_flags(io, j);

	if (f & QD_OUTPUT_PRICE)
		return 1;
	if (f & QD_OUTPUT_PANE)
		return 0;
	return OPS_COVER(io, flags) && (io->flags & QD_INDICATOR_OVERLAY);
}

int
indicator_has_batch(const qd_indicator *ind)
{
	return ind->batch != NULL;
}

void
indicator_batch_series(qd_indicator *ind, const struct qd_series *s,
	double *const *out)
{
	uint32_t k = ind->ops->n_outputs, j;
	double row[QD_MAX_OUTPUTS];
	struct qd_bar b;
	size_t i;

	if (ind->batch != NULL) {
		ind->batch(ind->state, s, out);
		return;
	}
	for (i = 0; i < s->n; i++) {
		b = qd_series_bar(s, i);
		ind->update(ind->state, &b, row);
		for (j = 0; j < k; j++)
			out[j][i] = row[j];
	}
}

/* Columns for one chunk of bars and of outputs, in one allocation. */
struct chunk {
	int64_t ts[INDICATOR_CHUNK];
	double in[5][INDICATOR_CHUNK];
	double out[QD_MAX_OUTPUTS][INDICATOR_CHUNK];
};

void
indicator_batch(qd_indicator *ind, const struct qd_bar *bars, size_t n,
	double *out)
{
	uint32_t k = ind->ops->n_outputs, j;
	struct chunk *c;
	struct qd_series s;
	double *cols[QD_MAX_OUTPUTS];
	size_t at, i, m;

	if ((c = malloc(sizeof(*c))) == NULL) {
		for (i = 0; i < n; i++)
			ind->update(ind->state, &bars[i], out + i * k);
		return;
	}
	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.ts = c->ts;
	s.open = c->in[0];
	s.high = c->in[1];
	s.low = c->in[2];
	s.close = c->in[3];
	s.volume = c->in[4];
	for (j = 0; j < k; j++)
		cols[j] = c->out[j];
	for (at = 0; at < n; at += m) {
		m = n - at < INDICATOR_CHUNK ? n - at : INDICATOR_CHUNK;
		for (i = 0; i < m; i++) {
			const struct qd_bar *b = &bars[at + i];

			c->ts[i] = b->ts;
			c->in[0][i] = b->open;
			c->in[1][i] = b->high;
			c->in[2][i] = b->low;
			c->in[3][i] = b->close;
			c->in[4][i] = b->volume;
		}
		s.n = m;
		indicator_batch_series(ind, &s, cols);
		for (i = 0; i < m; i++)
			for (j = 0; j < k; j++)
				out[(at + i) * k + j] = c->out[j][i];
	}
	free(c);
}

void
indicator_set_owner(qd_indicator *ind, void *owner)
{
	ind->owner = owner;
}

void *
indicator_owner(const qd_indicator *ind)
{
	return ind->owner;
}
