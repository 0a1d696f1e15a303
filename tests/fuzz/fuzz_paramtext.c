// sources: core/daemon/paramtext.c core/json/json.c
// libs: libcjson
/*
 * fuzz_paramtext.c -- an instance file's text from arbitrary bytes with new
 * params spliced in (PUT /api/v1/instances/{name}/params): whenever the
 * text is a JSON object, the result must parse, hold exactly the new
 * params, and every other member as it was; never crash or leak.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "daemon/instances.h"
#include "json/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The new params: the input's own params object when it has one (keys and
 * values as odd as the input makes them), else a fixed set. */
static cJSON *
new_params(const char *text, size_t len)
{
	cJSON *doc = cJSON_ParseWithLength(text, len), *p, *out;

	p = doc ? cJSON_GetObjectItemCaseSensitive(doc, "params") : NULL;
	if (cJSON_IsObject(p)) {
		out = cJSON_Duplicate(p, 1);
		cJSON_AddNumberToObject(out, "added", 7);
	} else {
		out = cJSON_Parse("{\"period\": 7, \"label\": \"a \\\"q\\\" }\","
			" \"on\": true, \"r\": -0.5e-3}");
	}
	cJSON_Delete(doc);
	return out;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct json_error je;
	struct json_value *doc = json_parse(text, size, &je), *got;
	cJSON *params, *before, *after;
	size_t outlen;
	char *out;

	if (doc == NULL || doc->type != JSON_OBJECT) {
		json_free(doc);
		return 0;
	}
	if ((params = new_params(text, size)) == NULL)
		abort();
	if ((out = instances_params_text(text, size, doc, params,
	    &outlen)) == NULL)
		abort();
	/* It parses, strictly. */
	if (strlen(out) != outlen || (got = json_parse(out, outlen, &je)) ==
	    NULL)
		abort();
	json_free(got);
	/* The same members but params, and params are the new ones. */
	before = cJSON_ParseWithLength(text, size);
	after = cJSON_ParseWithLength(out, outlen);
	if (before == NULL || after == NULL ||
	    !cJSON_Compare(cJSON_GetObjectItemCaseSensitive(after, "params"),
	    params, 1))
		abort();
	cJSON_DeleteItemFromObjectCaseSensitive(before, "params");
	cJSON_DeleteItemFromObjectCaseSensitive(after, "params");
	if (!cJSON_Compare(before, after, 1))
		abort();
	cJSON_Delete(before);
	cJSON_Delete(after);
	cJSON_Delete(params);
	free(out);
	json_free(doc);
	return 0;
}
