/*
 * frame.c -- bounds-checked frame encoding and decoding.
 */
#include <math.h>
#include <string.h>
#include <sys/socket.h>

#include "sandbox/frame.h"

static const char *const type_names[] = {
	[F_INIT] = "F_INIT", [F_CALL_START] = "F_CALL_START",
	[F_CALL_STOP] = "F_CALL_STOP", [F_CALL_BARS] = "F_CALL_BARS",
	[F_CALL_TRADE] = "F_CALL_TRADE", [F_CALL_ORDER] = "F_CALL_ORDER",
	[F_CALL_TIMER] = "F_CALL_TIMER", [F_REPLY] = "F_REPLY",
	[F_REPLY_DATA] = "F_REPLY_DATA",
	[F_REPLY_POSITION] = "F_REPLY_POSITION",
	[F_REPLY_STOP] = "F_REPLY_STOP",
	[F_READY] = "F_READY", [F_FAIL] = "F_FAIL", [F_DONE] = "F_DONE",
	[F_LOG] = "F_LOG", [F_ORDER_SUBMIT] = "F_ORDER_SUBMIT",
	[F_ORDER_CANCEL] = "F_ORDER_CANCEL", [F_SUBSCRIBE] = "F_SUBSCRIBE",
	[F_TIMER_ADD] = "F_TIMER_ADD", [F_TIMER_CANCEL] = "F_TIMER_CANCEL",
	[F_STATE_SAVE] = "F_STATE_SAVE", [F_STATE_LOAD] = "F_STATE_LOAD",
	[F_POSITION_GET] = "F_POSITION_GET", [F_ACCOUNT_GET] = "F_ACCOUNT_GET",
	[F_SYMBOL_INTERN] = "F_SYMBOL_INTERN",
	[F_SYMBOL_NAME] = "F_SYMBOL_NAME", [F_RETIRED] = "F_RETIRED",
	[F_DESCRIBE] = "F_DESCRIBE", [F_PROGRESS] = "F_PROGRESS",
	[F_ANNOTATE] = "F_ANNOTATE",
};

const char *
frame_type_name(unsigned type)
{
	if (type < F_TYPE_MAX && type_names[type] != NULL)
		return type_names[type];
	return "unknown";
}

int
frame_check_header(const unsigned char *buf, struct frame_hdr *h,
	const char **why)
{
	memcpy(&h->len, buf, 4);
	memcpy(&h->type, buf + 4, 2);
	memcpy(&h->flags, buf + 6, 2);
	memcpy(&h->seq, buf + 8, 4);
	if (h->len > FRAME_MAX) {
		*why = "frame longer than 1 MiB";
		return -1;
	}
	if (h->type >= F_TYPE_MAX || type_names[h->type] == NULL) {
		*why = "unknown frame type";
		return -1;
	}
	if (h->flags != 0) {
		*why = "reserved flags set";
		return -1;
	}
	return 0;
}

void
frame_begin(struct frame_out *o, unsigned char *buf, size_t cap,
	uint16_t type, uint32_t seq)
{
	uint16_t flags = 0;

	o->buf = buf;
	o->cap = cap;
	o->len = FRAME_HDR;
	o->failed = cap < FRAME_HDR;
	if (!o->failed) {
		memcpy(buf + 4, &type, 2);
		memcpy(buf + 6, &flags, 2);
		memcpy(buf + 8, &seq, 4);
	}
}

void
frame_put(struct frame_out *o, const void *p, size_t n)
{
	if (o->failed || n > o->cap - o->len || o->len + n - FRAME_HDR >
	    FRAME_MAX) {
		o->failed = 1;
		return;
	}
	memcpy(o->buf + o->len, p, n);
	o->len += n;
}

void
frame_put_u32(struct frame_out *o, uint32_t v)
{
	frame_put(o, &v, 4);
}

void
frame_put_u64(struct frame_out *o, uint64_t v)
{
	frame_put(o, &v, 8);
}

void
frame_put_i64(struct frame_out *o, int64_t v)
{
	frame_put(o, &v, 8);
}

void
frame_put_f64(struct frame_out *o, double v)
{
	frame_put(o, &v, 8);
}

void
frame_put_str(struct frame_out *o, const char *s)
{
	frame_put(o, s ? s : "", strlen(s ? s : "") + 1);
}

size_t
frame_end(struct frame_out *o)
{
	uint32_t len;

	if (o->failed)
		return 0;
	len = (uint32_t)(o->len - FRAME_HDR);
	memcpy(o->buf, &len, 4);
	return o->len;
}

void
frame_in_init(struct frame_in *in, const unsigned char *p, size_t n)
{
	in->p = p;
	in->left = n;
	in->bad = 0;
}

const void *
frame_get_bytes(struct frame_in *in, size_t n)
{
	const void *r;

	if (in->bad || n > in->left) {
		in->bad = 1;
		return NULL;
	}
	r = in->p;
	in->p += n;
	in->left -= n;
	return r;
}

uint32_t
frame_get_u32(struct frame_in *in)
{
	const void *p = frame_get_bytes(in, 4);
	uint32_t v = 0;

	if (p)
		memcpy(&v, p, 4);
	return v;
}

uint64_t
frame_get_u64(struct frame_in *in)
{
	const void *p = frame_get_bytes(in, 8);
	uint64_t v = 0;

	if (p)
		memcpy(&v, p, 8);
	return v;
}

int64_t
frame_get_i64(struct frame_in *in)
{
	return (int64_t)frame_get_u64(in);
}

double
frame_get_f64(struct frame_in *in)
{
	const void *p = frame_get_bytes(in, 8);
	double v = 0.0;

	if (p)
		memcpy(&v, p, 8);
	return v;
}

const char *
frame_get_str(struct frame_in *in, size_t max)
{
	const unsigned char *nul;
	const char *s;

	if (in->bad)
		return NULL;
	nul = memchr(in->p, '\0', in->left < max + 1 ? in->left : max + 1);
	if (nul == NULL) {
		in->bad = 1;
		return NULL;
	}
	s = (const char *)in->p;
	frame_get_bytes(in, (size_t)(nul - in->p) + 1);
	return s;
}

int
frame_in_done(const struct frame_in *in)
{
	return in->bad || in->left != 0 ? -1 : 0;
}

/* ---- passing a descriptor --------------------------------------------------- */

/* One byte of payload with `fd` (or none) as SCM_RIGHTS. */
union fd_ctl {
	struct cmsghdr h;
	char buf[CMSG_SPACE(sizeof(int))];
};

int
frame_send_fd(int sock, int fd)
{
	char byte = 'F';
	struct iovec iov = { &byte, 1 };
	union fd_ctl ctl;
	struct msghdr m;
	struct cmsghdr *c;

	memset(&m, 0, sizeof(m));
	memset(&ctl, 0, sizeof(ctl));
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = ctl.buf;
	m.msg_controllen = sizeof(ctl.buf);
	c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &m, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

int
frame_recv_fd(int sock)
{
	char byte;
	struct iovec iov = { &byte, 1 };
	union fd_ctl ctl;
	struct msghdr m;
	struct cmsghdr *c;
	int fd = -1;

	memset(&m, 0, sizeof(m));
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = ctl.buf;
	m.msg_controllen = sizeof(ctl.buf);
	if (recvmsg(sock, &m, MSG_CMSG_CLOEXEC | MSG_DONTWAIT) != 1)
		return -1;
	c = CMSG_FIRSTHDR(&m);
	if (c != NULL && c->cmsg_level == SOL_SOCKET &&
	    c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int)) &&
	    !(m.msg_flags & MSG_CTRUNC))
		memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}
