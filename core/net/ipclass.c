/*
 * ipclass.c -- classes of IP address (see ipclass.h).
 *
 * Two tables of prefixes, most specific first; the first one that matches
 * decides.  IPv6 prefixes that carry an IPv4 address say where it is, and
 * that address decides.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "net/client.h"
#include "net/ipclass.h"

struct prefix4 {
	unsigned char p[4];
	int bits;
	enum ipclass c;
};

static const struct prefix4 v4_table[] = {
	{ { 255, 255, 255, 255 }, 32, IPCLASS_BROADCAST },
	{ { 0, 0, 0, 0 }, 32, IPCLASS_UNSPECIFIED },
	{ { 0, 0, 0, 0 }, 8, IPCLASS_RESERVED },
	{ { 10, 0, 0, 0 }, 8, IPCLASS_PRIVATE },
	{ { 100, 64, 0, 0 }, 10, IPCLASS_SHARED },
	{ { 127, 0, 0, 0 }, 8, IPCLASS_LOOPBACK },
	{ { 169, 254, 0, 0 }, 16, IPCLASS_LINK_LOCAL },
	{ { 172, 16, 0, 0 }, 12, IPCLASS_PRIVATE },
	{ { 192, 0, 0, 0 }, 24, IPCLASS_RESERVED },
	{ { 192, 0, 2, 0 }, 24, IPCLASS_RESERVED },
	{ { 192, 88, 99, 0 }, 24, IPCLASS_RESERVED },
	{ { 192, 168, 0, 0 }, 16, IPCLASS_PRIVATE },
	{ { 198, 18, 0, 0 }, 15, IPCLASS_RESERVED },
	{ { 198, 51, 100, 0 }, 24, IPCLASS_RESERVED },
	{ { 203, 0, 113, 0 }, 24, IPCLASS_RESERVED },
	{ { 224, 0, 0, 0 }, 4, IPCLASS_MULTICAST },
	{ { 240, 0, 0, 0 }, 4, IPCLASS_RESERVED },
};

/* Where an IPv6 prefix carries an IPv4 address. */
enum embed { E_NONE, E_LOW32, E_6TO4 };

struct prefix6 {
	unsigned char p[16];
	int bits;
	enum ipclass c;
	enum embed e;
};

static const struct prefix6 v6_table[] = {
	{ { 0 }, 128, IPCLASS_UNSPECIFIED, E_NONE },
	{ { [15] = 1 }, 128, IPCLASS_LOOPBACK, E_NONE },
	{ { [10] = 0xff, [11] = 0xff }, 96, IPCLASS_PUBLIC, E_LOW32 },
	{ { 0 }, 96, IPCLASS_PUBLIC, E_LOW32 },
	{ { 0x00, 0x64, 0xff, 0x9b }, 96, IPCLASS_PUBLIC, E_LOW32 },
	{ { 0x00, 0x64, 0xff, 0x9b, 0x00, 0x01 }, 48, IPCLASS_PRIVATE,
	  E_NONE },
	{ { 0x01 }, 64, IPCLASS_RESERVED, E_NONE },
	{ { 0x20, 0x01, 0x0d, 0xb8 }, 32, IPCLASS_RESERVED, E_NONE },
	{ { 0x20, 0x01 }, 23, IPCLASS_RESERVED, E_NONE },
	{ { 0x20, 0x02 }, 16, IPCLASS_PUBLIC, E_6TO4 },
	{ { 0x3f, 0xff }, 20, IPCLASS_RESERVED, E_NONE },
	{ { 0x5f, 0x00 }, 16, IPCLASS_RESERVED, E_NONE },
	{ { 0xfc }, 7, IPCLASS_PRIVATE, E_NONE },
	{ { 0xfe, 0x80 }, 10, IPCLASS_LINK_LOCAL, E_NONE },
	{ { 0xfe, 0xc0 }, 10, IPCLASS_PRIVATE, E_NONE },
	{ { 0xff }, 8, IPCLASS_MULTICAST, E_NONE },
	{ { 0x20 }, 3, IPCLASS_PUBLIC, E_NONE },
};

const char *
ipclass_name(enum ipclass c)
{
	switch (c) {
	case IPCLASS_PUBLIC: return "public";
	case IPCLASS_UNSPECIFIED: return "unspecified";
	case IPCLASS_LOOPBACK: return "loopback";
	case IPCLASS_LINK_LOCAL: return "link-local";
	case IPCLASS_PRIVATE: return "private";
	case IPCLASS_SHARED: return "shared (carrier-grade NAT)";
	case IPCLASS_MULTICAST: return "multicast";
	case IPCLASS_BROADCAST: return "broadcast";
	case IPCLASS_RESERVED: return "reserved";
	}
	return "reserved";
}

/* Whether the first `bits` bits of a and p are equal. */
static int
prefix_match(const unsigned char *a, const unsigned char *p, int bits)
{
	int whole = bits / 8, rest = bits % 8;

	if (memcmp(a, p, (size_t)whole) != 0)
		return 0;
	return rest == 0 || ((a[whole] ^ p[whole]) &
	    (unsigned char)(0xff << (8 - rest))) == 0;
}

enum ipclass
ipclass_v4(const unsigned char a[4])
{
	size_t i;

	for (i = 0; i < sizeof(v4_table) / sizeof(v4_table[0]); i++)
		if (prefix_match(a, v4_table[i].p, v4_table[i].bits))
			return v4_table[i].c;
	return IPCLASS_PUBLIC;
}

enum ipclass
ipclass_v6(const unsigned char a[16])
{
	size_t i;

	for (i = 0; i < sizeof(v6_table) / sizeof(v6_table[0]); i++) {
		const struct prefix6 *t = &v6_table[i];

		if (!prefix_match(a, t->p, t->bits))
			continue;
		if (t->e == E_LOW32)
			return ipclass_v4(a + 12);
		if (t->e == E_6TO4)
			return ipclass_v4(a + 2);
		return t->c;
	}
	return IPCLASS_RESERVED;    /* outside 2000::/3 */
}

enum ipclass
ipclass_sockaddr(const struct sockaddr *sa)
{
	if (sa != NULL && sa->sa_family == AF_INET)
		return ipclass_v4((const unsigned char *)&((const struct
		    sockaddr_in *)(const void *)sa)->sin_addr);
	if (sa != NULL && sa->sa_family == AF_INET6)
		return ipclass_v6(((const struct sockaddr_in6 *)
		    (const void *)sa)->sin6_addr.s6_addr);
	return IPCLASS_RESERVED;
}

int
ipclass_text(const char *text, enum ipclass *out)
{
	char buf[64];
	unsigned char a[16];
	struct in_addr in4;
	size_t n = strlen(text);

	if (n >= 2 && text[0] == '[' && text[n - 1] == ']') {
		text++;
		n -= 2;
	}
	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, text, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET6, buf, a) == 1) {
		*out = ipclass_v6(a);
		return 0;
	}
	/* inet_aton takes every IPv4 spelling getaddrinfo takes (and stops
	 * at white space, which no host of a URL holds: refuse it). */
	if (strpbrk(buf, " \t\r\n") == NULL && inet_aton(buf, &in4) != 0) {
		*out = ipclass_v4((const unsigned char *)&in4);
		return 0;
	}
	return -1;
}

/* Whether name (lower case, no trailing dot) is `suffix` or ends in
 * ".suffix". */
static int
in_domain(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);

	return strcmp(name, suffix) == 0 || (n > s + 1 &&
	    name[n - s - 1] == '.' && strcmp(name + n - s, suffix) == 0);
}

int
ipclass_url_check(const char *url, char *why, size_t cap)
{
	static const char *const internal[] = { "localhost", "local",
		"internal", "home.arpa", NULL };
	char host[256];
	enum ipclass c;
	size_t i, n;
	int port;

	if (netc_url_host(url, host, sizeof(host), &port) != 0) {
		snprintf(why, cap, "the URL's host cannot be read");
		return -1;
	}
	if (ipclass_text(host, &c) == 0) {
		if (c == IPCLASS_PUBLIC)
			return 0;
		snprintf(why, cap, "%.80s is a%s %s address, not a public one",
			host, c == IPCLASS_UNSPECIFIED ? "n" : "",
			ipclass_name(c));
		return -1;
	}
	for (i = 0; host[i]; i++)
		if (host[i] >= 'A' && host[i] <= 'Z')
			host[i] = (char)(host[i] - 'A' + 'a');
	if ((n = strlen(host)) > 1 && host[n - 1] == '.')
		host[n - 1] = '\0';
	for (i = 0; internal[i] != NULL; i++)
		if (in_domain(host, internal[i])) {
			snprintf(why, cap, "%.80s is an internal host name "
				"(*.%s), not a public one", host, internal[i]);
			return -1;
		}
	return 0;
}
