/*
 * describe -- plugins as JSON (cJSON), for the control socket, the API and
 * `quantctl plugin list/info --json`.  One shape everywhere:
 *   {"name","kind","version","abi":"1.0","file","description","license",
 *    "requires":[...], "params":[{"name","type","default","min","max",
 *    "choices","required","secret","description"}], "outputs":[...],
 *    "placement":["price"|"pane", one per output: drawn over the candles
 *    or in a pane of its own],
 *    "overlay": true when an indicator has an output drawn over the candles}
 */
#ifndef QD_DESCRIBE_H
#define QD_DESCRIBE_H

#include <cjson/cJSON.h>

struct plugin;
struct plugin_refusal;

/** Describe a plugin; params only if with_params.  NULL on OOM. */
cJSON *describe_plugin(const struct plugin *p, int with_params);
/** {"file","name","reason"} */
cJSON *describe_refusal(const struct plugin_refusal *f);

#endif
