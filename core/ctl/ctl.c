/*
 * ctl.c -- control socket server (libevent) and client (blocking).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "ctl/ctl.h"
#include "log/log.h"
#include "loop/loop.h"

#define MAX_REQUEST (64 * 1024)
#define SEND_WAIT_MS 10000          /* for a client to take a piece */
#define PIECE (16 * 1024)           /* file bytes read at once */

struct ctl {
	struct evconnlistener *lst;
	char *path;
	ctl_handler fn;
	void *arg;
	/* replies taken over (ctl_defer()) and not yet done */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct ctl_later *laters;
	size_t n_laters;
};

/* The connection whose request a handler is answering (loop thread). */
struct ctl_conn {
	struct ctl *c;
	struct bufferevent *bev;
	struct ctl_later *later;   /* set by ctl_defer() */
};

/* A reply given later: what its thread writes, then the connection is
 * closed and this freed (later_end()). */
struct ctl_later {
	struct ctl *c;
	struct ctl_later *prev, *next;   /* in c->laters (c->mu) */
	int sock;                  /* the client's connection, non-blocking */
	char *reply;               /* a whole reply (malloc'd), or */
	char *head, *tail;         /* around the bytes of file_fd as a JSON */
	int file_fd;               /* string */
	size_t len;
};

static const char internal_error[] = "{\"error\":{\"code\":\"internal\","
	"\"message\":\"the request could not be handled\"}}";

/* Whether a reply made in memory is one a client reads (CTL_REPLY_MAX,
 * its newline included); logged when it is not. */
static int
reply_fits(const char *reply)
{
	size_t n = strlen(reply);

	if (n < CTL_REPLY_MAX)
		return 1;
	log_error("ctl", "a reply of %zu bytes is longer than the %zu a "
		"client reads: the internal error is sent instead", n,
		(size_t)CTL_REPLY_MAX);
	return 0;
}

static void
conn_event(struct bufferevent *bev, short what, void *arg)
{
	(void)what;
	(void)arg;
	bufferevent_free(bev);
}

static void
conn_written(struct bufferevent *bev, void *arg)
{
	(void)arg;
	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		bufferevent_free(bev);
}

static void
conn_read(struct bufferevent *bev, void *arg)
{
	struct ctl *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct ctl_conn conn = { c, bev, NULL };
	size_t len;
	char *line, *reply;

	line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF);
	if (line == NULL) {
		if (evbuffer_get_length(in) > MAX_REQUEST) {
			static const char tl[] = "{\"error\":{\"code\":"
				"\"too_large\",\"message\":\"request longer "
				"than 64 KiB\"}}\n";

			bufferevent_disable(bev, EV_READ);
			bufferevent_setcb(bev, NULL, conn_written, conn_event,
				c);
			bufferevent_write(bev, tl, sizeof(tl) - 1);
		}
		return;
	}
	reply = strlen(line) == len ? c->fn(c->arg, line, &conn) : NULL;
	/* a request may carry a secret (quantctl secrets set, notify
	 * channel set --secret-stdin): not left in freed memory */
	explicit_bzero(line, len);
	free(line);
	if (conn.later != NULL) {
		/* answered by the later's thread, on a descriptor of its own */
		free(reply);
		bufferevent_free(bev);
		return;
	}
	bufferevent_disable(bev, EV_READ);
	bufferevent_setcb(bev, NULL, conn_written, conn_event, c);
	if (reply == NULL || !reply_fits(reply))
		bufferevent_write(bev, internal_error,
			sizeof(internal_error) - 1);
	else
		bufferevent_write(bev, reply, strlen(reply));
	bufferevent_write(bev, "\n", 1);
	free(reply);
}

static void
on_accept(struct evconnlistener *lst, evutil_socket_t fd, struct sockaddr *sa,
	int salen, void *arg)
{
	struct ctl *c = arg;
	struct bufferevent *bev;
	struct timeval tv = { 10, 0 };

	(void)sa;
	(void)salen;
	bev = bufferevent_socket_new(evconnlistener_get_base(lst), fd,
		BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		close(fd);
		return;
	}
	bufferevent_setcb(bev, conn_read, NULL, conn_event, c);
	bufferevent_set_timeouts(bev, &tv, &tv);
	bufferevent_enable(bev, EV_READ);
}

struct ctl *
ctl_listen(struct loop *l, const char *path, ctl_handler fn, void *arg)
{
	struct ctl *c;
	struct sockaddr_un sun;
	char *reply = NULL;
	mode_t old;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_error("ctl", "control socket path %s is longer than %zu "
			"bytes; set control_socket to a shorter path", path,
			sizeof(sun.sun_path) - 1);
		return NULL;
	}
	if (ctl_request(path, "{\"cmd\":\"ping\"}", &reply, 500) == 0) {
		free(reply);
		log_error("ctl", "another quantd is already serving %s; stop "
			"it or set another control_socket", path);
		return NULL;
	}
	unlink(path);
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->path = strdup(path)) == NULL) {
		free(c);
		return NULL;
	}
	c->fn = fn;
	c->arg = arg;
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	old = umask(077);
	c->lst = evconnlistener_new_bind(loop_base(l), on_accept, c,
		LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 16,
		(struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (c->lst == NULL) {
		log_error("ctl", "cannot listen on %s: %s", path,
			strerror(errno));
		pthread_mutex_destroy(&c->mu);
		pthread_cond_destroy(&c->cv);
		free(c->path);
		free(c);
		return NULL;
	}
	return c;
}

void
ctl_close(struct ctl *c)
{
	struct ctl_later *l;

	if (c == NULL)
		return;
	evconnlistener_free(c->lst);
	unlink(c->path);
	pthread_mutex_lock(&c->mu);
	for (l = c->laters; l != NULL; l = l->next)
		shutdown(l->sock, SHUT_RDWR);
	while (c->n_laters > 0)
		pthread_cond_wait(&c->cv, &c->mu);
	pthread_mutex_unlock(&c->mu);
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
	free(c->path);
	free(c);
}

/* ---- replies given later -------------------------------------------------- */

struct ctl_later *
ctl_defer(struct ctl_conn *conn)
{
	struct ctl_later *l;
	struct ctl *c;

	if (conn == NULL || conn->later != NULL ||
	    (l = calloc(1, sizeof(*l))) == NULL)
		return NULL;
	c = conn->c;
	l->c = c;
	l->file_fd = -1;
	/* a descriptor of its own: the connection's bufferevent is freed
	 * (closing its descriptor) as soon as the handler returns */
	if ((l->sock = fcntl(bufferevent_getfd(conn->bev), F_DUPFD_CLOEXEC,
	    0)) < 0) {
		free(l);
		return NULL;
	}
	pthread_mutex_lock(&c->mu);
	if (c->n_laters >= CTL_LATER_MAX) {
		pthread_mutex_unlock(&c->mu);
		log_warn("ctl", "%d replies in flight: a request is answered "
			"busy", CTL_LATER_MAX);
		close(l->sock);
		free(l);
		return NULL;
	}
	l->next = c->laters;
	if (c->laters != NULL)
		c->laters->prev = l;
	c->laters = l;
	c->n_laters++;
	pthread_mutex_unlock(&c->mu);
	conn->later = l;
	return l;
}

/* Done: the connection closed, `l` unlinked and freed (its thread). */
static void
later_end(struct ctl_later *l)
{
	struct ctl *c = l->c;

	if (l->file_fd >= 0)
		close(l->file_fd);
	free(l->reply);
	free(l->head);
	free(l->tail);
	pthread_mutex_lock(&c->mu);
	/* closed under the lock: ctl_close() never shuts down a descriptor
	 * number that something else opened since */
	close(l->sock);
	if (l->prev != NULL)
		l->prev->next = l->next;
	else
		c->laters = l->next;
	if (l->next != NULL)
		l->next->prev = l->prev;
	c->n_laters--;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
	free(l);
}

/* Write all of p[0..n) to the client: 0, or -1 when it is gone or took
 * nothing for SEND_WAIT_MS. */
static int
later_send(struct ctl_later *l, const char *p, size_t n)
{
	while (n > 0) {
		struct pollfd pfd = { l->sock, POLLOUT, 0 };
		ssize_t w = send(l->sock, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		int pr;

		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
			return -1;
		pr = poll(&pfd, 1, SEND_WAIT_MS);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0 || (pfd.revents & (POLLERR | POLLHUP)))
			return -1;
	}
	return 0;
}

/*
 * in[0..n) as the inside of a JSON string, as cJSON prints one, into out
 * (room for 6 * n bytes).  Returns the length written.
 */
static size_t
json_string_bytes(const unsigned char *in, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char ch = in[i];

		if (ch >= 0x20 && ch != '"' && ch != '\\') {
			out[o++] = (char)ch;
			continue;
		}
		out[o++] = '\\';
		switch (ch) {
		case '"': out[o++] = '"'; break;
		case '\\': out[o++] = '\\'; break;
		case '\b': out[o++] = 'b'; break;
		case '\f': out[o++] = 'f'; break;
		case '\n': out[o++] = 'n'; break;
		case '\r': out[o++] = 'r'; break;
		case '\t': out[o++] = 't'; break;
		default:
			memcpy(out + o, "u00", 3);
			out[o + 3] = hex[ch >> 4];
			out[o + 4] = hex[ch & 15];
			o += 5;
		}
	}
	return o;
}

/* The file's `len` bytes, a piece at a time: 0, or -1 (a client gone,
 * a file that cannot be read or is shorter than it was). */
static int
later_stream(struct ctl_later *l)
{
	unsigned char *in = malloc(PIECE);
	char *out = malloc(6 * PIECE);
	size_t off = 0;
	int rc = -1;

	if (in == NULL || out == NULL)
		goto done;
	while (off < l->len) {
		size_t want = l->len - off < PIECE ? l->len - off : PIECE;
		ssize_t r = pread(l->file_fd, in, want, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			goto done;
		off += (size_t)r;
		if (later_send(l, out, json_string_bytes(in, (size_t)r,
		    out)) != 0)
			goto done;
	}
	rc = 0;
done:
	free(in);
	free(out);
	return rc;
}

static void *
later_main(void *arg)
{
	struct ctl_later *l = arg;

	if (l->file_fd < 0) {
		const char *r = l->reply && reply_fits(l->reply) ? l->reply :
			internal_error;

		if (later_send(l, r, strlen(r)) == 0)
			later_send(l, "\n", 1);
	} else if (later_send(l, l->head, strlen(l->head)) == 0 &&
	    later_stream(l) == 0 &&
	    later_send(l, l->tail, strlen(l->tail)) == 0) {
		later_send(l, "\n", 1);
	}
	later_end(l);
	return NULL;
}

/* Start the thread that writes `l`'s reply (or end it, when none
 * starts: the client finds the connection closed). */
static void
later_start(struct ctl_later *l)
{
	pthread_attr_t at;
	pthread_t t;
	int rc;

	if ((rc = pthread_attr_init(&at)) == 0) {
		pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
		rc = pthread_create(&t, &at, later_main, l);
		pthread_attr_destroy(&at);
	}
	if (rc != 0) {
		log_error("ctl", "a reply is dropped: no thread for it: %s",
			strerror(rc));
		later_end(l);
	}
}

void
ctl_later_reply(struct ctl_later *l, char *reply)
{
	l->reply = reply;
	later_start(l);
}

void
ctl_later_file(struct ctl_later *l, const char *head, int fd, size_t len,
	const char *tail)
{
	l->file_fd = fd;
	l->len = len;
	if (len > CTL_FILE_MAX ||
	    strlen(head) + strlen(tail) > CTL_FRAME_MAX) {
		log_error("ctl", "a file of %zu bytes in a frame of %zu is "
			"more than a client reads (%zu, %zu): the internal "
			"error is sent instead", len, strlen(head) +
			strlen(tail), CTL_FILE_MAX, CTL_FRAME_MAX);
		close(fd);
		l->file_fd = -1;
	} else if ((l->head = strdup(head)) == NULL ||
	    (l->tail = strdup(tail)) == NULL) {
		close(fd);
		l->file_fd = -1;       /* the internal error instead */
	}
	later_start(l);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * The reply's buffer, with room for at least one more byte than it holds
 * (n) and its NUL: 0, or -1 (errno ENOMEM).  It doubles, up to one byte
 * more than the longest reply and its NUL, so that a longer one is seen.
 */
static int
reply_room(char **buf, size_t *cap, size_t n)
{
	size_t want = *cap;
	char *nb;

	while (n + 2 > want)
		want = want > (CTL_REPLY_MAX + 2) / 2 ? CTL_REPLY_MAX + 2 :
			want * 2;
	if (want == *cap)
		return 0;
	if ((nb = realloc(*buf, want)) == NULL)
		return -1;
	*buf = nb;
	*cap = want;
	return 0;
}

int
ctl_request(const char *path, const char *request, char **reply,
	int timeout_ms)
{
	struct sockaddr_un sun;
	int fd, saved;
	size_t len = strlen(request), off = 0, n = 0, cap = 4096;
	char *buf = NULL;
	int64_t deadline = now_ms() + timeout_ms;

	*reply = NULL;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -2;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -2;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return (saved == ENOENT || saved == ECONNREFUSED) ? -1 : -2;
	}
	while (off < len + 1) {
		const char *p = off < len ? request + off : "\n";
		size_t want = off < len ? len - off : 1;
		ssize_t w = send(fd, p, want, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		off += (size_t)w;
	}
	if ((buf = malloc(cap)) == NULL)
		goto fail;
	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		int64_t left = deadline - now_ms();
		ssize_t r;
		int pr;

		if (left <= 0) {
			errno = ETIMEDOUT;
			goto fail;
		}
		pr = poll(&pfd, 1, (int)left);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0) {
			errno = pr == 0 ? ETIMEDOUT : errno;
			goto fail;
		}
		if (reply_room(&buf, &cap, n) != 0)
			goto fail;
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto fail;
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > CTL_REPLY_MAX) {
			errno = EMSGSIZE;
			goto fail;
		}
		/* a long reply: the time to wait is for each piece */
		deadline = now_ms() + timeout_ms;
	}
	/* every reply ends with its newline: without it, the daemon
	 * dropped the connection before its answer was whole */
	if (n == 0 || buf[n - 1] != '\n') {
		errno = ECONNRESET;
		goto fail;
	}
	close(fd);
	buf[n - 1] = '\0';
	*reply = buf;
	return 0;
fail:
	saved = errno;
	free(buf);
	close(fd);
	errno = saved;
	return -2;
}

char *
ctl_error_field(const char *code, const char *msg, const char *field)
{
	cJSON *o = cJSON_CreateObject(), *e = cJSON_AddObjectToObject(o,
		"error");
	char *s;

	cJSON_AddStringToObject(e, "code", code);
	cJSON_AddStringToObject(e, "message", msg);
	if (field != NULL)
		cJSON_AddStringToObject(e, "field", field);
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

char *
ctl_error(const char *code, const char *msg)
{
	return ctl_error_field(code, msg, NULL);
}
