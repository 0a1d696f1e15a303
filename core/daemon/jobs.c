/*
 * jobs.c -- the daemon's job runner (see jobs.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include <quantd/sdk.h>

#include "ctl/ctl.h"
#include "daemon/jobs.h"
#include "json/json.h"
#include "log/log.h"
#include "loop/loop.h"
#include "market/symbol.h"
#include "plugin/params.h"
#include "plugin/plugin.h"
#include "store/store.h"

extern char **environ;

#define KILL_GRACE_NS 2000000000LL   /* SIGTERM, then SIGKILL */
#define REAP_RETRY_NS 20000000LL     /* a child that closed stderr */
#define PROGRESS_EVERY_MS 250
#define MAX_ARGS 160
#define MAX_GRID 8
#define MAX_POINTS 100000
#define MAX_TOP 10000                /* grid points a result lists */
#define ERROR_MAX 1000               /* of a job's error, bytes */
#define RESULT_MAX CTL_FILE_MAX      /* a result file served, bytes */
#define SWEEP_MAX_NS 60000000000LL   /* retention: looked at this often */

enum job_state { JOB_QUEUED, JOB_RUNNING, JOB_DONE, JOB_FAILED,
	JOB_CANCELED };
static const char *const state_names[] = { "queued", "running", "done",
	"failed", "canceled" };

struct job {
	struct jobs *owner;
	uint64_t id;
	char *user;
	char kind[16];
	char *request;             /* the validated request, JSON text */
	enum job_state state;
	double progress;
	char *error;
	int64_t created_ms, started_ms, finished_ms, cpu_ms;
	/* while running */
	pid_t pid;
	struct bufferevent *bev;   /* its stderr */
	char *err_text;            /* what it wrote but progress lines */
	size_t err_len;
	int out_fd;                /* stderr.txt */
	size_t out_written;
	struct loop_timer *deadline, *kill_timer, *reap_timer;
	int canceled, timed_out;
	int64_t told_ms;           /* last progress sent to the watcher */
};

/* Work for the keeper thread, done in the order queued: a row written,
 * or (del) deleted with the job's directory, or (path) a finished job's
 * file read and handed to fn -- before any deletion queued after it. */
struct keep_row {
	struct keep_row *next;
	struct store_job j;        /* strings owned (strdup) */
	int del;
	char *dir;                 /* del: the job's directory */
	char *path;                /* a read: the file */
	const char *ctype;         /* its content type (static) */
	jobs_file_fn fn;
	void *fn_arg;
};

struct jobs {
	struct loop *loop;
	char *quantctl, *config_path, *dir;
	unsigned workers, timeout_s;
	size_t max_queued;
	int64_t retention_ms;      /* finished jobs older go; 0: none */
	size_t retention_max;      /* finished jobs kept at most; 0: any */
	struct loop_timer *sweeper;
	char **plan_names;         /* caps of their own */
	size_t *plan_max, n_plans;
	const struct plugin_registry *reg;
	int (*sandboxed)(void *, const struct plugin *);
	void *sandboxed_arg;
	struct job **v;            /* by id, ascending */
	size_t n, cap;
	uint64_t next_id;
	unsigned running;
	struct loop_timer *kick;
	void (*watch)(void *, const char *, const cJSON *);
	void *watch_arg;
	/* the keeper */
	struct store *store;
	pthread_t thread;
	int thread_on, stopping;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct keep_row *head, *tail;
};

static void dispatch(struct jobs *js);
static void sweep(struct jobs *js);

/* ---- small helpers -------------------------------------------------------- */

static int64_t
now_ms(void)
{
	return loop_now_ns() / 1000000;
}

/* A name of [a-z0-9][a-z0-9._-]*, 1..63 bytes (plugins, exchanges). */
static int
name_ok(const char *s)
{
	size_t i;

	if (s == NULL || !((s[0] >= 'a' && s[0] <= 'z') ||
	    (s[0] >= '0' && s[0] <= '9')))
		return 0;
	for (i = 0; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' &&
		    s[i] <= '9') || s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return 0;
	return i < 64;
}

/* A parameter name: [a-z0-9_], 1..63 bytes. */
static int
key_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' &&
		    s[i] <= '9') || s[i] == '_'))
			return 0;
	return i > 0 && i < 64;
}

/* A parameter's text value: printable ASCII but '=', 1..255 bytes. */
static int
value_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return 0;
	return i > 0 && i < 256;
}

/* The family a route names: the kinds it covers. */
static int
in_family(const char *family, const char *kind)
{
	if (family == NULL)
		return 1;
	if (strcmp(family, "optimization") == 0)
		return strcmp(kind, "optimize") == 0 ||
			strcmp(kind, "walkforward") == 0;
	return strcmp(family, kind) == 0;
}

/* The kinds of job, as the store keeps them (static strings: a row may be
 * written after its job is freed). */
static const char *const kind_names[] = { "backtest", "optimize",
	"walkforward", "montecarlo", "chan", NULL };

static const char *
kind_name(const char *kind)
{
	for (size_t i = 0; kind_names[i] != NULL; i++)
		if (strcmp(kind, kind_names[i]) == 0)
			return kind_names[i];
	return "backtest";
}

/* ---- the keeper thread ---------------------------------------------------- */

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if ((flag == FTW_DP ? rmdir(path) : unlink(path)) != 0 &&
	    errno != ENOENT)
		log_warn("jobs", "cannot remove %s: %s", path,
			strerror(errno));
	return 0;
}

/* A deleted job's row and files (keeper thread). */
static void
keeper_delete(struct jobs *js, const struct keep_row *r)
{
	if (js->store != NULL && store_delete_job(js->store, r->j.id) != QD_OK &&
	    (store_connected(js->store) || store_reconnect(js->store) !=
	    QD_OK || store_delete_job(js->store, r->j.id) != QD_OK))
		log_error("jobs", "job %" PRIu64 " not deleted: %s", r->j.id,
			store_error(js->store));
	if (nftw(r->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS) != 0 &&
	    errno != ENOENT)
		log_warn("jobs", "cannot remove %s: %s", r->dir,
			strerror(errno));
}

static void
keep_row_free(struct keep_row *r)
{
	free((char *)r->j.user_id);
	free((char *)r->j.request);
	free((char *)r->j.error);
	free(r->dir);
	free(r->path);
	free(r);
}

/* The reply for a file that cannot be read (gone, over RESULT_MAX). */
static char *
no_output(void)
{
	return ctl_error_field("not_found", "this job has no such output",
		NULL);
}

/* A read: the file opened for fn, or the error reply (keeper thread).
 * Open, it stays readable whatever is deleted after. */
static void
keeper_read(const struct keep_row *r)
{
	int fd = open(r->path, O_RDONLY | O_CLOEXEC);
	struct stat st;

	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size <= (off_t)RESULT_MAX) {
		r->fn(r->fn_arg, fd, (size_t)st.st_size, r->ctype, NULL);
		return;
	}
	if (fd >= 0)
		close(fd);
	r->fn(r->fn_arg, -1, 0, NULL, no_output());
}

/* One row's work (keeper thread, or jobs_stop() when it never ran). */
static void
keeper_do(struct jobs *js, const struct keep_row *r)
{
	/* A lost connection (PostgreSQL restarted) is made again once
	 * before the row is given up. */
	if (r->path != NULL)
		keeper_read(r);
	else if (r->del)
		keeper_delete(js, r);
	else if (js->store != NULL && store_put_job(js->store, &r->j) !=
	    QD_OK && (store_connected(js->store) ||
	    store_reconnect(js->store) != QD_OK ||
	    store_put_job(js->store, &r->j) != QD_OK))
		log_error("jobs", "job %" PRIu64 " not kept: %s", r->j.id,
			store_error(js->store));
}

static void *
keeper_main(void *arg)
{
	struct jobs *js = arg;
	struct keep_row *r;

	pthread_mutex_lock(&js->mu);
	for (;;) {
		while (js->head == NULL && !js->stopping)
			pthread_cond_wait(&js->cv, &js->mu);
		if (js->head == NULL)
			break;
		r = js->head;
		js->head = r->next;
		if (js->head == NULL)
			js->tail = NULL;
		pthread_mutex_unlock(&js->mu);
		keeper_do(js, r);
		keep_row_free(r);
		pthread_mutex_lock(&js->mu);
	}
	pthread_mutex_unlock(&js->mu);
	return NULL;
}

/* Queue a row for the keeper thread. */
static void
keep_queue(struct jobs *js, struct keep_row *r)
{
	pthread_mutex_lock(&js->mu);
	if (js->tail)
		js->tail->next = r;
	else
		js->head = r;
	js->tail = r;
	pthread_cond_signal(&js->cv);
	pthread_mutex_unlock(&js->mu);
}

/* Hand the job's row to the keeper (or write it now before the thread
 * runs).  Never blocks on the database. */
static void
keep(struct jobs *js, const struct job *jb)
{
	struct keep_row *r;

	if (js->store == NULL)
		return;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		goto oom;
	r->j.id = jb->id;
	r->j.user_id = strdup(jb->user);
	r->j.kind = kind_name(jb->kind);
	r->j.request = strdup(jb->request);
	r->j.state = state_names[jb->state];
	r->j.progress = jb->progress;
	r->j.error = strdup(jb->error ? jb->error : "");
	r->j.created_ms = jb->created_ms;
	r->j.started_ms = jb->started_ms;
	r->j.finished_ms = jb->finished_ms;
	r->j.cpu_ms = jb->cpu_ms;
	if (r->j.user_id == NULL || r->j.request == NULL || r->j.error == NULL) {
		keep_row_free(r);
		goto oom;
	}
	keep_queue(js, r);
	return;
oom:
	log_error("jobs", "job %" PRIu64 " not kept: out of memory", jb->id);
}

/* ---- jobs as JSON --------------------------------------------------------- */

static cJSON *
job_json(const struct job *jb)
{
	cJSON *o = cJSON_CreateObject(), *rq;

	cJSON_AddNumberToObject(o, "id", (double)jb->id);
	cJSON_AddStringToObject(o, "kind", jb->kind);
	cJSON_AddStringToObject(o, "user", jb->user);
	cJSON_AddStringToObject(o, "state", state_names[jb->state]);
	cJSON_AddNumberToObject(o, "progress", jb->progress);
	cJSON_AddNumberToObject(o, "created_ms", (double)jb->created_ms);
	if (jb->started_ms)
		cJSON_AddNumberToObject(o, "started_ms",
			(double)jb->started_ms);
	if (jb->finished_ms)
		cJSON_AddNumberToObject(o, "finished_ms",
			(double)jb->finished_ms);
	cJSON_AddNumberToObject(o, "cpu_ms", (double)jb->cpu_ms);
	if (jb->error && jb->error[0])
		cJSON_AddStringToObject(o, "error", jb->error);
	if ((rq = cJSON_Parse(jb->request)) != NULL)
		cJSON_AddItemToObject(o, "request", rq);
	return o;
}

/* Tell the watcher (the API's channel) about a change. */
static void
tell(struct jobs *js, struct job *jb)
{
	cJSON *o;

	if (js->watch == NULL)
		return;
	jb->told_ms = now_ms();
	if ((o = job_json(jb)) == NULL)
		return;
	js->watch(js->watch_arg, jb->user, o);
	cJSON_Delete(o);
}

static char *
reply_job(const struct job *jb)
{
	cJSON *o = cJSON_CreateObject();
	char *s;

	cJSON_AddBoolToObject(o, "ok", 1);
	cJSON_AddItemToObject(o, "job", job_json(jb));
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

/* ---- the table of jobs ---------------------------------------------------- */

static struct job *
job_add(struct jobs *js, uint64_t id, const char *user, const char *kind,
	const char *request)
{
	struct job *jb;

	if (js->n == js->cap) {
		size_t cap = js->cap ? js->cap * 2 : 64;
		struct job **nv = realloc(js->v, cap * sizeof(*nv));

		if (nv == NULL)
			return NULL;
		js->v = nv;
		js->cap = cap;
	}
	if ((jb = calloc(1, sizeof(*jb))) == NULL)
		return NULL;
	jb->owner = js;
	jb->id = id;
	jb->out_fd = -1;
	snprintf(jb->kind, sizeof(jb->kind), "%s", kind);
	jb->user = strdup(user);
	jb->request = strdup(request);
	if (jb->user == NULL || jb->request == NULL) {
		free(jb->user);
		free(jb->request);
		free(jb);
		return NULL;
	}
	js->v[js->n++] = jb;
	if (id >= js->next_id)
		js->next_id = id + 1;
	return jb;
}

static struct job *
job_find(struct jobs *js, uint64_t id)
{
	size_t lo = 0, hi = js->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (js->v[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < js->n && js->v[lo]->id == id ? js->v[lo] : NULL;
}

static void
job_set_error(struct job *jb, const char *msg)
{
	free(jb->error);
	jb->error = strdup(msg);
}

/* ---- a job's process ------------------------------------------------------ */

/* The directory of job `id`'s files. */
static void
job_dir(const struct jobs *js, uint64_t id, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s/%" PRIu64, js->dir, id);
}

/* Room for argv strings made while building. */
struct argv_buf {
	char *v[MAX_ARGS + 1];
	size_t n;
	int bad;
};

static void
arg(struct argv_buf *a, const char *s)
{
	if (a->n >= MAX_ARGS || (a->v[a->n] = strdup(s)) == NULL) {
		a->bad = 1;
		return;
	}
	a->n++;
}

static void
argf(struct argv_buf *a, const char *fmt, ...) QD_PRINTF(2, 3);

static void
argf(struct argv_buf *a, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(buf, sizeof(buf), fmt, ap) >= (int)sizeof(buf))
		a->bad = 1;
	va_end(ap);
	arg(a, buf);
}

/* A number as the shortest text that reads back as it (0.95, not
 * 0.94999999999999996). */
static void
arg_num(struct argv_buf *a, double v)
{
	char buf[JSON_DOUBLE_MAX];

	arg(a, json_fmt_double(buf, sizeof(buf), v));
}

static void
argv_free(struct argv_buf *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	a->n = 0;
}

static const char *
str_of(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : "";
}

static double
num_of(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* The values of a validated grid axis {"min","max","step"}: min,
 * min + step, ... up to max. */
static double
axis_points(const cJSON *x)
{
	return floor((num_of(x, "max") - num_of(x, "min")) / num_of(x, "step") +
		1e-9) + 1;
}

/* "--data store:E:S:TF --from F --to T" of a validated request. */
static void
data_args(struct argv_buf *a, const cJSON *rq)
{
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(rq, "data");

	arg(a, "--data");
	argf(a, "store:%s:%s:%s", str_of(d, "exchange"), str_of(d, "symbol"),
		str_of(d, "timeframe"));
	arg(a, "--from");
	argf(a, "%lld", (long long)num_of(d, "from"));
	arg(a, "--to");
	argf(a, "%lld", (long long)num_of(d, "to"));
}

/* "--sandbox" when the host would sandbox plugin `pl`: its decision for
 * its own instances of the plugin. */
static void
sandbox_arg(struct jobs *js, struct argv_buf *a, const struct plugin *pl)
{
	if (pl == NULL || plugin_sandbox_only(pl) || (js->sandboxed != NULL &&
	    js->sandboxed(js->sandboxed_arg, pl)))
		arg(a, "--sandbox");
}

/* "--strategy S --param K=V ... [--cash C] [--fee-rate R] [--sandbox]". */
static void
strategy_args(struct jobs *js, struct argv_buf *a, const cJSON *rq)
{
	const char *name = str_of(rq, "strategy");
	const cJSON *ps = cJSON_GetObjectItemCaseSensitive(rq, "params"), *p;
	const struct plugin *pl = plugin_find(js->reg, name);

	arg(a, "--strategy");
	arg(a, name);
	cJSON_ArrayForEach(p, ps) {
		arg(a, "--param");
		argf(a, "%s=%s", p->string, cJSON_IsString(p) ?
			p->valuestring : "");
	}
	if (cJSON_GetObjectItemCaseSensitive(rq, "cash") != NULL) {
		arg(a, "--cash");
		arg_num(a, num_of(rq, "cash"));
	}
	if (cJSON_GetObjectItemCaseSensitive(rq, "fee_rate") != NULL) {
		arg(a, "--fee-rate");
		arg_num(a, num_of(rq, "fee_rate"));
	}
	sandbox_arg(js, a, pl);
}

/* The command line of job `jb`, from its stored request. */
static int
build_argv(struct jobs *js, const struct job *jb, const char *dir,
	struct argv_buf *a)
{
	cJSON *rq = cJSON_Parse(jb->request);

	if (rq == NULL)
		return -1;
	arg(a, js->quantctl);
	if (js->config_path != NULL) {
		arg(a, "-c");
		arg(a, js->config_path);
	}
	arg(a, "--json");
	if (strcmp(jb->kind, "backtest") == 0) {
		arg(a, "backtest");
		strategy_args(js, a, rq);
		data_args(a, rq);
		arg(a, "--progress");
		arg(a, "--trades");
		argf(a, "%s/trades.csv", dir);
		arg(a, "--report");
		argf(a, "%s/report.html", dir);
		if (cJSON_GetObjectItemCaseSensitive(rq, "equity_every")) {
			arg(a, "--equity-every");
			arg(a, str_of(rq, "equity_every"));
		}
	} else if (strcmp(jb->kind, "chan") == 0) {
		arg(a, "chan");
		data_args(a, rq);
		arg(a, "--min-gap");
		argf(a, "%lld", (long long)num_of(rq, "min_gap"));
		arg(a, "--progress");
		sandbox_arg(js, a, plugin_find(js->reg, "chan"));
	} else if (strcmp(jb->kind, "montecarlo") == 0) {
		arg(a, "montecarlo");
		arg(a, "--from-backtest");
		argf(a, "%s/%lld/result.json", js->dir,
			(long long)num_of(rq, "backtest"));
		arg(a, "--runs");
		argf(a, "%lld", (long long)num_of(rq, "runs"));
		arg(a, "--seed");
		argf(a, "%lld", (long long)num_of(rq, "seed"));
	} else {
		const cJSON *g = cJSON_GetObjectItemCaseSensitive(rq, "grid"), *x;
		const cJSON *wf = cJSON_GetObjectItemCaseSensitive(rq,
			"walk_forward");
		double points = 1;

		arg(a, "optimize");
		strategy_args(js, a, rq);
		data_args(a, rq);
		cJSON_ArrayForEach(x, g) {
			points *= axis_points(x);
			arg(a, "--grid");
			char lo[JSON_DOUBLE_MAX], hi[JSON_DOUBLE_MAX],
				step[JSON_DOUBLE_MAX];

			argf(a, "%s=%s:%s:%s", x->string,
				json_fmt_double(lo, sizeof(lo), num_of(x, "min")),
				json_fmt_double(hi, sizeof(hi), num_of(x, "max")),
				json_fmt_double(step, sizeof(step),
				num_of(x, "step")));
		}
		arg(a, "--objective");
		arg(a, str_of(rq, "objective"));
		if (wf != NULL) {
			arg(a, "--walk-forward");
			argf(a, "train=%lld,test=%lld,step=%lld",
				(long long)num_of(wf, "train"),
				(long long)num_of(wf, "test"),
				(long long)num_of(wf, "step"));
		}
		/* One process per job: the workers are the cores. */
		arg(a, "--jobs");
		arg(a, "1");
		/* Every point up to MAX_TOP: a heat map of the grid. */
		arg(a, "--top");
		argf(a, "%.0f", points < MAX_TOP ? points : MAX_TOP);
		arg(a, "--progress");
	}
	cJSON_Delete(rq);
	a->v[a->n] = NULL;
	return a->bad ? -1 : 0;
}

/* The environment of a job: the daemon's, without QUANTD_CONFIG (the
 * configuration is passed with -c, or is the built-in one). */
static char **
child_env(void)
{
	size_t n = 0, k = 0;
	char **env;

	while (environ[n])
		n++;
	if ((env = calloc(n + 1, sizeof(*env))) == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "QUANTD_CONFIG=", 14) != 0)
			env[k++] = environ[i];
	env[k] = NULL;
	return env;
}

static void job_finish(struct job *jb);

static void
on_reap(void *arg)
{
	struct job *jb = arg;

	/* a fired one-shot timer is still freed */
	loop_timer_cancel(jb->reap_timer);
	jb->reap_timer = NULL;
	job_finish(jb);
}

static void
on_kill(void *arg)
{
	struct job *jb = arg;

	loop_timer_cancel(jb->kill_timer);
	jb->kill_timer = NULL;
	if (jb->pid > 0)
		kill(-jb->pid, SIGKILL);
}

/* Stop a running job: SIGTERM to its group, SIGKILL after the grace. */
static void
job_stop(struct job *jb)
{
	if (jb->pid <= 0 || jb->kill_timer != NULL)
		return;
	kill(-jb->pid, SIGTERM);
	jb->kill_timer = loop_timer_add(jb->owner->loop, KILL_GRACE_NS, 0,
		on_kill, jb);
}

static void
on_deadline(void *arg)
{
	struct job *jb = arg;

	loop_timer_cancel(jb->deadline);
	jb->deadline = NULL;
	jb->timed_out = 1;
	log_warn("jobs", "job %" PRIu64 " passed its %u s: stopping it",
		jb->id, jb->owner->timeout_s);
	job_stop(jb);
}

/* One line of the job's stderr: its progress, or text kept for the
 * error. */
static void
job_line(struct job *jb, const char *line, size_t len)
{
	unsigned long long done, total;
	char tmp[64];

	if (len < sizeof(tmp) && strncmp(line, "progress ", 9) == 0) {
		memcpy(tmp, line, len);
		tmp[len] = '\0';
		if (sscanf(tmp, "progress %llu %llu", &done, &total) == 2) {
			if (total > 0)
				jb->progress = done >= total ? 1.0 :
					(double)done / (double)total;
			if (now_ms() - jb->told_ms >= PROGRESS_EVERY_MS)
				tell(jb->owner, jb);
			return;
		}
	}
	if (len >= JOBS_STDERR_MAX / 2)
		len = JOBS_STDERR_MAX / 2 - 1;
	/* stderr.txt keeps the first JOBS_STDERR_MAX bytes */
	if (jb->out_fd >= 0 && jb->out_written < JOBS_STDERR_MAX) {
		ssize_t w = write(jb->out_fd, line, len);

		if (w >= 0)
			w = write(jb->out_fd, "\n", 1);
		jb->out_written += len + 1;
		if (jb->out_written >= JOBS_STDERR_MAX &&
		    write(jb->out_fd, "[the rest is not kept]\n", 23) < 0)
			w = -1;
		(void)w;
	}
	/* the error comes from the last lines: keep the last half of the
	 * cap at least */
	if (jb->err_len + len + 2 > JOBS_STDERR_MAX) {
		size_t drop = jb->err_len - JOBS_STDERR_MAX / 2 + len + 2;

		if (drop > jb->err_len)
			drop = jb->err_len;
		memmove(jb->err_text, jb->err_text + drop, jb->err_len - drop);
		jb->err_len -= drop;
	}
	if (jb->err_text == NULL &&
	    (jb->err_text = malloc(JOBS_STDERR_MAX)) == NULL)
		return;
	memcpy(jb->err_text + jb->err_len, line, len);
	jb->err_len += len;
	jb->err_text[jb->err_len++] = '\n';
	jb->err_text[jb->err_len] = '\0';
}

static void
on_stderr(struct bufferevent *bev, void *arg)
{
	struct job *jb = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char *line;
	size_t len;

	while ((line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF)) != NULL) {
		job_line(jb, line, len);
		free(line);
	}
	/* A line longer than the cap is cut. */
	if (evbuffer_get_length(in) > JOBS_STDERR_MAX)
		evbuffer_drain(in, evbuffer_get_length(in));
}

static void
on_stderr_event(struct bufferevent *bev, short what, void *arg)
{
	struct job *jb = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len = evbuffer_get_length(in);

	if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
		return;
	if (len > 0 && len < JOBS_STDERR_MAX) {
		char *rest = malloc(len);

		if (rest != NULL && evbuffer_remove(in, rest, len) ==
		    (int)len)
			job_line(jb, rest, len);
		free(rest);
	}
	bufferevent_free(jb->bev);
	jb->bev = NULL;
	job_finish(jb);
}

/* Why a job failed: the last lines quantctl wrote (its own messages say
 * what was wrong: a parameter, no candles, the strategy's failure). */
static void
failure_text(const struct job *jb, int status, char *buf, size_t cap)
{
	const char *t = jb->err_text ? jb->err_text : "";
	size_t len = jb->err_len;
	const char *start;

	while (len > 0 && (t[len - 1] == '\n' || t[len - 1] == ' '))
		len--;
	start = t;
	if (len > ERROR_MAX) {
		start = t + len - ERROR_MAX;
		while (start < t + len && *start != '\n')
			start++;
		if (start < t + len)
			start++;
	}
	if (WIFSIGNALED(status))
		snprintf(buf, cap, "quantctl was killed by signal %d%s%.*s",
			WTERMSIG(status), len ? ": " : "",
			(int)(len - (size_t)(start - t)), start);
	else if (len > 0)
		snprintf(buf, cap, "%.*s", (int)(len - (size_t)(start - t)),
			start);
	else if (WEXITSTATUS(status) == 127)
		snprintf(buf, cap, "%s cannot be run (jobs.quantctl names the "
			"program)", jb->owner->quantctl);
	else
		snprintf(buf, cap, "quantctl exited with status %d",
			WEXITSTATUS(status));
	/* "quantctl: " at the start says nothing to an API user */
	if (strncmp(buf, "quantctl: ", 10) == 0)
		memmove(buf, buf + 10, strlen(buf + 10) + 1);
}

/*
 * The child closed its stderr: reap it (or look again shortly: it may
 * still be exiting) and record how it ended.
 */
static void
job_finish(struct job *jb)
{
	struct jobs *js = jb->owner;
	struct rusage ru;
	char msg[ERROR_MAX + 128];
	int status = 0;
	pid_t r;

	if (jb->pid <= 0 || jb->bev != NULL)
		return;
	memset(&ru, 0, sizeof(ru));
	r = wait4(jb->pid, &status, WNOHANG, &ru);
	if (r == 0) {
		if (jb->reap_timer == NULL)
			jb->reap_timer = loop_timer_add(js->loop,
				REAP_RETRY_NS, 0, on_reap, jb);
		return;
	}
	if (r < 0 && errno == EINTR) {
		jb->reap_timer = loop_timer_add(js->loop, REAP_RETRY_NS, 0,
			on_reap, jb);
		return;
	}
	/* Whatever else its group still runs goes too. */
	kill(-jb->pid, SIGKILL);
	jb->pid = 0;
	loop_timer_cancel(jb->deadline);
	loop_timer_cancel(jb->kill_timer);
	jb->deadline = jb->kill_timer = NULL;
	if (jb->out_fd >= 0)
		close(jb->out_fd);
	jb->out_fd = -1;
	jb->cpu_ms = (int64_t)ru.ru_utime.tv_sec * 1000 +
		ru.ru_utime.tv_usec / 1000 + (int64_t)ru.ru_stime.tv_sec *
		1000 + ru.ru_stime.tv_usec / 1000;
	jb->finished_ms = now_ms();
	if (jb->canceled) {
		jb->state = JOB_CANCELED;
	} else if (jb->timed_out) {
		jb->state = JOB_FAILED;
		snprintf(msg, sizeof(msg), "stopped after the time limit of "
			"%u s (jobs.timeout_s)", js->timeout_s);
		job_set_error(jb, msg);
	} else if (r > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		jb->state = JOB_DONE;
		jb->progress = 1.0;
	} else {
		jb->state = JOB_FAILED;
		failure_text(jb, r > 0 ? status : 0, msg, sizeof(msg));
		job_set_error(jb, msg);
	}
	free(jb->err_text);
	jb->err_text = NULL;
	jb->err_len = 0;
	log_info("jobs", "job %" PRIu64 " (%s of %s) %s in %.1f s, %" PRId64
		" ms of CPU%s%s", jb->id, jb->kind, jb->user,
		state_names[jb->state], (double)(jb->finished_ms -
		jb->started_ms) / 1000.0, jb->cpu_ms, jb->error ? ": " : "",
		jb->error ? jb->error : "");
	js->running--;
	keep(js, jb);
	tell(js, jb);
	dispatch(js);
	sweep(js);
}

/* Fail a job that could not start. */
static void
job_fail_start(struct job *jb, const char *why)
{
	log_error("jobs", "job %" PRIu64 " cannot start: %s", jb->id, why);
	jb->state = JOB_FAILED;
	jb->finished_ms = now_ms();
	job_set_error(jb, why);
	keep(jb->owner, jb);
	tell(jb->owner, jb);
}

/*
 * Start a queued job: its directory, result file and stderr pipe, then
 * fork+exec quantctl.  Between fork and exec the child makes only
 * async-signal-safe calls (the daemon has threads).
 */
static void
job_run(struct jobs *js, struct job *jb)
{
	struct argv_buf a;
	char dir[PATH_MAX], path[PATH_MAX + 32], why[256];
	char **env = NULL;
	int out = -1, dn = -1, pfd[2] = { -1, -1 }, sandboxed = 0;
	pid_t pid, parent;

	memset(&a, 0, sizeof(a));
	job_dir(js, jb->id, dir, sizeof(dir));
	if ((mkdir(js->dir, 0750) != 0 && errno != EEXIST) ||
	    (mkdir(dir, 0750) != 0 && errno != EEXIST)) {
		snprintf(why, sizeof(why), "cannot create the job's "
			"directory: %s", strerror(errno));
		goto fail;
	}
	if (build_argv(js, jb, dir, &a) != 0) {
		snprintf(why, sizeof(why), "its request cannot be read");
		goto fail;
	}
	snprintf(path, sizeof(path), "%s/result.json", dir);
	out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	snprintf(path, sizeof(path), "%s/stderr.txt", dir);
	jb->out_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		0640);
	dn = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (out < 0 || jb->out_fd < 0 || dn < 0 ||
	    pipe2(pfd, O_CLOEXEC) != 0 || (env = child_env()) == NULL) {
		snprintf(why, sizeof(why), "cannot set up its output: %s",
			strerror(errno));
		goto fail;
	}
	parent = getpid();
	pid = fork();
	if (pid < 0) {
		snprintf(why, sizeof(why), "fork: %s", strerror(errno));
		goto fail;
	}
	if (pid == 0) {
		struct rlimit fs = { 1024u << 20, 1024u << 20 };
		sigset_t none;

		/* Its own group: a cancel stops what it forks too.  It dies
		 * with the daemon (a kill -9 leaves no job running). */
		setpgid(0, 0);
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 ||
		    getppid() != parent)
			_exit(127);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		if (dup2(dn, 0) < 0 || dup2(out, 1) < 0 || dup2(pfd[1], 2) < 0)
			_exit(127);
		if (syscall(SYS_close_range, 3u, ~0u, 0u) != 0)
			for (int fd = 3; fd < 4096; fd++)
				close(fd);
		setrlimit(RLIMIT_FSIZE, &fs);
		if (chdir(dir) != 0)
			_exit(127);
		execve(a.v[0], a.v, env);
		_exit(127);
	}
	setpgid(pid, pid);   /* either side may win; both set it */
	for (size_t i = 0; i < a.n; i++)
		sandboxed |= strcmp(a.v[i], "--sandbox") == 0;
	close(pfd[1]);
	close(out);
	close(dn);
	free(env);
	argv_free(&a);
	jb->pid = pid;
	jb->state = JOB_RUNNING;
	jb->started_ms = now_ms();
	jb->progress = 0;
	evutil_make_socket_nonblocking(pfd[0]);
	jb->bev = bufferevent_socket_new(loop_base(js->loop), pfd[0],
		BEV_OPT_CLOSE_ON_FREE);
	if (jb->bev == NULL) {
		close(pfd[0]);
		kill(-pid, SIGKILL);
		js->running++;
		job_finish(jb);
		return;
	}
	bufferevent_setcb(jb->bev, on_stderr, NULL, on_stderr_event, jb);
	bufferevent_enable(jb->bev, EV_READ);
	jb->deadline = loop_timer_add(js->loop, (int64_t)js->timeout_s *
		1000000000LL, 0, on_deadline, jb);
	js->running++;
	log_info("jobs", "job %" PRIu64 " (%s of %s) started%s: pid %d",
		jb->id, jb->kind, jb->user, sandboxed ? " sandboxed" : "",
		(int)pid);
	keep(js, jb);
	tell(js, jb);
	return;
fail:
	if (pfd[0] >= 0)
		close(pfd[0]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	if (out >= 0)
		close(out);
	if (dn >= 0)
		close(dn);
	if (jb->out_fd >= 0)
		close(jb->out_fd);
	jb->out_fd = -1;
	free(env);
	argv_free(&a);
	job_fail_start(jb, why);
}

/* Start queued jobs, oldest first, while a worker is free. */
static void
dispatch(struct jobs *js)
{
	for (size_t i = 0; i < js->n && js->running < js->workers; i++)
		if (js->v[i]->state == JOB_QUEUED)
			job_run(js, js->v[i]);
}

static void
on_kick(void *arg)
{
	struct jobs *js = arg;

	loop_timer_cancel(js->kick);
	js->kick = NULL;
	dispatch(js);
}

/* ---- retention ------------------------------------------------------------ */

static int
finished(const struct job *jb)
{
	return jb->state == JOB_DONE || jb->state == JOB_FAILED ||
		jb->state == JOB_CANCELED;
}

/* Whether a queued or running Monte Carlo job reads backtest `id`'s
 * result (it must stay until that job ran). */
static int
still_read(const struct jobs *js, const struct job *bt)
{
	if (strcmp(bt->kind, "backtest") != 0)
		return 0;
	for (size_t i = 0; i < js->n; i++) {
		const struct job *jb = js->v[i];
		cJSON *rq;
		int hit;

		if (finished(jb) || strcmp(jb->kind, "montecarlo") != 0)
			continue;
		rq = cJSON_Parse(jb->request);
		hit = num_of(rq, "backtest") == (double)bt->id;
		cJSON_Delete(rq);
		if (hit)
			return 1;
	}
	return 0;
}

/* Drop job `i` of the table: its row and directory go through the
 * keeper (which also removes the files: no file system work here). */
static void
job_drop(struct jobs *js, size_t i)
{
	struct job *jb = js->v[i];
	struct keep_row *r = calloc(1, sizeof(*r));
	char dir[PATH_MAX];

	job_dir(js, jb->id, dir, sizeof(dir));
	if (r != NULL && (r->dir = strdup(dir)) != NULL) {
		r->del = 1;
		r->j.id = jb->id;
		keep_queue(js, r);
	} else {
		free(r);
		log_error("jobs", "job %" PRIu64 " not deleted: out of memory",
			jb->id);
	}
	memmove(js->v + i, js->v + i + 1, (js->n - i - 1) * sizeof(*js->v));
	js->n--;
	free(jb->user);
	free(jb->request);
	free(jb->error);
	free(jb->err_text);
	free(jb);
}

/*
 * Delete the finished jobs past retention: those finished more than
 * retention_ms ago, then the oldest beyond retention_max finished ones
 * (a backtest a waiting Monte Carlo run reads stays).  Core thread.
 */
static void
sweep(struct jobs *js)
{
	int64_t cut = js->retention_ms ? now_ms() - js->retention_ms :
		INT64_MIN;
	size_t n_done = 0, dropped = 0;

	for (size_t i = 0; i < js->n; i++)
		n_done += finished(js->v[i]);
	for (size_t i = 0; i < js->n;) {
		struct job *jb = js->v[i];

		if (finished(jb) && (jb->finished_ms < cut ||
		    (js->retention_max && n_done > js->retention_max)) &&
		    !still_read(js, jb)) {
			job_drop(js, i);
			n_done--;
			dropped++;
			continue;
		}
		i++;
	}
	if (dropped > 0)
		log_info("jobs", "%zu finished job(s) past retention deleted "
			"with their files (jobs.retention_s, jobs.retention_max)",
			dropped);
}

static void
on_sweep(void *arg)
{
	sweep(arg);
}

/* ---- requests ------------------------------------------------------------- */

/* The validated "data" member into `out`; NULL or the error reply. */
static char *
check_data(const cJSON *req, cJSON *out)
{
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(req, "data");
	const cJSON *ex, *sym, *tf, *from, *to;
	cJSON *o;

	if (!cJSON_IsObject(d))
		return ctl_error_field("bad_request", "data: expected an object "
			"{\"exchange\",\"symbol\",\"timeframe\",\"from\","
			"\"to\"} (stored candles)", "data");
	for (const cJSON *m = d->child; m != NULL; m = m->next)
		if (strcmp(m->string, "exchange") && strcmp(m->string,
		    "symbol") && strcmp(m->string, "timeframe") &&
		    strcmp(m->string, "from") && strcmp(m->string, "to"))
			return ctl_error_field("bad_request", "data: unknown member "
				"(exchange, symbol, timeframe, from, to)",
				"data");
	ex = cJSON_GetObjectItemCaseSensitive(d, "exchange");
	sym = cJSON_GetObjectItemCaseSensitive(d, "symbol");
	tf = cJSON_GetObjectItemCaseSensitive(d, "timeframe");
	from = cJSON_GetObjectItemCaseSensitive(d, "from");
	to = cJSON_GetObjectItemCaseSensitive(d, "to");
	if (!cJSON_IsString(ex) || !name_ok(ex->valuestring))
		return ctl_error_field("bad_request", "data.exchange: expected an "
			"exchange name ([a-z0-9][a-z0-9._-]*)", "data.exchange");
	if (!cJSON_IsString(sym) || !symbol_valid(sym->valuestring))
		return ctl_error_field("bad_request", "data.symbol: expected "
			"BASE/QUOTE", "data.symbol");
	if (!cJSON_IsString(tf) || store_timeframe_ms(tf->valuestring) <= 0)
		return ctl_error_field("bad_request", "data.timeframe: expected 1m "
			"3m 5m 15m 30m 1h 2h 4h 6h 12h 1d or 1w",
			"data.timeframe");
	if (!cJSON_IsNumber(from) || from->valuedouble < 0 ||
	    from->valuedouble != floor(from->valuedouble) ||
	    from->valuedouble > 9e15)
		return ctl_error_field("bad_request", "data.from: expected a time "
			"in ms since the epoch", "data.from");
	if (!cJSON_IsNumber(to) || to->valuedouble != floor(to->valuedouble) ||
	    to->valuedouble > 9e15 || to->valuedouble <= from->valuedouble)
		return ctl_error_field("bad_request", "data.to: expected a time in "
			"ms after data.from", "data.to");
	o = cJSON_AddObjectToObject(out, "data");
	cJSON_AddStringToObject(o, "exchange", ex->valuestring);
	cJSON_AddStringToObject(o, "symbol", sym->valuestring);
	cJSON_AddStringToObject(o, "timeframe", tf->valuestring);
	cJSON_AddNumberToObject(o, "from", from->valuedouble);
	cJSON_AddNumberToObject(o, "to", to->valuedouble);
	return NULL;
}

/* A parameter value as the text quantctl takes, in buf; 0 or -1. */
static int
param_text(const cJSON *v, char *buf, size_t cap)
{
	if (cJSON_IsString(v))
		snprintf(buf, cap, "%s", v->valuestring);
	else if (cJSON_IsBool(v))
		snprintf(buf, cap, "%s", cJSON_IsTrue(v) ? "true" : "false");
	else if (cJSON_IsNumber(v) && isfinite(v->valuedouble))
		json_fmt_double(buf, cap, v->valuedouble);
	else
		return -1;
	return value_ok(buf) ? 0 : -1;
}

/*
 * The strategy, its params (checked against the plugin's specs, with the
 * grid's names when `grid` is given) and cash/fee_rate into `out`.
 */
static char *
check_strategy(struct jobs *js, const cJSON *req, const cJSON *grid,
	cJSON *out)
{
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(req, "strategy");
	const cJSON *ps = cJSON_GetObjectItemCaseSensitive(req, "params"), *p;
	const cJSON *cash = cJSON_GetObjectItemCaseSensitive(req, "cash");
	const cJSON *fee = cJSON_GetObjectItemCaseSensitive(req, "fee_rate");
	const struct plugin *pl;
	struct qd_kv kv[64 + MAX_GRID];
	char vals[64 + MAX_GRID][256], err[512], field[96];
	cJSON *po;
	qd_params *qp;
	size_t n = 0;

	if (!cJSON_IsString(st) || !name_ok(st->valuestring) ||
	    (pl = plugin_find(js->reg, st->valuestring)) == NULL ||
	    plugin_desc(pl)->kind != QD_KIND_STRATEGY)
		return ctl_error_field("bad_request", "strategy: no installed "
			"strategy plugin of that name (GET /api/v1/plugins "
			"lists them)", "strategy");
	if (ps != NULL && !cJSON_IsObject(ps))
		return ctl_error_field("bad_request", "params: expected an object "
			"of parameter values", "params");
	cJSON_AddStringToObject(out, "strategy", st->valuestring);
	po = cJSON_AddObjectToObject(out, "params");
	cJSON_ArrayForEach(p, ps) {
		snprintf(field, sizeof(field), "params.%.80s", p->string);
		if (n >= 64 || !key_ok(p->string) ||
		    param_text(p, vals[n], sizeof(vals[n])) != 0)
			return ctl_error_field("bad_request", "params: expected "
				"names of [a-z0-9_] with a number, boolean or "
				"short text each", field);
		cJSON_AddStringToObject(po, p->string, vals[n]);
		kv[n].key = p->string;
		kv[n].value = vals[n];
		n++;
	}
	/* A grid's axes are checked at their lowest value here; quantctl
	 * checks each point's range. */
	cJSON_ArrayForEach(p, grid) {
		if (n >= 64 + MAX_GRID)
			break;
		json_fmt_double(vals[n], sizeof(vals[n]),
			cJSON_GetObjectItemCaseSensitive(p, "min")->valuedouble);
		kv[n].key = p->string;
		kv[n].value = vals[n];
		n++;
	}
	if ((qp = params_from_kv(plugin_desc(pl), kv, n, err,
	    sizeof(err))) == NULL) {
		char msg[sizeof(err) + sizeof(field) + 8];

		const char *colon = strchr(err, ':');

		/* "param NAME: why": the member at fault is NAME, a grid
		 * axis or a parameter. */
		snprintf(field, sizeof(field), "params");
		if (strncmp(err, "param ", 6) == 0 && colon != NULL &&
		    colon - err - 6 < 80) {
			char name[80];

			snprintf(name, sizeof(name), "%.*s",
				(int)(colon - err - 6), err + 6);
			snprintf(field, sizeof(field), "%s.%s",
				cJSON_GetObjectItemCaseSensitive(grid, name) ?
				"grid" : "params", name);
		}
		snprintf(msg, sizeof(msg), "%s: %s", field, err);
		return ctl_error_field("bad_request", msg, field);
	}
	params_free(qp);
	if (cash != NULL) {
		if (!cJSON_IsNumber(cash) || !(cash->valuedouble > 0) ||
		    cash->valuedouble > 1e15)
			return ctl_error_field("bad_request", "cash: expected a "
				"positive number", "cash");
		cJSON_AddNumberToObject(out, "cash", cash->valuedouble);
	}
	if (fee != NULL) {
		if (!cJSON_IsNumber(fee) || !(fee->valuedouble >= 0) ||
		    fee->valuedouble > 0.5)
			return ctl_error_field("bad_request", "fee_rate: expected "
				"a number from 0 to 0.5", "fee_rate");
		cJSON_AddNumberToObject(out, "fee_rate", fee->valuedouble);
	}
	return NULL;
}

/* Members a request of `kind` may have, NULL-terminated. */
static char *
check_members(const cJSON *req, const char *const *allowed)
{
	char msg[160];

	for (const cJSON *m = req->child; m != NULL; m = m->next) {
		size_t i;

		for (i = 0; allowed[i] && strcmp(allowed[i], m->string); i++)
			;
		if (allowed[i] == NULL) {
			snprintf(msg, sizeof(msg), "%.64s: unknown member",
				m->string);
			return ctl_error_field("bad_request", msg, m->string);
		}
	}
	return NULL;
}

/* The grid {"NAME":{"min","max","step"}} into out. */
static char *
check_grid(const cJSON *req, cJSON *out, const cJSON **grid)
{
	const cJSON *g = cJSON_GetObjectItemCaseSensitive(req, "grid"), *x;
	double pts = 1;
	cJSON *go;
	int n = 0;

	*grid = g;
	if (!cJSON_IsObject(g) || g->child == NULL)
		return ctl_error_field("bad_request", "grid: expected an object "
			"{\"NAME\":{\"min\":LO,\"max\":HI,\"step\":S},...}",
			"grid");
	go = cJSON_AddObjectToObject(out, "grid");
	cJSON_ArrayForEach(x, g) {
		const cJSON *lo = cJSON_GetObjectItemCaseSensitive(x, "min");
		const cJSON *hi = cJSON_GetObjectItemCaseSensitive(x, "max");
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(x, "step");
		char field[96];
		cJSON *a;

		snprintf(field, sizeof(field), "grid.%.80s", x->string);
		if (++n > MAX_GRID || !key_ok(x->string) || !cJSON_IsNumber(lo) ||
		    !cJSON_IsNumber(hi) || !cJSON_IsNumber(st) ||
		    !isfinite(lo->valuedouble) || !isfinite(hi->valuedouble) ||
		    !(st->valuedouble > 0) || hi->valuedouble < lo->valuedouble)
			return ctl_error_field("bad_request", "grid: each axis is "
				"{\"min\",\"max\",\"step\"} with min <= max and "
				"step > 0 (at most 8 axes)", field);
		pts *= axis_points(x);
		a = cJSON_AddObjectToObject(go, x->string);
		cJSON_AddNumberToObject(a, "min", lo->valuedouble);
		cJSON_AddNumberToObject(a, "max", hi->valuedouble);
		cJSON_AddNumberToObject(a, "step", st->valuedouble);
	}
	if (pts > MAX_POINTS)
		return ctl_error_field("bad_request", "grid: more than 100000 "
			"points", "grid");
	return NULL;
}

/* A Chan analysis: the installed chan strategy plugin and its min_gap
 * (checked against the plugin's spec; default 4) into `out`. */
static char *
check_chan(struct jobs *js, const cJSON *req, cJSON *out)
{
	const cJSON *gap = cJSON_GetObjectItemCaseSensitive(req, "min_gap");
	const struct plugin *pl = plugin_find(js->reg, "chan");
	char val[32], err[512];
	struct qd_kv kv = { "min_gap", val };
	qd_params *qp;

	if (pl == NULL || plugin_desc(pl)->kind != QD_KIND_STRATEGY)
		return ctl_error_field("unavailable", "no strategy plugin named "
			"'chan' is installed on this daemon", NULL);
	if (gap != NULL && (!cJSON_IsNumber(gap) ||
	    gap->valuedouble != floor(gap->valuedouble) ||
	    fabs(gap->valuedouble) > 1e9))
		return ctl_error_field("bad_request", "min_gap: expected an "
			"integer", "min_gap");
	snprintf(val, sizeof(val), "%lld", gap ? (long long)gap->valuedouble :
		4LL);
	if ((qp = params_from_kv(plugin_desc(pl), &kv, 1, err,
	    sizeof(err))) == NULL)   /* "param min_gap: ..." */
		return ctl_error_field("bad_request", err, "min_gap");
	params_free(qp);
	cJSON_AddNumberToObject(out, "min_gap", strtod(val, NULL));
	return NULL;
}

static int
can_see(const struct job *jb, const char *user, int admin)
{
	return user == NULL || admin || strcmp(jb->user, user) == 0;
}

/* The validated request of `kind` in *out (a new object), or an error
 * reply. */
static char *
check_request(struct jobs *js, const char *kind, const cJSON *req,
	const char *user, int admin, cJSON *out)
{
	static const char *const bt[] = { "cmd", "kind", "user", "admin", "plan",
		"strategy", "params", "data", "cash", "fee_rate", "equity_every",
		NULL };
	static const char *const opt[] = { "cmd", "kind", "user", "admin", "plan",
		"strategy", "params", "data", "cash", "fee_rate", "grid",
		"objective", "walk_forward", NULL };
	static const char *const mc[] = { "cmd", "kind", "user", "admin", "plan",
		"backtest", "runs", "seed", NULL };
	static const char *const ch[] = { "cmd", "kind", "user", "admin", "plan",
		"data", "min_gap", NULL };
	const cJSON *grid = NULL;
	char *e;

	if (strcmp(kind, "backtest") == 0) {
		const cJSON *ev = cJSON_GetObjectItemCaseSensitive(req,
			"equity_every");

		if ((e = check_members(req, bt)) != NULL ||
		    (e = check_strategy(js, req, NULL, out)) != NULL ||
		    (e = check_data(req, out)) != NULL)
			return e;
		/* The result's equity curve: one sample per timeframe (the
		 * last of it) or every one ("bar"); a day when not given. */
		if (ev != NULL && (!cJSON_IsString(ev) ||
		    (strcmp(ev->valuestring, "bar") != 0 &&
		    store_timeframe_ms(ev->valuestring) <= 0)))
			return ctl_error_field("bad_request", "equity_every: "
				"expected bar, 1m 3m 5m 15m 30m 1h 2h 4h 6h 12h "
				"1d or 1w", "equity_every");
		if (ev != NULL)
			cJSON_AddStringToObject(out, "equity_every",
				ev->valuestring);
	} else if (strcmp(kind, "optimize") == 0) {
		const cJSON *ob = cJSON_GetObjectItemCaseSensitive(req,
			"objective");
		const cJSON *wf = cJSON_GetObjectItemCaseSensitive(req,
			"walk_forward");

		if ((e = check_members(req, opt)) != NULL ||
		    (e = check_grid(req, out, &grid)) != NULL ||
		    (e = check_strategy(js, req, grid, out)) != NULL ||
		    (e = check_data(req, out)) != NULL)
			return e;
		if (ob != NULL && (!cJSON_IsString(ob) ||
		    (strcmp(ob->valuestring, "sharpe") &&
		    strcmp(ob->valuestring, "total_return") &&
		    strcmp(ob->valuestring, "calmar"))))
			return ctl_error_field("bad_request", "objective: expected "
				"sharpe, total_return or calmar", "objective");
		cJSON_AddStringToObject(out, "objective", ob ? ob->valuestring :
			"sharpe");
		if (wf != NULL) {
			double tr = num_of(wf, "train"), te = num_of(wf, "test");
			double sp = cJSON_GetObjectItemCaseSensitive(wf, "step") ?
				num_of(wf, "step") : te;
			cJSON *w;

			if (!cJSON_IsObject(wf) || tr < 2 || te < 2 || sp < 1 ||
			    tr > 1e8 || te > 1e8 || sp > 1e8 ||
			    tr != floor(tr) || te != floor(te) ||
			    sp != floor(sp))
				return ctl_error_field("bad_request", "walk_forward: "
					"expected {\"train\":N,\"test\":M"
					"[,\"step\":K]} in bars (N, M >= 2)",
					"walk_forward");
			w = cJSON_AddObjectToObject(out, "walk_forward");
			cJSON_AddNumberToObject(w, "train", tr);
			cJSON_AddNumberToObject(w, "test", te);
			cJSON_AddNumberToObject(w, "step", sp);
		}
	} else if (strcmp(kind, "chan") == 0) {
		if ((e = check_members(req, ch)) != NULL ||
		    (e = check_chan(js, req, out)) != NULL ||
		    (e = check_data(req, out)) != NULL)
			return e;
	} else if (strcmp(kind, "montecarlo") == 0) {
		const cJSON *b = cJSON_GetObjectItemCaseSensitive(req,
			"backtest");
		const cJSON *runs = cJSON_GetObjectItemCaseSensitive(req, "runs");
		const cJSON *seed = cJSON_GetObjectItemCaseSensitive(req, "seed");
		const struct job *src;

		if ((e = check_members(req, mc)) != NULL)
			return e;
		if (!cJSON_IsNumber(b) || b->valuedouble < 1 ||
		    b->valuedouble != floor(b->valuedouble) ||
		    (src = job_find(js, (uint64_t)b->valuedouble)) == NULL ||
		    !can_see(src, user, admin) ||
		    strcmp(src->kind, "backtest") != 0)
			return ctl_error_field("bad_request", "backtest: expected "
				"the id of one of your backtests", "backtest");
		if (src->state != JOB_DONE)
			return ctl_error_field("bad_request", "backtest: that "
				"backtest has not finished", "backtest");
		if (runs != NULL && (!cJSON_IsNumber(runs) ||
		    runs->valuedouble < 1 || runs->valuedouble > 1000000 ||
		    runs->valuedouble != floor(runs->valuedouble)))
			return ctl_error_field("bad_request", "runs: expected 1 to "
				"1000000", "runs");
		if (seed != NULL && (!cJSON_IsNumber(seed) ||
		    seed->valuedouble < 0 || seed->valuedouble > 9e15 ||
		    seed->valuedouble != floor(seed->valuedouble)))
			return ctl_error_field("bad_request", "seed: expected a "
				"non-negative integer", "seed");
		cJSON_AddNumberToObject(out, "backtest", b->valuedouble);
		cJSON_AddNumberToObject(out, "runs", runs ? runs->valuedouble :
			10000);
		cJSON_AddNumberToObject(out, "seed", seed ? seed->valuedouble :
			1);
	} else {
		return ctl_error_field("bad_request", "kind: expected backtest, "
			"optimize, montecarlo or chan", "kind");
	}
	return NULL;
}

char *
jobs_check(struct jobs *js, const char *kind, const cJSON *req,
	const char *user, int admin, char **normalized)
{
	cJSON *out = cJSON_CreateObject();
	char *e;

	*normalized = NULL;
	if (out == NULL)
		return ctl_error_field("unavailable", "out of memory", NULL);
	if ((e = check_request(js, kind, req, user, admin, out)) == NULL &&
	    (*normalized = cJSON_PrintUnformatted(out)) == NULL)
		e = ctl_error_field("unavailable", "out of memory", NULL);
	cJSON_Delete(out);
	return e;
}

static char *
handle_submit(struct jobs *js, const char *family, const cJSON *req,
	const char *user, int admin)
{
	const cJSON *k = cJSON_GetObjectItemCaseSensitive(req, "kind");
	const cJSON *plan = cJSON_GetObjectItemCaseSensitive(req, "plan");
	const char *kind;
	char *e, *text, msg[200];
	struct job *jb;
	size_t mine = 0, cap;

	if (family != NULL)
		kind = strcmp(family, "optimization") == 0 ? "optimize" :
			family;
	else
		kind = cJSON_IsString(k) ? k->valuestring : "";
	if ((e = jobs_check(js, kind, req, user, admin, &text)) != NULL)
		return e;
	if (strcmp(kind, "optimize") == 0) {
		cJSON *n = cJSON_Parse(text);

		if (cJSON_GetObjectItemCaseSensitive(n, "walk_forward"))
			kind = "walkforward";
		cJSON_Delete(n);
	}
	for (size_t i = 0; i < js->n; i++)
		if ((js->v[i]->state == JOB_QUEUED ||
		    js->v[i]->state == JOB_RUNNING) &&
		    strcmp(js->v[i]->user, user ? user : "admin") == 0)
			mine++;
	cap = js->max_queued;
	for (size_t i = 0; cJSON_IsString(plan) && i < js->n_plans; i++)
		if (strcmp(js->plan_names[i], plan->valuestring) == 0)
			cap = js->plan_max[i];
	if (!admin && cap > 0 && mine >= cap) {
		free(text);
		snprintf(msg, sizeof(msg), "you have %zu jobs queued or "
			"running, the most your plan allows "
			"(jobs.max_queued_per_user); wait for one to finish or "
			"cancel one", mine);
		return ctl_error_field("limit", msg, NULL);
	}
	if ((jb = job_add(js, js->next_id, user ? user : "admin", kind,
	    text)) == NULL) {
		free(text);
		return ctl_error_field("unavailable", "out of memory", NULL);
	}
	free(text);
	jb->state = JOB_QUEUED;
	jb->created_ms = now_ms();
	log_info("jobs", "job %" PRIu64 " (%s) queued for %s", jb->id, kind,
		jb->user);
	keep(js, jb);
	tell(js, jb);
	dispatch(js);
	return reply_job(jb);
}

/* The job a request names (by "id", as a number or a path's string),
 * visible to its user and of the family; NULL with *reply. */
static struct job *
named_job(struct jobs *js, const char *family, const cJSON *req,
	const char *user, int admin, char **reply)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(req, "id");
	struct job *jb = NULL;
	uint64_t n = 0;

	if (cJSON_IsNumber(id) && id->valuedouble >= 1 &&
	    id->valuedouble == floor(id->valuedouble))
		n = (uint64_t)id->valuedouble;
	else if (cJSON_IsString(id)) {
		char *end;

		errno = 0;
		n = strtoull(id->valuestring, &end, 10);
		if (errno || *end || end == id->valuestring)
			n = 0;
	}
	if (n == 0) {
		*reply = ctl_error_field("bad_request", "id: expected a job id",
			"id");
		return NULL;
	}
	jb = job_find(js, n);
	if (jb == NULL || !can_see(jb, user, admin) ||
	    !in_family(family, jb->kind)) {
		*reply = ctl_error_field("not_found", "no such job", NULL);
		return NULL;
	}
	return jb;
}

/* The files a finished job serves: the verb naming each, its name in
 * the job's directory and its content type. */
static const struct job_file {
	const char *verb, *name, *ctype;
} job_files[] = {
	{ "result", "result.json", "application/json" },
	{ "report", "report.html", "text/html" },
	{ "trades", "trades.csv", "text/csv" },
};

static const struct job_file *
job_file_of(const char *verb)
{
	for (size_t i = 0; i < sizeof(job_files) / sizeof(job_files[0]); i++)
		if (strcmp(verb, job_files[i].verb) == 0)
			return &job_files[i];
	return NULL;
}

/* What a command asks: its verb, family and caller. */
struct job_ask {
	char verb[16];
	const char *family;        /* NULL: every kind */
	const char *user;          /* NULL: the control socket's, an admin */
	int admin;
};

/* Read "job.VERB[.FAMILY]" and the caller of `req`: NULL, or the error
 * reply (malloc'd) for an unknown family. */
static char *
job_ask_of(const char *cmd, const cJSON *req, struct job_ask *a)
{
	const cJSON *u = cJSON_GetObjectItemCaseSensitive(req, "user");
	const cJSON *ad = cJSON_GetObjectItemCaseSensitive(req, "admin");
	const char *verb = cmd + 4, *dot = strchr(verb, '.');

	a->user = cJSON_IsString(u) ? u->valuestring : NULL;
	a->admin = a->user == NULL || cJSON_IsTrue(ad);
	a->family = dot ? dot + 1 : NULL;
	snprintf(a->verb, sizeof(a->verb), "%.*s", (int)(dot ?
		(size_t)(dot - verb) : strlen(verb)), verb);
	if (a->family != NULL && strcmp(a->family, "backtest") &&
	    strcmp(a->family, "optimization") &&
	    strcmp(a->family, "montecarlo") && strcmp(a->family, "chan"))
		return ctl_error_field("unknown_command", "unknown cmd", NULL);
	return NULL;
}

/* The path of file `f` of the job a request names (malloc'd), or NULL
 * with *reply: no such job, not finished, out of memory. */
static char *
job_file_path(struct jobs *js, const struct job_ask *a, const cJSON *req,
	const struct job_file *f, char **reply)
{
	char dir[PATH_MAX], *path;
	struct job *jb;

	if ((jb = named_job(js, a->family, req, a->user, a->admin,
	    reply)) == NULL)
		return NULL;
	if (jb->state != JOB_DONE) {
		*reply = ctl_error_field("state", jb->state == JOB_FAILED ?
			"the job failed: it has no result (its error says why)" :
			"the job has not finished", NULL);
		return NULL;
	}
	job_dir(js, jb->id, dir, sizeof(dir));
	if ((path = malloc(strlen(dir) + strlen(f->name) + 2)) == NULL) {
		*reply = ctl_error_field("internal", "out of memory", NULL);
		return NULL;
	}
	sprintf(path, "%s/%s", dir, f->name);
	return path;
}

int
jobs_cmd_is_file(const char *cmd)
{
	return strncmp(cmd, "job.result", 10) == 0 ||
		strncmp(cmd, "job.report", 10) == 0 ||
		strncmp(cmd, "job.trades", 10) == 0;
}

void
jobs_read(struct jobs *js, const char *cmd, const cJSON *req,
	jobs_file_fn fn, void *arg)
{
	const struct job_file *f;
	struct keep_row *r;
	struct job_ask a;
	char *reply = NULL;

	if (js == NULL) {
		fn(arg, -1, 0, NULL, ctl_error_field("unavailable", "jobs "
			"are not running on this daemon", NULL));
		return;
	}
	if ((reply = job_ask_of(cmd, req, &a)) != NULL) {
		fn(arg, -1, 0, NULL, reply);
		return;
	}
	if ((f = job_file_of(a.verb)) == NULL) {
		fn(arg, -1, 0, NULL, ctl_error_field("unknown_command",
			"unknown cmd", NULL));
		return;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		fn(arg, -1, 0, NULL, ctl_error_field("internal",
			"out of memory", NULL));
		return;
	}
	if ((r->path = job_file_path(js, &a, req, f, &reply)) == NULL) {
		free(r);
		fn(arg, -1, 0, NULL, reply);
		return;
	}
	r->ctype = f->ctype;
	r->fn = fn;
	r->fn_arg = arg;
	/* behind the deletions queued so far, ahead of any to come: a
	 * job found here keeps its files until they are read */
	keep_queue(js, r);
}

/* A file opened by the keeper (jobs_read()) for a control-socket
 * client: streamed as the body of {"ok":true,"content_type":T,"body":..},
 * or the error. */
static void
send_ctl_file(void *arg, int fd, size_t len, const char *ctype,
	char *error)
{
	char head[128];

	if (fd < 0) {
		ctl_later_reply(arg, error);
		return;
	}
	snprintf(head, sizeof(head), "{\"ok\":true,\"content_type\":\"%s\","
		"\"body\":\"", ctype);
	ctl_later_file(arg, head, fd, len, "\"}");
}

char *
jobs_ctl_file(struct jobs *js, const char *cmd, const cJSON *req,
	struct ctl_conn *conn)
{
	struct ctl_later *l;

	if (conn == NULL)
		return ctl_error_field("internal", "a job's files go to the "
			"control socket or the API", NULL);
	if ((l = ctl_defer(conn)) == NULL)
		return ctl_error_field("unavailable", "too many replies in "
			"flight; retry", NULL);
	jobs_read(js, cmd, req, send_ctl_file, l);
	return NULL;
}

char *
jobs_request(struct jobs *js, const char *cmd, const cJSON *req)
{
	struct job_ask a;
	char *reply = NULL;
	struct job *jb;

	if (js == NULL)
		return ctl_error_field("unavailable", "jobs are not running on "
			"this daemon", NULL);
	if ((reply = job_ask_of(cmd, req, &a)) != NULL)
		return reply;
	if (strcmp(a.verb, "submit") == 0)
		return handle_submit(js, a.family, req, a.user, a.admin);
	if (strcmp(a.verb, "list") == 0) {
		cJSON *o = cJSON_CreateObject(), *arr;

		cJSON_AddBoolToObject(o, "ok", 1);
		arr = cJSON_AddArrayToObject(o, "jobs");
		for (size_t i = 0; i < js->n; i++)
			if (can_see(js->v[i], a.user, a.admin) &&
			    in_family(a.family, js->v[i]->kind))
				cJSON_AddItemToArray(arr, job_json(js->v[i]));
		reply = cJSON_PrintUnformatted(o);
		cJSON_Delete(o);
		return reply;
	}
	if (job_file_of(a.verb) != NULL)
		return jobs_ctl_file(js, cmd, req, NULL);
	if (strcmp(a.verb, "get") && strcmp(a.verb, "cancel"))
		return ctl_error_field("unknown_command", "unknown cmd", NULL);
	if ((jb = named_job(js, a.family, req, a.user, a.admin,
	    &reply)) == NULL)
		return reply;
	if (strcmp(a.verb, "get") == 0)
		return reply_job(jb);
	/* cancel */
	if (jb->state == JOB_QUEUED) {
		jb->state = JOB_CANCELED;
		jb->finished_ms = now_ms();
		keep(js, jb);
		tell(js, jb);
	} else if (jb->state == JOB_RUNNING) {
		jb->canceled = 1;
		job_stop(jb);
	} else {
		return ctl_error_field("state", "the job has already ended", NULL);
	}
	log_info("jobs", "job %" PRIu64 " canceled%s%s", jb->id,
		a.user ? " by " : "", a.user ? a.user : "");
	return reply_job(jb);
}

void
jobs_watch(struct jobs *js, void (*fn)(void *, const char *, const cJSON *),
	void *arg)
{
	if (js == NULL)
		return;
	js->watch = fn;
	js->watch_arg = arg;
}

/* ---- start and stop ------------------------------------------------------- */

/* A kept job, at start: running ones failed, the rest as they were. */
static int
load_row(void *arg, const struct store_job *r)
{
	struct jobs *js = arg;
	struct job *jb = job_add(js, r->id, r->user_id, r->kind, r->request);

	if (jb == NULL)
		return -1;
	for (int s = 0; s < 5; s++)
		if (strcmp(r->state, state_names[s]) == 0)
			jb->state = (enum job_state)s;
	jb->progress = r->progress;
	jb->error = r->error[0] ? strdup(r->error) : NULL;
	jb->created_ms = r->created_ms;
	jb->started_ms = r->started_ms;
	jb->finished_ms = r->finished_ms;
	jb->cpu_ms = r->cpu_ms;
	return 0;
}

/* quantctl in the directory of this program. */
static char *
default_quantctl(void)
{
	char self[PATH_MAX], *slash, *out;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0)
		return strdup("quantctl");
	self[n] = '\0';
	if ((slash = strrchr(self, '/')) == NULL)
		return strdup("quantctl");
	*slash = '\0';
	if ((out = malloc(strlen(self) + 16)) != NULL)
		sprintf(out, "%s/quantctl", self);
	return out;
}

struct jobs *
jobs_start(struct loop *l, const struct jobs_config *c, char *err,
	size_t errlen)
{
	struct jobs *js = calloc(1, sizeof(*js));
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	size_t failed = 0, queued = 0;

	if (js == NULL) {
		snprintf(err, errlen, "jobs: out of memory");
		return NULL;
	}
	js->loop = l;
	js->next_id = 1;
	js->reg = c->reg;
	js->sandboxed = c->sandboxed;
	js->sandboxed_arg = c->sandboxed_arg;
	js->workers = c->workers ? c->workers : ncpu > 0 ? (unsigned)ncpu : 1;
	js->timeout_s = c->timeout_s ? c->timeout_s : 3600;
	js->max_queued = c->max_queued;
	js->retention_ms = (int64_t)c->retention_s * 1000;
	js->retention_max = c->retention_max;
	if (c->n_plans > 0 &&
	    ((js->plan_names = calloc(c->n_plans, sizeof(char *))) == NULL ||
	    (js->plan_max = calloc(c->n_plans, sizeof(size_t))) == NULL)) {
		snprintf(err, errlen, "jobs: out of memory");
		goto fail;
	}
	for (; js->n_plans < c->n_plans; js->n_plans++) {
		js->plan_max[js->n_plans] = c->plan_max[js->n_plans];
		if ((js->plan_names[js->n_plans] =
		    strdup(c->plan_names[js->n_plans])) == NULL) {
			snprintf(err, errlen, "jobs: out of memory");
			goto fail;
		}
	}
	pthread_mutex_init(&js->mu, NULL);
	pthread_cond_init(&js->cv, NULL);
	js->quantctl = c->quantctl ? strdup(c->quantctl) : default_quantctl();
	js->config_path = c->config_path ? realpath(c->config_path, NULL) :
		NULL;
	if ((js->dir = malloc(strlen(c->state_dir) + 8)) != NULL)
		sprintf(js->dir, "%s/jobs", c->state_dir);
	if (js->quantctl == NULL || js->dir == NULL ||
	    (c->config_path != NULL && js->config_path == NULL)) {
		snprintf(err, errlen, "jobs: %s", c->config_path &&
			js->config_path == NULL ? "the configuration file's "
			"path cannot be resolved" : "out of memory");
		goto fail;
	}
	if (access(js->quantctl, X_OK) != 0)
		log_warn("jobs", "%s cannot be run (%s): backtests and "
			"optimisations will fail (set jobs.quantctl)",
			js->quantctl, strerror(errno));
	if (c->store_url != NULL) {
		if (store_open(c->store_url, STORE_ROLE_WRITER, &js->store, err,
		    errlen) != QD_OK)
			goto fail;
		if (store_jobs(js->store, load_row, js) != QD_OK) {
			snprintf(err, errlen, "jobs: %s",
				store_error(js->store));
			goto fail;
		}
	} else {
		log_warn("jobs", "no store: jobs live in memory only");
	}
	for (size_t i = 0; i < js->n; i++) {
		struct job *jb = js->v[i];

		if (jb->state == JOB_RUNNING) {
			jb->state = JOB_FAILED;
			jb->finished_ms = now_ms();
			job_set_error(jb, "the daemon stopped while the job ran");
			keep(js, jb);
			failed++;
		} else if (jb->state == JOB_QUEUED) {
			queued++;
		}
	}
	/* without a store too: it deletes the files of expired jobs */
	if (pthread_create(&js->thread, NULL, keeper_main, js) != 0) {
		snprintf(err, errlen, "jobs: cannot start a thread");
		goto fail;
	}
	js->thread_on = 1;
	if (failed || queued)
		log_info("jobs", "%zu job(s) the daemon left running failed, "
			"%zu queued job(s) run again", failed, queued);
	js->kick = loop_timer_add(l, 0, 0, on_kick, js);
	if (js->retention_ms || js->retention_max) {
		/* often enough that a job goes within a quarter of its
		 * retention, at most once a minute */
		int64_t every = js->retention_ms * 250000;

		if (every <= 0 || every > SWEEP_MAX_NS)
			every = SWEEP_MAX_NS;
		if (every < 1000000000LL)
			every = 1000000000LL;
		sweep(js);
		js->sweeper = loop_timer_add(l, every, every, on_sweep, js);
	}
	log_info("jobs", "%u worker(s), %s, at most %u s a job", js->workers,
		js->quantctl, js->timeout_s);
	return js;
fail:
	jobs_stop(js);
	return NULL;
}

void
jobs_stop(struct jobs *js)
{
	struct keep_row *r;

	if (js == NULL)
		return;
	loop_timer_cancel(js->kick);
	loop_timer_cancel(js->sweeper);
	for (size_t i = 0; i < js->n; i++) {
		struct job *jb = js->v[i];

		if (jb->pid > 0) {
			int status;

			kill(-jb->pid, SIGKILL);
			while (waitpid(jb->pid, &status, 0) < 0 &&
			    errno == EINTR)
				;
			jb->state = JOB_FAILED;
			jb->finished_ms = now_ms();
			job_set_error(jb, "the daemon stopped while the job "
				"ran");
			keep(js, jb);
		}
		if (jb->bev)
			bufferevent_free(jb->bev);
		loop_timer_cancel(jb->deadline);
		loop_timer_cancel(jb->kill_timer);
		loop_timer_cancel(jb->reap_timer);
		if (jb->out_fd >= 0)
			close(jb->out_fd);
	}
	if (js->thread_on) {
		pthread_mutex_lock(&js->mu);
		js->stopping = 1;
		pthread_cond_signal(&js->cv);
		pthread_mutex_unlock(&js->mu);
		pthread_join(js->thread, NULL);
	}
	while ((r = js->head) != NULL) {
		/* rows kept before the thread ran (start-up failures) */
		js->head = r->next;
		keeper_do(js, r);
		keep_row_free(r);
	}
	for (size_t i = 0; i < js->n; i++) {
		free(js->v[i]->user);
		free(js->v[i]->request);
		free(js->v[i]->error);
		free(js->v[i]->err_text);
		free(js->v[i]);
	}
	free(js->v);
	store_close(js->store);
	pthread_mutex_destroy(&js->mu);
	pthread_cond_destroy(&js->cv);
	for (size_t i = 0; i < js->n_plans; i++)
		free(js->plan_names[i]);
	free(js->plan_names);
	free(js->plan_max);
	free(js->quantctl);
	free(js->config_path);
	free(js->dir);
	free(js);
}
