/*
 * params.c -- typed, validated instance parameters.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/json.h"
#include "log/log.h"
#include "plugin/params.h"

#define SPEC_MIN_SIZE (offsetof(struct qd_param_spec, description) + \
	sizeof(const char *))

struct param_value {
	const struct qd_param_spec *spec;
	int64_t i;     /* INT, BOOL */
	double d;      /* DOUBLE */
	char *s;       /* STRING, ENUM (owned) */
	int set;
};

struct qd_params {
	const struct qd_plugin *plugin;
	uint32_t n;
	struct param_value v[];
};

const char *
params_type_name(enum qd_param_type t)
{
	switch (t) {
	case QD_PARAM_INT: return "int";
	case QD_PARAM_DOUBLE: return "double";
	case QD_PARAM_BOOL: return "bool";
	case QD_PARAM_STRING: return "string";
	case QD_PARAM_ENUM: return "enum";
	}
	return "unknown";
}

static int
choice_index(const struct qd_param_spec *s, const char *v)
{
	int i;

	for (i = 0; s->choices != NULL && s->choices[i] != NULL; i++)
		if (strcmp(s->choices[i], v) == 0)
			return i;
	return -1;
}

/* "a|b|c" list of an enum's choices. */
static void
choices_str(const struct qd_param_spec *s, char *buf, size_t cap)
{
	size_t used = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; s->choices != NULL && s->choices[i] != NULL; i++) {
		int w = snprintf(buf + used, cap - used, "%s%s", i ? "|" : "",
			s->choices[i]);

		if (w < 0 || (size_t)w >= cap - used)
			break;
		used += (size_t)w;
	}
}

static int
spec_name_valid(const char *s)
{
	size_t i;

	if (s == NULL || !(s[0] >= 'a' && s[0] <= 'z') || strlen(s) > 63)
		return 0;
	for (i = 1; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

int
params_check_specs(const struct qd_plugin *p, char *err, size_t errlen)
{
	uint32_t i, j;

	if (p->n_params > 0 && p->params == NULL) {
		snprintf(err, errlen, "n_params is %u but params is NULL",
			p->n_params);
		return -1;
	}
	if (p->n_params > 256) {
		snprintf(err, errlen, "%u params, at most 256 allowed",
			p->n_params);
		return -1;
	}
	for (i = 0; i < p->n_params; i++) {
		const struct qd_param_spec *s = &p->params[i];

		if (s->size < SPEC_MIN_SIZE) {
			snprintf(err, errlen, "param #%u has size %u, expected "
				"%zu; use the QD_PARAM_*_SPEC macros", i,
				s->size, SPEC_MIN_SIZE);
			return -1;
		}
		if (!spec_name_valid(s->name)) {
			snprintf(err, errlen, "param #%u has an invalid name; "
				"expected [a-z][a-z0-9_]*", i);
			return -1;
		}
		for (j = 0; j < i; j++)
			if (strcmp(p->params[j].name, s->name) == 0) {
				snprintf(err, errlen, "param '%s' declared "
					"twice", s->name);
				return -1;
			}
		switch (s->type) {
		case QD_PARAM_INT:
		case QD_PARAM_DOUBLE:
			if ((s->flags & QD_PARAM_HAS_MIN) &&
			    (s->flags & QD_PARAM_HAS_MAX) && s->min > s->max) {
				snprintf(err, errlen, "param '%s' has min %g > "
					"max %g", s->name, s->min, s->max);
				return -1;
			}
			if (s->flags & QD_PARAM_REQUIRED)
				break;
			{
				double d = s->type == QD_PARAM_INT ?
					(double)s->def_int : s->def_double;

				if (!isfinite(d) ||
				    ((s->flags & QD_PARAM_HAS_MIN) && d < s->min) ||
				    ((s->flags & QD_PARAM_HAS_MAX) && d > s->max)) {
					snprintf(err, errlen, "param '%s' "
						"default %g is outside [%g, %g]",
						s->name, d, s->min, s->max);
					return -1;
				}
			}
			break;
		case QD_PARAM_BOOL:
			if (s->def_int != 0 && s->def_int != 1) {
				snprintf(err, errlen, "param '%s' bool default "
					"must be 0 or 1", s->name);
				return -1;
			}
			break;
		case QD_PARAM_STRING:
			break;
		case QD_PARAM_ENUM:
			if (s->choices == NULL || s->choices[0] == NULL) {
				snprintf(err, errlen, "enum param '%s' has no "
					"choices", s->name);
				return -1;
			}
			if (!(s->flags & QD_PARAM_REQUIRED) &&
			    (s->def_string == NULL ||
			    choice_index(s, s->def_string) < 0)) {
				snprintf(err, errlen, "enum param '%s' default "
					"is not one of its choices", s->name);
				return -1;
			}
			break;
		default:
			snprintf(err, errlen, "param '%s' has unknown type %d",
				s->name, (int)s->type);
			return -1;
		}
	}
	return 0;
}

/* A params set holding every default. */
static qd_params *
params_defaults(const struct qd_plugin *p)
{
	qd_params *ps = calloc(1, sizeof(*ps) + p->n_params *
		sizeof(struct param_value));
	uint32_t i;

	if (ps == NULL)
		return NULL;
	ps->plugin = p;
	ps->n = p->n_params;
	for (i = 0; i < p->n_params; i++) {
		const struct qd_param_spec *s = &p->params[i];

		ps->v[i].spec = s;
		ps->v[i].i = s->def_int;
		ps->v[i].d = s->def_double;
		if (s->type == QD_PARAM_STRING || s->type == QD_PARAM_ENUM) {
			ps->v[i].s = strdup(s->def_string ? s->def_string : "");
			if (ps->v[i].s == NULL) {
				params_free(ps);
				return NULL;
			}
		}
	}
	return ps;
}

void
params_free(qd_params *ps)
{
	uint32_t i;

	if (ps == NULL)
		return;
	for (i = 0; i < ps->n; i++)
		free(ps->v[i].s);
	free(ps);
}

static struct param_value *
find_value(qd_params *ps, const char *name)
{
	uint32_t i;

	for (i = 0; i < ps->n; i++)
		if (strcmp(ps->v[i].spec->name, name) == 0)
			return &ps->v[i];
	return NULL;
}

/* "a, b, c": the known parameter names, for unknown-key errors. */
static void
known_names(const struct qd_plugin *p, char *buf, size_t cap)
{
	size_t used = 0;
	uint32_t i;

	snprintf(buf, cap, "(none)");
	for (i = 0; i < p->n_params; i++) {
		int w = snprintf(buf + used, cap - used, "%s%s", i ? ", " : "",
			p->params[i].name);

		if (w < 0 || (size_t)w >= cap - used)
			break;
		used += (size_t)w;
	}
}

/*
 * Check a numeric value against the spec's range.  Returns 0, or -1 with
 * "VALUE is out of range [MIN, MAX]" in msg.
 */
static int
check_range(const struct qd_param_spec *s, double d, char *msg, size_t cap)
{
	if (((s->flags & QD_PARAM_HAS_MIN) && d < s->min) ||
	    ((s->flags & QD_PARAM_HAS_MAX) && d > s->max)) {
		char lo[JSON_DOUBLE_MAX] = "-inf", hi[JSON_DOUBLE_MAX] = "inf",
			v[JSON_DOUBLE_MAX];

		if (s->flags & QD_PARAM_HAS_MIN)
			json_fmt_double(lo, sizeof(lo), s->min);
		if (s->flags & QD_PARAM_HAS_MAX)
			json_fmt_double(hi, sizeof(hi), s->max);
		snprintf(msg, cap, "%s is out of range [%s, %s]",
			json_fmt_double(v, sizeof(v), d), lo, hi);
		return -1;
	}
	return 0;
}

/* Set v from a JSON value.  0, or -1 with what is wrong in msg. */
static int
set_from_json(struct param_value *v, const struct json_value *j, char *msg,
	size_t cap)
{
	const struct qd_param_spec *s = v->spec;
	char ch[256];

	switch (s->type) {
	case QD_PARAM_INT:
		if (j->type != JSON_NUMBER || !j->is_int) {
			snprintf(msg, cap, "expected an integer, found %s",
				j->type == JSON_NUMBER ? "a fraction" :
				json_type_name(j->type));
			return -1;
		}
		if (check_range(s, (double)j->i, msg, cap) != 0)
			return -1;
		v->i = j->i;
		break;
	case QD_PARAM_DOUBLE:
		if (j->type != JSON_NUMBER) {
			snprintf(msg, cap, "expected a number, found %s",
				json_type_name(j->type));
			return -1;
		}
		if (check_range(s, j->num, msg, cap) != 0)
			return -1;
		v->d = j->num;
		break;
	case QD_PARAM_BOOL:
		if (j->type != JSON_BOOL) {
			snprintf(msg, cap, "expected true or false, found %s",
				json_type_name(j->type));
			return -1;
		}
		v->i = j->boolean;
		break;
	case QD_PARAM_STRING:
	case QD_PARAM_ENUM:
		if (j->type != JSON_STRING || strlen(j->str) != j->len) {
			snprintf(msg, cap, "expected a string, found %s",
				json_type_name(j->type));
			return -1;
		}
		if (s->type == QD_PARAM_ENUM && choice_index(s, j->str) < 0) {
			choices_str(s, ch, sizeof(ch));
			snprintf(msg, cap, "\"%.64s\" is not one of %s", j->str,
				ch);
			return -1;
		}
		free(v->s);
		if ((v->s = strdup(j->str)) == NULL) {
			snprintf(msg, cap, "out of memory");
			return -1;
		}
		break;
	}
	v->set = 1;
	return 0;
}

/* Every REQUIRED spec must have been set.  0 or -1 with msg. */
static const struct qd_param_spec *
missing_required(const qd_params *ps)
{
	uint32_t i;

	for (i = 0; i < ps->n; i++)
		if ((ps->v[i].spec->flags & QD_PARAM_REQUIRED) && !ps->v[i].set)
			return ps->v[i].spec;
	return NULL;
}

/* Append one problem line to err (lines separated by '\n'). */
static void
add_problem(char *err, size_t errlen, int *n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
add_problem(char *err, size_t errlen, int *n, const char *fmt, ...)
{
	size_t used = *n ? strlen(err) : 0;
	va_list ap;

	if (*n > 0 && used + 1 < errlen)
		err[used++] = '\n';
	if (used < errlen) {
		va_start(ap, fmt);
		vsnprintf(err + used, errlen - used, fmt, ap);
		va_end(ap);
	}
	(*n)++;
}

qd_params *
params_check_json(const struct qd_plugin *p, const struct json_value *obj,
	params_problem_fn fn, void *arg)
{
	qd_params *ps = params_defaults(p);
	const struct json_value *m;
	char msg[384], names[256];
	uint32_t i;
	int n = 0;

	if (ps == NULL) {
		fn(arg, NULL, 1, 1, "out of memory");
		return NULL;
	}
	if (obj != NULL && obj->type != JSON_OBJECT) {
		snprintf(msg, sizeof(msg), "expected an object, found %s",
			json_type_name(obj->type));
		fn(arg, NULL, obj->line, obj->col, msg);
		goto fail;
	}
	for (m = obj ? obj->child : NULL; m != NULL; m = m->next) {
		struct param_value *v = find_value(ps, m->key);

		if (v == NULL) {
			known_names(p, names, sizeof(names));
			snprintf(msg, sizeof(msg), "unknown parameter of "
				"plugin '%s' (known: %s)", p->name, names);
			fn(arg, m->key, m->key_line, m->key_col, msg);
			n++;
		} else if (set_from_json(v, m, msg, sizeof(msg)) != 0) {
			fn(arg, m->key, m->line, m->col, msg);
			n++;
		}
	}
	for (i = 0; i < ps->n; i++)
		if ((ps->v[i].spec->flags & QD_PARAM_REQUIRED) &&
		    !ps->v[i].set) {
			snprintf(msg, sizeof(msg), "required %s parameter is "
				"missing", params_type_name(ps->v[i].spec->type));
			fn(arg, ps->v[i].spec->name, obj ? obj->line : 1,
				obj ? obj->col : 1, msg);
			n++;
		}
	if (n == 0)
		return ps;
fail:
	params_free(ps);
	return NULL;
}

/* params_from_json()'s report: one "FILE:LINE:COL: params.KEY: ..." line
 * per problem. */
struct file_problems {
	const char *file;
	char *err;
	size_t errlen;
	int n;
};

static void
file_problem(void *arg, const char *key, int line, int col, const char *msg)
{
	struct file_problems *fp = arg;

	if (key == NULL)
		add_problem(fp->err, fp->errlen, &fp->n, "%s:%d:%d: params: %s",
			fp->file, line, col, msg);
	else
		add_problem(fp->err, fp->errlen, &fp->n, "%s:%d:%d: params.%s: "
			"%s", fp->file, line, col, key, msg);
}

qd_params *
params_from_json(const struct qd_plugin *p, const struct json_value *obj,
	const char *file, char *err, size_t errlen)
{
	struct file_problems fp = { file, err, errlen, 0 };

	if (errlen > 0)
		err[0] = '\0';
	return params_check_json(p, obj, file_problem, &fp);
}

/* Set v from a string (CLI).  0, or -1 with what is wrong in msg. */
static int
set_from_string(struct param_value *v, const char *str, char *msg, size_t cap)
{
	const struct qd_param_spec *s = v->spec;
	char *end, ch[256];

	errno = 0;
	switch (s->type) {
	case QD_PARAM_INT: {
		long long x = strtoll(str, &end, 10);

		if (*str == '\0' || *end != '\0' || errno != 0) {
			snprintf(msg, cap, "expected an integer, found \"%.64s\"",
				str);
			return -1;
		}
		if (check_range(s, (double)x, msg, cap) != 0)
			return -1;
		v->i = x;
		break;
	}
	case QD_PARAM_DOUBLE: {
		double x = strtod(str, &end);

		if (*str == '\0' || *end != '\0' || errno != 0 || !isfinite(x)) {
			snprintf(msg, cap, "expected a number, found \"%.64s\"",
				str);
			return -1;
		}
		if (check_range(s, x, msg, cap) != 0)
			return -1;
		v->d = x;
		break;
	}
	case QD_PARAM_BOOL:
		if (!strcmp(str, "true") || !strcmp(str, "1") ||
		    !strcmp(str, "yes"))
			v->i = 1;
		else if (!strcmp(str, "false") || !strcmp(str, "0") ||
		    !strcmp(str, "no"))
			v->i = 0;
		else {
			snprintf(msg, cap, "expected true or false, found "
				"\"%.64s\"", str);
			return -1;
		}
		break;
	case QD_PARAM_STRING:
	case QD_PARAM_ENUM:
		if (s->type == QD_PARAM_ENUM && choice_index(s, str) < 0) {
			choices_str(s, ch, sizeof(ch));
			snprintf(msg, cap, "\"%.64s\" is not one of %s", str, ch);
			return -1;
		}
		free(v->s);
		if ((v->s = strdup(str)) == NULL) {
			snprintf(msg, cap, "out of memory");
			return -1;
		}
		break;
	}
	v->set = 1;
	return 0;
}

qd_params *
params_from_kv(const struct qd_plugin *p, const struct qd_kv *kv, size_t n,
	char *err, size_t errlen)
{
	qd_params *ps = params_defaults(p);
	const struct qd_param_spec *miss;
	char msg[384], names[256];
	size_t i;

	if (ps == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (i = 0; i < n; i++) {
		struct param_value *v = find_value(ps, kv[i].key);

		if (v == NULL) {
			known_names(p, names, sizeof(names));
			snprintf(err, errlen, "param %s: unknown parameter of "
				"plugin '%s' (known: %s)", kv[i].key, p->name,
				names);
			goto fail;
		}
		if (set_from_string(v, kv[i].value, msg, sizeof(msg)) != 0) {
			snprintf(err, errlen, "param %s: %s", kv[i].key, msg);
			goto fail;
		}
	}
	if ((miss = missing_required(ps)) != NULL) {
		snprintf(err, errlen, "param %s: required %s parameter is "
			"missing", miss->name, params_type_name(miss->type));
		goto fail;
	}
	return ps;
fail:
	params_free(ps);
	return NULL;
}

int
params_equal(const qd_params *a, const qd_params *b)
{
	uint32_t i;

	if (a == NULL || b == NULL)
		return a == b;
	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++) {
		const struct param_value *x = &a->v[i], *y = &b->v[i];

		if (strcmp(x->spec->name, y->spec->name) != 0 ||
		    x->spec->type != y->spec->type)
			return 0;
		switch (x->spec->type) {
		case QD_PARAM_INT:
		case QD_PARAM_BOOL:
			if (x->i != y->i)
				return 0;
			break;
		case QD_PARAM_DOUBLE:
			if (memcmp(&x->d, &y->d, sizeof(double)) != 0)
				return 0;
			break;
		default:
			if (strcmp(x->s, y->s) != 0)
				return 0;
		}
	}
	return 1;
}

/* Append JSON-escaped s to buf; returns chars that would be written. */
static size_t
json_escape(const char *s, char *buf, size_t cap)
{
	size_t n = 0;

	for (; *s; s++) {
		char tmp[8];
		const char *w = tmp;
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			snprintf(tmp, sizeof(tmp), "\\%c", c);
		else if (c < 0x20)
			snprintf(tmp, sizeof(tmp), "\\u%04x", c);
		else
			snprintf(tmp, sizeof(tmp), "%c", c);
		for (; *w; w++, n++)
			if (n + 1 < cap)
				buf[n] = *w;
	}
	if (cap > 0)
		buf[n < cap ? n : cap - 1] = '\0';
	return n;
}

size_t
params_to_json(const qd_params *ps, char *buf, size_t cap)
{
	size_t n = 0;
	uint32_t i;
	char tmp[64];

#define PUT(str) do {                                                         \
		size_t l_ = strlen(str);                                       \
		if (n < cap)                                                   \
			memcpy(buf + n, str, n + l_ < cap ? l_ : cap - n);     \
		n += l_;                                                       \
	} while (0)
	PUT("{");
	for (i = 0; i < ps->n; i++) {
		const struct param_value *v = &ps->v[i];

		PUT(i ? ",\"" : "\"");
		PUT(v->spec->name);
		PUT("\":");
		if (v->spec->flags & QD_PARAM_SECRET) {
			PUT("\"***\"");
			continue;
		}
		switch (v->spec->type) {
		case QD_PARAM_INT:
			snprintf(tmp, sizeof(tmp), "%lld", (long long)v->i);
			PUT(tmp);
			break;
		case QD_PARAM_DOUBLE:
			PUT(json_fmt_double(tmp, sizeof(tmp), v->d));
			break;
		case QD_PARAM_BOOL:
			PUT(v->i ? "true" : "false");
			break;
		default:
			PUT("\"");
			n += json_escape(v->s, n < cap ? buf + n : tmp,
				n < cap ? cap - n : sizeof(tmp));
			PUT("\"");
		}
	}
	PUT("}");
#undef PUT
	if (cap > 0)
		buf[n < cap ? n : cap - 1] = '\0';
	return n;
}

static const struct param_value *
lookup(const qd_params *ps, const char *name, enum qd_param_type t1,
	enum qd_param_type t2)
{
	uint32_t i;

	if (ps == NULL || name == NULL)
		return NULL;
	for (i = 0; i < ps->n; i++)
		if (strcmp(ps->v[i].spec->name, name) == 0) {
			if (ps->v[i].spec->type == t1 ||
			    ps->v[i].spec->type == t2)
				return &ps->v[i];
			break;
		}
	log_error(ps->plugin->name, "plugin asked for %s parameter '%s', "
		"which its descriptor does not declare with that type",
		params_type_name(t1), name);
	return NULL;
}

int64_t
params_int(const qd_params *ps, const char *name)
{
	const struct param_value *v = lookup(ps, name, QD_PARAM_INT,
		QD_PARAM_INT);

	return v ? v->i : 0;
}

double
params_double(const qd_params *ps, const char *name)
{
	const struct param_value *v = lookup(ps, name, QD_PARAM_DOUBLE,
		QD_PARAM_INT);

	if (v == NULL)
		return 0.0;
	return v->spec->type == QD_PARAM_INT ? (double)v->i : v->d;
}

int
params_bool(const qd_params *ps, const char *name)
{
	const struct param_value *v = lookup(ps, name, QD_PARAM_BOOL,
		QD_PARAM_BOOL);

	return v ? (int)v->i : 0;
}

const char *
params_string(const qd_params *ps, const char *name)
{
	const struct param_value *v = lookup(ps, name, QD_PARAM_STRING,
		QD_PARAM_ENUM);

	return v ? v->s : NULL;
}

size_t
params_to_kv(const qd_params *ps, struct qd_kv *kv, size_t cap)
{
	static __thread char num[256][32];
	size_t i, n = 0;

	for (i = 0; ps != NULL && i < ps->n && n < cap && n < 256; i++) {
		const struct param_value *v = &ps->v[i];

		kv[n].key = v->spec->name;
		switch (v->spec->type) {
		case QD_PARAM_INT:
			snprintf(num[n], sizeof(num[n]), "%lld",
				(long long)v->i);
			kv[n].value = num[n];
			break;
		case QD_PARAM_DOUBLE:
			kv[n].value = json_fmt_double(num[n], sizeof(num[n]),
				v->d);
			break;
		case QD_PARAM_BOOL:
			kv[n].value = v->i ? "true" : "false";
			break;
		default:
			kv[n].value = v->s;
		}
		n++;
	}
	return n;
}
