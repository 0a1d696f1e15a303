/*
 * instances.c -- instances, their params and files, indicators over the
 * store (see instances.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "api/api.h"
#include "config/config.h"
#include "ctl/ctl.h"
#include "daemon/instances.h"
#include "host/host.h"
#include "json/json.h"
#include "market/symbol.h"
#include "plugin/describe.h"
#include "plugin/indicator.h"
#include "plugin/params.h"
#include "plugin/plugin.h"
#include "store/store.h"
#include "util/file.h"

/* Instance files are small; a bigger one is refused, not read. */
#define FILE_MAX (1024 * 1024)
/* Params an indicator request may give. */
#define MAX_KV 64

static char *
reply_print(cJSON *o)
{
	char *s = o ? cJSON_PrintUnformatted(o) : NULL;

	cJSON_Delete(o);
	return s;
}

static cJSON *
reply_ok(void)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddBoolToObject(o, "ok", 1);
	return o;
}

/* The running instance named `name`: 0 with *out, or -1. */
static int
find_info(const struct host *h, const char *name,
	struct host_instance_info *out)
{
	for (size_t i = 0; i < host_instance_count(h); i++)
		if (host_instance_info(h, i, out) == QD_OK &&
		    strcmp(out->instance, name) == 0)
			return 0;
	return -1;
}

/* ---- instance files ------------------------------------------------------- */

/* The version of a file's text: the first 16 bytes of its SHA-256, hex. */
static void
text_version(const char *text, size_t len, char out[33])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (EVP_Digest(text, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen < 16) {
		snprintf(out, 33, "unknown");
		return;
	}
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/*
 * Replace `path` with `len` bytes of `text` at once: a temporary file in
 * the same directory (not *.json: a reload meanwhile never reads it),
 * flushed to disk, given the old file's mode, renamed over it.  0, or -1
 * with errno (the old file untouched).
 */
static int
file_replace(const char *path, const char *text, size_t len)
{
	char tmp[4096];
	struct stat st;
	size_t off = 0;
	int fd, saved;

	if (snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid()) >=
	    (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640)) <
	    0)
		return -1;
	if (stat(path, &st) == 0)
		(void)fchmod(fd, st.st_mode & 07777);
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		off += (size_t)w;
	}
	if (fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto fail;
	return 0;
fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	errno = saved;
	return -1;
}

/* The configuration would be rejected: its first problem. */
static char *
rejected_reply(const struct diag *d)
{
	const char *nl = strchr(d->text, '\n');
	char msg[1024];

	snprintf(msg, sizeof(msg), "the configuration would be rejected "
		"(%d problem(s)): %.*s", d->count,
		(int)(nl ? nl - d->text : (long)strlen(d->text)), d->text);
	return ctl_error_field("conflict", msg, NULL);
}

/*
 * Write `ntext` (`nlen` bytes, checked already) as instance file `file`,
 * whose text is `old` now, and reload; a rejected reload puts `old` back.
 * The reply: {"ok":true,"version"} with the new text's version, or the
 * error.  malloc'd.
 */
static char *
file_apply(const struct daemon_instances *di, const char *file,
	const char *old, size_t oldlen, const char *ntext, size_t nlen)
{
	char msg[1024], ver[33];
	cJSON *o;

	if (file_replace(file, ntext, nlen) != 0) {
		snprintf(msg, sizeof(msg), "the instance file cannot be "
			"written: %s", strerror(errno));
		return ctl_error_field("failed", msg, NULL);
	}
	if (di->reload(di->arg) != 0) {
		/* Something else on disk changed meanwhile: put the file back
		 * as it was. */
		if (file_replace(file, old, oldlen) != 0)
			snprintf(msg, sizeof(msg), "the reload was rejected "
				"and the instance file could not be restored: "
				"%s", strerror(errno));
		else
			snprintf(msg, sizeof(msg), "the reload was rejected "
				"(the log says why); the instance file is as it "
				"was");
		return ctl_error_field("conflict", msg, NULL);
	}
	o = reply_ok();
	text_version(ntext, nlen, ver);
	cJSON_AddStringToObject(o, "version", ver);
	return reply_print(o);
}

/* ---- params --------------------------------------------------------------- */

/* A copy of `given` where a secret's "***" (what instance.info shows) is
 * the value the file has (or dropped: its default). */
static cJSON *
params_keep_secrets(const struct qd_plugin *desc, const cJSON *given,
	const struct json_value *file_params)
{
	cJSON *out = cJSON_Duplicate(given, 1), *m, *next;

	for (m = out ? out->child : NULL; m != NULL; m = next) {
		const struct json_value *old;
		uint32_t i;

		next = m->next;
		for (i = 0; i < desc->n_params; i++)
			if (strcmp(desc->params[i].name, m->string) == 0)
				break;
		if (i == desc->n_params ||
		    !(desc->params[i].flags & QD_PARAM_SECRET) ||
		    !cJSON_IsString(m) || strcmp(m->valuestring, "***") != 0)
			continue;
		old = file_params ? json_get(file_params, m->string) : NULL;
		if (old != NULL && old->type == JSON_STRING &&
		    strlen(old->str) == old->len)
			/* (by name: the new item takes the member's key) */
			cJSON_ReplaceItemInObjectCaseSensitive(out,
				desc->params[i].name, cJSON_CreateString(old->str));
		else
			cJSON_Delete(cJSON_DetachItemViaPointer(out, m));
	}
	return out;
}

/* Problems of params_check_json() as [{"field","message"}]. */
static void
add_problem(void *arg, const char *key, int line, int col, const char *msg)
{
	cJSON *e = cJSON_CreateObject();

	(void)line;
	(void)col;
	cJSON_AddStringToObject(e, "field", key ? key : "params");
	cJSON_AddStringToObject(e, "message", msg);
	cJSON_AddItemToArray(arg, e);
}

/*
 * Check `params` (cJSON) against the plugin's specs as the config loader
 * does.  Returns the problems (an array, empty when valid); NULL when out
 * of memory.
 */
static cJSON *
params_problems(const struct qd_plugin *desc, const cJSON *params)
{
	cJSON *errs = cJSON_CreateArray();
	char *text = cJSON_PrintUnformatted(params);
	struct json_value *v;
	struct json_error je;
	qd_params *ps;

	if (errs == NULL || text == NULL) {
		cJSON_Delete(errs);
		free(text);
		return NULL;
	}
	if ((v = json_parse(text, strlen(text), &je)) == NULL) {
		add_problem(errs, NULL, je.line, je.col, je.msg);
	} else {
		ps = params_check_json(desc, v, add_problem, errs);
		params_free(ps);
		json_free(v);
	}
	free(text);
	return errs;
}

/* ---- configuration checks -------------------------------------------------- */

/* Put instance `ci` (taken over) into `c` in place of the one loaded from
 * the same file, or of the same name, or last.  0, or -1 (ci cleared). */
static int
config_put(struct config *c, struct config_instance *ci)
{
	struct config_instance *ni;
	size_t i;

	for (i = 0; i < c->n_instances; i++) {
		const struct config_instance *x = &c->instances[i];

		if ((x->file != NULL && strcmp(x->file, ci->file) == 0) ||
		    (x->instance != NULL && ci->instance != NULL &&
		    strcmp(x->instance, ci->instance) == 0)) {
			config_instance_clear(&c->instances[i]);
			c->instances[i] = *ci;
			return 0;
		}
	}
	ni = realloc(c->instances, (c->n_instances + 1) * sizeof(*ni));
	if (ni == NULL) {
		config_instance_clear(ci);
		return -1;
	}
	c->instances = ni;
	c->instances[c->n_instances++] = *ci;
	return 0;
}

/*
 * The configuration on disk with `text` as instance file `file` (in place
 * of the file of that path or instance name), bound against the loaded
 * plugins: every problem in *d, plugins not loaded in *w.  The running
 * instances are not touched.
 */
static void
config_check_with(const struct daemon_instances *di, const char *file,
	const char *text, size_t len, struct diag *d, struct diag *w)
{
	struct config_instance ci;
	struct config *c = config_load(di->config_path, d);

	if (c == NULL)
		return;
	if (config_parse_instance(file, text, len, &ci, d) == 0) {
		if (config_put(c, &ci) != 0)
			diag_add(d, "%s: out of memory", file);
		else
			config_bind(c, di->reg, d, w);
	} else {
		config_instance_clear(&ci);
	}
	config_free(c);
}

static void
add_position(cJSON *arr, int line, int col, const char *msg)
{
	cJSON *e = cJSON_CreateObject();

	cJSON_AddNumberToObject(e, "line", line);
	cJSON_AddNumberToObject(e, "column", col);
	cJSON_AddStringToObject(e, "message", msg);
	cJSON_AddItemToArray(arr, e);
}

/* Diagnostic lines "FILE:LINE:COL: message" of `file` as problems; a
 * line of the file without a position (out of memory) at its start. */
static void
diag_problems(const struct diag *d, const char *file, cJSON *arr)
{
	size_t fl = strlen(file);
	const char *p = d->text, *nl;

	while (p != NULL && *p) {
		int line = 1, col = 1, n = 0;
		size_t ll;
		char *msg;

		nl = strchr(p, '\n');
		ll = nl ? (size_t)(nl - p) : strlen(p);
		if (ll > fl && memcmp(p, file, fl) == 0 && p[fl] == ':') {
			if (sscanf(p + fl, ":%d:%d: %n", &line, &col, &n) != 2 ||
			    n <= 0 || (size_t)n > ll - fl) {
				line = col = 1;
				n = p[fl + 1] == ' ' ? 2 : 1;
			}
			if ((msg = strndup(p + fl + n, ll - fl - (size_t)n)) !=
			    NULL)
				add_position(arr, line, col, msg);
			free(msg);
		}
		p = nl ? nl + 1 : NULL;
	}
}

/* The name a checked buffer goes by in diagnostics (no file has it: files
 * are paths). */
#define BUFFER_NAME "request"

static char *
config_check(const struct daemon_instances *di, const cJSON *req)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(req, "text");
	struct diag d = { 0 }, w = { 0 };
	cJSON *o, *arr;

	if (!cJSON_IsString(t))
		return ctl_error_field("bad_request", "config.check takes the "
			"instance file's text as \"text\"", "text");
	config_check_with(di, BUFFER_NAME, t->valuestring,
		strlen(t->valuestring), &d, &w);
	o = reply_ok();
	arr = cJSON_CreateArray();
	diag_problems(&d, BUFFER_NAME, arr);
	diag_problems(&w, BUFFER_NAME, arr);
	cJSON_AddBoolToObject(o, "valid", cJSON_GetArraySize(arr) == 0);
	cJSON_AddItemToObject(o, "problems", arr);
	diag_free(&d);
	diag_free(&w);
	return reply_print(o);
}

/* ---- instances --------------------------------------------------------- */

static cJSON *
instance_json(const struct daemon_instances *di,
	const struct host_instance_info *ii)
{
	const struct plugin *p = plugin_find(di->reg, ii->plugin);
	enum qd_kind kind = ii->version != NULL ? ii->kind : p ?
		plugin_desc(p)->kind : 0;
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "name", ii->instance);
	cJSON_AddStringToObject(o, "plugin", ii->plugin);
	cJSON_AddStringToObject(o, "kind", kind ? plugin_kind_name(kind) :
		"unknown");
	if (ii->version != NULL)
		cJSON_AddStringToObject(o, "plugin_version", ii->version);
	cJSON_AddStringToObject(o, "state", host_state_name(ii->state));
	if (ii->reason != NULL)
		cJSON_AddStringToObject(o, "reason", ii->reason);
	cJSON_AddStringToObject(o, "trust", ii->trust);
	cJSON_AddBoolToObject(o, "sandboxed", strcmp(ii->trust,
		"sandboxed") == 0);
	cJSON_AddNumberToObject(o, "restarts", ii->restarts);
	if (kind == QD_KIND_STRATEGY) {
		char acc[96];

		if (ii->exchange != NULL)
			cJSON_AddStringToObject(o, "exchange", ii->exchange);
		snprintf(acc, sizeof(acc), "paper:%s", ii->instance);
		cJSON_AddStringToObject(o, "account", ii->account ?
			ii->account : acc);
	}
	return o;
}

static char *
instance_list(const struct daemon_instances *di)
{
	cJSON *o = reply_ok(), *arr = cJSON_AddArrayToObject(o, "instances");

	for (size_t i = 0; i < host_instance_count(di->host); i++) {
		struct host_instance_info ii;

		if (host_instance_info(di->host, i, &ii) == QD_OK)
			cJSON_AddItemToArray(arr, instance_json(di, &ii));
	}
	return reply_print(o);
}

static char *
instance_info(const struct daemon_instances *di, const char *name)
{
	struct host_instance_info ii;
	const struct plugin *p;
	cJSON *o, *in, *desc;
	char *text, ver[33];
	size_t len;

	if (find_info(di->host, name, &ii) != 0)
		return ctl_error_field("not_found", "no such instance", "name");
	o = reply_ok();
	in = instance_json(di, &ii);
	cJSON_AddItemToObject(o, "instance", in);
	if (ii.params != NULL) {
		char small[4096], *big = NULL, *js = small;
		size_t n = params_to_json(ii.params, small, sizeof(small));

		if (n >= sizeof(small) && (big = malloc(n + 1)) != NULL) {
			params_to_json(ii.params, big, n + 1);
			js = big;
		}
		cJSON_AddItemToObject(in, "params", n < sizeof(small) || big ?
			cJSON_Parse(js) : cJSON_CreateNull());
		free(big);
	} else {
		cJSON_AddNullToObject(in, "params");
	}
	p = plugin_find(di->reg, ii.plugin);
	desc = p ? describe_plugin(p, 1) : NULL;
	if (desc != NULL && cJSON_GetObjectItemCaseSensitive(desc, "params"))
		cJSON_AddItemToObject(in, "param_specs",
			cJSON_DetachItemFromObjectCaseSensitive(desc, "params"));
	else
		cJSON_AddItemToObject(in, "param_specs", cJSON_CreateArray());
	cJSON_Delete(desc);
	if (ii.config_file != NULL &&
	    (text = file_read(ii.config_file, FILE_MAX, &len)) != NULL) {
		text_version(text, len, ver);
		cJSON_AddStringToObject(in, "version", ver);
		free(text);
	}
	return reply_print(o);
}

static char *
instance_start(const struct daemon_instances *di, const char *name)
{
	switch (host_start(di->host, name)) {
	case QD_OK:
		return strdup("{\"ok\":true}");
	case QD_ERR_NOTFOUND:
		return ctl_error_field("not_found", "no such instance", "name");
	case QD_ERR_STATE:
		return ctl_error_field("conflict", "the instance is running "
			"(stop it first, or restart it)", NULL);
	default:
		return ctl_error_field("failed", "the instance failed to start; "
			"its reason and the log say why", NULL);
	}
}

/* What params.validate and params.set share: the instance, its plugin,
 * its file (NULL if unreadable) and the params with secrets kept. */
struct edit {
	struct host_instance_info ii;
	const struct qd_plugin *desc;
	char *text;                    /* the instance file, or NULL */
	size_t len;
	int read_errno;                /* why text is NULL */
	struct json_value *doc;        /* text parsed, or NULL */
	cJSON *params;
};

static void
edit_clear(struct edit *e)
{
	free(e->text);
	json_free(e->doc);
	cJSON_Delete(e->params);
	memset(e, 0, sizeof(*e));
}

/* The instance `name`, its plugin's descriptor (NULL when the plugin is
 * not loaded) and its file as it is on disk.  NULL, or the error reply. */
static char *
edit_read(const struct daemon_instances *di, const char *name,
	struct edit *e)
{
	const struct plugin *p;
	struct json_error je;

	memset(e, 0, sizeof(*e));
	if (name == NULL || find_info(di->host, name, &e->ii) != 0)
		return ctl_error_field("not_found", "no such instance", "name");
	p = plugin_find(di->reg, e->ii.plugin);
	e->desc = p ? plugin_desc(p) : NULL;
	errno = ENOENT;
	if (e->ii.config_file != NULL &&
	    (e->text = file_read(e->ii.config_file, FILE_MAX,
	    &e->len)) != NULL)
		e->doc = json_parse(e->text, e->len, &je);
	else
		e->read_errno = errno;
	return NULL;
}

/* edit_read() and the request's "params" with secrets kept.  NULL, or
 * the error reply. */
static char *
edit_open(const struct daemon_instances *di, const char *name,
	const cJSON *req, struct edit *e)
{
	const cJSON *params = cJSON_GetObjectItemCaseSensitive(req, "params");
	char *r;

	if ((r = edit_read(di, name, e)) != NULL)
		return r;
	if (!cJSON_IsObject(params))
		return ctl_error_field("bad_request", "\"params\" must be an "
			"object of the plugin's parameters", "params");
	if (e->desc == NULL)
		return ctl_error_field("conflict", "the instance's plugin is not "
			"loaded; its parameters cannot be checked", NULL);
	e->params = params_keep_secrets(e->desc, params,
		e->doc ? json_get(e->doc, "params") : NULL);
	if (e->params == NULL)
		return ctl_error_field("failed", "out of memory", NULL);
	return NULL;
}

/*
 * Whether the file `e` read may be replaced as the request asks: it was
 * read, and the request's "version" (if any) is its version.  NULL with
 * *file its path (malloc'd: the instance's own goes at a reload), or the
 * error reply.
 */
static char *
edit_writable(const struct edit *e, const cJSON *req, char **file)
{
	const cJSON *ver = cJSON_GetObjectItemCaseSensitive(req, "version");
	char cur[33], msg[1024];

	*file = NULL;
	if (e->text == NULL) {
		snprintf(msg, sizeof(msg), "the instance file cannot be read: "
			"%s", strerror(e->read_errno));
		return ctl_error_field("failed", msg, NULL);
	}
	text_version(e->text, e->len, cur);
	if (ver != NULL && strcmp(ver->valuestring, cur) != 0) {
		snprintf(msg, sizeof(msg), "the instance file changed since "
			"version %.40s was read (it is %s now): read it again",
			ver->valuestring, cur);
		return ctl_error_field("conflict", msg, "version");
	}
	if ((*file = strdup(e->ii.config_file)) == NULL)
		return ctl_error_field("failed", "out of memory", NULL);
	return NULL;
}

static char *
params_validate(const struct daemon_instances *di, const char *name,
	const cJSON *req)
{
	struct edit e;
	cJSON *o, *errs;
	char *r;

	if ((r = edit_open(di, name, req, &e)) != NULL) {
		edit_clear(&e);
		return r;
	}
	if ((errs = params_problems(e.desc, e.params)) == NULL) {
		edit_clear(&e);
		return ctl_error_field("failed", "out of memory", NULL);
	}
	o = reply_ok();
	cJSON_AddBoolToObject(o, "valid", cJSON_GetArraySize(errs) == 0);
	cJSON_AddItemToObject(o, "errors", errs);
	edit_clear(&e);
	return reply_print(o);
}

/* The problems as one message ("period: ...; fast: ..."), with the first
 * one's field. */
static char *
invalid_reply(const cJSON *errs)
{
	const cJSON *x;
	char msg[2048];
	size_t o = 0;

	msg[0] = '\0';
	cJSON_ArrayForEach(x, errs) {
		const cJSON *f = cJSON_GetObjectItemCaseSensitive(x, "field");
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(x, "message");

		if (o < sizeof(msg))
			o += (size_t)snprintf(msg + o, sizeof(msg) - o,
				"%s%s: %s", o ? "; " : "", f->valuestring,
				m->valuestring);
	}
	return ctl_error_field("bad_request", msg, cJSON_GetObjectItemCaseSensitive(
		errs->child, "field")->valuestring);
}

static char *
params_set(const struct daemon_instances *di, const char *name,
	const cJSON *req)
{
	const cJSON *ver = cJSON_GetObjectItemCaseSensitive(req, "version");
	struct diag d = { 0 }, w = { 0 };
	struct edit e;
	char *r = NULL, *ntext = NULL;
	char *file = NULL;
	size_t nlen;
	cJSON *errs = NULL;

	if (ver != NULL && !cJSON_IsString(ver))
		return ctl_error_field("bad_request", "\"version\" is the string "
			"instance.info gave", "version");
	if ((r = edit_open(di, name, req, &e)) != NULL)
		goto out;
	if ((r = edit_writable(&e, req, &file)) != NULL)
		goto out;
	if (e.doc == NULL) {
		r = ctl_error_field("conflict", "the instance file on disk is not "
			"valid JSON (quantctl config check says where): fix it "
			"by hand", NULL);
		goto out;
	}
	if ((errs = params_problems(e.desc, e.params)) == NULL) {
		r = ctl_error_field("failed", "out of memory", NULL);
		goto out;
	}
	if (cJSON_GetArraySize(errs) > 0) {
		r = invalid_reply(errs);
		goto out;
	}
	if ((ntext = instances_params_text(e.text, e.len, e.doc, e.params,
	    &nlen)) == NULL) {
		r = ctl_error_field("failed", "out of memory", NULL);
		goto out;
	}
	/* The whole configuration with the new file, as a reload sees it:
	 * nothing is written unless it would be applied. */
	config_check_with(di, file, ntext, nlen, &d, &w);
	if (d.count > 0) {
		r = rejected_reply(&d);
		goto out;
	}
	r = file_apply(di, file, e.text, e.len, ntext, nlen);
out:
	cJSON_Delete(errs);
	free(file);
	free(ntext);
	diag_free(&d);
	diag_free(&w);
	edit_clear(&e);
	return r;
}

/* ---- instance files as text ----------------------------------------------- */

/* The file's text as an editor is shown it: each secret param's string
 * value "***" (config.set puts the file's value back), the rest of the
 * file byte for byte.  A file that does not parse, or whose plugin is not
 * loaded, is shown as it is.  malloc'd, *outlen bytes; NULL when out of
 * memory. */
static char *
text_masked(const struct edit *e, size_t *outlen)
{
	cJSON *whole = NULL, *params;
	char *out = NULL;
	int masked = 0;

	if (e->desc != NULL && e->doc != NULL &&
	    (whole = cJSON_ParseWithLength(e->text, e->len)) != NULL &&
	    cJSON_IsObject(params = cJSON_GetObjectItemCaseSensitive(whole,
	    "params"))) {
		for (uint32_t i = 0; i < e->desc->n_params; i++) {
			const struct qd_param_spec *ps = &e->desc->params[i];
			cJSON *m = cJSON_GetObjectItemCaseSensitive(params,
				ps->name), *x;

			if (!(ps->flags & QD_PARAM_SECRET) || !cJSON_IsString(m))
				continue;
			if ((x = cJSON_CreateString("***")) == NULL) {
				cJSON_Delete(whole);
				return NULL;
			}
			cJSON_ReplaceItemInObjectCaseSensitive(params, ps->name, x);
			masked = 1;
		}
		if (masked)
			out = instances_params_text(e->text, e->len, e->doc,
				params, outlen);
	}
	cJSON_Delete(whole);
	if (masked)
		return out;
	if ((out = malloc(e->len + 1)) != NULL) {
		memcpy(out, e->text, e->len + 1);
		*outlen = e->len;
	}
	return out;
}

static char *
config_get(const struct daemon_instances *di, const char *name)
{
	struct edit e;
	char *r, *shown = NULL, ver[33], msg[1024];
	size_t slen = 0;
	cJSON *o;

	if ((r = edit_read(di, name, &e)) != NULL)
		goto out;
	if (e.text == NULL) {
		snprintf(msg, sizeof(msg), "the instance file cannot be read: "
			"%s", strerror(e.read_errno));
		r = ctl_error_field("failed", msg, NULL);
		goto out;
	}
	if (strlen(e.text) != e.len || !api_utf8_valid(e.text, e.len)) {
		r = ctl_error_field("conflict", "the instance file is not UTF-8 "
			"text: fix it by hand", NULL);
		goto out;
	}
	if ((shown = text_masked(&e, &slen)) == NULL) {
		r = ctl_error_field("failed", "out of memory", NULL);
		goto out;
	}
	text_version(e.text, e.len, ver);
	o = reply_ok();
	cJSON_AddStringToObject(o, "name", e.ii.instance);
	cJSON_AddStringToObject(o, "file", e.ii.config_file);
	cJSON_AddStringToObject(o, "text", shown);
	cJSON_AddStringToObject(o, "version", ver);
	r = reply_print(o);
out:
	free(shown);
	edit_clear(&e);
	return r;
}

/* The text's own problems (FILE:LINE:COL lines of `d`) as one message,
 * "line L column C: why; ...", field "text"; another file's problem as
 * rejected_reply() says it. */
static char *
problems_reply(const struct diag *d, const char *file)
{
	cJSON *arr = cJSON_CreateArray(), *x;
	char msg[2048], *r;
	size_t o = 0;

	if (arr == NULL)
		return ctl_error_field("failed", "out of memory", NULL);
	diag_problems(d, file, arr);
	if (cJSON_GetArraySize(arr) == 0) {
		cJSON_Delete(arr);
		return rejected_reply(d);
	}
	msg[0] = '\0';
	cJSON_ArrayForEach(x, arr) {
		if (o < sizeof(msg))
			o += (size_t)snprintf(msg + o, sizeof(msg) - o,
				"%sline %d column %d: %s", o ? "; " : "",
				cJSON_GetObjectItemCaseSensitive(x,
				"line")->valueint,
				cJSON_GetObjectItemCaseSensitive(x,
				"column")->valueint,
				cJSON_GetObjectItemCaseSensitive(x,
				"message")->valuestring);
	}
	r = ctl_error_field("bad_request", msg, "text");
	cJSON_Delete(arr);
	return r;
}

/*
 * The request's text with each secret param given as "***" the value the
 * file on disk has (text_masked() showed it so): `text` itself when
 * nothing is to be put back, else a malloc'd copy in *copy.  NULL when out
 * of memory.
 */
static const char *
text_unmasked(const struct edit *e, const char *text, size_t *len,
	const struct json_value *ndoc, char **copy)
{
	cJSON *whole = NULL, *given, *kept = NULL;
	const char *r = text;

	*copy = NULL;
	if (e->desc == NULL || ndoc == NULL ||
	    json_get(ndoc, "params") == NULL ||
	    json_get(ndoc, "params")->type != JSON_OBJECT)
		return text;
	if ((whole = cJSON_ParseWithLength(text, *len)) == NULL)
		return NULL;
	given = cJSON_GetObjectItemCaseSensitive(whole, "params");
	kept = params_keep_secrets(e->desc, given,
		e->doc ? json_get(e->doc, "params") : NULL);
	if (kept == NULL)
		r = NULL;
	else if (!cJSON_Compare(kept, given, 1))
		r = *copy = instances_params_text(text, *len, ndoc, kept, len);
	cJSON_Delete(kept);
	cJSON_Delete(whole);
	return r;
}

static char *
config_set(const struct daemon_instances *di, const char *name,
	const cJSON *req)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(req, "text");
	const cJSON *ver = cJSON_GetObjectItemCaseSensitive(req, "version");
	const struct json_value *in;
	struct diag d = { 0 }, w = { 0 };
	struct json_value *ndoc = NULL;
	struct json_error je;
	struct edit e;
	char *r = NULL, *file = NULL, *copy = NULL, msg[1024];
	const char *text;
	size_t len;

	if (!cJSON_IsString(t))
		return ctl_error_field("bad_request", "\"text\" is the instance "
			"file's new text", "text");
	if (ver != NULL && !cJSON_IsString(ver))
		return ctl_error_field("bad_request", "\"version\" is the string "
			"GET .../config gave", "version");
	if ((len = strlen(t->valuestring)) > FILE_MAX)
		return ctl_error_field("bad_request", "an instance file is at most "
			"1 MiB", "text");
	if ((r = edit_read(di, name, &e)) != NULL)
		goto out;
	if ((r = edit_writable(&e, req, &file)) != NULL)
		goto out;
	ndoc = json_parse(t->valuestring, len, &je);
	if ((text = text_unmasked(&e, t->valuestring, &len, ndoc, &copy)) ==
	    NULL) {
		r = ctl_error_field("failed", "out of memory", NULL);
		goto out;
	}
	/* The whole configuration with the new file, as a reload sees it:
	 * nothing is written unless it would be applied. */
	config_check_with(di, file, text, len, &d, &w);
	if (d.count > 0) {
		r = problems_reply(&d, file);
		goto out;
	}
	in = ndoc ? json_get(ndoc, "instance") : NULL;
	if (in == NULL || in->type != JSON_STRING ||
	    strcmp(in->str, e.ii.instance) != 0) {
		snprintf(msg, sizeof(msg), "the file must keep its instance's "
			"name \"%.64s\" (a new instance is a new file)",
			e.ii.instance);
		r = ctl_error_field("bad_request", msg, "instance");
		goto out;
	}
	r = file_apply(di, file, e.text, e.len, text, len);
out:
	free(copy);
	free(file);
	json_free(ndoc);
	diag_free(&d);
	diag_free(&w);
	edit_clear(&e);
	return r;
}

/* ---- indicators ------------------------------------------------------------ */

static char *
indicator_list(const struct daemon_instances *di)
{
	cJSON *o = reply_ok(), *arr = cJSON_AddArrayToObject(o, "indicators");

	for (size_t i = 0; i < plugin_count(di->reg); i++) {
		const struct plugin *p = plugin_at(di->reg, i);
		cJSON *pj;

		if (plugin_desc(p)->kind != QD_KIND_INDICATOR)
			continue;
		if ((pj = describe_plugin(p, 1)) == NULL)
			continue;
		cJSON_AddBoolToObject(pj, "sandbox_only",
			plugin_sandbox_only(p));
		cJSON_AddItemToArray(arr, pj);
	}
	return reply_print(o);
}

/* Candles read for an indicator, as bars. */
struct bars {
	struct qd_bar *b;
	size_t n, cap;
	int failed;
};

static int
bar_rows(void *arg, const struct store_candle *c, size_t n)
{
	struct bars *bs = arg;

	if (bs->n + n > bs->cap) {
		size_t cap = bs->cap ? bs->cap * 2 : 4096;
		struct qd_bar *nb;

		while (cap < bs->n + n)
			cap *= 2;
		if ((nb = realloc(bs->b, cap * sizeof(*nb))) == NULL) {
			bs->failed = 1;
			return 1;
		}
		bs->b = nb;
		bs->cap = cap;
	}
	for (size_t i = 0; i < n; i++)
		store_candle_bar(&c[i], &bs->b[bs->n++]);
	return 0;
}

/*
 * The reply of indicator.compute: what was computed, "ts" and one array
 * per output ("values").  Numbers are written in full (17 significant
 * digits when needed: they read back as the same doubles, as quantctl
 * indicator writes them), null where the output is not defined.
 * malloc'd, or NULL when out of memory.
 */
static char *
series_reply(const qd_indicator *ind, const char *name, const char *ex,
	const char *sym, const char *tf, const struct bars *bs,
	const double *vals)
{
	uint32_t nout = indicator_outputs(ind);
	cJSON *o = reply_ok(), *outs;
	char num[JSON_DOUBLE_MAX], *head, *out = NULL;
	size_t outlen = 0;
	FILE *f;
	int rc = 0;

	cJSON_AddStringToObject(o, "indicator", name);
	cJSON_AddStringToObject(o, "exchange", ex);
	cJSON_AddStringToObject(o, "symbol", sym);
	cJSON_AddStringToObject(o, "timeframe", tf);
	outs = cJSON_AddArrayToObject(o, "outputs");
	for (uint32_t j = 0; j < nout; j++)
		cJSON_AddItemToArray(outs, cJSON_CreateString(
			indicator_output_name(ind, j)));
	if ((head = reply_print(o)) == NULL)
		return NULL;
	if ((f = open_memstream(&out, &outlen)) == NULL) {
		free(head);
		return NULL;
	}
	/* The head without its closing brace, then the columns. */
	fprintf(f, "%.*s,\"ts\":[", (int)(strlen(head) - 1), head);
	for (size_t i = 0; i < bs->n; i++)
		fprintf(f, "%s%lld", i ? "," : "",
			(long long)(bs->b[i].ts / 1000000));
	fputs("],\"values\":{", f);
	for (uint32_t j = 0; j < nout && rc == 0; j++) {
		/* The output's name as a JSON string (a plugin's text). */
		cJSON *ks = cJSON_CreateString(indicator_output_name(ind, j));
		char *key = ks ? cJSON_PrintUnformatted(ks) : NULL;

		cJSON_Delete(ks);
		if (key == NULL) {
			rc = -1;
			break;
		}
		fprintf(f, "%s%s:[", j ? "," : "", key);
		free(key);
		for (size_t i = 0; i < bs->n; i++) {
			double v = vals[i * nout + j];

			fprintf(f, "%s%s", i ? "," : "", isfinite(v) ?
				json_fmt_double(num, sizeof(num), v) : "null");
		}
		fputc(']', f);
	}
	fputs("}}", f);
	if (ferror(f))
		rc = -1;
	if (fclose(f) != 0)
		rc = -1;
	free(head);
	if (rc != 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* The request's "params" as strings params_from_kv() takes (numbers in
 * full precision, booleans as true/false).  Returns the count, or -1 with
 * the reason in err. */
static int
indicator_kv(const cJSON *params, struct qd_kv *kv, char (*num)[32],
	char *err, size_t errlen)
{
	const cJSON *m;
	int n = 0;

	if (params == NULL)
		return 0;
	if (!cJSON_IsObject(params)) {
		snprintf(err, errlen, "\"params\" must be an object");
		return -1;
	}
	cJSON_ArrayForEach(m, params) {
		if (n == MAX_KV) {
			snprintf(err, errlen, "too many params");
			return -1;
		}
		kv[n].key = m->string;
		if (cJSON_IsString(m)) {
			kv[n].value = m->valuestring;
		} else if (cJSON_IsNumber(m)) {
			json_fmt_double(num[n], sizeof(num[n]), m->valuedouble);
			kv[n].value = num[n];
		} else if (cJSON_IsBool(m)) {
			kv[n].value = cJSON_IsTrue(m) ? "true" : "false";
		} else {
			snprintf(err, errlen, "param %.64s: expected a string, "
				"a number or a boolean", m->string);
			return -1;
		}
		n++;
	}
	return n;
}

static char *
indicator_compute(const struct daemon_instances *di, const cJSON *req)
{
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(req, "name");
	const cJSON *ex = cJSON_GetObjectItemCaseSensitive(req, "exchange");
	const cJSON *sym = cJSON_GetObjectItemCaseSensitive(req, "symbol");
	const cJSON *tf = cJSON_GetObjectItemCaseSensitive(req, "timeframe");
	const cJSON *from = cJSON_GetObjectItemCaseSensitive(req, "from");
	const cJSON *to = cJSON_GetObjectItemCaseSensitive(req, "to");
	const cJSON *lim = cJSON_GetObjectItemCaseSensitive(req, "limit");
	const cJSON *params = cJSON_GetObjectItemCaseSensitive(req, "params");
	char num[MAX_KV][32];
	struct qd_kv kv[MAX_KV];
	struct bars bs = { 0 };
	struct store_series k;
	const struct plugin *p;
	qd_indicator *ind = NULL;
	struct store *st;
	double *vals = NULL;
	char err[1024], *r = NULL;
	size_t limit = INSTANCES_MAX_BARS, want;
	int nkv, desc;
	uint32_t nout;

	if (!cJSON_IsString(name))
		return ctl_error_field("bad_request", "which indicator?", "name");
	if (!cJSON_IsString(ex) || ex->valuestring[0] == '\0')
		return ctl_error_field("bad_request", "\"exchange\" (the exchange "
			"instance whose candles are stored) is required",
			"exchange");
	if (!cJSON_IsString(sym) || !symbol_valid(sym->valuestring))
		return ctl_error_field("bad_request", "\"symbol\" must be BASE/QUOTE",
			"symbol");
	if (tf != NULL && (!cJSON_IsString(tf) ||
	    store_timeframe_ms(tf->valuestring) == 0))
		return ctl_error_field("bad_request", "unknown timeframe (1m 3m 5m "
			"15m 30m 1h 2h 4h 6h 12h 1d 1w)", "timeframe");
	if (from != NULL && !cJSON_IsNumber(from))
		return ctl_error_field("bad_request", "\"from\" is a time in ms",
			"from");
	if (to != NULL && !cJSON_IsNumber(to))
		return ctl_error_field("bad_request", "\"to\" is a time in ms", "to");
	if (from != NULL && to != NULL && from->valuedouble >= to->valuedouble)
		return ctl_error_field("bad_request", "\"from\" must be before "
			"\"to\"", "from");
	if (lim != NULL && (!cJSON_IsNumber(lim) || lim->valuedouble < 1 ||
	    lim->valuedouble > INSTANCES_MAX_BARS ||
	    lim->valuedouble != floor(lim->valuedouble))) {
		snprintf(err, sizeof(err), "\"limit\" is a number of bars, 1 to "
			"%d", INSTANCES_MAX_BARS);
		return ctl_error_field("bad_request", err, "limit");
	}
	p = plugin_find_kind(di->reg, QD_KIND_INDICATOR, name->valuestring);
	if (p == NULL)
		return ctl_error_field("not_found", "no such indicator "
			"(GET /api/v1/indicators lists them)", "name");
	if (plugin_sandbox_only(p))
		return ctl_error_field("unsupported", "this indicator comes from a "
			"sandbox plugin directory: the host never runs its code "
			"(only a sandboxed strategy's child does)", "name");
	if ((nkv = indicator_kv(params, kv, num, err, sizeof(err))) < 0)
		return ctl_error_field("bad_request", err, "params");
	if ((ind = indicator_new(di->reg, name->valuestring, kv, (size_t)nkv,
	    err, sizeof(err))) == NULL)
		return ctl_error_field("bad_request", err, "params");
	if ((st = di->reader(di->arg, err, sizeof(err))) == NULL) {
		r = ctl_error_field("unavailable", err, NULL);
		goto out;
	}
	if (lim != NULL)
		limit = (size_t)lim->valuedouble;
	/* One bar past the cap says the range holds too many. */
	want = lim != NULL ? limit : limit + 1;
	desc = from == NULL && lim != NULL;
	k.exchange = ex->valuestring;
	k.symbol = sym->valuestring;
	k.timeframe = tf ? tf->valuestring : "1m";
	if (store_candles(st, &k, from ? (int64_t)from->valuedouble :
	    INT64_MIN, to ? (int64_t)to->valuedouble : INT64_MAX, want, desc,
	    bar_rows, &bs) != QD_OK || bs.failed) {
		r = ctl_error_field("unavailable", "the store cannot be read", NULL);
		goto out;
	}
	if (bs.n > limit) {
		snprintf(err, sizeof(err), "the range holds more than %d bars: "
			"narrow from/to or give a limit", INSTANCES_MAX_BARS);
		r = ctl_error_field("bad_request", err, "from");
		goto out;
	}
	if (desc)   /* newest first from the store: oldest first here */
		for (size_t i = 0; i < bs.n / 2; i++) {
			struct qd_bar t = bs.b[i];

			bs.b[i] = bs.b[bs.n - 1 - i];
			bs.b[bs.n - 1 - i] = t;
		}
	nout = indicator_outputs(ind);
	if ((vals = malloc((bs.n ? bs.n : 1) * nout * sizeof(double))) ==
	    NULL) {
		r = ctl_error_field("failed", "out of memory", NULL);
		goto out;
	}
	indicator_batch(ind, bs.b, bs.n, vals);
	r = series_reply(ind, name->valuestring, ex->valuestring,
		sym->valuestring, k.timeframe, &bs, vals);
	if (r == NULL)
		r = ctl_error_field("failed", "out of memory", NULL);
out:
	free(vals);
	free(bs.b);
	indicator_free(ind);
	return r;
}

/* ---- annotations --------------------------------------------------------- */

static void
annotation_row(void *arg, const struct host_annotation *a)
{
	cJSON *arr = arg, *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "seq", (double)a->seq);
	cJSON_AddNumberToObject(o, "ts", (double)a->ts_ms);
	cJSON_AddStringToObject(o, "kind", a->kind);
	/* normalised JSON already (the host's api->annotate checked it) */
	cJSON_AddItemToObject(o, "data", cJSON_CreateRaw(a->json));
	cJSON_AddItemToArray(arr, o);
}

/* A non-negative integer member `key` in [lo, hi], or `def` if absent;
 * -1 when it is something else. */
static double
int_member(const cJSON *req, const char *key, double lo, double hi,
	double def)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(req, key);

	if (v == NULL)
		return def;
	if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) ||
	    v->valuedouble < lo || v->valuedouble > hi)
		return -1;
	return v->valuedouble;
}

/* The annotations an instance keeps after "after", "limit" of them. */
static char *
annotations_list(const struct daemon_instances *di, const char *name,
	const cJSON *req)
{
	double after = int_member(req, "after", 0, 9007199254740992.0, 0);
	double limit = int_member(req, "limit", 1, INSTANCES_MAX_ANNOTATIONS,
		INSTANCES_MAX_ANNOTATIONS);
	cJSON *o, *arr, *last;
	int more;

	if (after < 0)
		return ctl_error_field("bad_request", "after: expected the seq of "
			"an annotation (an integer >= 0)", "after");
	if (limit < 0)
		return ctl_error_field("bad_request", "limit: expected 1 to 5000",
			"limit");
	o = reply_ok();
	arr = cJSON_AddArrayToObject(o, "annotations");
	if (host_annotations(di->host, name, (uint64_t)after, (size_t)limit,
	    annotation_row, arr, &more) != QD_OK) {
		cJSON_Delete(o);
		return ctl_error_field("not_found", "no such instance", "name");
	}
	last = cJSON_GetArrayItem(arr, cJSON_GetArraySize(arr) - 1);
	cJSON_AddNumberToObject(o, "next", last ? cJSON_GetObjectItemCaseSensitive(
		last, "seq")->valuedouble : after);
	cJSON_AddBoolToObject(o, "more", more);
	return reply_print(o);
}

/* ---- dispatch ------------------------------------------------------------ */

int
instances_command(const char *cmd)
{
	static const char *const cmds[] = {
		"instance.list", "instance.info", "instance.start",
		"instance.params.validate", "instance.params.set",
		"config.check", "indicator.list", "indicator.compute",
		"instance.config.get", "instance.config.set",
		"instance.annotations",
	};

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(cmds[i], cmd) == 0)
			return 1;
	return 0;
}

char *
instances_request(const struct daemon_instances *di, const char *cmd,
	const cJSON *req)
{
	const cJSON *nm = cJSON_GetObjectItemCaseSensitive(req, "name");
	const char *name = cJSON_IsString(nm) ? nm->valuestring : NULL;

	if (strcmp(cmd, "instance.list") == 0)
		return instance_list(di);
	if (strcmp(cmd, "config.check") == 0)
		return config_check(di, req);
	if (strcmp(cmd, "indicator.list") == 0)
		return indicator_list(di);
	if (strcmp(cmd, "indicator.compute") == 0)
		return indicator_compute(di, req);
	if (name == NULL)
		return ctl_error_field("bad_request", "which instance? (\"name\")",
			"name");
	if (strcmp(cmd, "instance.info") == 0)
		return instance_info(di, name);
	if (strcmp(cmd, "instance.start") == 0)
		return instance_start(di, name);
	if (strcmp(cmd, "instance.params.validate") == 0)
		return params_validate(di, name, req);
	if (strcmp(cmd, "instance.params.set") == 0)
		return params_set(di, name, req);
	if (strcmp(cmd, "instance.config.get") == 0)
		return config_get(di, name);
	if (strcmp(cmd, "instance.config.set") == 0)
		return config_set(di, name, req);
	if (strcmp(cmd, "instance.annotations") == 0)
		return annotations_list(di, name, req);
	return ctl_error_field("unknown_command", "unknown cmd", NULL);
}
