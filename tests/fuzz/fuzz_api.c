// sources: core/api/router.c core/api/routes.c core/api/openapi.c core/json/json.c
/*
 * fuzz_api.c -- the API's request parsing on arbitrary bytes: the first
 * byte picks the method, the bytes up to a NUL are the path (also run
 * through the percent-decoder), the rest is the body.  Whatever matches a
 * route becomes a control request, which must then be one JSON object
 * naming the route's command; parameters must be non-empty, without '/',
 * and within bounds.  Any violation aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "api/api.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct api_kv params[API_MAX_PARAMS];
	struct api_request req;
	char path[512], dec[512], buf[1024], err[256], *cmd;
	const uint8_t *nul;
	size_t plen, np = 0;
	unsigned allow;
	int route = -1;
	long n;
	enum api_match m;

	if (size < 1)
		return 0;
	nul = memchr(data + 1, 0, size - 1);
	plen = nul ? (size_t)(nul - data - 1) : size - 1;
	if (plen >= sizeof(path))
		return 0;
	memcpy(path, data + 1, plen);
	path[plen] = '\0';
	n = api_url_decode(path, plen, dec, sizeof(dec));
	if (n >= 0 && (strlen(dec) != (size_t)n ||
	    !api_utf8_valid(dec, (size_t)n)))
		abort();
	m = api_route_match(api_routes, (enum api_method)(data[0] % 7), path,
		&route, params, &np, buf, sizeof(buf), &allow);
	if (m != API_MATCH_OK)
		return 0;
	if (route < 0 || api_routes[route].pattern == NULL ||
	    np > API_MAX_PARAMS)
		abort();
	for (size_t i = 0; i < np; i++)
		if (params[i].value[0] == '\0' ||
		    strchr(params[i].value, '/') != NULL)
			abort();
	if (api_routes[route].cmd == NULL)
		return 0;
	memset(&req, 0, sizeof(req));
	req.method = api_routes[route].method;
	req.route = route;
	req.path = path;
	memcpy(req.params, params, sizeof(params));
	req.n_params = np;
	if (nul != NULL) {
		req.body = (const char *)nul + 1;
		req.body_len = size - (size_t)(nul + 1 - data);
	}
	if ((cmd = api_command_request(&req, err, sizeof(err))) != NULL) {
		cJSON *o = cJSON_Parse(cmd), *c;

		c = o ? cJSON_GetObjectItemCaseSensitive(o, "cmd") : NULL;
		if (!cJSON_IsString(c) ||
		    strcmp(c->valuestring, api_routes[route].cmd) != 0)
			abort();
		cJSON_Delete(o);
		free(cmd);
	}
	return 0;
}
