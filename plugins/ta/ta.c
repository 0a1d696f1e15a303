/*
 * ta.c -- the indicator pack's module: one .so, one plugin per indicator.
 */
#include "ta.h"

static const struct qd_plugin *const plugins[] = {
	&ta_sma_plugin,
	&ta_ema_plugin,
	&ta_wma_plugin,
	&ta_dema_plugin,
	&ta_tema_plugin,
	NULL
};

QD_MODULE(plugins);
