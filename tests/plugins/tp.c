/*
 * tp.c -- test plugins.  One source, built into several .so files with
 * different -D options (tests/plugins/include.am), each exercising one rule
 * of the loader or the lifecycle:
 *   TP_NAME, TP_KIND, TP_VERSION     descriptor fields
 *   TP_ABI_MAJOR, TP_ABI_MINOR       the module's ABI (default: this SDK's)
 *   TP_REQUIRES                      one requirement string
 *   TP_NO_MODULE                     export no qd_module at all
 *   TP_FAIL_CREATE                   create() fails
 * Every callback logs "tp <event> <instance>" so integration tests can follow
 * the lifecycle in the daemon's log.
 */
#include <stdlib.h>

#include <quantd/sdk.h>

#ifndef TP_NAME
#define TP_NAME "tp-good"
#endif
#ifndef TP_KIND
#define TP_KIND QD_KIND_STRATEGY
#endif
#ifndef TP_VERSION
#define TP_VERSION "1.2.3"
#endif
#ifndef TP_ABI_MAJOR
#define TP_ABI_MAJOR QD_ABI_MAJOR
#endif
#ifndef TP_ABI_MINOR
#define TP_ABI_MINOR QD_ABI_MINOR
#endif

struct tp {
	const struct qd_host_api *api;
	qd_ctx *ctx;
	long bars;
};

static int
tp_create(const struct qd_host_api *api, qd_ctx *ctx, const qd_params *p,
	void **state)
{
	struct tp *t;

#ifdef TP_FAIL_CREATE
	api->log(ctx, QD_LOG_ERROR, "tp create refused");
	return QD_ERR_INVALID;
#endif
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return QD_ERR_NOMEM;
	t->api = api;
	t->ctx = ctx;
	api->log(ctx, QD_LOG_INFO, "tp create period=%lld ratio=%g mode=%s",
		(long long)api->param_int(p, "period"),
		api->param_double(p, "ratio"), api->param_string(p, "mode"));
	*state = t;
	return QD_OK;
}

static int
tp_start(void *state)
{
	struct tp *t = state;

	t->api->log(t->ctx, QD_LOG_INFO, "tp start");
	return QD_OK;
}

static void
tp_stop(void *state)
{
	struct tp *t = state;

	t->api->log(t->ctx, QD_LOG_INFO, "tp stop after %ld bars", t->bars);
}

static void
tp_destroy(void *state)
{
	struct tp *t = state;

	t->api->log(t->ctx, QD_LOG_INFO, "tp destroy");
	free(t);
}

static void
tp_on_bar(void *state, const struct qd_bar_event *ev)
{
	struct tp *t = state;

	(void)ev;
	t->bars++;
}

static const struct qd_strategy_ops tp_ops = {
	.base = {
		.size = sizeof(struct qd_strategy_ops),
		.create = tp_create,
		.start = tp_start,
		.stop = tp_stop,
		.destroy = tp_destroy,
	},
	.on_bar = tp_on_bar,
};

static const char *const tp_modes[] = { "fast", "slow", NULL };

static const struct qd_param_spec tp_params[] = {
	QD_PARAM_INT_SPEC("period", 14, 1, 100, "a period"),
	QD_PARAM_DOUBLE_SPEC("ratio", 0.5, 0.0, 1.0, "a ratio"),
	QD_PARAM_BOOL_SPEC("enabled", 1, "a switch"),
	QD_PARAM_ENUM_SPEC("mode", "fast", tp_modes, "a mode"),
	QD_PARAM_STRING_SPEC("label", "x", "a label"),
#ifdef TP_SECRET
	/* never shown: the API and quantctl show "***" */
	{ sizeof(struct qd_param_spec), "token", QD_PARAM_STRING,
	  QD_PARAM_SECRET, 0, 0.0, "", 0.0, 0.0, NULL, "a secret" },
#endif
};

#ifdef TP_REQUIRES
static const char *const tp_requires[] = { TP_REQUIRES, NULL };
#endif

static const struct qd_plugin tp_plugin = {
	.size = sizeof(struct qd_plugin),
	.kind = TP_KIND,
	.name = TP_NAME,
	.version = TP_VERSION,
	.description = "test plugin",
	.license = "MIT",
	.params = tp_params,
	.n_params = QD_COUNTOF(tp_params),
#ifdef TP_REQUIRES
	.requires = tp_requires,
#endif
	.ops = &tp_ops,
};

static const struct qd_plugin *const plugins[] = { &tp_plugin, NULL };

#ifndef TP_NO_MODULE
QD_EXPORT const struct qd_module qd_module = {
	TP_ABI_MAJOR, TP_ABI_MINOR, sizeof(struct qd_module), plugins
};
#else
/* Something exported, so the file is a valid shared object. */
QD_EXPORT const struct qd_plugin *const *tp_not_a_module = plugins;
#endif
