/*
 * plugin -- discovering, checking and registering plugin modules.
 *
 * A module is a regular *.so file in a configured plugin directory that
 * exports `qd_module` (sdk/quantd/sdk.h).  plugin_load_file() opens it with
 * dlopen(RTLD_NOW | RTLD_LOCAL), checks the ABI major before trusting any
 * other field, then every descriptor (kind, name, semver, params, ops), and
 * registers the plugins it provides.  A module that fails any check is
 * refused whole, closed, and remembered with one log line naming the file,
 * what was expected, what was found and what to do.
 *
 * Plugin names are unique per kind.  After all directories are loaded,
 * plugin_resolve() checks every `requires` entry; a plugin whose requirement
 * is unmet is refused (its module stays loaded for its other plugins).
 *
 * The registry owns the modules; `struct plugin` pointers stay valid until
 * plugin_registry_free() or plugin_unload_file() of their module.
 * Core thread only.
 */
#ifndef QD_PLUGIN_H
#define QD_PLUGIN_H

#include <stddef.h>
#include <stdint.h>
#include <quantd/sdk.h>

struct plugin_registry;
struct plugin;

/** A module file the loader refused, for `quantctl plugin list`. */
struct plugin_refusal {
	char *file;
	char *name;    /**< plugin name if known, else NULL */
	char *reason;  /**< the one-line message that was logged */
};

struct plugin_registry *plugin_registry_new(void);
void plugin_registry_free(struct plugin_registry *r);

/**
 * Load one module file.  Returns the number of plugins registered (>= 1), or
 * a negative qd_status if the module was refused (logged and remembered).
 */
int plugin_load_file(struct plugin_registry *r, const char *path);

/**
 * Load every regular file named *.so in `dir`, in name order, skipping
 * files already loaded.  Refused modules are logged and skipped.  Returns the number of modules loaded, or
 * QD_ERR_IO if the directory cannot be read (logged).
 */
int plugin_load_dir(struct plugin_registry *r, const char *dir);

/**
 * Check every plugin's `requires`; refuse (log, remember) those unmet, in a
 * fixed point so a plugin needing a refused plugin is refused too.  Returns
 * the number of plugins refused here.
 */
int plugin_resolve(struct plugin_registry *r);

/** Unload a module file and its plugins (no instance may use them). */
int plugin_unload_file(struct plugin_registry *r, const char *path);

/** 1 if a module was loaded from exactly `path`. */
int plugin_is_loaded(const struct plugin_registry *r, const char *path);

/**
 * Paths (malloc'd array of malloc'd strings) of loaded modules whose file on
 * disk changed (inode, size or mtime) since it was loaded: upgrades.
 */
size_t plugin_changed_modules(const struct plugin_registry *r, char ***paths);

/**
 * Find a plugin by name.  Names are unique per kind; an indicator and a
 * strategy may share one ("rsi"): then the non-indicator is returned, and
 * "kind:name" ("indicator:rsi") picks exactly.
 */
const struct plugin *plugin_find(const struct plugin_registry *r,
	const char *name);
const struct plugin *plugin_find_kind(const struct plugin_registry *r,
	enum qd_kind kind, const char *name);
size_t plugin_count(const struct plugin_registry *r);
const struct plugin *plugin_at(const struct plugin_registry *r, size_t i);
size_t plugin_refusal_count(const struct plugin_registry *r);
const struct plugin_refusal *plugin_refusal_at(const struct plugin_registry *r,
	size_t i);

const struct qd_plugin *plugin_desc(const struct plugin *p);
const char *plugin_file(const struct plugin *p);
/** ABI version the module was built against. */
uint32_t plugin_abi_major(const struct plugin *p);
uint32_t plugin_abi_minor(const struct plugin *p);

/** 1 if the plugin was described by a sandbox child (never dlopened by
 *  the host): its instances can only run sandboxed. */
int plugin_sandbox_only(const struct plugin *p);

/**
 * Register plugins described by a sandbox child for the module at `path`
 * (a sandbox plugin directory).  Takes ownership of `plugins` (an array of
 * n host-owned copies, freed with free_plugin) whatever happens.  The same
 * checks as for loaded modules apply; only strategies are accepted.
 * Returns the count registered or a negative qd_status (refusal logged).
 */
int plugin_register_described(struct plugin_registry *r, const char *path,
	uint32_t abi_major, uint32_t abi_minor, struct qd_plugin **plugins,
	size_t n, void (*free_plugin)(struct qd_plugin *));

/**
 * The distinct module files that provide indicators (what a sandbox child
 * loads so indicator_new works inside it), NULL-terminated in files[cap].
 * Returns the count.
 */
size_t plugin_indicator_files(const struct plugin_registry *r,
	const char **files, size_t cap);

/** Log and remember a refusal decided outside the loader (sandbox). */
void plugin_add_refusal(struct plugin_registry *r, const char *file,
	const char *reason);

/** "exchange", "indicator", ... or NULL for an unknown kind. */
const char *plugin_kind_name(enum qd_kind kind);
/** Inverse of plugin_kind_name; 0 if unknown. */
enum qd_kind plugin_kind_parse(const char *name);

/* ---- semantic versions and requirements --------------------------------- */

struct semver {
	uint32_t major, minor, patch;
	char pre[32];  /**< pre-release after '-', "" if none */
};

/** Parse "MAJOR.MINOR.PATCH[-pre][+build]" (strict semver 2.0).  0 or -1. */
int semver_parse(const char *s, struct semver *out);
/** <0, 0, >0 by semver precedence. */
int semver_cmp(const struct semver *a, const struct semver *b);

/**
 * Check `version` against a constraint list like ">=1.0,<2" (versions may omit
 * minor/patch, which then count as 0).  Returns 1 if satisfied, 0 if not, -1
 * if the constraint is malformed.
 */
int semver_satisfies(const char *version, const char *constraints);

#endif
