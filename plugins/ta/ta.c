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
	&ta_macd_plugin,
	&ta_rsi_plugin,
	&ta_stoch_plugin,
	&ta_cci_plugin,
	&ta_bbands_plugin,
	&ta_atr_plugin,
	&ta_natr_plugin,
	&ta_adx_plugin,
	&ta_obv_plugin,
	&ta_vwap_plugin,
	&ta_willr_plugin,
	&ta_roc_plugin,
	&ta_mfi_plugin,
	&ta_donchian_plugin,
	&ta_psar_plugin,
	&ta_keltner_plugin,
	&ta_supertrend_plugin,
	&ta_ichimoku_plugin,
	NULL
};

QD_MODULE(plugins);
