// sources: core/daemon/jobs.c core/store/store.c core/store/units.c core/store/sqlite.c core/store/pg.c core/store/auth.c core/store/jobs.c core/store/migrations.c core/csv/csv.c core/log/log.c core/loop/loop.c core/loop/queue.c core/market/symbol.c core/plugin/params.c core/plugin/loader.c core/plugin/semver.c core/plugin/indicator.c core/config/config.c core/json/json.c core/sandbox/proxy.c core/sandbox/frame.c core/sandbox/filter.c core/net/ipclass.c core/net/client.c core/net/net.c core/util/file.c core/ctl/ctl.c
// libs: sqlite3 libpq libwebsockets libcurl
/*
 * fuzz_jobs.c -- a job submission from the API on arbitrary bytes, as
 * each kind: jobs_check() either refuses with an error reply (JSON with a
 * code and a message) or gives a normalized request that checks again to
 * exactly itself and names no path: the strategy is the one installed
 * strategy, the candles' exchange a plain name.  Starts no process.
 * Anything else aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "daemon/jobs.h"
#include "log/log.h"
#include "loop/loop.h"
#include "plugin/plugin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct plugin_registry *reg;
static struct loop *lp;
static struct jobs *js;

/* The ta and ma-cross plugins of the build (the replay build knows where
 * it is; a libFuzzer binary reads $QD_BUILDDIR); without them every
 * strategy is refused, which is checked too. */
static void
load_plugins(void)
{
#ifdef QD_TEST_BUILDDIR
	const char *top = QD_TEST_BUILDDIR;
#else
	const char *top = getenv("QD_BUILDDIR");
#endif
	char path[4096];

	if (top == NULL)
		return;
	snprintf(path, sizeof(path), "%s/plugins/ta/.libs/ta.so", top);
	plugin_load_file(reg, path);
	snprintf(path, sizeof(path), "%s/strategies/ma-cross/.libs/ma-cross.so",
		top);
	plugin_load_file(reg, path);
	plugin_resolve(reg);
}

static void
init(void)
{
	static char state[] = "/tmp/qd-fuzz-jobs-XXXXXX";
	struct jobs_config c;
	char err[256];

	log_set_level((enum qd_log_level)-1);
	reg = plugin_registry_new();
	load_plugins();
	if (mkdtemp(state) == NULL || (lp = loop_new(64, 64)) == NULL)
		abort();
	memset(&c, 0, sizeof(c));
	c.quantctl = "/nonexistent/quantctl";
	c.state_dir = state;
	c.workers = 1;
	c.reg = reg;
	if ((js = jobs_start(lp, &c, err, sizeof(err))) == NULL)
		abort();
	rmdir(state);
}

static void
check_kind(const char *kind, const cJSON *req)
{
	char *norm = NULL, *again = NULL, *e;
	cJSON *n, *o, *m;

	e = jobs_check(js, kind, req, "alice", 0, &norm);
	if (e != NULL) {
		o = cJSON_Parse(e);
		m = cJSON_GetObjectItemCaseSensitive(o, "error");
		if (norm != NULL || !cJSON_IsString(
		    cJSON_GetObjectItemCaseSensitive(m, "code")) ||
		    !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(m,
		    "message")))
			abort();
		cJSON_Delete(o);
		free(e);
		return;
	}
	if (norm == NULL || (n = cJSON_Parse(norm)) == NULL)
		abort();
	/* the normalized request is accepted as it is */
	e = jobs_check(js, kind, n, "alice", 0, &again);
	if (e != NULL || again == NULL || strcmp(norm, again) != 0)
		abort();
	m = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(n, "data"), "exchange");
	if (m != NULL && (!cJSON_IsString(m) || strchr(m->valuestring, '/') ||
	    strchr(m->valuestring, ':')))
		abort();
	m = cJSON_GetObjectItemCaseSensitive(n, "strategy");
	if (m != NULL && (!cJSON_IsString(m) || strcmp(m->valuestring,
	    "ma-cross") != 0))
		abort();
	cJSON_Delete(n);
	free(norm);
	free(again);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *req;

	if (js == NULL)
		init();
	req = cJSON_ParseWithLength((const char *)data, size);
	if (req == NULL || !cJSON_IsObject(req)) {
		cJSON_Delete(req);
		return 0;
	}
	check_kind("backtest", req);
	check_kind("optimize", req);
	check_kind("montecarlo", req);
	check_kind("nothing", req);
	cJSON_Delete(req);
	return 0;
}
