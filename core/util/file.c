/*
 * file.c -- reading a whole file (see file.h).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "util/file.h"

/* Room added at a time: whole files are small or read once. */
#define FIRST_CAP 8192

char *
file_read_stream(FILE *f, size_t max, size_t *len)
{
	char *buf = NULL, *nb;
	size_t n = 0, cap = 0, got;

	if (max > SIZE_MAX / 2)
		max = SIZE_MAX / 2;
	for (;;) {
		if (n + 1 >= cap) {
			/* one byte past max tells a file over it; one more
			 * for the NUL */
			size_t want = cap ? cap * 2 : FIRST_CAP;

			if (want > max + 2 || want < cap)
				want = max + 2;
			if (want <= n + 1 || (nb = realloc(buf, want)) == NULL) {
				free(buf);
				errno = ENOMEM;
				return NULL;
			}
			buf = nb;
			cap = want;
		}
		got = fread(buf + n, 1, cap - 1 - n, f);
		n += got;
		if (n > max) {
			free(buf);
			errno = EFBIG;
			return NULL;
		}
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		errno = EIO;
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

char *
file_read(const char *path, size_t max, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	int e;

	if (f == NULL)
		return NULL;
	buf = file_read_stream(f, max, len);
	e = errno;
	fclose(f);
	errno = e;
	return buf;
}
