/*
 * test_sdk_abi.c -- the SDK's binary layout on this platform (x86-64 LP64).
 *
 * Every public struct's size and every field's offset, as released in ABI
 * 1.0, plus what was appended since (1.1: qd_host_api.annotate,
 * qd_indicator_ops.batch, struct qd_series; 1.2: qd_host_api.http_header
 * history_* and emit_instrument, structs qd_history_row and qd_instrument;
 * 1.3: qd_order_req trail..oco_with, qd_order_update trade_id..maker,
 * qd_host_api order_get, orders_open and size_order; 1.4: qd_order_update
 * reserved and error, qd_host_api sign and emit_balance, qd_exchange_ops
 * order_cancel_all and account_sync, structs qd_balance and qd_sign_req;
 * 1.5: qd_notification key, user, attempt and reserved, qd_host_api
 * mail_send, qd_notifier_ops on_mail_done, struct qd_mail; 1.6:
 * qd_notification target, n_target and reserved2, qd_indicator_ops
 * flags; 1.7: qd_indicator_ops output_flags).
 * A change here breaks every
 * plugin already built: fields may only be
 * appended (then add rows, bump QD_ABI_MINOR), never moved or resized.  If
 * this test fails, the change is an ABI break: undo it, or bump
 * QD_ABI_MAJOR on purpose and regenerate the table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include <quantd/sdk.h>

struct layout {
	const char *what;
	size_t got;
	size_t want;
};

#define SIZE(s, n) { "sizeof(struct " #s ")", sizeof(struct s), (n) }
#define FIELD(s, f, n) { "offsetof(struct " #s ", " #f ")", \
	offsetof(struct s, f), (n) }

static const struct layout abi_1_0[] = {
	SIZE(qd_bar, 48),
	FIELD(qd_bar, ts, 0),
	FIELD(qd_bar, open, 8),
	FIELD(qd_bar, high, 16),
	FIELD(qd_bar, low, 24),
	FIELD(qd_bar, close, 32),
	FIELD(qd_bar, volume, 40),
	SIZE(qd_series, 64),                   /* ABI 1.1 */
	FIELD(qd_series, size, 0),
	FIELD(qd_series, reserved, 4),
	FIELD(qd_series, n, 8),
	FIELD(qd_series, ts, 16),
	FIELD(qd_series, open, 24),
	FIELD(qd_series, high, 32),
	FIELD(qd_series, low, 40),
	FIELD(qd_series, close, 48),
	FIELD(qd_series, volume, 56),
	SIZE(qd_kv, 16),
	FIELD(qd_kv, key, 0),
	FIELD(qd_kv, value, 8),
	SIZE(qd_param_spec, 80),
	FIELD(qd_param_spec, size, 0),
	FIELD(qd_param_spec, name, 8),
	FIELD(qd_param_spec, type, 16),
	FIELD(qd_param_spec, flags, 20),
	FIELD(qd_param_spec, def_int, 24),
	FIELD(qd_param_spec, def_double, 32),
	FIELD(qd_param_spec, def_string, 40),
	FIELD(qd_param_spec, min, 48),
	FIELD(qd_param_spec, max, 56),
	FIELD(qd_param_spec, choices, 64),
	FIELD(qd_param_spec, description, 72),
	SIZE(qd_bar_event, 64),
	FIELD(qd_bar_event, size, 0),
	FIELD(qd_bar_event, symbol, 4),
	FIELD(qd_bar_event, timeframe_s, 8),
	FIELD(qd_bar_event, bar, 16),
	SIZE(qd_trade_event, 48),
	FIELD(qd_trade_event, size, 0),
	FIELD(qd_trade_event, symbol, 4),
	FIELD(qd_trade_event, side, 8),
	FIELD(qd_trade_event, ts, 16),
	FIELD(qd_trade_event, price, 24),
	FIELD(qd_trade_event, qty, 32),
	FIELD(qd_trade_event, trade_id, 40),
	SIZE(qd_book_top_event, 48),
	FIELD(qd_book_top_event, size, 0),
	FIELD(qd_book_top_event, symbol, 4),
	FIELD(qd_book_top_event, ts, 8),
	FIELD(qd_book_top_event, bid, 16),
	FIELD(qd_book_top_event, bid_qty, 24),
	FIELD(qd_book_top_event, ask, 32),
	FIELD(qd_book_top_event, ask_qty, 40),
	SIZE(qd_order_req, 96),
	FIELD(qd_order_req, size, 0),
	FIELD(qd_order_req, symbol, 4),
	FIELD(qd_order_req, side, 8),
	FIELD(qd_order_req, type, 12),
	FIELD(qd_order_req, tif, 16),
	FIELD(qd_order_req, flags, 20),
	FIELD(qd_order_req, qty, 24),
	FIELD(qd_order_req, price, 32),
	FIELD(qd_order_req, stop_price, 40),
	FIELD(qd_order_req, tag, 48),
	FIELD(qd_order_req, trail, 56),
	FIELD(qd_order_req, trail_bps, 64),
	FIELD(qd_order_req, sl_price, 72),
	FIELD(qd_order_req, tp_price, 80),
	FIELD(qd_order_req, oco_with, 88),
	SIZE(qd_order_update, 144),            /* 1.3: 136 */
	FIELD(qd_order_update, size, 0),
	FIELD(qd_order_update, order_id, 8),
	FIELD(qd_order_update, symbol, 16),
	FIELD(qd_order_update, side, 20),
	FIELD(qd_order_update, type, 24),
	FIELD(qd_order_update, state, 28),
	FIELD(qd_order_update, ts, 32),
	FIELD(qd_order_update, qty, 40),
	FIELD(qd_order_update, price, 48),
	FIELD(qd_order_update, filled_qty, 56),
	FIELD(qd_order_update, avg_price, 64),
	FIELD(qd_order_update, last_qty, 72),
	FIELD(qd_order_update, last_price, 80),
	FIELD(qd_order_update, fee, 88),
	FIELD(qd_order_update, reason, 96),
	FIELD(qd_order_update, trade_id, 104),
	FIELD(qd_order_update, client_id, 112),
	FIELD(qd_order_update, parent_id, 120),
	FIELD(qd_order_update, maker, 128),
	FIELD(qd_order_update, error, 136),    /* ABI 1.4 */
	SIZE(qd_balance, 48),                  /* ABI 1.4 */
	FIELD(qd_balance, asset, 8),
	FIELD(qd_balance, total, 16),
	FIELD(qd_balance, free, 24),
	FIELD(qd_balance, ts, 32),
	FIELD(qd_balance, last, 40),
	SIZE(qd_sign_req, 56),                 /* ABI 1.4 */
	FIELD(qd_sign_req, alg, 4),
	FIELD(qd_sign_req, enc, 8),
	FIELD(qd_sign_req, secret, 16),
	FIELD(qd_sign_req, msg, 24),
	FIELD(qd_sign_req, msg_len, 32),
	FIELD(qd_sign_req, msg2, 40),
	FIELD(qd_sign_req, msg2_len, 48),
	SIZE(qd_position, 40),
	FIELD(qd_position, size, 0),
	FIELD(qd_position, symbol, 4),
	FIELD(qd_position, qty, 8),
	FIELD(qd_position, avg_price, 16),
	FIELD(qd_position, realized_pnl, 24),
	FIELD(qd_position, unrealized_pnl, 32),
	SIZE(qd_account, 32),
	FIELD(qd_account, size, 0),
	FIELD(qd_account, cash, 8),
	FIELD(qd_account, equity, 16),
	FIELD(qd_account, fees_paid, 24),
	SIZE(qd_notification, 88),             /* ABI 1.6 */
	FIELD(qd_notification, size, 0),
	FIELD(qd_notification, severity, 4),
	FIELD(qd_notification, ts, 8),
	FIELD(qd_notification, event, 16),
	FIELD(qd_notification, title, 24),
	FIELD(qd_notification, body, 32),
	FIELD(qd_notification, recipient, 40),
	FIELD(qd_notification, key, 48),       /* ABI 1.5 */
	FIELD(qd_notification, user, 56),      /* ABI 1.5 */
	FIELD(qd_notification, attempt, 64),   /* ABI 1.5 */
	FIELD(qd_notification, reserved, 68),  /* ABI 1.5 */
	FIELD(qd_notification, target, 72),    /* ABI 1.6 */
	FIELD(qd_notification, n_target, 80),  /* ABI 1.6 */
	FIELD(qd_notification, reserved2, 84), /* ABI 1.6 */
	SIZE(qd_mail, 88),                     /* ABI 1.5 */
	FIELD(qd_mail, size, 0),
	FIELD(qd_mail, url, 8),
	FIELD(qd_mail, username, 16),
	FIELD(qd_mail, password, 24),
	FIELD(qd_mail, from, 32),
	FIELD(qd_mail, to, 40),
	FIELD(qd_mail, subject, 48),
	FIELD(qd_mail, body, 56),
	FIELD(qd_mail, key, 64),
	FIELD(qd_mail, require_tls, 72),
	FIELD(qd_mail, reserved, 76),
	FIELD(qd_mail, timeout_ns, 80),
	SIZE(qd_http_request, 64),
	FIELD(qd_http_request, size, 0),
	FIELD(qd_http_request, method, 8),
	FIELD(qd_http_request, url, 16),
	FIELD(qd_http_request, headers, 24),
	FIELD(qd_http_request, n_headers, 32),
	FIELD(qd_http_request, body, 40),
	FIELD(qd_http_request, body_len, 48),
	FIELD(qd_http_request, timeout_ns, 56),
	SIZE(qd_checkout, 56),
	FIELD(qd_checkout, size, 0),
	FIELD(qd_checkout, customer_id, 8),
	FIELD(qd_checkout, plan, 16),
	FIELD(qd_checkout, currency, 24),
	FIELD(qd_checkout, amount_minor, 32),
	FIELD(qd_checkout, success_url, 40),
	FIELD(qd_checkout, cancel_url, 48),
	SIZE(qd_payment_event, 48),
	FIELD(qd_payment_event, size, 0),
	FIELD(qd_payment_event, type, 4),
	FIELD(qd_payment_event, payment_id, 8),
	FIELD(qd_payment_event, customer_id, 16),
	FIELD(qd_payment_event, plan, 24),
	FIELD(qd_payment_event, currency, 32),
	FIELD(qd_payment_event, amount_minor, 40),
	SIZE(qd_host_api, 392),                /* ABI 1.5 */
	FIELD(qd_host_api, size, 0),
	FIELD(qd_host_api, abi_major, 4),
	FIELD(qd_host_api, abi_minor, 8),
	FIELD(qd_host_api, log, 16),
	FIELD(qd_host_api, now_ns, 24),
	FIELD(qd_host_api, param_int, 32),
	FIELD(qd_host_api, param_double, 40),
	FIELD(qd_host_api, param_bool, 48),
	FIELD(qd_host_api, param_string, 56),
	FIELD(qd_host_api, symbol_intern, 64),
	FIELD(qd_host_api, symbol_name, 72),
	FIELD(qd_host_api, timer_add, 80),
	FIELD(qd_host_api, timer_cancel, 88),
	FIELD(qd_host_api, state_save, 96),
	FIELD(qd_host_api, state_load, 104),
	FIELD(qd_host_api, indicator_new, 112),
	FIELD(qd_host_api, indicator_update, 120),
	FIELD(qd_host_api, indicator_outputs, 128),
	FIELD(qd_host_api, indicator_output_name, 136),
	FIELD(qd_host_api, indicator_lookback, 144),
	FIELD(qd_host_api, indicator_free, 152),
	FIELD(qd_host_api, subscribe, 160),
	FIELD(qd_host_api, order_submit, 168),
	FIELD(qd_host_api, order_cancel, 176),
	FIELD(qd_host_api, position_get, 184),
	FIELD(qd_host_api, account_get, 192),
	FIELD(qd_host_api, ws_open, 200),
	FIELD(qd_host_api, ws_send, 208),
	FIELD(qd_host_api, ws_close, 216),
	FIELD(qd_host_api, http_request, 224),
	FIELD(qd_host_api, secret_get, 232),
	FIELD(qd_host_api, hmac, 240),
	FIELD(qd_host_api, emit_trade, 248),
	FIELD(qd_host_api, emit_bar, 256),
	FIELD(qd_host_api, emit_book_top, 264),
	FIELD(qd_host_api, emit_order_update, 272),
	FIELD(qd_host_api, notify_done, 280),
	FIELD(qd_host_api, payment_done, 288),
	FIELD(qd_host_api, annotate, 296),   /* ABI 1.1 */
	FIELD(qd_host_api, http_header, 304),   /* ABI 1.2 */
	FIELD(qd_host_api, history_open, 312),  /* ABI 1.2 */
	FIELD(qd_host_api, history_next, 320),
	FIELD(qd_host_api, history_close, 328),
	FIELD(qd_host_api, emit_instrument, 336),
	FIELD(qd_host_api, order_get, 344),
	FIELD(qd_host_api, orders_open, 352),
	FIELD(qd_host_api, size_order, 360),
	FIELD(qd_host_api, sign, 368),         /* ABI 1.4 */
	FIELD(qd_host_api, emit_balance, 376),
	FIELD(qd_host_api, mail_send, 384),    /* ABI 1.5 */
	SIZE(qd_instrument, 64),                /* ABI 1.2 */
	FIELD(qd_instrument, size, 0),
	FIELD(qd_instrument, symbol, 4),
	FIELD(qd_instrument, native, 8),
	FIELD(qd_instrument, tick, 16),
	FIELD(qd_instrument, lot, 24),
	FIELD(qd_instrument, min_qty, 32),
	FIELD(qd_instrument, min_notional, 40),
	FIELD(qd_instrument, status, 48),
	FIELD(qd_instrument, trading, 56),
	SIZE(qd_history_row, 96),               /* ABI 1.2 */
	FIELD(qd_history_row, size, 0),
	FIELD(qd_history_row, timeframe_s, 4),
	FIELD(qd_history_row, ts, 8),
	FIELD(qd_history_row, bar, 16),
	FIELD(qd_history_row, price, 64),
	FIELD(qd_history_row, qty, 72),
	FIELD(qd_history_row, side, 80),
	FIELD(qd_history_row, trade_id, 88),
	SIZE(qd_ops, 40),
	FIELD(qd_ops, size, 0),
	FIELD(qd_ops, create, 8),
	FIELD(qd_ops, start, 16),
	FIELD(qd_ops, stop, 24),
	FIELD(qd_ops, destroy, 32),
	SIZE(qd_indicator_ops, 96),                /* ABI 1.7 */
	FIELD(qd_indicator_ops, base, 0),
	FIELD(qd_indicator_ops, outputs, 40),
	FIELD(qd_indicator_ops, n_outputs, 48),
	FIELD(qd_indicator_ops, lookback, 56),
	FIELD(qd_indicator_ops, update, 64),
	FIELD(qd_indicator_ops, batch, 72),    /* ABI 1.1 */
	FIELD(qd_indicator_ops, flags, 80),    /* ABI 1.6 */
	FIELD(qd_indicator_ops, output_flags, 88), /* ABI 1.7 */
	SIZE(qd_strategy_ops, 72),
	FIELD(qd_strategy_ops, base, 0),
	FIELD(qd_strategy_ops, on_bar, 40),
	FIELD(qd_strategy_ops, on_trade, 48),
	FIELD(qd_strategy_ops, on_order, 56),
	FIELD(qd_strategy_ops, on_timer, 64),
	SIZE(qd_exchange_ops, 136),
	FIELD(qd_exchange_ops, base, 0),
	FIELD(qd_exchange_ops, subscribe, 40),
	FIELD(qd_exchange_ops, on_ws_open, 48),
	FIELD(qd_exchange_ops, on_ws_message, 56),
	FIELD(qd_exchange_ops, on_ws_close, 64),
	FIELD(qd_exchange_ops, on_http_response, 72),
	FIELD(qd_exchange_ops, on_timer, 80),
	FIELD(qd_exchange_ops, order_place, 88),
	FIELD(qd_exchange_ops, order_cancel, 96),
	FIELD(qd_exchange_ops, order_query, 104),
	FIELD(qd_exchange_ops, backfill, 112),
	FIELD(qd_exchange_ops, order_cancel_all, 120), /* ABI 1.4 */
	FIELD(qd_exchange_ops, account_sync, 128),
	SIZE(qd_notifier_ops, 72),             /* ABI 1.5 */
	FIELD(qd_notifier_ops, base, 0),
	FIELD(qd_notifier_ops, send, 40),
	FIELD(qd_notifier_ops, on_http_response, 48),
	FIELD(qd_notifier_ops, on_timer, 56),
	FIELD(qd_notifier_ops, on_mail_done, 64), /* ABI 1.5 */
	SIZE(qd_payment_ops, 72),
	FIELD(qd_payment_ops, base, 0),
	FIELD(qd_payment_ops, checkout, 40),
	FIELD(qd_payment_ops, webhook_verify, 48),
	FIELD(qd_payment_ops, refund, 56),
	FIELD(qd_payment_ops, on_http_response, 64),
	SIZE(qd_plugin, 72),
	FIELD(qd_plugin, size, 0),
	FIELD(qd_plugin, kind, 4),
	FIELD(qd_plugin, name, 8),
	FIELD(qd_plugin, version, 16),
	FIELD(qd_plugin, description, 24),
	FIELD(qd_plugin, license, 32),
	FIELD(qd_plugin, params, 40),
	FIELD(qd_plugin, n_params, 48),
	FIELD(qd_plugin, requires, 56),
	FIELD(qd_plugin, ops, 64),
	SIZE(qd_module, 24),
	FIELD(qd_module, abi_major, 0),
	FIELD(qd_module, abi_minor, 4),
	FIELD(qd_module, size, 8),
	FIELD(qd_module, plugins, 16),
};

static void
sdk_layout_matches_abi_1_0(void **unused)
{
	size_t i;
	int bad = 0;

	(void)unused;
	for (i = 0; i < sizeof(abi_1_0) / sizeof(abi_1_0[0]); i++)
		if (abi_1_0[i].got != abi_1_0[i].want) {
			printf("ABI break: %s is %zu, ABI 1.0 has %zu\n",
				abi_1_0[i].what, abi_1_0[i].got,
				abi_1_0[i].want);
			bad++;
		}
	assert_int_equal(bad, 0);
}

static void
sdk_version_is_1_0(void **unused)
{
	(void)unused;
	assert_int_equal(QD_ABI_MAJOR, 1);
	assert_int_equal(QD_ABI_MINOR, 7);
	/* The module header must keep its first three fields forever. */
	assert_int_equal(offsetof(struct qd_module, abi_major), 0);
	assert_int_equal(offsetof(struct qd_module, abi_minor), 4);
	assert_int_equal(offsetof(struct qd_module, size), 8);
}

static void
sdk_api_has_checks_size(void **unused)
{
	struct qd_host_api api = { 0 };

	(void)unused;
	api.size = offsetof(struct qd_host_api, now_ns);
	api.log = NULL;
	assert_false(QD_API_HAS(&api, log));
	api.size = sizeof(api);
	assert_false(QD_API_HAS(&api, log));   /* NULL entry */
	assert_false(QD_API_HAS((struct qd_host_api *)NULL, log));
}

static void
sdk_helpers_compute(void **unused)
{
	(void)unused;
	{
		/* Client order ids: base 36 after "qd", both ways. */
		char b[16];
		uint64_t ids[] = { 1, 35, 36, 1295, 123456789, UINT64_MAX };
		size_t i;

		assert_int_equal(qd_client_order_id(1, b, sizeof(b)), 3);
		assert_string_equal(b, "qd1");
		qd_client_order_id(36, b, sizeof(b));
		assert_string_equal(b, "qd10");
		qd_client_order_id(UINT64_MAX, b, sizeof(b));
		assert_string_equal(b, "qd3w5e11264sgsf");
		assert_int_equal(qd_client_order_id(1, b, 15), 0);
		for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
			qd_client_order_id(ids[i], b, sizeof(b));
			assert_true(qd_client_order_id_parse(b) == ids[i]);
		}
		assert_true(qd_client_order_id_parse("qd") == 0);
		assert_true(qd_client_order_id_parse("qx1") == 0);
		assert_true(qd_client_order_id_parse("qdA") == 0);
		assert_true(qd_client_order_id_parse("qd3w5e11264sgsg") == 0);
		assert_true(qd_client_order_id_parse("qdzzzzzzzzzzzzzz") == 0);
	}
	assert_int_equal(qd_timeframe_parse("4h"), 14400);
	assert_int_equal(qd_timeframe_parse("1w"), 604800);
	assert_int_equal(qd_timeframe_parse("7m"), 0);
	assert_int_equal(qd_timeframe_parse(NULL), 0);
	assert_true(qd_size_fraction(10000, 0.5, 100) == 50);
	assert_true(qd_size_fraction(10000, 0.5, 0) == 0);
	assert_true(qd_size_risk(10000, 0.01, 4) == 25);
	/* Kelly: p = 0.6, b = 1 -> f = 0.2; capped at 0.1. */
	assert_true(qd_kelly_fraction(0.6, 1.0, 1.0) > 0.19999 &&
		qd_kelly_fraction(0.6, 1.0, 1.0) < 0.20001);
	assert_true(qd_kelly_fraction(0.6, 1.0, 0.1) == 0.1);
	assert_true(qd_kelly_fraction(0.4, 1.0, 1.0) == 0);
	assert_string_equal(qd_strerror(QD_ERR_DENIED), "denied");
	assert_string_equal(qd_strerror(-999), "unknown status");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sdk_layout_matches_abi_1_0),
		cmocka_unit_test(sdk_version_is_1_0),
		cmocka_unit_test(sdk_api_has_checks_size),
		cmocka_unit_test(sdk_helpers_compute),
	};

	return cmocka_run_group_tests_name("sdk", tests, NULL, NULL);
}
