/*
 * test_ctl.c -- the control socket (core/ctl/ctl.h) on a real loop and a
 * real socket: a reply given later from another thread, a file's bytes
 * as a JSON string (the same text cJSON prints, every byte value, a file
 * of several MiB), the loop answering other clients while a big reply
 * waits for a client that does not read, the cap on replies in flight,
 * ctl_close() with a stalled client, and the longest reply: the client
 * reads one above 64 MiB and up to CTL_REPLY_MAX, no more, and the server
 * sends nothing longer.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>
#include <event2/event.h>

#include "ctl/ctl.h"
#include "json/json.h"
#include "log/log.h"
#include "loop/loop.h"

static struct loop *lp;
static char dir[64], sock[96];

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the handler ---------------------------------------------------------- */

/*
 * {"cmd":"ping"}: {"ok":true} at once.  {"cmd":"file","path":P}: the
 * connection taken over, the file opened and answered from another thread
 * (as the jobs' keeper does); with "len":N, N bytes said instead of the
 * file's length, with "head":H, H for the head.  {"cmd":"hold"}: taken
 * over and kept in held[] until the test answers it; refused "busy" when
 * no later is left.  {"cmd":"huge"}: a reply of CTL_REPLY_MAX bytes (the
 * internal error: its newline would make it one byte more than a client
 * reads).
 */
static struct ctl_later *held[CTL_LATER_MAX + 1];
static int n_held, n_busy;

#define FILE_HEAD "{\"ok\":true,\"content_type\":\"text/csv\",\"body\":\""

struct opener {
	struct ctl_later *l;
	char path[256];
	char *head;                /* or NULL: FILE_HEAD */
	double len;                /* < 0: the file's */
};

static void *
open_and_answer(void *arg)
{
	struct opener *o = arg;
	int fd = open(o->path, O_RDONLY | O_CLOEXEC);
	off_t len = fd >= 0 ? lseek(fd, 0, SEEK_END) : -1;

	if (fd < 0 || len < 0)
		ctl_later_reply(o->l, ctl_error("not_found", "no such file"));
	else
		ctl_later_file(o->l, o->head ? o->head : FILE_HEAD, fd,
			o->len >= 0 ? (size_t)o->len : (size_t)len, "\"}");
	free(o->head);
	free(o);
	return NULL;
}

/* A reply of CTL_REPLY_MAX bytes: with its newline, one byte more than
 * a client reads. */
static char *
huge_reply(void)
{
	char *r = malloc(CTL_REPLY_MAX + 1);

	assert_non_null(r);
	memset(r, 'x', CTL_REPLY_MAX);
	r[CTL_REPLY_MAX] = '\0';
	return r;
}

static char *
handle(void *arg, const char *request, struct ctl_conn *conn)
{
	cJSON *req = cJSON_Parse(request);
	const char *cmd = cJSON_GetStringValue(cJSON_GetObjectItem(req, "cmd"));
	char *reply = NULL;

	(void)arg;
	if (cmd != NULL && strcmp(cmd, "file") == 0) {
		struct opener *o = calloc(1, sizeof(*o));
		pthread_t t;

		const cJSON *len = cJSON_GetObjectItem(req, "len");
		const char *head = cJSON_GetStringValue(cJSON_GetObjectItem(req,
			"head"));

		assert_non_null(o);
		snprintf(o->path, sizeof(o->path), "%s", cJSON_GetStringValue(
			cJSON_GetObjectItem(req, "path")));
		o->len = cJSON_IsNumber(len) ? len->valuedouble : -1;
		o->head = head ? strdup(head) : NULL;
		assert_non_null(o->l = ctl_defer(conn));
		assert_int_equal(pthread_create(&t, NULL, open_and_answer, o),
			0);
		pthread_detach(t);
	} else if (cmd != NULL && strcmp(cmd, "huge") == 0) {
		reply = huge_reply();
	} else if (cmd != NULL && strcmp(cmd, "hold") == 0) {
		struct ctl_later *l = ctl_defer(conn);

		if (l == NULL) {
			n_busy++;
			reply = ctl_error("unavailable", "busy");
		} else {
			held[n_held++] = l;
		}
	} else {
		reply = strdup("{\"ok\":true}");
	}
	cJSON_Delete(req);
	return reply;
}

static int
setup(void **st)
{
	(void)st;
	log_open("/dev/null", QD_LOG_ERROR);
	snprintf(dir, sizeof(dir), "/tmp/qd-test-ctl-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(sock, sizeof(sock), "%s/ctl.sock", dir);
	lp = loop_new(256, 64);
	return lp ? 0 : -1;
}

static int
teardown(void **st)
{
	char cmd[128];

	(void)st;
	loop_free(lp);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return -1;
	log_close();
	return 0;
}

/* ---- clients in threads while the loop runs ------------------------------ */

/* One pass of the loop: waiting for an event (`wait`) or not. */
static void
spin(int wait)
{
	assert_true(event_base_loop(loop_base(lp), EVLOOP_ONCE |
		(wait ? 0 : EVLOOP_NONBLOCK)) >= 0);
}

static void
stop_loop(void *arg, void *msg, size_t len)
{
	(void)msg;
	(void)len;
	loop_stop(arg);
}

/* A client's work, run by a thread while the test runs the loop; the
 * loop stops when it is done. */
struct client {
	void (*fn)(struct client *);
	const char *request;
	char *reply;
	int rc;
	int64_t ms;
};

static void *
client_main(void *arg)
{
	struct client *c = arg;

	c->fn(c);
	while (loop_post(lp, stop_loop, lp, NULL, 0) != 0)
		usleep(1000);
	return NULL;
}

/* Run the loop while `fn` runs in a thread. */
static void
run_client(struct client *c)
{
	pthread_t t;

	assert_int_equal(pthread_create(&t, NULL, client_main, c), 0);
	loop_run(lp);
	pthread_join(t, NULL);
}

static void
ask(struct client *c)
{
	int64_t t0 = mono_ms();

	c->rc = ctl_request(sock, c->request, &c->reply, 20000);
	c->ms = mono_ms() - t0;
}

/* A client's connection to the socket, `request` (and the newline)
 * written. */
static int
connect_with(const char *request)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	size_t n = strlen(request);

	assert_true(fd >= 0);
	memcpy(sun.sun_path, sock, strlen(sock) + 1);
	assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(write(fd, request, n), (ssize_t)n);
	assert_int_equal(write(fd, "\n", 1), 1);
	return fd;
}

/* A file of `n` bytes from `fill` (pattern, cycled), in the test's dir. */
static const char *
make_file(const char *name, const unsigned char *fill, size_t fill_len,
	size_t n)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "wb"));
	for (size_t i = 0; i < n; i++)
		fputc(fill[i % fill_len], f);
	assert_int_equal(fclose(f), 0);
	return path;
}

/* ---- tests ---------------------------------------------------------------- */

/* A file reply is the text cJSON prints for the same object, whatever the
 * bytes (every value but NUL, which cJSON cannot hold; then NULs as
 * \u0000, read back by a JSON parser as the file's bytes). */
static void
file_reply_is_what_cjson_prints(void **st)
{
	unsigned char all[255 + 7];
	struct ctl *c;
	struct client cl = { ask, NULL, NULL, 0, 0 };
	char req[512], *want;
	const char *path;
	cJSON *o;
	size_t n = 3u << 20;          /* 3 MiB: many pieces */
	FILE *f;
	char *text;

	(void)st;
	for (int i = 0; i < 255; i++)
		all[i] = (unsigned char)(i + 1);
	memcpy(all + 255, "\"\\\xe2\x82\xac\n\t", 7);   /* and UTF-8 */
	path = make_file("all.bin", all, sizeof(all), n);
	assert_non_null(c = ctl_listen(lp, sock, handle, NULL));
	snprintf(req, sizeof(req), "{\"cmd\":\"file\",\"path\":\"%s\"}", path);
	cl.request = req;
	run_client(&cl);
	assert_int_equal(cl.rc, 0);
	assert_non_null(text = malloc(n + 1));
	assert_non_null(f = fopen(path, "rb"));
	assert_int_equal(fread(text, 1, n, f), n);
	fclose(f);
	text[n] = '\0';
	o = cJSON_CreateObject();
	cJSON_AddBoolToObject(o, "ok", 1);
	cJSON_AddStringToObject(o, "content_type", "text/csv");
	cJSON_AddStringToObject(o, "body", text);
	want = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (strlen(cl.reply) != strlen(want) || strcmp(cl.reply, want) != 0)
		fail_msg("the reply (%zu bytes) differs from cJSON's (%zu)",
			strlen(cl.reply), strlen(want));
	free(want);
	free(text);
	free(cl.reply);

	/* NUL bytes too: parsed back, the body is the file */
	{
		static const unsigned char nul[] = { 'a', 0, '"', 0x1f, 0,
			0x7f, '\\' };
		const struct json_value *body;
		struct json_value *doc;
		struct json_error je;
		char bytes[4096];

		path = make_file("nul.bin", nul, sizeof(nul), sizeof(bytes));
		for (size_t i = 0; i < sizeof(bytes); i++)
			bytes[i] = (char)nul[i % sizeof(nul)];
		snprintf(req, sizeof(req), "{\"cmd\":\"file\",\"path\":\"%s\"}",
			path);
		cl.reply = NULL;
		run_client(&cl);
		assert_int_equal(cl.rc, 0);
		doc = json_parse(cl.reply, strlen(cl.reply), &je);
		assert_non_null(doc);
		body = json_get(doc, "body");
		assert_non_null(body);
		assert_int_equal(body->len, sizeof(bytes));
		assert_memory_equal(body->str, bytes, sizeof(bytes));
		json_free(doc);
		free(cl.reply);
	}

	/* an error given later is the reply as it is */
	snprintf(req, sizeof(req), "{\"cmd\":\"file\",\"path\":\"%s/none\"}",
		dir);
	cl.reply = NULL;
	run_client(&cl);
	assert_int_equal(cl.rc, 0);
	assert_string_equal(cl.reply, "{\"error\":{\"code\":\"not_found\","
		"\"message\":\"no such file\"}}");
	free(cl.reply);
	ctl_close(c);
}

/* A client asks for a 16 MiB file and reads nothing: the loop answers
 * pings meanwhile; once it reads, the whole reply comes. */
static struct {
	const char *path;
	int64_t ping_max_ms;
	int pings;
	size_t got;
	int complete;
} slow;

static void
slow_reader(struct client *cl)
{
	char req[512], buf[65536];
	int64_t until;
	ssize_t r;
	int fd;

	(void)cl;
	snprintf(req, sizeof(req), "{\"cmd\":\"file\",\"path\":\"%s\"}",
		slow.path);
	fd = connect_with(req);
	/* not read for a second: pings answered meanwhile */
	until = mono_ms() + 1000;
	while (mono_ms() < until) {
		struct client p = { ask, "{\"cmd\":\"ping\"}", NULL, 0, 0 };

		ask(&p);
		if (p.rc == 0 && strcmp(p.reply, "{\"ok\":true}") == 0)
			slow.pings++;
		if (p.ms > slow.ping_max_ms)
			slow.ping_max_ms = p.ms;
		free(p.reply);
		usleep(20000);
	}
	while ((r = read(fd, buf, sizeof(buf))) > 0) {
		slow.got += (size_t)r;
		slow.complete = buf[r - 1] == '\n';
	}
	close(fd);
}

static void
loop_answers_while_a_big_reply_waits(void **st)
{
	static const unsigned char fill[] = "0123456789,abcdef\n";
	struct client cl = { slow_reader, NULL, NULL, 0, 0 };
	struct ctl *c;

	(void)st;
	slow.path = make_file("big.csv", fill, sizeof(fill) - 1, 16u << 20);
	assert_non_null(c = ctl_listen(lp, sock, handle, NULL));
	run_client(&cl);
	ctl_close(c);
	print_message("# %d pings answered while a 16 MiB reply waited; the "
		"slowest took %lld ms\n", slow.pings,
		(long long)slow.ping_max_ms);
	assert_true(slow.pings >= 10);
	assert_true(slow.ping_max_ms < 1000);
	/* 16 MiB, 1 escape ("\n" as \n) for every 18 bytes, the head, the
	 * tail and the newline */
	assert_int_equal(slow.got, (16u << 20) + (16u << 20) / 18 +
		strlen("{\"ok\":true,\"content_type\":\"text/csv\",\"body\":\"") +
		strlen("\"}") + 1);
	assert_true(slow.complete);
}

/* At most CTL_LATER_MAX replies in flight: the next request is the
 * handler's own (busy); once answered, the held ones reach their
 * clients. */
static void
later_cap_then_every_held_reply_arrives(void **st)
{
	int fds[CTL_LATER_MAX + 1];
	struct ctl *c;
	char buf[256];

	(void)st;
	assert_non_null(c = ctl_listen(lp, sock, handle, NULL));
	n_held = n_busy = 0;
	for (int i = 0; i <= CTL_LATER_MAX; i++) {
		fds[i] = connect_with("{\"cmd\":\"hold\"}");
		/* one at a time, so that the last one is the one refused */
		while (n_held + n_busy < i + 1)
			spin(1);
	}
	assert_int_equal(n_held, CTL_LATER_MAX);
	assert_int_equal(n_busy, 1);
	for (int i = 0; i < CTL_LATER_MAX; i++) {
		snprintf(buf, sizeof(buf), "{\"ok\":true,\"n\":%d}", i);
		ctl_later_reply(held[i], strdup(buf));
	}
	for (int i = 0; i <= CTL_LATER_MAX; i++) {
		struct pollfd pfd = { fds[i], POLLIN, 0 };
		char want[64];
		size_t got = 0;
		ssize_t r;

		/* the refused one's reply is written by the loop */
		while (poll(&pfd, 1, 10) == 0)
			spin(0);
		while ((r = read(fds[i], buf + got, sizeof(buf) - 1 - got)) > 0)
			got += (size_t)r;
		buf[got] = '\0';
		if (i < CTL_LATER_MAX)
			snprintf(want, sizeof(want), "{\"ok\":true,\"n\":%d}\n",
				i);
		else
			snprintf(want, sizeof(want), "{\"error\":{\"code\":"
				"\"unavailable\",\"message\":\"busy\"}}\n");
		assert_string_equal(buf, want);
		close(fds[i]);
	}
	ctl_close(c);
}

/* ctl_close() with a client that asked for a big file and reads nothing:
 * it shuts the connection down and returns at once; the client finds the
 * reply cut short. */
static void
close_does_not_wait_for_a_stalled_client(void **st)
{
	static const unsigned char fill[] = "x\"y\n";
	char req[512], buf[65536];
	struct ctl *c;
	const char *path;
	int64_t t0;
	size_t got = 0;
	ssize_t r;
	int fd;

	(void)st;
	path = make_file("stall.csv", fill, sizeof(fill) - 1, 8u << 20);
	assert_non_null(c = ctl_listen(lp, sock, handle, NULL));
	snprintf(req, sizeof(req), "{\"cmd\":\"file\",\"path\":\"%s\"}", path);
	fd = connect_with(req);
	/* the request read, and the reply under way */
	for (int i = 0; i < 50; i++) {
		spin(0);
		usleep(10000);
	}
	t0 = mono_ms();
	ctl_close(c);
	print_message("# ctl_close() with a stalled client: %lld ms\n",
		(long long)(mono_ms() - t0));
	assert_true(mono_ms() - t0 < 2000);
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		got += (size_t)r;
	close(fd);
	assert_true(got > 0);
	assert_true(got < (8u << 20));
}

/* A file that needs \u00XX for every byte: the reply is 6 bytes a byte
 * and its frame, the longest a file of its length makes (CTL_REPLY_MAX),
 * and read whole by the client above the 64 MiB it once stopped at. */
static void
client_reads_a_reply_above_64_mib(void **st)
{
	static const unsigned char one[] = { 0x01 };
	const size_t n = 12u << 20, frame = strlen(FILE_HEAD "\"}");
	struct client cl = { ask, NULL, NULL, 0, 0 };
	struct ctl *c;
	char req[512];
	size_t got, i;

	(void)st;
	snprintf(req, sizeof(req), "{\"cmd\":\"file\",\"path\":\"%s\"}",
		make_file("ctl.bin", one, 1, n));
	cl.request = req;
	assert_non_null(c = ctl_listen(lp, sock, handle, NULL));
	run_client(&cl);
	ctl_close(c);
	if (cl.rc != 0)
		fail_msg("ctl_request: %d, not the reply", cl.rc);
	got = strlen(cl.reply);
	print_message("# a reply of %zu bytes (%.1f MiB) in %lld ms\n", got,
		(double)got / (1 << 20), (long long)cl.ms);
	if (got != 6 * n + frame)
		fail_msg("%zu bytes, not 6 * %zu + %zu", got, n, frame);
	assert_true(6 * n + frame > (64u << 20));
	assert_memory_equal(cl.reply, FILE_HEAD, strlen(FILE_HEAD));
	for (i = strlen(FILE_HEAD); i < got - 2; i += 6)
		if (memcmp(cl.reply + i, "\\u0001", 6) != 0)
			fail_msg("byte %zu of the reply: %.6s", i, cl.reply + i);
	assert_string_equal(cl.reply + got - 2, "\"}");
	free(cl.reply);
}

/* What would make a reply longer than CTL_REPLY_MAX is answered with the
 * internal error: a file said to be longer than CTL_FILE_MAX, a frame
 * longer than CTL_FRAME_MAX, a reply made in memory of CTL_REPLY_MAX
 * bytes and its newline. */
static void
server_sends_no_reply_longer_than_ctl_reply_max(void **st)
{
	static const unsigned char one[] = { 'a' };
	static const char ie[] = "{\"error\":{\"code\":\"internal\","
		"\"message\":\"the request could not be handled\"}}";
	char req[8192], head[CTL_FRAME_MAX + 1];
	const char *path = make_file("small.txt", one, 1, 100);
	struct client cl = { ask, req, NULL, 0, 0 };
	struct ctl *c;

	(void)st;
	memset(head, ' ', sizeof(head) - 1);
	head[sizeof(head) - 1] = '\0';
	assert_non_null(c = ctl_listen(lp, sock, handle, NULL));
	for (int k = 0; k < 4; k++) {
		if (k == 0)
			snprintf(req, sizeof(req), "{\"cmd\":\"file\",\"path\":"
				"\"%s\",\"len\":%zu}", path, CTL_FILE_MAX + 1);
		else if (k == 1)
			snprintf(req, sizeof(req), "{\"cmd\":\"file\",\"path\":"
				"\"%s\",\"head\":\"%s\"}", path, head);
		else if (k == 2)
			/* the limits themselves are fine: the file is cut
			 * short (its 100 bytes, then the connection ends) */
			snprintf(req, sizeof(req), "{\"cmd\":\"file\",\"path\":"
				"\"%s\",\"len\":%zu,\"head\":\"%.*s\"}", path,
				CTL_FILE_MAX, (int)(CTL_FRAME_MAX - 2), head);
		else
			snprintf(req, sizeof(req), "{\"cmd\":\"huge\"}");
		cl.reply = NULL;
		run_client(&cl);
		if (k == 2) {
			/* the reply stops after the file's 100 bytes, without
			 * its tail and newline: the client says so */
			assert_int_equal(cl.rc, -2);
			assert_null(cl.reply);
			continue;
		}
		assert_int_equal(cl.rc, 0);
		if (strcmp(cl.reply, ie) != 0) {
			fail_msg("case %d: %.80s (%zu bytes), not the internal "
				"error", k, cl.reply, strlen(cl.reply));
		}
		free(cl.reply);
	}
	ctl_close(c);
}

/* A server of its own that answers one client `len` bytes of 'x', the
 * last a newline when `newline`, whatever it asked. */
struct raw_server {
	int lfd;
	size_t len;
	int newline;
};

static void *
raw_serve(void *arg)
{
	struct raw_server *rs = arg;
	static char chunk[1 << 16];
	size_t left = rs->len;
	int fd = accept(rs->lfd, NULL, NULL);
	char ch;

	memset(chunk, 'x', sizeof(chunk));
	assert_true(fd >= 0);
	while (read(fd, &ch, 1) == 1 && ch != '\n')
		;
	while (left > 0) {
		size_t k = left < sizeof(chunk) ? left : sizeof(chunk);
		ssize_t w;

		if (left == k && rs->newline)
			chunk[k - 1] = '\n';
		if ((w = send(fd, chunk, k, MSG_NOSIGNAL)) <= 0)
			break;         /* the client stopped reading */
		left -= (size_t)w;
	}
	close(fd);
	return NULL;
}

/* ctl_request() against a raw_server of `len` bytes (its last a newline
 * when `newline`) at DIR/raw.sock: its return, errno in *err. */
static int
raw_request(size_t len, int newline, char **reply, int *err)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct raw_server rs = { -1, len, newline };
	char path[128];
	pthread_t t;
	int rc;

	snprintf(path, sizeof(path), "%s/raw.sock", dir);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	unlink(path);
	rs.lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(rs.lfd >= 0);
	assert_int_equal(bind(rs.lfd, (struct sockaddr *)&sun, sizeof(sun)),
		0);
	assert_int_equal(listen(rs.lfd, 1), 0);
	assert_int_equal(pthread_create(&t, NULL, raw_serve, &rs), 0);
	*reply = NULL;
	rc = ctl_request(path, "{\"cmd\":\"ping\"}", reply, 20000);
	*err = errno;
	pthread_join(t, NULL);
	close(rs.lfd);
	unlink(path);
	return rc;
}

/* A connection that ends before the reply's newline is an error
 * (ECONNRESET), not a reply: with nothing sent, and with part of one. */
static void
client_refuses_a_reply_cut_short(void **st)
{
	char *reply;
	int err;

	(void)st;
	for (size_t len = 0; len <= 10; len += 10) {
		assert_int_equal(raw_request(len, 0, &reply, &err), -2);
		assert_int_equal(err, ECONNRESET);
		assert_null(reply);
	}
}

/* The client takes a reply of exactly CTL_REPLY_MAX bytes (newline
 * included) and refuses one byte more (EMSGSIZE), with no daemon's help:
 * a server that sends what no daemon does. */
static void
client_reads_up_to_ctl_reply_max_and_no_more(void **st)
{
	char *reply;
	int rc, err;

	(void)st;
	rc = raw_request(CTL_REPLY_MAX, 1, &reply, &err);
	if (rc != 0)
		fail_msg("a reply of CTL_REPLY_MAX bytes: %d (%s)", rc,
			strerror(err));
	assert_int_equal(strlen(reply), CTL_REPLY_MAX - 1);
	free(reply);
	assert_int_equal(raw_request(CTL_REPLY_MAX + 1, 0, &reply, &err), -2);
	assert_int_equal(err, EMSGSIZE);
	assert_null(reply);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(file_reply_is_what_cjson_prints),
		cmocka_unit_test(loop_answers_while_a_big_reply_waits),
		cmocka_unit_test(later_cap_then_every_held_reply_arrives),
		cmocka_unit_test(close_does_not_wait_for_a_stalled_client),
		cmocka_unit_test(client_reads_a_reply_above_64_mib),
		cmocka_unit_test(server_sends_no_reply_longer_than_ctl_reply_max),
		cmocka_unit_test(client_reads_up_to_ctl_reply_max_and_no_more),
		cmocka_unit_test(client_refuses_a_reply_cut_short),
	};

	/* QD_SKIP: a cmocka pattern of tests not to run.  CI's TSan build
	 * skips the replies of hundreds of MiB: the sanitizer's shadow memory
	 * makes building one longer than the daemon waits for a client. */
	if (getenv("QD_SKIP") != NULL)
		cmocka_set_skip_filter(getenv("QD_SKIP"));
	return cmocka_run_group_tests(tests, setup, teardown);
}
