/*
 * jobs.c -- the jobs table of migration 0007 (store.h, "jobs"), written
 * once over the backends' query operation like the auth tables: the SQL is
 * the same on SQLite and PostgreSQL.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <quantd/sdk.h>

#include "store/backend.h"

#define JOB_COLS "id, user_id, kind, request, state, progress, error, " \
	"created_ms, started_ms, finished_ms, cpu_ms"

/* A read's callback and argument. */
struct jrow {
	int (*fn)(void *, const struct store_job *);
	void *arg;
};

static int64_t
num(const char *t)
{
	return t ? strtoll(t, NULL, 10) : 0;
}

static const char *
str(const char *t)
{
	return t ? t : "";
}

/* Whether `t` is one of the NULL-terminated `set`. */
static int
one_of(const char *t, const char *const *set)
{
	for (; t != NULL && *set != NULL; set++)
		if (strcmp(t, *set) == 0)
			return 1;
	return 0;
}

int
store_put_job(struct store *s, const struct store_job *j)
{
	static const char *const kinds[] = { "backtest", "optimize",
		"walkforward", "montecarlo", "chan", NULL };
	static const char *const states[] = { "queued", "running", "done",
		"failed", "canceled", NULL };
	char id[24], pr[32], cr[24], st[24], fi[24], cpu[24];
	const char *v[11];

	if (j == NULL)
		return store_fail(s, QD_ERR_INVALID, "job: NULL");
	if (j->id == 0 || j->id > INT64_MAX)
		return store_fail(s, QD_ERR_INVALID, "job: id must be 1 .. "
			"2^63-1, found %" PRIu64, j->id);
	if (j->user_id == NULL || *j->user_id == '\0' ||
	    j->request == NULL || *j->request == '\0')
		return store_fail(s, QD_ERR_INVALID, "job %" PRIu64 ": user_id "
			"and request must not be empty", j->id);
	if (!one_of(j->kind, kinds) || !one_of(j->state, states))
		return store_fail(s, QD_ERR_INVALID, "job %" PRIu64 ": kind "
			"'%s' or state '%s' unknown", j->id, str(j->kind),
			str(j->state));
	if (!(j->progress >= 0 && j->progress <= 1) || j->created_ms < 0 ||
	    j->started_ms < 0 || j->finished_ms < 0 || j->cpu_ms < 0)
		return store_fail(s, QD_ERR_INVALID, "job %" PRIu64 ": progress "
			"must be 0 .. 1 and times not negative", j->id);
	snprintf(id, sizeof(id), "%" PRIu64, j->id);
	snprintf(pr, sizeof(pr), "%.17g", j->progress);
	snprintf(cr, sizeof(cr), "%" PRId64, j->created_ms);
	snprintf(st, sizeof(st), "%" PRId64, j->started_ms);
	snprintf(fi, sizeof(fi), "%" PRId64, j->finished_ms);
	snprintf(cpu, sizeof(cpu), "%" PRId64, j->cpu_ms);
	v[0] = id;
	v[1] = j->user_id;
	v[2] = j->kind;
	v[3] = j->request;
	v[4] = j->state;
	v[5] = pr;
	v[6] = str(j->error);
	v[7] = cr;
	v[8] = j->started_ms ? st : NULL;
	v[9] = j->finished_ms ? fi : NULL;
	v[10] = cpu;
	return s->ops->query(s, "INSERT INTO jobs (" JOB_COLS ") VALUES ($1, "
		"$2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (id) DO "
		"UPDATE SET user_id = excluded.user_id, kind = excluded.kind, "
		"request = excluded.request, state = excluded.state, "
		"progress = excluded.progress, error = excluded.error, "
		"created_ms = excluded.created_ms, "
		"started_ms = excluded.started_ms, "
		"finished_ms = excluded.finished_ms, cpu_ms = excluded.cpu_ms",
		11, v, NULL, NULL, "writing a job", NULL);
}

static int
job_row(void *ctx, int nc, const char *const *c)
{
	struct jrow *r = ctx;
	struct store_job j;

	(void)nc;
	j.id = (uint64_t)num(c[0]);
	j.user_id = str(c[1]);
	j.kind = str(c[2]);
	j.request = str(c[3]);
	j.state = str(c[4]);
	j.progress = c[5] ? strtod(c[5], NULL) : 0;
	j.error = str(c[6]);
	j.created_ms = num(c[7]);
	j.started_ms = num(c[8]);
	j.finished_ms = num(c[9]);
	j.cpu_ms = num(c[10]);
	return r->fn(r->arg, &j);
}

int
store_jobs(struct store *s, int (*fn)(void *, const struct store_job *),
	void *arg)
{
	struct jrow r = { fn, arg };

	if (fn == NULL)
		return store_fail(s, QD_ERR_INVALID, "jobs: no callback");
	return s->ops->query(s, "SELECT " JOB_COLS " FROM jobs ORDER BY id", 0,
		NULL, job_row, &r, "reading jobs", NULL);
}

int
store_delete_job(struct store *s, uint64_t id)
{
	char v0[24];
	const char *v[1] = { v0 };

	if (id == 0 || id > INT64_MAX)
		return store_fail(s, QD_ERR_INVALID, "job: id must be 1 .. "
			"2^63-1, found %" PRIu64, id);
	snprintf(v0, sizeof(v0), "%" PRIu64, id);
	return s->ops->query(s, "DELETE FROM jobs WHERE id = $1", 1, v, NULL,
		NULL, "deleting a job", NULL);
}
