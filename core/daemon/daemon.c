/*
 * daemon.c -- the quantd process.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "bus/bus.h"
#include "config/config.h"
#include "ctl/ctl.h"
#include "daemon/daemon.h"
#include "host/host.h"
#include "log/log.h"
#include "loop/loop.h"
#include "net/net.h"
#include "plugin/describe.h"
#include "plugin/plugin.h"
#include "sandbox/sandbox.h"

struct daemon {
	const char *config_path;
	struct loop *loop;
	struct bus *bus;
	struct net *net;
	struct host *host;
	struct plugin_registry *reg;
	struct ctl *ctl;
	char *log_file;
	int log_level;
};

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: quantd [-c FILE] [--check-config] [--version]\n"
		"  -c, --config FILE   daemon config (default: built-in "
		"defaults)\n"
		"      --check-config  load config and plugins, report, exit\n"
		"      --version       print version and SDK ABI, exit\n"
		"exit status: 0 stopped cleanly, 1 runtime failure, "
		"2 bad usage or config\n");
}

/* mkdir -p for the state directory. */
static int
mkdirs(const char *path)
{
	char buf[4096], *p;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -1;
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0750) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(buf, 0750) != 0 && errno != EEXIST ? -1 : 0;
}

static void
print_diag(FILE *f, const struct diag *d, const char *prefix)
{
	const char *p = d->text, *nl;

	while (p != NULL && *p) {
		nl = strchr(p, '\n');
		fprintf(f, "%s%.*s\n", prefix, (int)(nl ? nl - p : (long)strlen(p)),
			p);
		p = nl ? nl + 1 : NULL;
	}
}

static void
log_diag(enum qd_log_level lv, const struct diag *d, const char *prefix)
{
	const char *p = d->text, *nl;

	while (p != NULL && *p) {
		nl = strchr(p, '\n');
		log_msg(lv, "config", "%s%.*s", prefix,
			(int)(nl ? nl - p : (long)strlen(p)), p);
		p = nl ? nl + 1 : NULL;
	}
}

/* Load every configured plugin directory into r and resolve requirements. */
static void
load_plugins(struct plugin_registry *r, const struct config *c)
{
	size_t i;

	for (i = 0; i < c->n_plugin_dirs; i++)
		plugin_load_dir(r, c->plugin_dirs[i]);
	for (i = 0; i < c->n_sandbox_plugin_dirs; i++)
		sandbox_load_dir(r, c->sandbox_helper,
			c->sandbox_plugin_dirs[i]);
	plugin_resolve(r);
}

/*
 * SIGHUP: reopen the log, load the new config and any new plugin files,
 * reject the new config whole if anything is wrong, else upgrade changed
 * modules and apply the difference.
 */
static void
daemon_reload(struct daemon *dm)
{
	struct diag d = { 0 }, w = { 0 };
	struct config *c;
	char **changed = NULL;
	size_t n, i;

	log_reopen();
	log_info("daemon", "reloading %s", dm->config_path ? dm->config_path :
		"built-in configuration");
	/* Upgrades first, so the new config is checked against new specs. */
	n = plugin_changed_modules(dm->reg, &changed);
	for (i = 0; i < n; i++) {
		log_info("daemon", "module %s changed on disk: upgrading",
			changed[i]);
		host_upgrade_module(dm->host, changed[i]);
		free(changed[i]);
	}
	free(changed);
	c = config_load(dm->config_path, &d);
	if (c != NULL) {
		load_plugins(dm->reg, c);
		config_bind(c, dm->reg, &d, &w);
	}
	if (d.count > 0) {
		log_diag(QD_LOG_ERROR, &d, "reload rejected: ");
		log_error("daemon", "reload rejected: %d problem(s); the running "
			"configuration is kept", d.count);
		config_free(c);
		diag_free(&d);
		diag_free(&w);
		return;
	}
	log_diag(QD_LOG_WARN, &w, "");
	if (c->log_level != dm->log_level)
		log_set_level((enum qd_log_level)c->log_level);
	i = (size_t)host_apply(dm->host, c, dm->reg);
	log_info("daemon", "reload applied%s", i ? " with failed instances" :
		"");
	diag_free(&d);
	diag_free(&w);
}

/* Every instance has started or failed (sandboxed children report
 * asynchronously): say so, for operators and scripts waiting on it. */
static void
say_ready(void *arg, size_t failed)
{
	struct daemon *dm = arg;

	log_info("daemon", "ready: %zu instance(s), %zu failed to start",
		host_instance_count(dm->host), failed);
}

static void
on_hup(void *arg)
{
	daemon_reload(arg);
}

static void
on_term(void *arg)
{
	struct daemon *dm = arg;

	log_info("daemon", "stopping");
	host_stop_all(dm->host);
	loop_stop(dm->loop);
}

/* ---- control requests ---------------------------------------------------- */

static char *
reply_error(const char *code, const char *msg)
{
	cJSON *o = cJSON_CreateObject(), *e = cJSON_AddObjectToObject(o, "error");
	char *s;

	cJSON_AddStringToObject(e, "code", code);
	cJSON_AddStringToObject(e, "message", msg);
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

static cJSON *
instance_json(const struct host_instance_info *ii)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "instance", ii->instance);
	cJSON_AddStringToObject(o, "plugin", ii->plugin);
	cJSON_AddStringToObject(o, "trust", ii->trust);
	cJSON_AddStringToObject(o, "state", host_state_name(ii->state));
	if (ii->reason)
		cJSON_AddStringToObject(o, "reason", ii->reason);
	return o;
}

static char *
handle_list(struct daemon *dm)
{
	cJSON *o = cJSON_CreateObject(), *pl, *rf, *in;
	size_t i, j;
	char *s;

	cJSON_AddBoolToObject(o, "ok", 1);
	cJSON_AddStringToObject(o, "source", "daemon");
	pl = cJSON_AddArrayToObject(o, "plugins");
	for (i = 0; i < plugin_count(dm->reg); i++) {
		const struct plugin *p = plugin_at(dm->reg, i);
		cJSON *pj = describe_plugin(p, 0);
		cJSON *insts = cJSON_AddArrayToObject(pj, "instances");

		for (j = 0; j < host_instance_count(dm->host); j++) {
			struct host_instance_info ii;

			host_instance_info(dm->host, j, &ii);
			if (strcmp(ii.plugin, plugin_desc(p)->name) == 0)
				cJSON_AddItemToArray(insts, instance_json(&ii));
		}
		cJSON_AddItemToArray(pl, pj);
	}
	in = cJSON_AddArrayToObject(o, "instances");
	for (j = 0; j < host_instance_count(dm->host); j++) {
		struct host_instance_info ii;

		host_instance_info(dm->host, j, &ii);
		cJSON_AddItemToArray(in, instance_json(&ii));
	}
	rf = cJSON_AddArrayToObject(o, "refused");
	for (i = 0; i < plugin_refusal_count(dm->reg); i++)
		cJSON_AddItemToArray(rf,
			describe_refusal(plugin_refusal_at(dm->reg, i)));
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

static char *
handle_request(void *arg, const char *request)
{
	struct daemon *dm = arg;
	cJSON *req = cJSON_Parse(request), *cmd, *name;
	char *reply = NULL;
	const char *c, *n;
	int rc;

	if (req == NULL || !cJSON_IsObject(req)) {
		cJSON_Delete(req);
		return reply_error("bad_request", "expected one JSON object");
	}
	cmd = cJSON_GetObjectItemCaseSensitive(req, "cmd");
	name = cJSON_GetObjectItemCaseSensitive(req, "name");
	c = cJSON_IsString(cmd) ? cmd->valuestring : "";
	n = cJSON_IsString(name) ? name->valuestring : NULL;
	if (strcmp(c, "ping") == 0) {
		reply = strdup("{\"ok\":true}");
	} else if (strcmp(c, "plugin.list") == 0) {
		reply = handle_list(dm);
	} else if (strcmp(c, "plugin.info") == 0) {
		const struct plugin *p = n ? plugin_find(dm->reg, n) : NULL;
		cJSON *o;

		if (p == NULL) {
			reply = reply_error("not_found", "no such plugin");
		} else {
			o = cJSON_CreateObject();
			cJSON_AddBoolToObject(o, "ok", 1);
			cJSON_AddItemToObject(o, "plugin", describe_plugin(p, 1));
			reply = cJSON_PrintUnformatted(o);
			cJSON_Delete(o);
		}
	} else if (strcmp(c, "instance.restart") == 0 ||
	    strcmp(c, "instance.stop") == 0) {
		rc = n == NULL ? QD_ERR_NOTFOUND : c[9] == 'r' ?
			host_restart(dm->host, n) : host_stop(dm->host, n);
		reply = rc == QD_OK ? strdup("{\"ok\":true}") :
			reply_error(rc == QD_ERR_NOTFOUND ? "not_found" :
			"failed", rc == QD_ERR_NOTFOUND ? "no such instance" :
			"the instance failed to start; see the log");
	} else if (strcmp(c, "reload") == 0) {
		daemon_reload(dm);
		reply = strdup("{\"ok\":true}");
	} else {
		reply = reply_error("unknown_command", "unknown cmd");
	}
	cJSON_Delete(req);
	return reply;
}

/* ---- main ---------------------------------------------------------------- */

int
daemon_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'k' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct daemon dm;
	struct diag d = { 0 }, w = { 0 };
	struct config *c = NULL;
	struct loop_signal *sig_int = NULL, *sig_term = NULL, *sig_hup = NULL;
	int opt, check = 0, rc = QD_EXIT_FAILURE;

	memset(&dm, 0, sizeof(dm));
	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			dm.config_path = optarg;
			break;
		case 'k':
			check = 1;
			break;
		case 'V':
			printf("quantd %s (SDK ABI %d.%d)\n", PACKAGE_VERSION,
				QD_ABI_MAJOR, QD_ABI_MINOR);
			return QD_EXIT_OK;
		case 'h':
			usage(stdout);
			return QD_EXIT_OK;
		default:
			usage(stderr);
			return QD_EXIT_CONFIG;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return QD_EXIT_CONFIG;
	}
	signal(SIGPIPE, SIG_IGN);
	c = config_load(dm.config_path, &d);
	if (c == NULL) {
		print_diag(stderr, &d, "quantd: ");
		fprintf(stderr, "quantd: %d configuration problem(s)\n",
			d.count);
		diag_free(&d);
		return QD_EXIT_CONFIG;
	}
	if (!check && log_open(c->log_file, (enum qd_log_level)c->log_level) != 0) {
		fprintf(stderr, "quantd: cannot open log file %s: %s\n",
			c->log_file, strerror(errno));
		config_free(c);
		return QD_EXIT_CONFIG;
	}
	dm.log_level = c->log_level;
	if ((dm.reg = plugin_registry_new()) == NULL)
		goto out;
	load_plugins(dm.reg, c);
	config_bind(c, dm.reg, &d, &w);
	if (d.count > 0) {
		print_diag(stderr, &d, "quantd: ");
		fprintf(stderr, "quantd: %d configuration problem(s)\n",
			d.count);
		rc = QD_EXIT_CONFIG;
		goto out;
	}
	print_diag(stderr, &w, "quantd: warning: ");
	if (check) {
		printf("%s: configuration OK: %zu plugin(s) loaded, %zu "
			"refused, %zu instance(s)\n", c->path,
			plugin_count(dm.reg), plugin_refusal_count(dm.reg),
			c->n_instances);
		rc = QD_EXIT_OK;
		goto out;
	}
	if (mkdirs(c->state_dir) != 0) {
		log_error("daemon", "cannot create state directory %s: %s",
			c->state_dir, strerror(errno));
		goto out;
	}
	if ((dm.loop = loop_new(4096, 256)) == NULL ||
	    (dm.bus = bus_new()) == NULL ||
	    (dm.host = host_new(dm.loop, dm.bus, c->state_dir)) == NULL)
		goto out;
	if (host_set_sandbox_helper(dm.host, c->sandbox_helper) != QD_OK)
		goto out;
	if ((dm.ctl = ctl_listen(dm.loop, c->control_socket, handle_request,
	    &dm)) == NULL)
		goto out;
	if ((dm.net = net_start(dm.loop, 1024, 256)) == NULL)
		goto out;
	sig_int = loop_signal_add(dm.loop, SIGINT, on_term, &dm);
	sig_term = loop_signal_add(dm.loop, SIGTERM, on_term, &dm);
	sig_hup = loop_signal_add(dm.loop, SIGHUP, on_hup, &dm);
	if (sig_int == NULL || sig_term == NULL || sig_hup == NULL)
		goto out;
	log_info("daemon", "quantd %s starting: %zu plugin(s), %zu refused, "
		"%zu instance(s), control socket %s", PACKAGE_VERSION,
		plugin_count(dm.reg), plugin_refusal_count(dm.reg),
		c->n_instances, c->control_socket);
	host_apply(dm.host, c, dm.reg);
	c = NULL;
	host_when_settled(dm.host, say_ready, &dm);
	rc = loop_run(dm.loop) == 0 ? QD_EXIT_OK : QD_EXIT_FAILURE;
	log_info("daemon", "stopped");
out:
	loop_signal_free(sig_int);
	loop_signal_free(sig_term);
	loop_signal_free(sig_hup);
	host_free(dm.host);
	if (dm.net)
		net_stop(dm.net);
	ctl_close(dm.ctl);
	bus_free(dm.bus);
	loop_free(dm.loop);
	plugin_registry_free(dm.reg);
	config_free(c);
	diag_free(&d);
	diag_free(&w);
	log_close();
	return rc;
}
