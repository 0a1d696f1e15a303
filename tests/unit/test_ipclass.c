/*
 * test_ipclass.c -- the address classifier users' URLs are checked with
 * (core/net/ipclass.h): every range, the addresses on both sides of each
 * boundary, IPv6 forms that carry an IPv4 address, odd IPv4 spellings and
 * the early URL check.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "net/ipclass.h"

struct want {
	const char *addr;
	enum ipclass c;
};

static void
check_all(const struct want *w, size_t n)
{
	char msg[160];
	size_t i;

	for (i = 0; i < n; i++) {
		enum ipclass got = IPCLASS_RESERVED;

		if (ipclass_text(w[i].addr, &got) != 0)
			fail_msg("%s: not taken as an address", w[i].addr);
		if (got != w[i].c) {
			snprintf(msg, sizeof(msg), "%s: expected %s, found %s",
				w[i].addr, ipclass_name(w[i].c),
				ipclass_name(got));
			fail_msg("%s", msg);
		}
	}
}

#define CHECK(t) check_all(t, sizeof(t) / sizeof(t[0]))

/* Each IPv4 range with the first and last address inside it and the
 * neighbours just outside. */
static void
ipv4_ranges_and_their_edges(void **state)
{
	static const struct want t[] = {
		{ "0.0.0.0", IPCLASS_UNSPECIFIED },
		{ "0.0.0.1", IPCLASS_RESERVED },
		{ "0.255.255.255", IPCLASS_RESERVED },
		{ "1.0.0.0", IPCLASS_PUBLIC },
		{ "9.255.255.255", IPCLASS_PUBLIC },
		{ "10.0.0.0", IPCLASS_PRIVATE },
		{ "10.255.255.255", IPCLASS_PRIVATE },
		{ "11.0.0.0", IPCLASS_PUBLIC },
		{ "100.63.255.255", IPCLASS_PUBLIC },
		{ "100.64.0.0", IPCLASS_SHARED },
		{ "100.127.255.255", IPCLASS_SHARED },
		{ "100.128.0.0", IPCLASS_PUBLIC },
		{ "126.255.255.255", IPCLASS_PUBLIC },
		{ "127.0.0.0", IPCLASS_LOOPBACK },
		{ "127.0.0.1", IPCLASS_LOOPBACK },
		{ "127.255.255.255", IPCLASS_LOOPBACK },
		{ "128.0.0.0", IPCLASS_PUBLIC },
		{ "169.253.255.255", IPCLASS_PUBLIC },
		{ "169.254.0.0", IPCLASS_LINK_LOCAL },
		{ "169.254.169.254", IPCLASS_LINK_LOCAL },
		{ "169.254.255.255", IPCLASS_LINK_LOCAL },
		{ "169.255.0.0", IPCLASS_PUBLIC },
		{ "172.15.255.255", IPCLASS_PUBLIC },
		{ "172.16.0.0", IPCLASS_PRIVATE },
		{ "172.31.255.255", IPCLASS_PRIVATE },
		{ "172.32.0.0", IPCLASS_PUBLIC },
		{ "191.255.255.255", IPCLASS_PUBLIC },
		{ "192.0.0.0", IPCLASS_RESERVED },
		{ "192.0.0.255", IPCLASS_RESERVED },
		{ "192.0.1.0", IPCLASS_PUBLIC },
		{ "192.0.1.255", IPCLASS_PUBLIC },
		{ "192.0.2.0", IPCLASS_RESERVED },
		{ "192.0.2.255", IPCLASS_RESERVED },
		{ "192.0.3.0", IPCLASS_PUBLIC },
		{ "192.88.98.255", IPCLASS_PUBLIC },
		{ "192.88.99.0", IPCLASS_RESERVED },
		{ "192.88.99.255", IPCLASS_RESERVED },
		{ "192.88.100.0", IPCLASS_PUBLIC },
		{ "192.167.255.255", IPCLASS_PUBLIC },
		{ "192.168.0.0", IPCLASS_PRIVATE },
		{ "192.168.255.255", IPCLASS_PRIVATE },
		{ "192.169.0.0", IPCLASS_PUBLIC },
		{ "198.17.255.255", IPCLASS_PUBLIC },
		{ "198.18.0.0", IPCLASS_RESERVED },
		{ "198.19.255.255", IPCLASS_RESERVED },
		{ "198.20.0.0", IPCLASS_PUBLIC },
		{ "198.51.99.255", IPCLASS_PUBLIC },
		{ "198.51.100.0", IPCLASS_RESERVED },
		{ "198.51.100.255", IPCLASS_RESERVED },
		{ "198.51.101.0", IPCLASS_PUBLIC },
		{ "203.0.112.255", IPCLASS_PUBLIC },
		{ "203.0.113.0", IPCLASS_RESERVED },
		{ "203.0.113.255", IPCLASS_RESERVED },
		{ "203.0.114.0", IPCLASS_PUBLIC },
		{ "223.255.255.255", IPCLASS_PUBLIC },
		{ "224.0.0.0", IPCLASS_MULTICAST },
		{ "239.255.255.255", IPCLASS_MULTICAST },
		{ "240.0.0.0", IPCLASS_RESERVED },
		{ "255.255.255.254", IPCLASS_RESERVED },
		{ "255.255.255.255", IPCLASS_BROADCAST },
		{ "8.8.8.8", IPCLASS_PUBLIC },
		{ "1.1.1.1", IPCLASS_PUBLIC },
	};

	(void)state;
	CHECK(t);
}

/* The spellings the C library's resolver takes for 127.0.0.1 and others. */
static void
ipv4_odd_spellings_are_addresses(void **state)
{
	static const struct want t[] = {
		{ "2130706433", IPCLASS_LOOPBACK },     /* 127.0.0.1 */
		{ "0x7f000001", IPCLASS_LOOPBACK },
		{ "0x7f.1", IPCLASS_LOOPBACK },
		{ "0177.0.0.1", IPCLASS_LOOPBACK },
		{ "127.1", IPCLASS_LOOPBACK },
		{ "127.0.1", IPCLASS_LOOPBACK },
		{ "0", IPCLASS_UNSPECIFIED },
		{ "0x0", IPCLASS_UNSPECIFIED },
		{ "2852039166", IPCLASS_LINK_LOCAL },   /* 169.254.169.254 */
		{ "0xa9.0xfe.0xa9.0xfe", IPCLASS_LINK_LOCAL },
		{ "012.0.0.1", IPCLASS_PRIVATE },       /* 10.0.0.1 */
		{ "3232235521", IPCLASS_PRIVATE },      /* 192.168.0.1 */
		{ "134744072", IPCLASS_PUBLIC },        /* 8.8.8.8 */
	};
	enum ipclass c;

	(void)state;
	CHECK(t);
	assert_int_equal(ipclass_text("example.com", &c), -1);
	assert_int_equal(ipclass_text("127.0.0.1.nip.io", &c), -1);
	assert_int_equal(ipclass_text("", &c), -1);
	assert_int_equal(ipclass_text("127.0.0.1 x", &c), -1);
}

static void
ipv6_ranges_and_their_edges(void **state)
{
	static const struct want t[] = {
		{ "::", IPCLASS_UNSPECIFIED },
		{ "::1", IPCLASS_LOOPBACK },
		{ "[::1]", IPCLASS_LOOPBACK },
		{ "::2", IPCLASS_RESERVED },            /* ::0.0.0.2 */
		{ "fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff", IPCLASS_RESERVED },
		{ "fe80::", IPCLASS_LINK_LOCAL },
		{ "fe80::1", IPCLASS_LINK_LOCAL },
		{ "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
		  IPCLASS_LINK_LOCAL },
		{ "fec0::", IPCLASS_PRIVATE },
		{ "feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", IPCLASS_PRIVATE },
		{ "fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", IPCLASS_RESERVED },
		{ "fc00::", IPCLASS_PRIVATE },
		{ "fd12:3456::1", IPCLASS_PRIVATE },
		{ "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", IPCLASS_PRIVATE },
		{ "fe00::", IPCLASS_RESERVED },
		{ "ff00::", IPCLASS_MULTICAST },
		{ "ff02::1", IPCLASS_MULTICAST },
		{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
		  IPCLASS_MULTICAST },
		{ "1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", IPCLASS_RESERVED },
		{ "2000::", IPCLASS_PUBLIC },
		{ "2606:4700:4700::1111", IPCLASS_PUBLIC },
		{ "3ffe:ffff::1", IPCLASS_PUBLIC },
		{ "3fff::", IPCLASS_RESERVED },
		{ "3fff:0fff:ffff:ffff:ffff:ffff:ffff:ffff",
		  IPCLASS_RESERVED },
		{ "3fff:1000::", IPCLASS_PUBLIC },
		{ "4000::", IPCLASS_RESERVED },
		{ "2001::", IPCLASS_RESERVED },         /* Teredo */
		{ "2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff",
		  IPCLASS_RESERVED },
		{ "2001:200::", IPCLASS_PUBLIC },
		{ "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", IPCLASS_PUBLIC },
		{ "2001:db8::", IPCLASS_RESERVED },
		{ "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
		  IPCLASS_RESERVED },
		{ "2001:db9::", IPCLASS_PUBLIC },
		{ "100::", IPCLASS_RESERVED },
		{ "5f00::1", IPCLASS_RESERVED },
		{ "64:ff9b:1::1", IPCLASS_PRIVATE },
	};

	(void)state;
	CHECK(t);
}

/* IPv4-mapped, -compatible, NAT64 and 6to4 forms are their IPv4. */
static void
ipv6_forms_of_ipv4_take_its_class(void **state)
{
	static const struct want t[] = {
		{ "::ffff:127.0.0.1", IPCLASS_LOOPBACK },
		{ "::ffff:7f00:1", IPCLASS_LOOPBACK },
		{ "[::ffff:169.254.169.254]", IPCLASS_LINK_LOCAL },
		{ "::ffff:10.1.2.3", IPCLASS_PRIVATE },
		{ "::ffff:192.168.1.1", IPCLASS_PRIVATE },
		{ "::ffff:100.64.0.1", IPCLASS_SHARED },
		{ "::ffff:0.0.0.0", IPCLASS_UNSPECIFIED },
		{ "::ffff:255.255.255.255", IPCLASS_BROADCAST },
		{ "::ffff:224.0.0.1", IPCLASS_MULTICAST },
		{ "::ffff:8.8.8.8", IPCLASS_PUBLIC },
		{ "::127.0.0.1", IPCLASS_LOOPBACK },
		{ "::10.0.0.1", IPCLASS_PRIVATE },
		{ "::8.8.8.8", IPCLASS_PUBLIC },
		{ "64:ff9b::127.0.0.1", IPCLASS_LOOPBACK },
		{ "64:ff9b::8.8.8.8", IPCLASS_PUBLIC },
		{ "2002:7f00:1::", IPCLASS_LOOPBACK },
		{ "2002:a9fe:a9fe::1", IPCLASS_LINK_LOCAL },
		{ "2002:0808:0808::1", IPCLASS_PUBLIC },
	};

	(void)state;
	CHECK(t);
}

static void
sockaddrs_are_classified(void **state)
{
	struct sockaddr_in a4;
	struct sockaddr_in6 a6;
	struct sockaddr other;

	(void)state;
	memset(&a4, 0, sizeof(a4));
	a4.sin_family = AF_INET;
	inet_pton(AF_INET, "169.254.169.254", &a4.sin_addr);
	assert_int_equal(ipclass_sockaddr((struct sockaddr *)&a4),
		IPCLASS_LINK_LOCAL);
	inet_pton(AF_INET, "93.184.216.34", &a4.sin_addr);
	assert_int_equal(ipclass_sockaddr((struct sockaddr *)&a4),
		IPCLASS_PUBLIC);
	memset(&a6, 0, sizeof(a6));
	a6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "::ffff:127.0.0.2", &a6.sin6_addr);
	assert_int_equal(ipclass_sockaddr((struct sockaddr *)&a6),
		IPCLASS_LOOPBACK);
	memset(&other, 0, sizeof(other));
	other.sa_family = AF_UNIX;
	assert_int_equal(ipclass_sockaddr(&other), IPCLASS_RESERVED);
	assert_int_equal(ipclass_sockaddr(NULL), IPCLASS_RESERVED);
}

static void
url_check_refuses_obviously_internal_hosts(void **state)
{
	static const char *const bad[] = {
		"http://127.0.0.1/", "http://127.0.0.1:8080/hook",
		"https://localhost/x", "http://LOCALHOST./x",
		"http://api.localhost/", "http://[::1]:9000/",
		"http://[::ffff:127.0.0.1]/", "http://2130706433/",
		"http://0x7f.1/", "http://0/", "http://0177.0.0.1/",
		"http://169.254.169.254/latest/meta-data/",
		"http://10.0.0.5/", "http://192.168.1.1/", "http://100.64.1.1/",
		"http://[fe80::1]/", "http://[fd00::1]/", "http://224.0.0.1/",
		"http://255.255.255.255/", "http://printer.local/",
		"http://metadata.google.internal/", "http://nas.home.arpa/",
		"ftp://example.com/", "http://user@example.com/",
	};
	static const char *const good[] = {
		"https://example.com/hook", "http://8.8.8.8/",
		"https://[2606:4700:4700::1111]/", "https://hooks.slack.com/x",
		"https://localhost.example.com/", "https://internalx/",
	};
	char why[160];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ipclass_url_check(bad[i], why, sizeof(why)) != -1)
			fail_msg("%s: expected a refusal", bad[i]);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (ipclass_url_check(good[i], why, sizeof(why)) != 0)
			fail_msg("%s: refused (%s)", good[i], why);
	assert_int_equal(ipclass_url_check("http://127.0.0.1:9/", why,
		sizeof(why)), -1);
	assert_string_equal(why, "127.0.0.1 is a loopback address, not a "
		"public one");
	assert_int_equal(ipclass_url_check("http://0/", why, sizeof(why)), -1);
	assert_string_equal(why, "0 is an unspecified address, not a public "
		"one");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ipv4_ranges_and_their_edges),
		cmocka_unit_test(ipv4_odd_spellings_are_addresses),
		cmocka_unit_test(ipv6_ranges_and_their_edges),
		cmocka_unit_test(ipv6_forms_of_ipv4_take_its_class),
		cmocka_unit_test(sockaddrs_are_classified),
		cmocka_unit_test(url_check_refuses_obviously_internal_hosts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
