/*
 * test_jobs.c -- the daemon's job runner (core/daemon/jobs.h) against
 * tests/fakes/fake_quantctl.sh as its program: the FIFO queue and its
 * workers, cancel of a queued and a running job, failures with quantctl's
 * words, a crash, the time limit, refusals naming the field, users' jobs
 * kept apart, the per-user queue, and a restart after a crash (kept jobs).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "ctl/ctl.h"
#include "daemon/jobs.h"
#include "log/log.h"
#include "loop/loop.h"
#include "plugin/plugin.h"
#include "store/store.h"
#include "util/deadline.h"

static struct plugin_registry *reg;
static struct loop *lp;
static char dir[256];

static int
setup(void **st)
{
	char path[4096];

	(void)st;
	log_open("/dev/null", QD_LOG_ERROR);
	reg = plugin_registry_new();
	snprintf(path, sizeof(path), "%s/plugins/ta/.libs/ta.so",
		QD_TEST_BUILDDIR);
	if (plugin_load_file(reg, path) < 1)
		return -1;
	snprintf(path, sizeof(path), "%s/strategies/ma-cross/.libs/ma-cross.so",
		QD_TEST_BUILDDIR);
	if (plugin_load_file(reg, path) < 1)
		return -1;
	plugin_resolve(reg);
	snprintf(dir, sizeof(dir), "/tmp/qd-test-jobs-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	lp = loop_new(256, 64);
	return lp ? 0 : -1;
}

static int
teardown(void **st)
{
	char cmd[300];

	(void)st;
	loop_free(lp);
	plugin_registry_free(reg);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return -1;
	log_close();
	return 0;
}

/* The host's decision, as the test sets it. */
static int sandbox_all;

static int
decide_sandbox(void *arg, const struct plugin *p)
{
	(void)arg;
	(void)p;
	return sandbox_all;
}

/* The free plan queues one job at a time. */
static const char *const free_plan[] = { "free" };
static const size_t free_max[] = { 1 };

/* Finished jobs the next runner keeps (0: every one). */
static size_t keep_at_most;

/* A runner over the fake, in a state directory of its own. */
static struct jobs *
runner(const char *tag, unsigned workers, unsigned timeout_s,
	size_t max_queued, const char *store_url)
{
	static char quantctl[4096], state[512];
	struct jobs_config c;
	char err[256];
	struct jobs *j;

	snprintf(quantctl, sizeof(quantctl), "%s/tests/fakes/fake_quantctl.sh",
		QD_TEST_SRCDIR);
	snprintf(state, sizeof(state), "%s/%s", dir, tag);
	assert_int_equal(mkdir(state, 0700), 0);
	memset(&c, 0, sizeof(c));
	c.quantctl = quantctl;
	c.state_dir = state;
	c.store_url = store_url;
	c.workers = workers;
	c.timeout_s = timeout_s;
	c.max_queued = max_queued;
	c.retention_max = keep_at_most;
	c.reg = reg;
	c.plan_names = free_plan;
	c.plan_max = free_max;
	c.n_plans = 1;
	c.sandboxed = decide_sandbox;
	j = jobs_start(lp, &c, err, sizeof(err));
	if (j == NULL)
		fail_msg("jobs_start: %s", err);
	return j;
}

/* Send a request (JSON text, printf-style); the parsed reply. */
static cJSON *
ask(struct jobs *j, const char *fmt, ...)
{
	char text[2048], *reply;
	va_list ap;
	cJSON *req, *out;
	const cJSON *cmd;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	req = cJSON_Parse(text);
	assert_non_null(req);
	cmd = cJSON_GetObjectItemCaseSensitive(req, "cmd");
	reply = jobs_request(j, cmd->valuestring, req);
	cJSON_Delete(req);
	out = cJSON_Parse(reply);
	assert_non_null(out);
	free(reply);
	return out;
}

/* Submit a backtest for `user` with strategy parameter fast=F. */
static long
submit(struct jobs *j, const char *user, int fast)
{
	cJSON *r = ask(j, "{\"cmd\":\"job.submit.backtest\",\"user\":\"%s\","
		"\"strategy\":\"ma-cross\",\"params\":{\"fast\":%d},"
		"\"data\":{\"exchange\":\"sim\",\"symbol\":\"BTC/USDT\","
		"\"timeframe\":\"1m\",\"from\":1000,\"to\":2000}}", user, fast);
	const cJSON *job = cJSON_GetObjectItemCaseSensitive(r, "job");
	long id;

	if (job == NULL)
		fail_msg("submit: %s", cJSON_PrintUnformatted(r));
	id = (long)cJSON_GetObjectItemCaseSensitive(job, "id")->valuedouble;
	cJSON_Delete(r);
	return id;
}

/* Job `id`'s member `key` as text ("" when absent), as the admin sees. */
static char got[1024];
static const char *
field(struct jobs *j, long id, const char *key)
{
	cJSON *r = ask(j, "{\"cmd\":\"job.get\",\"id\":%ld}", id);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(r, "job"), key);

	if (cJSON_IsString(v))
		snprintf(got, sizeof(got), "%s", v->valuestring);
	else if (cJSON_IsNumber(v))
		snprintf(got, sizeof(got), "%g", v->valuedouble);
	else
		got[0] = '\0';
	cJSON_Delete(r);
	return got;
}

struct until {
	struct jobs *j;
	long id;
	const char *state;
};

static void
check_state(void *arg)
{
	struct until *u = arg;

	if (strcmp(field(u->j, u->id, "state"), u->state) == 0)
		loop_stop(lp);
}

static void
give_up(void *arg)
{
	(void)arg;
	loop_stop(lp);
}

/* Run the loop until job `id` is in `state` (or 10 s passed). */
static void
run_until(struct jobs *j, long id, const char *state)
{
	struct until u = { j, id, state };
	struct loop_timer *t = loop_timer_add(lp, 5000000, 5000000,
		check_state, &u);
	struct loop_timer *g = loop_timer_add(lp, 10000000000LL, 0, give_up,
		NULL);

	loop_run(lp);
	loop_timer_cancel(t);
	loop_timer_cancel(g);
	if (strcmp(field(j, id, "state"), state) != 0)
		fail_msg("job %ld: state %s, expected %s", id, got, state);
}

/* The arguments of job `id` run under the runner of state `tag`. */
static void
read_args(const char *tag, long id, char *buf, size_t cap)
{
	char path[600];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s/jobs/%ld/args.txt", dir, tag, id);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(buf, 1, cap - 1, f);
	fclose(f);
	buf[n] = '\0';
}

/* What jobs_read() handed back, and from which thread. */
static struct got_file {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int n;
	char *body, *error, ctype[32];
	size_t len;
	pthread_t from;
} gf = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, NULL, NULL,
	"", 0, 0 };

/* The file is read whole here, once opened, whatever is deleted after. */
static void
on_file(void *arg, int fd, size_t len, const char *ctype, char *error)
{
	char *body = NULL;

	(void)arg;
	if (fd >= 0) {
		body = malloc(len + 1);
		assert_non_null(body);
		assert_int_equal(pread(fd, body, len + 1, 0), (ssize_t)len);
		close(fd);
	}
	pthread_mutex_lock(&gf.mu);
	gf.n++;
	free(gf.body);
	free(gf.error);
	gf.body = body;
	gf.len = len;
	gf.error = error;
	snprintf(gf.ctype, sizeof(gf.ctype), "%s", ctype ? ctype : "");
	gf.from = pthread_self();
	pthread_cond_broadcast(&gf.cv);
	pthread_mutex_unlock(&gf.mu);
}

/* Ask for file command `cmd` of job `id`; the answers counted so far. */
static int
ask_file(struct jobs *j, const char *cmd, long id)
{
	char text[128];
	cJSON *req;
	int n;

	snprintf(text, sizeof(text), "{\"cmd\":\"%s\",\"id\":%ld}", cmd, id);
	req = cJSON_Parse(text);
	pthread_mutex_lock(&gf.mu);
	n = gf.n;
	pthread_mutex_unlock(&gf.mu);
	jobs_read(j, cmd, req, on_file, NULL);
	cJSON_Delete(req);
	return n;
}

/* Wait (10 s at most) for the answer after the n-th: 1 when it came. */
static int
file_answered(int n)
{
	struct timespec until = deadline_in(10000);
	int ok;

	pthread_mutex_lock(&gf.mu);
	while (gf.n == n && pthread_cond_timedwait(&gf.cv, &gf.mu,
	    &until) == 0)
		;
	ok = gf.n == n + 1;
	pthread_mutex_unlock(&gf.mu);
	return ok;
}

/* ask_file() and wait for its answer. */
static int
read_file(struct jobs *j, const char *cmd, long id)
{
	return file_answered(ask_file(j, cmd, id));
}

/* One worker: jobs run one at a time in submission order; a queued job
 * canceled never runs, a running one canceled stops; a done job has its
 * result and progress 1, and quantctl got the request as arguments. */
static void
fifo_one_worker_and_cancel(void **st)
{
	static const char want[] =
		"{\"metrics\":{\"final_equity\":10001},\"trades\":[]}\n";
	struct jobs *j = runner("fifo", 1, 60, 0, NULL);
	long a, b, c, d;
	char args[4096];
	cJSON *r;

	(void)st;
	a = submit(j, "alice", 2);     /* runs until canceled */
	b = submit(j, "alice", 1);
	c = submit(j, "alice", 1);
	d = submit(j, "bob", 1);
	assert_string_equal(field(j, a, "state"), "running");
	assert_string_equal(field(j, b, "state"), "queued");
	assert_string_equal(field(j, d, "state"), "queued");
	r = ask(j, "{\"cmd\":\"job.cancel\",\"id\":%ld}", c);
	assert_non_null(cJSON_GetObjectItemCaseSensitive(r, "job"));
	cJSON_Delete(r);
	assert_string_equal(field(j, c, "state"), "canceled");
	r = ask(j, "{\"cmd\":\"job.cancel\",\"id\":%ld}", a);
	cJSON_Delete(r);
	run_until(j, a, "canceled");
	run_until(j, d, "done");
	assert_string_equal(field(j, b, "state"), "done");
	assert_string_equal(field(j, b, "progress"), "1");
	assert_string_equal(field(j, c, "state"), "canceled");
	assert_string_equal(field(j, c, "started_ms"), "");
	/* the result is quantctl's standard output */
	assert_true(read_file(j, "job.result", b));
	assert_string_equal(gf.ctype, "application/json");
	assert_int_equal(gf.len, strlen(want));
	assert_memory_equal(gf.body, want, gf.len);
	assert_true(read_file(j, "job.result", a));
	assert_non_null(strstr(gf.error, "\"code\":\"state\""));
	/* every value its own argument, the range from the store */
	read_args("fifo", b, args, sizeof(args));
	assert_non_null(strstr(args, "--json\nbacktest\n--strategy\nma-cross\n"
		"--param\nfast=1\n"));
	assert_non_null(strstr(args, "--data\nstore:sim:BTC/USDT:1m\n--from\n"
		"1000\n--to\n2000\n--progress\n"));
	assert_null(strstr(args, "--sandbox"));
	jobs_stop(j);
	free(gf.body);
	free(gf.error);
	gf.body = gf.error = NULL;
}

/* A strategy the host would sandbox runs --sandbox. */
static void
sandboxed_when_the_host_would(void **st)
{
	struct jobs *j = runner("sandbox", 1, 60, 0, NULL);
	char args[4096];
	long id;

	(void)st;
	sandbox_all = 1;
	id = submit(j, "alice", 1);
	run_until(j, id, "done");
	sandbox_all = 0;
	read_args("sandbox", id, args, sizeof(args));
	assert_non_null(strstr(args, "\n--sandbox\n"));
	jobs_stop(j);
}

/* Numbers reach quantctl as the shortest text that reads back as the
 * same double: 0.3, not 0.29999999999999999. */
static void
numbers_as_their_shortest_text(void **st)
{
	struct jobs *j = runner("numbers", 1, 60, 0, NULL);
	char args[4096];
	cJSON *r;
	long id;

	(void)st;
	r = ask(j, "{\"cmd\":\"job.submit.backtest\",\"user\":\"alice\","
		"\"strategy\":\"ma-cross\",\"params\":{\"fast\":1},"
		"\"cash\":1234.1,\"fee_rate\":0.3,"
		"\"data\":{\"exchange\":\"sim\",\"symbol\":\"BTC/USDT\","
		"\"timeframe\":\"1m\",\"from\":1000,\"to\":2000}}");
	if (cJSON_GetObjectItemCaseSensitive(r, "job") == NULL)
		fail_msg("submit: %s", cJSON_PrintUnformatted(r));
	id = (long)cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(r, "job"), "id")->valuedouble;
	cJSON_Delete(r);
	run_until(j, id, "done");
	read_args("numbers", id, args, sizeof(args));
	if (strstr(args, "\n--cash\n1234.1\n") == NULL ||
	    strstr(args, "\n--fee-rate\n0.3\n") == NULL)
		fail_msg("expected --cash 1234.1 --fee-rate 0.3, got:\n%s",
			args);
	jobs_stop(j);
}

/* jobs_read(): a finished job's file comes from another thread, the
 * same bytes and errors as job.result; a read asked for before
 * retention deletes the job still gets the file; a file gone is the
 * "no such output" error. */
static void
file_reads_off_the_calling_thread(void **st)
{
	static const char want[] =
		"{\"metrics\":{\"final_equity\":10001},\"trades\":[]}\n";
	struct jobs *j;
	char path[600];
	long a, b, c;

	(void)st;
	keep_at_most = 1;
	j = runner("read", 1, 60, 0, NULL);
	keep_at_most = 0;
	a = submit(j, "alice", 1);
	run_until(j, a, "done");
	assert_true(read_file(j, "job.result", a));
	assert_null(gf.error);
	assert_string_equal(gf.ctype, "application/json");
	assert_int_equal(gf.len, strlen(want));
	assert_memory_equal(gf.body, want, gf.len);
	assert_false(pthread_equal(gf.from, pthread_self()));
	/* refusals come at once, as job.result's */
	assert_true(read_file(j, "job.result.optimization", a));
	assert_null(gf.body);
	assert_string_equal(gf.error, "{\"error\":{\"code\":\"not_found\","
		"\"message\":\"no such job\"}}");
	assert_true(pthread_equal(gf.from, pthread_self()));
	b = submit(j, "alice", 2);
	assert_true(read_file(j, "job.trades", b));
	assert_non_null(strstr(gf.error, "\"code\":\"state\""));
	/* asked for before b ends, after which retention (1 kept) deletes
	 * a: the answer is the file all the same */
	{
		cJSON *req = cJSON_Parse("{\"cmd\":\"job.cancel\"}");
		struct stat sb;
		int n;

		cJSON_AddNumberToObject(req, "id", (double)b);
		n = ask_file(j, "job.result.backtest", a);
		free(jobs_request(j, "job.cancel", req));
		cJSON_Delete(req);
		run_until(j, b, "canceled");
		assert_true(file_answered(n));
		assert_null(gf.error);
		assert_int_equal(gf.len, strlen(want));
		assert_memory_equal(gf.body, want, gf.len);
		snprintf(path, sizeof(path), "%s/read/jobs/%ld", dir, a);
		for (int i = 0; i < 200 && stat(path, &sb) == 0; i++)
			usleep(10000);
		if (stat(path, &sb) == 0)
			fail_msg("retention kept job %ld's directory", a);
	}
	c = submit(j, "alice", 1);
	run_until(j, c, "done");
	snprintf(path, sizeof(path), "%s/read/jobs/%ld/result.json", dir, c);
	assert_int_equal(unlink(path), 0);
	assert_true(read_file(j, "job.result", c));
	assert_null(gf.body);
	assert_string_equal(gf.error, "{\"error\":{\"code\":\"not_found\","
		"\"message\":\"this job has no such output\"}}");
	jobs_stop(j);
	free(gf.body);
	free(gf.error);
	gf.body = gf.error = NULL;
}

/* The control socket's way: the daemon's handler for job.* (the file
 * commands by jobs_ctl_file(), the others by jobs_request()). */
static char *
ctl_jobs(void *arg, const char *request, struct ctl_conn *conn)
{
	cJSON *req = cJSON_Parse(request);
	const char *cmd = cJSON_GetStringValue(cJSON_GetObjectItem(req,
		"cmd"));
	char *reply;

	assert_non_null(cmd);
	reply = jobs_cmd_is_file(cmd) ? jobs_ctl_file(arg, cmd, req, conn) :
		jobs_request(arg, cmd, req);
	cJSON_Delete(req);
	return reply;
}

/* Requests a client thread sends over the socket while the test runs
 * the loop, and their replies. */
static struct {
	const char *sock;
	char req[4][128];
	char *reply[4];
	int n;
} over;

static void
stop_loop(void *arg, void *msg, size_t len)
{
	(void)msg;
	(void)len;
	loop_stop(arg);
}

static void *
over_main(void *arg)
{
	(void)arg;
	for (int i = 0; i < over.n; i++)
		if (ctl_request(over.sock, over.req[i], &over.reply[i],
		    10000) != 0)
			over.reply[i] = NULL;
	while (loop_post(lp, stop_loop, lp, NULL, 0) != 0)
		usleep(1000);
	return NULL;
}

/* job.result over the control socket: the reply is the one cJSON would
 * print for the file (what the core thread used to read and print), the
 * errors are jobs_request()'s; without a connection to take over, an
 * error. */
static void
files_over_the_control_socket(void **st)
{
	static const char want[] =
		"{\"metrics\":{\"final_equity\":10001},\"trades\":[]}\n";
	struct jobs *j = runner("ctl", 1, 60, 0, NULL);
	char sock[600], *expect, *r;
	struct ctl *c;
	pthread_t t;
	cJSON *o;
	long a, b;

	(void)st;
	a = submit(j, "alice", 1);
	run_until(j, a, "done");
	b = submit(j, "alice", 2);     /* runs until canceled */
	snprintf(sock, sizeof(sock), "%s/ctl/quantd.sock", dir);
	assert_non_null(c = ctl_listen(lp, sock, ctl_jobs, j));
	over.sock = sock;
	over.n = 4;
	snprintf(over.req[0], sizeof(over.req[0]), "{\"cmd\":\"job.result\","
		"\"id\":%ld}", a);
	snprintf(over.req[1], sizeof(over.req[1]), "{\"cmd\":\"job.trades\","
		"\"id\":%ld}", b);
	snprintf(over.req[2], sizeof(over.req[2]), "{\"cmd\":\"job.result\","
		"\"id\":%ld,\"user\":\"bob\"}", a);
	snprintf(over.req[3], sizeof(over.req[3]), "{\"cmd\":\"job.get\","
		"\"id\":%ld}", a);
	assert_int_equal(pthread_create(&t, NULL, over_main, NULL), 0);
	loop_run(lp);
	pthread_join(t, NULL);
	o = cJSON_CreateObject();
	cJSON_AddBoolToObject(o, "ok", 1);
	cJSON_AddStringToObject(o, "content_type", "application/json");
	cJSON_AddStringToObject(o, "body", want);
	expect = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	assert_non_null(over.reply[0]);
	assert_string_equal(over.reply[0], expect);
	free(expect);
	assert_non_null(strstr(over.reply[1], "\"code\":\"state\""));
	assert_string_equal(over.reply[2], "{\"error\":{\"code\":"
		"\"not_found\",\"message\":\"no such job\"}}");
	assert_non_null(strstr(over.reply[3], "\"state\":\"done\""));
	for (int i = 0; i < over.n; i++)
		free(over.reply[i]);
	/* no connection: nothing read on this thread */
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "id", (double)a);
	r = jobs_request(j, "job.result", o);
	assert_non_null(strstr(r, "\"code\":\"internal\""));
	free(r);
	r = jobs_ctl_file(j, "job.report", o, NULL);
	assert_non_null(strstr(r, "\"code\":\"internal\""));
	free(r);
	cJSON_Delete(o);
	jobs_stop(j);
	ctl_close(c);
}

/* A failure says why in quantctl's words; a crash names the signal; the
 * time limit stops a job that ignores SIGTERM. */
static void
failures_and_time_limit(void **st)
{
	struct jobs *j = runner("fail", 3, 1, 0, NULL);
	long bad, crash, slow, gone, loud;

	(void)st;
	bad = submit(j, "alice", 3);
	crash = submit(j, "alice", 4);
	slow = submit(j, "alice", 5);
	run_until(j, bad, "failed");
	assert_string_equal(field(j, bad, "error"),
		"param slow: 1 is below the minimum 2");
	run_until(j, crash, "failed");
	assert_non_null(strstr(field(j, crash, "error"),
		"killed by signal 11: about to crash"));
	run_until(j, slow, "failed");
	assert_non_null(strstr(field(j, slow, "error"), "time limit of 1 s"));
	jobs_stop(j);
	/* the rest without a time limit that a slow build could reach */
	j = runner("loud", 1, 600, 0, NULL);
	loud = submit(j, "alice", 7);
	run_until(j, loud, "failed");
	assert_non_null(strstr(field(j, loud, "error"), "\nthe last words"));
	assert_true(strlen(got) <= 1000);
	{
		char path[600];
		struct stat sb;

		snprintf(path, sizeof(path), "%s/loud/jobs/%ld/stderr.txt",
			dir, loud);
		assert_int_equal(stat(path, &sb), 0);
		assert_true(sb.st_size >= JOBS_STDERR_MAX &&
			sb.st_size < JOBS_STDERR_MAX + 1024);
	}
	gone = submit(j, "alice", 6);
	run_until(j, gone, "failed");
	assert_non_null(strstr(field(j, gone, "error"), "fake_quantctl.sh "
		"cannot be run (jobs.quantctl"));
	jobs_stop(j);
}

/* Requests name the member at fault; users see only their own jobs; a
 * user's queue has a cap. */
static void
refusals_owners_and_limits(void **st)
{
	struct jobs *j = runner("refuse", 1, 60, 2, NULL);
	static const struct { const char *body, *field; } bad[] = {
		{ "\"strategy\":\"nope\",\"data\":{}", "strategy" },
		{ "\"strategy\":\"ta\",\"data\":{}", "strategy" },
		{ "\"strategy\":\"ma-cross\",\"params\":{\"fast\":0}", "params.fast" },
		{ "\"strategy\":\"ma-cross\",\"params\":{\"x\":1}", "params.x" },
		{ "\"strategy\":\"ma-cross\",\"params\":{\"fast\":[1]}", "params.fast" },
		{ "\"strategy\":\"ma-cross\",\"data\":\"/etc/passwd\"", "data" },
		{ "\"strategy\":\"ma-cross\",\"data\":{\"exchange\":\"../x\","
		  "\"symbol\":\"BTC/USDT\",\"timeframe\":\"1m\",\"from\":1,"
		  "\"to\":2}", "data.exchange" },
		{ "\"strategy\":\"ma-cross\",\"data\":{\"exchange\":\"sim\","
		  "\"symbol\":\"BTC/USDT\",\"timeframe\":\"7m\",\"from\":1,"
		  "\"to\":2}", "data.timeframe" },
		{ "\"strategy\":\"ma-cross\",\"data\":{\"exchange\":\"sim\","
		  "\"symbol\":\"BTC/USDT\",\"timeframe\":\"1m\",\"from\":5,"
		  "\"to\":5}", "data.to" },
		{ "\"strategy\":\"ma-cross\",\"flags\":\"--report=/x\"", "flags" },
	};
	long a, b;
	cJSON *r, *e;

	(void)st;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = ask(j, "{\"cmd\":\"job.submit.backtest\",\"user\":\"alice\","
			"%s}", bad[i].body);
		e = cJSON_GetObjectItemCaseSensitive(r, "error");
		if (e == NULL || strcmp(cJSON_GetObjectItemCaseSensitive(e,
		    "field")->valuestring, bad[i].field) != 0)
			fail_msg("%s: expected an error on %s, got %s",
				bad[i].body, bad[i].field,
				cJSON_PrintUnformatted(r));
		cJSON_Delete(r);
	}
	a = submit(j, "alice", 2);
	b = submit(j, "alice", 1);
	/* the free plan's cap is 1, the others' 2: carol's second is one
	 * too many */
	for (int k = 0; k < 2; k++) {
		r = ask(j, "{\"cmd\":\"job.submit.backtest\",\"user\":"
			"\"carol\",\"plan\":\"free\",\"strategy\":\"ma-cross\","
			"\"data\":{\"exchange\":\"sim\",\"symbol\":\"BTC/USDT\","
			"\"timeframe\":\"1m\",\"from\":1,\"to\":2}}");
		e = cJSON_GetObjectItemCaseSensitive(r, "error");
		if (k == 0)
			assert_null(e);
		else
			assert_string_equal(cJSON_GetObjectItemCaseSensitive(e,
				"code")->valuestring, "limit");
		cJSON_Delete(r);
	}
	r = ask(j, "{\"cmd\":\"job.submit.backtest\",\"user\":\"alice\","
		"\"strategy\":\"ma-cross\",\"data\":{\"exchange\":\"sim\","
		"\"symbol\":\"BTC/USDT\",\"timeframe\":\"1m\",\"from\":1,"
		"\"to\":2}}");
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(r, "error"), "code")->valuestring,
		"limit");
	cJSON_Delete(r);
	submit(j, "bob", 1);            /* bob's queue is his own */
	r = ask(j, "{\"cmd\":\"job.get\",\"id\":%ld,\"user\":\"bob\"}", a);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(r, "error"), "code")->valuestring,
		"not_found");
	cJSON_Delete(r);
	r = ask(j, "{\"cmd\":\"job.cancel\",\"id\":%ld,\"user\":\"bob\"}", a);
	assert_non_null(cJSON_GetObjectItemCaseSensitive(r, "error"));
	cJSON_Delete(r);
	r = ask(j, "{\"cmd\":\"job.get\",\"id\":%ld,\"user\":\"root\","
		"\"admin\":true}", a);
	assert_non_null(cJSON_GetObjectItemCaseSensitive(r, "job"));
	cJSON_Delete(r);
	r = ask(j, "{\"cmd\":\"job.list.backtest\",\"user\":\"bob\"}");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r,
		"jobs")), 1);
	cJSON_Delete(r);
	r = ask(j, "{\"cmd\":\"job.get.optimization\",\"id\":%ld}", b);
	assert_non_null(cJSON_GetObjectItemCaseSensitive(r, "error"));
	cJSON_Delete(r);
	jobs_stop(j);
}

/* Jobs kept in the store: at the next start a job left running failed
 * with the reason, a queued one runs; ids go on from the largest. */
static void
restart_after_a_crash(void **st)
{
	char url[600], req[512], err[256];
	struct store *s = NULL;
	struct store_job k;
	struct jobs *j;
	long next;

	(void)st;
	snprintf(url, sizeof(url), "%s/kept.db", dir);
	snprintf(req, sizeof(req), "{\"strategy\":\"ma-cross\",\"params\":"
		"{\"fast\":\"1\"},\"data\":{\"exchange\":\"sim\",\"symbol\":"
		"\"BTC/USDT\",\"timeframe\":\"1m\",\"from\":1,\"to\":2}}");
	assert_int_equal(store_open(url, STORE_ROLE_WRITER, &s, err,
	    sizeof(err)),
		QD_OK);
	memset(&k, 0, sizeof(k));
	k.id = 7;
	k.user_id = "alice";
	k.kind = "backtest";
	k.request = req;
	k.state = "running";
	k.progress = 0.5;
	k.error = "";
	k.created_ms = 1;
	k.started_ms = 2;
	assert_int_equal(store_put_job(s, &k), QD_OK);
	k.id = 8;
	k.state = "queued";
	k.progress = 0;
	k.started_ms = 0;
	assert_int_equal(store_put_job(s, &k), QD_OK);
	store_close(s);
	j = runner("restart", 1, 60, 0, url);
	assert_string_equal(field(j, 7, "state"), "failed");
	assert_string_equal(field(j, 7, "error"),
		"the daemon stopped while the job ran");
	run_until(j, 8, "done");
	next = submit(j, "alice", 1);
	assert_int_equal(next, 9);
	run_until(j, next, "done");
	jobs_stop(j);
	/* and what the runner wrote is what a new one reads */
	j = runner("restart2", 1, 60, 0, url);
	assert_string_equal(field(j, 8, "state"), "done");
	assert_string_equal(field(j, 9, "state"), "done");
	assert_string_equal(field(j, 7, "state"), "failed");
	jobs_stop(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fifo_one_worker_and_cancel),
		cmocka_unit_test(sandboxed_when_the_host_would),
		cmocka_unit_test(numbers_as_their_shortest_text),
		cmocka_unit_test(file_reads_off_the_calling_thread),
		cmocka_unit_test(files_over_the_control_socket),
		cmocka_unit_test(failures_and_time_limit),
		cmocka_unit_test(refusals_owners_and_limits),
		cmocka_unit_test(restart_after_a_crash),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
