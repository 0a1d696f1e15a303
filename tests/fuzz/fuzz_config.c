// sources: core/config/config.c core/json/json.c core/log/log.c core/market/symbol.c core/plugin/params.c core/plugin/loader.c core/plugin/semver.c core/util/file.c
/*
 * fuzz_config.c -- an instance configuration file from arbitrary bytes: the
 * loader must either accept it (and then every field it filled is sane) or
 * report at least one FILE:LINE:COL problem; never crash or leak.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "log/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag d = { 0 };
	struct config_instance ci;
	size_t i;

	if (config_parse_instance("fuzz.json", (const char *)data, size, &ci,
	    &d) == 0) {
		if (d.count != 0 || ci.plugin == NULL || ci.instance == NULL)
			abort();
		for (i = 0; i < ci.n_timeframes; i++)
			if (ci.timeframes[i] == 0)
				abort();
		config_instance_clear(&ci);
	} else if (d.count == 0 || strncmp(d.text, "fuzz.json:", 10) != 0) {
		abort();
	}
	diag_free(&d);
	return 0;
}
