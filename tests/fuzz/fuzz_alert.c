// sources: core/alert/alert.c core/notify/channel.c core/store/units.c core/log/log.c core/market/symbol.c core/plugin/params.c core/plugin/loader.c core/plugin/semver.c core/plugin/indicator.c core/config/config.c core/json/json.c core/loop/loop.c core/loop/queue.c core/sandbox/proxy.c core/sandbox/frame.c core/sandbox/filter.c core/net/ipclass.c core/net/client.c core/net/net.c core/util/file.c
// libs: libwebsockets libssl libcrypto
/*
 * fuzz_alert.c -- an alert definition from the control socket or the API
 * on arbitrary bytes: alert_create() either adds exactly one alert that
 * reads back as JSON and survives updates and price events, or refuses
 * with a message and adds nothing; the same bytes as an update change a
 * valid alert or leave it as it was.  Anything else aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "alert/alert.h"
#include "market/symbol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char base[] = "{\"exchange\":\"x\",\"symbol\":\"BTC/USDT\","
	"\"fire\":\"every\",\"condition\":{\"type\":\"or\",\"of\":[{\"type\":"
	"\"price_above\",\"price\":100},{\"type\":\"change\",\"percent\":-2,"
	"\"window_s\":60}]}}";

static void
events(struct alert_engine *e)
{
	static const double p[] = { 99, 101, 97, 120, 1e-300, 5e300 };
	struct qd_trade_event t;
	struct qd_bar_event b;
	size_t i;

	memset(&t, 0, sizeof(t));
	memset(&b, 0, sizeof(b));
	t.symbol = b.symbol = symbol_intern("BTC/USDT");
	b.timeframe_s = 60;
	for (i = 0; i < sizeof(p) / sizeof(p[0]); i++) {
		t.ts = (int64_t)i * 1000000000;
		t.price = p[i];
		alert_on_trade(e, "x", &t);
		b.bar.ts = t.ts;
		b.bar.open = b.bar.high = b.bar.low = b.bar.close = p[i];
		alert_on_bar(e, "x", &b);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct alert_options o;
	struct alert_engine *e;
	char *text = malloc(size + 1), err[256];
	cJSON *def, *base_def, *j;
	uint64_t id = 0, id2 = 0;
	int rc;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	memset(&o, 0, sizeof(o));
	o.max_per_user = 4;
	if ((e = alert_engine_new(&o)) == NULL)
		abort();
	def = cJSON_Parse(text);
	err[0] = '\0';
	rc = alert_create(e, def, 0, &id, err, sizeof(err));
	if (rc == QD_OK) {
		if (alert_count(e) != 1 || id == 0)
			abort();
		if ((j = alert_json(e, id, 0)) == NULL)
			abort();
		cJSON_Delete(j);
	} else if (alert_count(e) != 0 || err[0] == '\0') {
		abort();
	}
	/* the same bytes as the changes to a valid alert */
	base_def = cJSON_Parse(base);
	if (alert_create(e, base_def, 0, &id2, err, sizeof(err)) != QD_OK)
		abort();
	err[0] = '\0';
	rc = alert_update(e, id2, def, 0, err, sizeof(err));
	if (rc != QD_OK && (rc != QD_ERR_INVALID || err[0] == '\0'))
		abort();
	events(e);
	j = alert_list_json(e, NULL, 0);
	if (cJSON_GetArraySize(j) != (int)alert_count(e))
		abort();
	cJSON_Delete(j);
	j = alert_history_json(e, 0, NULL, 0);
	cJSON_Delete(j);
	if (alert_delete(e, id2) != QD_OK)
		abort();
	cJSON_Delete(def);
	cJSON_Delete(base_def);
	alert_engine_free(e);
	free(text);
	return 0;
}
