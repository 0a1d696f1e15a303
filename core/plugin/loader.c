/*
 * loader.c -- plugin discovery, descriptor checks and the registry.
 *
 * Order of checks for a module (each refusal is one log line naming the file,
 * expected and found values, and the fix):
 *   regular file -> dlopen -> `qd_module` symbol -> ABI major (before any
 *   other field is read) -> ABI minor <= host -> module size -> each
 *   descriptor: size, kind, name, semver, ops table, param specs, requires
 *   syntax, name unique in the module and in the registry.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log/log.h"
#include "plugin/indicator.h"
#include "plugin/params.h"
#include "plugin/plugin.h"

#define MAX_PLUGINS_PER_MODULE 256
#define MAX_NAME 63

/* Sizes of the v1.0 structs: a plugin built against 1.0 has at least these. */
#define MODULE_MIN_SIZE (offsetof(struct qd_module, plugins) + sizeof(void *))
#define PLUGIN_MIN_SIZE (offsetof(struct qd_plugin, ops) + sizeof(void *))

struct module {
	char *path;
	uint32_t abi_major, abi_minor;
	/* Described modules (sandbox plugin dirs): host-owned copies. */
	struct qd_plugin **described;
	size_t n_described;
	void (*free_described)(struct qd_plugin *);
	dev_t dev;
	ino_t ino;
	off_t fsize;
	struct timespec mtime;
	void *handle;
	const struct qd_module *mod;
	int refs;          /* plugins of this module still registered */
	struct module *next;
};

struct plugin {
	struct module *module;
	const struct qd_plugin *desc;
};

struct plugin_registry {
	struct plugin **plugins;
	size_t n, cap;
	struct plugin_refusal *refusals;
	size_t n_refusals, cap_refusals;
	struct module *modules;
};

static const char *const kind_names[] = {
	[QD_KIND_EXCHANGE] = "exchange",
	[QD_KIND_INDICATOR] = "indicator",
	[QD_KIND_STRATEGY] = "strategy",
	[QD_KIND_NOTIFIER] = "notifier",
	[QD_KIND_PAYMENT] = "payment",
};

const char *
plugin_kind_name(enum qd_kind kind)
{
	if ((unsigned)kind >= QD_COUNTOF(kind_names))
		return NULL;
	return kind_names[kind];
}

enum qd_kind
plugin_kind_parse(const char *name)
{
	size_t i;

	for (i = 1; i < QD_COUNTOF(kind_names); i++)
		if (kind_names[i] && strcmp(kind_names[i], name) == 0)
			return (enum qd_kind)i;
	return 0;
}

/* Smallest ops table size (v1.0) for a kind; 0 for unknown kinds. */
static size_t
ops_min_size(enum qd_kind kind)
{
	switch (kind) {
	case QD_KIND_EXCHANGE:
		return offsetof(struct qd_exchange_ops, backfill) + sizeof(void *);
	case QD_KIND_INDICATOR:
		return offsetof(struct qd_indicator_ops, update) + sizeof(void *);
	case QD_KIND_STRATEGY:
		return offsetof(struct qd_strategy_ops, on_timer) + sizeof(void *);
	case QD_KIND_NOTIFIER:
		return offsetof(struct qd_notifier_ops, on_timer) + sizeof(void *);
	case QD_KIND_PAYMENT:
		return offsetof(struct qd_payment_ops, on_http_response) +
			sizeof(void *);
	}
	return 0;
}

struct plugin_registry *
plugin_registry_new(void)
{
	return calloc(1, sizeof(struct plugin_registry));
}

static void
module_close(struct module *m)
{
	size_t i;

	if (m->handle != NULL)
		dlclose(m->handle);
	for (i = 0; i < m->n_described; i++)
		m->free_described(m->described[i]);
	free(m->described);
	free(m->path);
	free(m);
}

void
plugin_registry_free(struct plugin_registry *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++)
		free(r->plugins[i]);
	free(r->plugins);
	for (i = 0; i < r->n_refusals; i++) {
		free(r->refusals[i].file);
		free(r->refusals[i].name);
		free(r->refusals[i].reason);
	}
	free(r->refusals);
	while (r->modules != NULL) {
		struct module *m = r->modules;

		r->modules = m->next;
		module_close(m);
	}
	free(r);
}

/* Drop earlier refusals of the same file and plugin (a retry replaces them). */
static void
forget_refusal(struct plugin_registry *r, const char *file, const char *name)
{
	size_t i;

	for (i = 0; i < r->n_refusals;) {
		struct plugin_refusal *f = &r->refusals[i];

		if (strcmp(f->file, file) == 0 && (f->name == NULL) ==
		    (name == NULL) && (name == NULL ||
		    strcmp(f->name, name) == 0)) {
			free(f->file);
			free(f->name);
			free(f->reason);
			memmove(f, f + 1, (r->n_refusals - i - 1) * sizeof(*f));
			r->n_refusals--;
		} else {
			i++;
		}
	}
}

/*
 * Log and remember a refusal: "plugin FILE refused: ...".  Always returns
 * QD_ERR_INVALID so callers can `return refuse(...)`.
 */
static int
refuse(struct plugin_registry *r, const char *file, const char *name,
	const char *fmt, ...) QD_PRINTF(4, 5);

static int
refuse(struct plugin_registry *r, const char *file, const char *name,
	const char *fmt, ...)
{
	char msg[768], line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(line, sizeof(line), "plugin %s refused: %s", file, msg);
	log_error("loader", "%s", line);
	forget_refusal(r, file, name);
	if (r->n_refusals == r->cap_refusals) {
		size_t cap = r->cap_refusals ? r->cap_refusals * 2 : 8;
		struct plugin_refusal *n = realloc(r->refusals, cap * sizeof(*n));

		if (n == NULL)
			return QD_ERR_INVALID;
		r->refusals = n;
		r->cap_refusals = cap;
	}
	r->refusals[r->n_refusals].file = strdup(file);
	r->refusals[r->n_refusals].name = name ? strdup(name) : NULL;
	r->refusals[r->n_refusals].reason = strdup(line);
	r->n_refusals++;
	return QD_ERR_INVALID;
}

static int
name_valid(const char *s)
{
	size_t i, n;

	if (s == NULL)
		return 0;
	n = strnlen(s, MAX_NAME + 1);
	if (n == 0 || n > MAX_NAME)
		return 0;
	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
		return 0;
	for (i = 1; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.'))
			return 0;
	}
	return 1;
}

/*
 * Split a requirement "kind:name[constraints]" into its parts.  Returns 0 and
 * fills kind, name (NUL-terminated copies) and *constraints (a pointer into
 * req), or -1 if malformed.
 */
static int
requirement_split(const char *req, enum qd_kind *kind, char *name,
	size_t name_cap, const char **constraints)
{
	const char *colon = strchr(req, ':'), *p;
	char kbuf[16];
	size_t klen, nlen;

	if (colon == NULL || (klen = (size_t)(colon - req)) >= sizeof(kbuf))
		return -1;
	memcpy(kbuf, req, klen);
	kbuf[klen] = '\0';
	if ((*kind = plugin_kind_parse(kbuf)) == 0)
		return -1;
	p = colon + 1;
	nlen = strcspn(p, "<>=!, ");
	if (nlen == 0 || nlen >= name_cap)
		return -1;
	memcpy(name, p, nlen);
	name[nlen] = '\0';
	if (!name_valid(name))
		return -1;
	*constraints = p + nlen;
	if (**constraints != '\0' &&
	    semver_satisfies("0.0.0", *constraints) < 0)
		return -1;
	return 0;
}

/* Check one descriptor.  0, or a refusal already logged. */
static int
check_desc(struct plugin_registry *r, const char *file,
	const struct qd_plugin *d, size_t index)
{
	struct semver v;
	const struct qd_ops *ops;
	char err[512];
	size_t i;

	if (d->size < PLUGIN_MIN_SIZE)
		return refuse(r, file, NULL,
			"descriptor #%zu has size %u, expected at least %zu; "
			"initialise it with sizeof(struct qd_plugin)",
			index, d->size, PLUGIN_MIN_SIZE);
	if (!name_valid(d->name))
		return refuse(r, file, NULL,
			"descriptor #%zu has an invalid name; expected "
			"[a-z0-9][a-z0-9._-]* of at most %d bytes", index,
			MAX_NAME);
	if (plugin_kind_name(d->kind) == NULL)
		return refuse(r, file, d->name,
			"plugin '%s' has unknown kind %d; expected 1..%zu "
			"(exchange, indicator, strategy, notifier, payment); "
			"rebuild against this quantd's SDK", d->name,
			(int)d->kind, QD_COUNTOF(kind_names) - 1);
	if (semver_parse(d->version, &v) != 0)
		return refuse(r, file, d->name,
			"plugin '%s' has version \"%s\", expected a semantic "
			"version MAJOR.MINOR.PATCH such as \"1.0.0\"", d->name,
			d->version ? d->version : "(null)");
	ops = d->ops;
	if (ops == NULL || ops->size < ops_min_size(d->kind))
		return refuse(r, file, d->name,
			"plugin '%s' has an ops table of size %u, expected at "
			"least %zu for kind %s; set .size = sizeof(struct "
			"qd_%s_ops)", d->name, ops ? ops->size : 0,
			ops_min_size(d->kind), plugin_kind_name(d->kind),
			plugin_kind_name(d->kind));
	if (ops->create == NULL || ops->destroy == NULL)
		return refuse(r, file, d->name,
			"plugin '%s' has no create or destroy callback; both "
			"are required", d->name);
	if (d->kind == QD_KIND_INDICATOR) {
		const struct qd_indicator_ops *io = d->ops;

		if (io->update == NULL || io->lookback == NULL ||
		    io->n_outputs == 0 || io->outputs == NULL)
			return refuse(r, file, d->name,
				"indicator '%s' lacks update, lookback or "
				"outputs; all are required", d->name);
		if (io->n_outputs > QD_MAX_OUTPUTS)
			return refuse(r, file, d->name,
				"indicator '%s' has %u outputs, at most %d are "
				"allowed", d->name, io->n_outputs,
				QD_MAX_OUTPUTS);
		for (i = 0; i < io->n_outputs; i++)
			if (io->outputs[i] == NULL || !name_valid(io->outputs[i]))
				return refuse(r, file, d->name,
					"indicator '%s' output #%zu has an "
					"invalid name", d->name, i);
		for (i = 0; i < io->n_outputs; i++) {
			uint32_t f = indicator_output_flags(io, (uint32_t)i);

			if ((f & ~(uint32_t)(QD_OUTPUT_PRICE | QD_OUTPUT_PANE)) ||
			    f == (QD_OUTPUT_PRICE | QD_OUTPUT_PANE))
				return refuse(r, file, d->name,
					"indicator '%s' output '%s' has "
					"output flags 0x%x; expected 0, "
					"QD_OUTPUT_PRICE or QD_OUTPUT_PANE",
					d->name, io->outputs[i], f);
		}
	}
	if (params_check_specs(d, err, sizeof(err)) != 0)
		return refuse(r, file, d->name, "plugin '%s': %s", d->name, err);
	for (i = 0; d->requires != NULL && d->requires[i] != NULL; i++) {
		enum qd_kind k;
		char n[MAX_NAME + 1];
		const char *c;

		if (i >= 64 || requirement_split(d->requires[i], &k, n,
		    sizeof(n), &c) != 0)
			return refuse(r, file, d->name,
				"plugin '%s' has requirement \"%s\", expected "
				"\"kind:name\" optionally followed by "
				"constraints such as \">=1.0,<2\"", d->name,
				i >= 64 ? "(more than 64)" : d->requires[i]);
	}
	return 0;
}

static int
registry_add(struct plugin_registry *r, struct module *m,
	const struct qd_plugin *d)
{
	struct plugin *p;

	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 32;
		struct plugin **n = realloc(r->plugins, cap * sizeof(*n));

		if (n == NULL)
			return QD_ERR_NOMEM;
		r->plugins = n;
		r->cap = cap;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return QD_ERR_NOMEM;
	p->module = m;
	p->desc = d;
	r->plugins[r->n++] = p;
	m->refs++;
	return 0;
}

int
plugin_load_file(struct plugin_registry *r, const char *path)
{
	struct stat st;
	struct module *m = NULL;
	const struct qd_module *mod;
	void *h;
	size_t i, j, count;
	int rc;

	if (stat(path, &st) != 0)
		return refuse(r, path, NULL, "cannot stat: %s", strerror(errno));
	if (!S_ISREG(st.st_mode))
		return refuse(r, path, NULL, "not a regular file");
	for (m = r->modules; m != NULL; m = m->next)
		if (strcmp(m->path, path) == 0)
			return refuse(r, path, NULL, "already loaded");
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL)
		return refuse(r, path, NULL, "dlopen failed: %s; check that "
			"every library it needs is installed (ldd %s)",
			dlerror(), path);
	mod = dlsym(h, QD_MODULE_SYMBOL);
	if (mod == NULL) {
		dlclose(h);
		return refuse(r, path, NULL, "no '%s' symbol; expected a "
			"quantd plugin exporting QD_MODULE() from "
			"<quantd/sdk.h>", QD_MODULE_SYMBOL);
	}
	if (mod->abi_major != QD_ABI_MAJOR) {
		rc = refuse(r, path, NULL, "built for SDK ABI %u.%u, this "
			"quantd provides ABI %d.%d (major versions must match); "
			"rebuild the plugin against quantd-sdk %d.x "
			"(pkg-config --cflags quantd-sdk)", mod->abi_major,
			mod->abi_minor, QD_ABI_MAJOR, QD_ABI_MINOR,
			QD_ABI_MAJOR);
		dlclose(h);
		return rc;
	}
	if (mod->abi_minor > QD_ABI_MINOR) {
		rc = refuse(r, path, NULL, "built for SDK ABI %u.%u, newer than "
			"this quantd's ABI %d.%d; upgrade quantd or rebuild the "
			"plugin against this quantd's SDK", mod->abi_major,
			mod->abi_minor, QD_ABI_MAJOR, QD_ABI_MINOR);
		dlclose(h);
		return rc;
	}
	if (mod->size < MODULE_MIN_SIZE || mod->plugins == NULL) {
		rc = refuse(r, path, NULL, "module descriptor size %u or plugin "
			"list is invalid; expected size >= %zu and a "
			"NULL-terminated list; declare it with QD_MODULE()",
			mod->size, MODULE_MIN_SIZE);
		dlclose(h);
		return rc;
	}
	for (count = 0; count <= MAX_PLUGINS_PER_MODULE &&
	     mod->plugins[count] != NULL; count++)
		;
	if (count == 0 || count > MAX_PLUGINS_PER_MODULE) {
		rc = refuse(r, path, NULL, "module lists %s plugins, expected "
			"1..%d", count ? "too many" : "no",
			MAX_PLUGINS_PER_MODULE);
		dlclose(h);
		return rc;
	}
	for (i = 0; i < count; i++) {
		const struct qd_plugin *d = mod->plugins[i];
		const struct plugin *other;

		if ((rc = check_desc(r, path, d, i)) != 0) {
			dlclose(h);
			return rc;
		}
		for (j = 0; j < i; j++)
			if (strcmp(mod->plugins[j]->name, d->name) == 0)
				break;
		if (j < i) {
			dlclose(h);
			return refuse(r, path, d->name, "plugin name '%s' "
				"appears twice in the module; names must be "
				"unique", d->name);
		}
		if ((other = plugin_find_kind(r, d->kind, d->name)) != NULL) {
			rc = refuse(r, path, d->name, "duplicate plugin name "
				"'%s', already provided by %s (version %s); "
				"remove one of the files or rename the plugin",
				d->name, other->module->path,
				other->desc->version);
			dlclose(h);
			return rc;
		}
	}
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->path = strdup(path)) == NULL) {
		free(m);
		dlclose(h);
		return QD_ERR_NOMEM;
	}
	m->handle = h;
	m->mod = mod;
	m->abi_major = mod->abi_major;
	m->abi_minor = mod->abi_minor;
	m->dev = st.st_dev;
	m->ino = st.st_ino;
	m->fsize = st.st_size;
	m->mtime = st.st_mtim;
	m->next = r->modules;
	r->modules = m;
	for (i = 0; i < count; i++)
		if (registry_add(r, m, mod->plugins[i]) != 0)
			return QD_ERR_NOMEM;
	log_debug("loader", "loaded %s: %zu plugin(s), ABI %u.%u", path,
		count, mod->abi_major, mod->abi_minor);
	return (int)count;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
plugin_load_dir(struct plugin_registry *r, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	int loaded = 0;

	if (d == NULL) {
		log_error("loader", "cannot read plugin directory %s: %s; "
			"check plugin_dirs in the daemon config", dir,
			strerror(errno));
		return QD_ERR_IO;
	}
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);

		if (len < 4 || strcmp(e->d_name + len - 3, ".so") != 0 ||
		    e->d_name[0] == '.')
			continue;
		if (n == cap) {
			char **nn;

			cap = cap ? cap * 2 : 32;
			if ((nn = realloc(names, cap * sizeof(*nn))) == NULL)
				break;
			names = nn;
		}
		if ((names[n] = strdup(e->d_name)) == NULL)
			break;
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; i < n; i++) {
		char path[4096];

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (plugin_is_loaded(r, path))
			loaded++;
		else if (plugin_load_file(r, path) > 0)
			loaded++;
		free(names[i]);
	}
	free(names);
	return loaded;
}

/* Remove registry entry i, keeping order. */
static void
registry_remove_at(struct plugin_registry *r, size_t i)
{
	struct plugin *p = r->plugins[i];

	p->module->refs--;
	free(p);
	memmove(&r->plugins[i], &r->plugins[i + 1],
		(r->n - i - 1) * sizeof(r->plugins[0]));
	r->n--;
}

int
plugin_resolve(struct plugin_registry *r)
{
	int refused = 0, changed = 1;

	while (changed) {
		size_t i;

		changed = 0;
		for (i = 0; i < r->n; i++) {
			const struct plugin *p = r->plugins[i];
			const char *const *req = p->desc->requires;
			size_t k;

			for (k = 0; req != NULL && req[k] != NULL; k++) {
				const struct plugin *dep;
				enum qd_kind kind;
				char name[MAX_NAME + 1];
				const char *cons;
				const char *why = NULL;
				const char *found = NULL;

				if (requirement_split(req[k], &kind, name,
				    sizeof(name), &cons) != 0)
					why = "malformed";
				else if ((dep = plugin_find_kind(r, kind, name)) ==
				    NULL)
					why = "no such plugin is loaded";
				else if (semver_satisfies(dep->desc->version,
				    cons) != 1)
					why = found = dep->desc->version;
				if (why == NULL)
					continue;
				if (found != NULL)
					refuse(r, p->module->path,
						p->desc->name, "plugin '%s' "
						"requires %s, found version "
						"%s; install a matching "
						"version", p->desc->name,
						req[k], found);
				else
					refuse(r, p->module->path,
						p->desc->name, "plugin '%s' "
						"requires %s: %s; install or "
						"enable it", p->desc->name,
						req[k], why);
				registry_remove_at(r, i);
				refused++;
				changed = 1;
				i--;
				break;
			}
		}
	}
	return refused;
}

int
plugin_unload_file(struct plugin_registry *r, const char *path)
{
	struct module **mp, *m;
	size_t i;

	for (mp = &r->modules; *mp != NULL; mp = &(*mp)->next)
		if (strcmp((*mp)->path, path) == 0)
			break;
	if ((m = *mp) == NULL)
		return QD_ERR_NOTFOUND;
	for (i = 0; i < r->n;) {
		if (r->plugins[i]->module == m)
			registry_remove_at(r, i);
		else
			i++;
	}
	*mp = m->next;
	module_close(m);
	return 0;
}

const struct plugin *
plugin_find_kind(const struct plugin_registry *r, enum qd_kind kind,
	const char *name)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->plugins[i]->desc->kind == kind &&
		    strcmp(r->plugins[i]->desc->name, name) == 0)
			return r->plugins[i];
	return NULL;
}

const struct plugin *
plugin_find(const struct plugin_registry *r, const char *name)
{
	const struct plugin *ind = NULL;
	const char *colon = strchr(name, ':');
	size_t i;

	if (colon != NULL) {
		char kind[16];
		size_t n = (size_t)(colon - name);

		if (n >= sizeof(kind))
			return NULL;
		memcpy(kind, name, n);
		kind[n] = '\0';
		return plugin_find_kind(r, plugin_kind_parse(kind), colon + 1);
	}
	for (i = 0; i < r->n; i++) {
		if (strcmp(r->plugins[i]->desc->name, name) != 0)
			continue;
		if (r->plugins[i]->desc->kind != QD_KIND_INDICATOR)
			return r->plugins[i];
		ind = r->plugins[i];
	}
	return ind;
}

size_t
plugin_count(const struct plugin_registry *r)
{
	return r->n;
}

const struct plugin *
plugin_at(const struct plugin_registry *r, size_t i)
{
	return i < r->n ? r->plugins[i] : NULL;
}

size_t
plugin_refusal_count(const struct plugin_registry *r)
{
	return r->n_refusals;
}

const struct plugin_refusal *
plugin_refusal_at(const struct plugin_registry *r, size_t i)
{
	return i < r->n_refusals ? &r->refusals[i] : NULL;
}

const struct qd_plugin *
plugin_desc(const struct plugin *p)
{
	return p->desc;
}

const char *
plugin_file(const struct plugin *p)
{
	return p->module->path;
}

uint32_t
plugin_abi_major(const struct plugin *p)
{
	return p->module->abi_major;
}

uint32_t
plugin_abi_minor(const struct plugin *p)
{
	return p->module->abi_minor;
}

int
plugin_sandbox_only(const struct plugin *p)
{
	return p->module->handle == NULL;
}

int
plugin_register_described(struct plugin_registry *r, const char *path,
	uint32_t abi_major, uint32_t abi_minor, struct qd_plugin **plugins,
	size_t n, void (*free_plugin)(struct qd_plugin *))
{
	struct module *m;
	size_t i, j;
	int rc;

	if (abi_major != QD_ABI_MAJOR || abi_minor > QD_ABI_MINOR) {
		rc = refuse(r, path, NULL, "built for SDK ABI %u.%u, this "
			"quantd provides ABI %d.%d; rebuild the plugin against "
			"quantd-sdk %d.x", abi_major, abi_minor, QD_ABI_MAJOR,
			QD_ABI_MINOR, QD_ABI_MAJOR);
		goto fail;
	}
	if (n == 0 || n > MAX_PLUGINS_PER_MODULE) {
		rc = refuse(r, path, NULL, "module lists no plugins");
		goto fail;
	}
	for (i = 0; i < n; i++) {
		if ((rc = check_desc(r, path, plugins[i], i)) != 0)
			goto fail;
		if (plugins[i]->kind != QD_KIND_STRATEGY &&
		    plugins[i]->kind != QD_KIND_EXCHANGE) {
			rc = refuse(r, path, plugins[i]->name, "plugin '%s' is "
				"%s %s: a sandbox plugin directory may only hold "
				"strategies and exchange adapters; install it in "
				"a plugin directory if you trust it",
				plugins[i]->name, "a",
				plugin_kind_name(plugins[i]->kind));
			goto fail;
		}
		for (j = 0; j < i; j++)
			if (strcmp(plugins[j]->name, plugins[i]->name) == 0)
				break;
		if (j < i || plugin_find_kind(r, plugins[i]->kind,
		    plugins[i]->name) != NULL) {
			rc = refuse(r, path, plugins[i]->name, "duplicate "
				"plugin name '%s'; remove one of the files or "
				"rename the plugin", plugins[i]->name);
			goto fail;
		}
	}
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->path = strdup(path)) == NULL) {
		free(m);
		rc = QD_ERR_NOMEM;
		goto fail;
	}
	m->abi_major = abi_major;
	m->abi_minor = abi_minor;
	m->described = plugins;
	m->n_described = n;
	m->free_described = free_plugin;
	m->next = r->modules;
	r->modules = m;
	for (i = 0; i < n; i++)
		if (registry_add(r, m, plugins[i]) != 0)
			return QD_ERR_NOMEM;
	return (int)n;
fail:
	for (i = 0; i < n; i++)
		free_plugin(plugins[i]);
	free(plugins);
	return rc;
}

int
plugin_is_loaded(const struct plugin_registry *r, const char *path)
{
	const struct module *m;

	for (m = r->modules; m != NULL; m = m->next)
		if (strcmp(m->path, path) == 0)
			return 1;
	return 0;
}

size_t
plugin_changed_modules(const struct plugin_registry *r, char ***paths)
{
	const struct module *m;
	size_t n = 0;

	*paths = NULL;
	for (m = r->modules; m != NULL; m = m->next) {
		struct stat st;
		char **np;

		if (m->handle == NULL)
			continue;   /* described modules change on restart */
		if (stat(m->path, &st) == 0 && st.st_dev == m->dev &&
		    st.st_ino == m->ino && st.st_size == m->fsize &&
		    st.st_mtim.tv_sec == m->mtime.tv_sec &&
		    st.st_mtim.tv_nsec == m->mtime.tv_nsec)
			continue;
		if ((np = realloc(*paths, (n + 1) * sizeof(*np))) == NULL)
			break;
		*paths = np;
		if ((np[n] = strdup(m->path)) == NULL)
			break;
		n++;
	}
	return n;
}

void
plugin_add_refusal(struct plugin_registry *r, const char *file,
	const char *reason)
{
	refuse(r, file, NULL, "%s", reason);
}

size_t
plugin_indicator_files(const struct plugin_registry *r, const char **files,
	size_t cap)
{
	size_t i, j, n = 0;

	for (i = 0; i < r->n && n + 1 < cap; i++) {
		const struct plugin *p = r->plugins[i];

		if (p->desc->kind != QD_KIND_INDICATOR ||
		    p->module->handle == NULL)
			continue;
		for (j = 0; j < n && strcmp(files[j], p->module->path); j++)
			;
		if (j == n)
			files[n++] = p->module->path;
	}
	if (cap > 0)
		files[n] = NULL;
	return n;
}
