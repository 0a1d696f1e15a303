/*
 * ipclass -- what kind of destination an IP address is: a public unicast
 * address, or one of the ranges a request made for a platform user must
 * never reach (the host's loopback, a LAN, the cloud's metadata service at
 * 169.254.169.254, ...).
 *
 * Users' own notification channels (core/notify/channel.h) name URLs the
 * daemon then calls.  Without a check a user could point a webhook at
 * http://127.0.0.1:8080/admin or at the metadata service and have the
 * daemon make the request for them (server-side request forgery).  The
 * client (core/net/client.h, NETC_PUBLIC_ONLY) classifies the address it
 * is about to connect to, after the name lookup, so that a name resolving
 * to an internal address (127.0.0.1, DNS rebinding) is refused too; the
 * channel commands refuse obviously internal URLs early with
 * ipclass_url_check().
 *
 * Ranges (IANA's special-purpose registries, RFC 6890 and successors):
 *   IPv4  0.0.0.0 unspecified, 0/8 reserved, 10/8 private, 100.64/10
 *         shared (carrier-grade NAT), 127/8 loopback, 169.254/16
 *         link-local, 172.16/12 private, 192.0.0/24 reserved, 192.0.2/24
 *         reserved (documentation), 192.88.99/24 reserved (6to4 relay),
 *         192.168/16 private, 198.18/15 reserved (benchmarking),
 *         198.51.100/24 and 203.0.113/24 reserved (documentation), 224/4
 *         multicast, 240/4 reserved, 255.255.255.255 broadcast.
 *   IPv6  :: unspecified, ::1 loopback, ::ffff:0:0/96 (IPv4-mapped),
 *         ::/96 (IPv4-compatible), 64:ff9b::/96 (NAT64) and 2002::/16
 *         (6to4): the class of the IPv4 address inside; 64:ff9b:1::/48
 *         private; 100::/64 reserved (discard); 2001::/23 reserved (IETF,
 *         Teredo included); 2001:db8::/32 and 3fff::/20 reserved
 *         (documentation); 5f00::/16 reserved (SRv6); fc00::/7 private
 *         (unique local); fe80::/10 link-local; fec0::/10 private
 *         (site-local); ff00::/8 multicast; anything outside 2000::/3
 *         reserved.
 * Everything else is public.
 */
#ifndef QD_NET_IPCLASS_H
#define QD_NET_IPCLASS_H

#include <stddef.h>

struct sockaddr;

/** Classes of address.  Only grows. */
enum ipclass {
	IPCLASS_PUBLIC = 0,
	IPCLASS_UNSPECIFIED,
	IPCLASS_LOOPBACK,
	IPCLASS_LINK_LOCAL,
	IPCLASS_PRIVATE,
	IPCLASS_SHARED,         /**< 100.64/10, carrier-grade NAT */
	IPCLASS_MULTICAST,
	IPCLASS_BROADCAST,
	IPCLASS_RESERVED,
};

/** "public", "loopback", "link-local", ... */
const char *ipclass_name(enum ipclass c);

/** The class of an IPv4 address (4 bytes, network order). */
enum ipclass ipclass_v4(const unsigned char a[4]);
/** The class of an IPv6 address (16 bytes); IPv4 forms inside it are
 *  classified as the IPv4 address they carry. */
enum ipclass ipclass_v6(const unsigned char a[16]);
/** The class of an AF_INET or AF_INET6 socket address; any other family
 *  is IPCLASS_RESERVED. */
enum ipclass ipclass_sockaddr(const struct sockaddr *sa);

/**
 * The class of `text` when it is a numeric address as a connection would
 * take it: IPv6 (with or without [brackets]) or IPv4 in any of the forms
 * the C library's resolver accepts (dotted decimal, and also 2130706433,
 * 0x7f.1, 0177.0.0.1, 0 ...).  0 with *out, or -1 when text is a name.
 */
int ipclass_text(const char *text, enum ipclass *out);

/**
 * Refuse a URL whose host is obviously not public, before any lookup: a
 * numeric host (any spelling ipclass_text takes) that is not public, or
 * a name the resolver answers locally ("localhost", "*.localhost") or
 * that is by definition internal ("*.local", "*.internal",
 * "*.home.arpa").  0 when the URL may be used (a name can still resolve
 * to an internal address: the client checks again when it connects);
 * -1 with `why` ("127.0.0.1 is a loopback address") otherwise, or for a
 * URL whose host cannot be read.
 */
int ipclass_url_check(const char *url, char *why, size_t cap);

#endif
