/*
 * symbol -- interning canonical symbols ("BTC/USDT") to small integers.
 *
 * Ids start at 1 and are stable for the life of the process; names stay
 * valid forever.  Core thread only (the net thread interns through the core).
 */
#ifndef QD_SYMBOL_H
#define QD_SYMBOL_H

#include <quantd/sdk.h>

/** Id of `name`, interning it; 0 if malformed (not BASE/QUOTE, A-Z0-9). */
qd_symbol symbol_intern(const char *name);
/** Id of `name` if already interned, else 0. */
qd_symbol symbol_lookup(const char *name);
/** Name of an id, or NULL. */
const char *symbol_name(qd_symbol id);
/** 1 if `name` is a well-formed canonical symbol. */
int symbol_valid(const char *name);

#endif
