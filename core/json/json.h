/*
 * json -- a strict RFC 8259 parser that remembers where every value came
 * from, so configuration errors can say file:line:col and the JSON path.
 *
 * The tree is immutable once built and freed with json_free().  Limits:
 * nesting depth 64 (at most 64 arrays/objects inside one another; the
 * scalars in the innermost one are fine), document 16 MiB, strings must be
 * valid UTF-8, duplicate object keys are an error (reported at the second
 * key), no comments, no trailing commas, no byte order mark.  Numbers that
 * are integers within int64 are flagged is_int: written without fraction
 * or exponent ("14", "-0"), so "14.0" and "1e3" are numbers but not is_int.
 * Numbers are converted in the "C" locale whatever setlocale() says; ones
 * too small for a double become 0, ones too large are an error.
 *
 * Positions: lines count '\n' (so CRLF is one line break), columns count
 * bytes from 1.  Error messages say what was expected and what was found:
 * "expected ',' or '}' after object member, found ']'".
 */
#ifndef QD_JSON_H
#define QD_JSON_H

#include <stddef.h>
#include <stdint.h>

enum json_type {
	JSON_NULL,
	JSON_BOOL,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT,
};

struct json_value {
	enum json_type type;
	int line;                 /**< 1-based line of the value's first byte */
	int col;                  /**< 1-based column (bytes) */
	const char *key;          /**< member name if the parent is an object
	                               (no NUL inside: \u0000 in a name is an error) */
	int key_line;             /**< position of the member name */
	int key_col;
	struct json_value *parent;
	struct json_value *child; /**< first element / member */
	struct json_value *next;  /**< next sibling */
	size_t n;                 /**< number of children */
	int boolean;
	double num;
	int is_int;               /**< num is an integer that fits int64 */
	int64_t i;                /**< the integer when is_int */
	char *str;                /**< NUL-terminated; may contain \0 (see len) */
	size_t len;
};

struct json_error {
	int line;
	int col;
	char msg[160];
};

/**
 * Parse `len` bytes.  Returns the root or NULL with *err filled in (the
 * position of the first offending byte and what was expected there).
 */
struct json_value *json_parse(const char *text, size_t len,
	struct json_error *err);

/** Free a whole document: v must be a root json_parse() returned, or NULL. */
void json_free(struct json_value *v);

/** Member `key` of object `obj`, or NULL (also if obj is not an object). */
const struct json_value *json_get(const struct json_value *obj,
	const char *key);

/** "object", "array", "string", "number", "boolean" or "null". */
const char *json_type_name(enum json_type t);

/**
 * Write the path of `v` from the root ("$.params.period", "$.symbols[2]")
 * into buf (truncated to cap, always NUL-terminated when cap > 0).  Keys that
 * are not identifiers ([A-Za-z_][A-Za-z0-9_]*) are quoted and escaped like
 * JSON strings: $["my key"], $["a\"b"].  The root (or NULL) is "$".
 * Returns buf.
 */
char *json_path(const struct json_value *v, char *buf, size_t cap);

/** Room json_fmt_double() needs. */
#define JSON_DOUBLE_MAX 32

/**
 * The shortest of "%.15g", "%.16g", "%.17g" that reads back as exactly `v`
 * (0.95 rather than 0.94999999999999996), into buf of at least
 * JSON_DOUBLE_MAX bytes.  `v` must be finite.  Returns buf.
 */
char *json_fmt_double(char *buf, size_t cap, double v);

/**
 * Length of the valid UTF-8 sequence at `s` (at most `n` bytes, n >= 1),
 * or 0 if it is not one (overlong forms, surrogates and code points past
 * U+10FFFF are invalid).
 */
size_t json_utf8_len(const unsigned char *s, size_t n);

#endif
