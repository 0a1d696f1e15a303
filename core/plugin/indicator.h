/*
 * indicator -- host side of indicator plugins: instances created by name
 * with string params (api->indicator_new, `quantctl indicator`), streaming
 * update, and the batch path, which is update() applied over an array (one
 * implementation of the maths, in the plugin).
 */
#ifndef QD_INDICATOR_H
#define QD_INDICATOR_H

#include <stddef.h>
#include <quantd/sdk.h>

struct plugin_registry;

/**
 * Create an instance of indicator `name`.  On error returns NULL and writes
 * what is wrong into err ("no indicator named 'foo'", "param period: ...").
 */
qd_indicator *indicator_new(const struct plugin_registry *r, const char *name,
	const struct qd_kv *params, size_t n_params, char *err, size_t errlen);
void indicator_free(qd_indicator *ind);

void indicator_update(qd_indicator *ind, const struct qd_bar *bar,
	double *out);
uint32_t indicator_outputs(const qd_indicator *ind);
const char *indicator_output_name(const qd_indicator *ind, uint32_t i);
uint32_t indicator_lookback(const qd_indicator *ind);

/**
 * Batch over columns: the n bars of `s` (every column filled), output j of
 * bar i to out[j][i].  The plugin's batch entry when it has one (ABI 1.1),
 * else update() per bar; either way the same values as streaming, bit for
 * bit, and the instance continues from there.
 */
void indicator_batch_series(qd_indicator *ind, const struct qd_series *s,
	double *const *out);

/**
 * Batch over an array of bars: n * indicator_outputs() values row-major
 * into out (row i = outputs after bar i).  Goes through
 * indicator_batch_series() in chunks of INDICATOR_CHUNK bars (update() per
 * bar if the chunk buffers cannot be allocated).
 */
void indicator_batch(qd_indicator *ind, const struct qd_bar *bars, size_t n,
	double *out);

/** Bars per chunk of indicator_batch(). */
#define INDICATOR_CHUNK 1024

/** True if the instance's plugin has its own batch entry. */
int indicator_has_batch(const qd_indicator *ind);

/**
 * The QD_OUTPUT_* flags of output j of an indicator's ops (ABI 1.7): 0 when
 * the table is older, has no output_flags or j is out of range.  Reads
 * nothing past io->base.size.
 */
uint32_t indicator_output_flags(const struct qd_indicator_ops *io, uint32_t j);

/**
 * 1 if output j is a price, drawn over the candles on the price scale; 0 if
 * it goes in a pane of its own.  Its own QD_OUTPUT_PRICE or QD_OUTPUT_PANE
 * decides (ABI 1.7); without one, the indicator's QD_INDICATOR_OVERLAY
 * (ABI 1.6); a table older than 1.6 has neither: a pane.
 */
int indicator_output_on_price(const struct qd_indicator_ops *io, uint32_t j);

/** Who created the instance (the host's per-instance bookkeeping). */
void indicator_set_owner(qd_indicator *ind, void *owner);
void *indicator_owner(const qd_indicator *ind);

#endif
