/*
 * mail.c -- SMTP through libcurl on a thread of its own (see mail.h).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#include "log/log.h"
#include "loop/loop.h"
#include "net/mail.h"

#define MAIL_MAX_QUEUED 1024
#define DRAIN_NS 200000000LL

struct job {
	struct job *next;
	uint64_t id;
	mailer_fn done;
	void *owner;               /* NULL: forgotten */
	char *url, *username, *password, *from;
	struct curl_slist *rcpt;
	char *payload;             /* headers and body, CRLF */
	size_t len, off;
	int require_tls;
	long timeout_ms;
	int status;
	char detail[320];
};

struct mailer {
	struct loop *loop;
	char *ca_file;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t wake;
	struct job *queue, **qtail;  /* to send */
	struct job *sending;
	struct job *done;            /* sent, for the core thread */
	size_t queued;
	int stop;
	uint64_t next_id;
	struct loop_timer *drain;
};

static void
job_free(struct job *j)
{
	if (j == NULL)
		return;
	if (j->password != NULL)
		OPENSSL_cleanse(j->password, strlen(j->password));
	free(j->url);
	free(j->username);
	free(j->password);
	free(j->from);
	curl_slist_free_all(j->rcpt);
	free(j->payload);
	free(j);
}

/* ---- the message --------------------------------------------------------- */

/* "=?UTF-8?B?...?=" of s (RFC 2047), malloc'd. */
static char *
encode_word(const char *s)
{
	size_t n = strlen(s);
	char *out = malloc(4 * ((n + 2) / 3) + 16);

	if (out == NULL)
		return NULL;
	memcpy(out, "=?UTF-8?B?", 10);
	EVP_EncodeBlock((unsigned char *)out + 10, (const unsigned char *)s,
		(int)n);
	strcat(out, "?=");
	return out;
}

/* Headers and body with CRLF line ends. */
static char *
build_payload(const struct qd_mail *m, size_t *len)
{
	char date[64], *subj = encode_word(m->subject ? m->subject : "");
	const char *b = m->body ? m->body : "";
	size_t cap, i, n = 0;
	time_t now = time(NULL);
	struct tm tm;
	char *p;

	if (subj == NULL)
		return NULL;
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	cap = strlen(subj) + strlen(m->from) + 2 * strlen(b) + 1024;
	for (i = 0; m->to[i] != NULL; i++)
		cap += strlen(m->to[i]) + 4;
	if (m->key != NULL)
		cap += 2 * strlen(m->key);
	if ((p = malloc(cap)) == NULL) {
		free(subj);
		return NULL;
	}
	n += (size_t)snprintf(p + n, cap - n, "Date: %s\r\nFrom: %s\r\nTo: ",
		date, m->from);
	for (i = 0; m->to[i] != NULL; i++)
		n += (size_t)snprintf(p + n, cap - n, "%s%s", i ? ", " : "",
			m->to[i]);
	n += (size_t)snprintf(p + n, cap - n, "\r\nSubject: %s\r\n", subj);
	if (m->key != NULL)
		n += (size_t)snprintf(p + n, cap - n, "Message-ID: <%s@quantd>"
			"\r\nX-Quantd-Idempotency-Key: %s\r\n", m->key, m->key);
	n += (size_t)snprintf(p + n, cap - n, "MIME-Version: 1.0\r\n"
		"Content-Type: text/plain; charset=UTF-8\r\n"
		"Content-Transfer-Encoding: 8bit\r\n\r\n");
	for (; *b; b++) {
		if (*b == '\n' && (n == 0 || p[n - 1] != '\r'))
			p[n++] = '\r';
		p[n++] = *b;
	}
	if (n < 2 || p[n - 1] != '\n') {
		p[n++] = '\r';
		p[n++] = '\n';
	}
	p[n] = '\0';
	free(subj);
	*len = n;
	return p;
}

/* ---- the thread ------------------------------------------------------------ */

static size_t
read_payload(char *buf, size_t size, size_t nitems, void *arg)
{
	struct job *j = arg;
	size_t want = size * nitems, left = j->len - j->off;

	if (want > left)
		want = left;
	memcpy(buf, j->payload + j->off, want);
	j->off += want;
	return want;
}

static int
on_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c,
	curl_off_t d)
{
	struct mailer *m = arg;
	int stop;

	(void)a; (void)b; (void)c; (void)d;
	pthread_mutex_lock(&m->mu);
	stop = m->stop;
	pthread_mutex_unlock(&m->mu);
	return stop;                /* non-zero aborts the transfer */
}

static int
status_of(CURLcode rc)
{
	switch (rc) {
	case CURLE_OK: return QD_OK;
	case CURLE_LOGIN_DENIED:
	case CURLE_USE_SSL_FAILED:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
		return QD_ERR_DENIED;
	case CURLE_OPERATION_TIMEDOUT: return QD_ERR_TIMEOUT;
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return QD_ERR_INVALID;
	default: return QD_ERR_IO;
	}
}

static void
send_job(struct mailer *m, struct job *j)
{
	char err[CURL_ERROR_SIZE] = "";
	CURL *e = curl_easy_init();
	CURLcode rc;
	long code = 0;

	if (e == NULL) {
		j->status = QD_ERR_NOMEM;
		snprintf(j->detail, sizeof(j->detail), "out of memory");
		return;
	}
	curl_easy_setopt(e, CURLOPT_URL, j->url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(e, CURLOPT_USE_SSL, j->require_tls ?
		(long)CURLUSESSL_ALL : (long)CURLUSESSL_TRY);
	if (m->ca_file != NULL)
		curl_easy_setopt(e, CURLOPT_CAINFO, m->ca_file);
	if (j->username != NULL) {
		curl_easy_setopt(e, CURLOPT_USERNAME, j->username);
		curl_easy_setopt(e, CURLOPT_PASSWORD, j->password ?
			j->password : "");
	}
	curl_easy_setopt(e, CURLOPT_MAIL_FROM, j->from);
	curl_easy_setopt(e, CURLOPT_MAIL_RCPT, j->rcpt);
	curl_easy_setopt(e, CURLOPT_READFUNCTION, read_payload);
	curl_easy_setopt(e, CURLOPT_READDATA, j);
	curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, j->timeout_ms);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, err);
	curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(e, CURLOPT_XFERINFODATA, m);
	rc = curl_easy_perform(e);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(e);
	j->status = status_of(rc);
	if (rc != CURLE_OK)
		snprintf(j->detail, sizeof(j->detail), "%s%s%s (SMTP %ld)",
			curl_easy_strerror(rc), err[0] ? ": " : "", err, code);
}

static void drain(void *arg);

static void
on_posted(void *arg, void *msg, size_t len)
{
	(void)msg;
	(void)len;
	drain(arg);
}

static void *
mail_thread(void *arg)
{
	struct mailer *m = arg;
	struct job *j;

	pthread_mutex_lock(&m->mu);
	for (;;) {
		while (!m->stop && m->queue == NULL)
			pthread_cond_wait(&m->wake, &m->mu);
		if (m->stop)
			break;
		j = m->queue;
		if ((m->queue = j->next) == NULL)
			m->qtail = &m->queue;
		m->queued--;
		m->sending = j;
		pthread_mutex_unlock(&m->mu);
		send_job(m, j);
		pthread_mutex_lock(&m->mu);
		m->sending = NULL;
		j->next = m->done;
		m->done = j;
		pthread_mutex_unlock(&m->mu);
		/* The drain timer catches up if the queue into the loop is
		 * full. */
		loop_post(m->loop, on_posted, m, NULL, 0);
		pthread_mutex_lock(&m->mu);
	}
	pthread_mutex_unlock(&m->mu);
	return NULL;
}

/* Core thread: the outcomes, oldest first. */
static void
drain(void *arg)
{
	struct mailer *m = arg;
	struct job *list, *rev = NULL, *j;

	pthread_mutex_lock(&m->mu);
	list = m->done;
	m->done = NULL;
	pthread_mutex_unlock(&m->mu);
	while ((j = list) != NULL) {
		list = j->next;
		j->next = rev;
		rev = j;
	}
	while ((j = rev) != NULL) {
		rev = j->next;
		if (j->owner != NULL)
			j->done(j->owner, j->id, j->status, j->status == QD_OK ?
				NULL : j->detail);
		job_free(j);
	}
}

/* ---- the core thread's side -------------------------------------------------- */

struct mailer *
mailer_start(struct loop *loop, const char *ca_file)
{
	struct mailer *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	m->loop = loop;
	m->qtail = &m->queue;
	pthread_mutex_init(&m->mu, NULL);
	pthread_cond_init(&m->wake, NULL);
	if ((ca_file != NULL && (m->ca_file = strdup(ca_file)) == NULL) ||
	    curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    (m->drain = loop_timer_add(loop, DRAIN_NS, DRAIN_NS, drain, m)) ==
	    NULL || pthread_create(&m->thread, NULL, mail_thread, m) != 0) {
		log_error("mail", "cannot start the mail thread");
		loop_timer_cancel(m->drain);
		free(m->ca_file);
		free(m);
		return NULL;
	}
	return m;
}

void
mailer_stop(struct mailer *m)
{
	struct job *j;

	if (m == NULL)
		return;
	pthread_mutex_lock(&m->mu);
	m->stop = 1;
	pthread_cond_signal(&m->wake);
	pthread_mutex_unlock(&m->mu);
	pthread_join(m->thread, NULL);
	loop_timer_cancel(m->drain);
	while ((j = m->queue) != NULL) {
		m->queue = j->next;
		job_free(j);
	}
	while ((j = m->done) != NULL) {
		m->done = j->next;
		job_free(j);
	}
	curl_global_cleanup();
	pthread_mutex_destroy(&m->mu);
	pthread_cond_destroy(&m->wake);
	free(m->ca_file);
	free(m);
}

int
mailer_send(struct mailer *m, const struct qd_mail *msg, const char *password,
	mailer_fn done, void *owner, uint64_t *id)
{
	struct job *j = calloc(1, sizeof(*j));
	char addr[512];
	size_t i;

	if (j == NULL)
		return QD_ERR_NOMEM;
	j->done = done;
	j->owner = owner;
	j->require_tls = msg->require_tls;
	j->timeout_ms = msg->timeout_ns > 0 ? (long)(msg->timeout_ns /
	    1000000) : 60000;
	snprintf(addr, sizeof(addr), "<%s>", msg->from);
	j->url = strdup(msg->url);
	j->from = strdup(addr);
	j->username = msg->username ? strdup(msg->username) : NULL;
	j->password = password ? strdup(password) : NULL;
	j->payload = build_payload(msg, &j->len);
	if (j->url == NULL || j->from == NULL || j->payload == NULL ||
	    (msg->username && j->username == NULL) ||
	    (password && j->password == NULL))
		goto nomem;
	for (i = 0; msg->to[i] != NULL; i++) {
		struct curl_slist *n;

		snprintf(addr, sizeof(addr), "<%s>", msg->to[i]);
		if ((n = curl_slist_append(j->rcpt, addr)) == NULL)
			goto nomem;
		j->rcpt = n;
	}
	pthread_mutex_lock(&m->mu);
	if (m->queued >= MAIL_MAX_QUEUED) {
		pthread_mutex_unlock(&m->mu);
		job_free(j);
		return QD_ERR_LIMIT;
	}
	j->id = *id = ++m->next_id;
	*m->qtail = j;
	m->qtail = &j->next;
	m->queued++;
	pthread_cond_signal(&m->wake);
	pthread_mutex_unlock(&m->mu);
	return QD_OK;
nomem:
	job_free(j);
	return QD_ERR_NOMEM;
}

void
mailer_forget(struct mailer *m, void *owner)
{
	struct job *j;

	if (m == NULL)
		return;
	pthread_mutex_lock(&m->mu);
	for (j = m->queue; j != NULL; j = j->next)
		if (j->owner == owner)
			j->owner = NULL;
	if (m->sending != NULL && m->sending->owner == owner)
		m->sending->owner = NULL;
	for (j = m->done; j != NULL; j = j->next)
		if (j->owner == owner)
			j->owner = NULL;
	pthread_mutex_unlock(&m->mu);
}
