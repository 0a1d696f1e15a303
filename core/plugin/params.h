/*
 * params -- validating instance parameters against a plugin's specs.
 *
 * A qd_params (opaque in the SDK) holds one typed value per spec of the
 * plugin, defaults applied.  Built from a config file's JSON `params` object
 * (errors carry file:line:col and the key) or from key=value strings (CLI
 * --param, api->indicator_new).  Unknown keys, wrong types, out-of-range
 * numbers, enum values not in the list and missing required values are
 * errors.  Immutable once built; freed with params_free().
 */
#ifndef QD_PARAMS_H
#define QD_PARAMS_H

#include <stddef.h>
#include <quantd/sdk.h>

struct json_value;

/**
 * Build from a JSON object (or NULL for all defaults).  On error returns NULL
 * and writes every problem into err, one "FILE:LINE:COL: params.KEY: what
 * is wrong" per line.
 */
qd_params *params_from_json(const struct qd_plugin *p,
	const struct json_value *obj, const char *file, char *err,
	size_t errlen);

/**
 * Called once per problem params_check_json() finds: the parameter's name
 * (NULL: the params value itself), where in the document, what is wrong
 * (the same words params_from_json() writes after "params.KEY: ").
 */
typedef void (*params_problem_fn)(void *arg, const char *key, int line,
	int col, const char *msg);

/**
 * params_from_json() reporting each problem to fn instead of as text (the
 * API's validation answers them one by one, without a file).  NULL if
 * there was any.
 */
qd_params *params_check_json(const struct qd_plugin *p,
	const struct json_value *obj, params_problem_fn fn, void *arg);

/**
 * Build from key/value strings.  On error returns NULL and writes
 * "param KEY: what is wrong" into err.
 */
qd_params *params_from_kv(const struct qd_plugin *p, const struct qd_kv *kv,
	size_t n, char *err, size_t errlen);

void params_free(qd_params *ps);

/**
 * Every value as strings params_from_kv() accepts (secrets included: for
 * handing params to a sandbox child, never for printing).  Numbers point
 * into thread-local buffers valid until the next call.  Returns the count.
 */
size_t params_to_kv(const qd_params *ps, struct qd_kv *kv, size_t cap);

/** 1 if both hold the same values for the same plugin specs. */
int params_equal(const qd_params *a, const qd_params *b);

/**
 * Render as a JSON object into buf ("{\"period\":14}"), secrets shown as
 * "***".  Returns the length that would have been written (like snprintf).
 */
size_t params_to_json(const qd_params *ps, char *buf, size_t cap);

/* Accessors behind api->param_*. Unknown names log and return 0 / NULL. */
int64_t params_int(const qd_params *ps, const char *name);
double params_double(const qd_params *ps, const char *name);
int params_bool(const qd_params *ps, const char *name);
const char *params_string(const qd_params *ps, const char *name);

/** Check a plugin's specs are well formed (loader).  0 or -1 with err. */
int params_check_specs(const struct qd_plugin *p, char *err, size_t errlen);

/** "int", "double", "bool", "string", "enum". */
const char *params_type_name(enum qd_param_type t);

#endif
