/*
 * test_util.c -- reading whole files: every byte with a NUL after them,
 * files at and over the cap, a missing file, a stream.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "util/file.h"

/* A temporary file of `n` bytes (a pattern with NULs in it); its path. */
static char *
temp_file(size_t n)
{
	char *path = strdup("/tmp/qd-test-util-XXXXXX");
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "wb");

	assert_non_null(f);
	for (size_t i = 0; i < n; i++)
		fputc((int)(i % 251), f);
	fclose(f);
	return path;
}

static void
file_read_gives_every_byte_and_a_nul(void **unused)
{
	/* sizes around the buffer's growth steps */
	static const size_t sizes[] = { 0, 1, 8190, 8191, 8192, 8193, 100000 };

	(void)unused;
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		char *path = temp_file(sizes[k]);
		size_t len = 7;
		char *buf = file_read(path, 1 << 20, &len);

		assert_non_null(buf);
		assert_int_equal(len, sizes[k]);
		for (size_t i = 0; i < len; i++)
			if ((unsigned char)buf[i] != i % 251)
				fail_msg("size %zu: byte %zu is %u", sizes[k], i,
					(unsigned char)buf[i]);
		assert_int_equal(buf[len], '\0');
		free(buf);
		unlink(path);
		free(path);
	}
}

static void
file_read_refuses_a_file_over_the_cap(void **unused)
{
	char *path = temp_file(10000);
	size_t len = 0;
	char *buf;

	(void)unused;
	buf = file_read(path, 10000, &len);
	assert_non_null(buf);
	assert_int_equal(len, 10000);
	free(buf);
	errno = 0;
	assert_null(file_read(path, 9999, &len));
	assert_int_equal(errno, EFBIG);
	errno = 0;
	assert_null(file_read(path, 0, &len));
	assert_int_equal(errno, EFBIG);
	unlink(path);
	free(path);
}

static void
file_read_says_why_a_file_cannot_be_read(void **unused)
{
	size_t len;

	(void)unused;
	errno = 0;
	assert_null(file_read("/nonexistent/qd-test", 100, &len));
	assert_int_equal(errno, ENOENT);
	errno = 0;
	/* a directory opens but does not read */
	assert_null(file_read("/", 100, &len));
	assert_true(errno == EIO || errno == EISDIR);
}

static void
file_read_stream_reads_to_the_end(void **unused)
{
	char *path = temp_file(5000);
	FILE *f = fopen(path, "rb");
	size_t len = 0;
	char *buf;

	(void)unused;
	assert_int_equal(fgetc(f), 0);       /* from where the stream is */
	buf = file_read_stream(f, 1 << 20, &len);
	assert_non_null(buf);
	assert_int_equal(len, 4999);
	assert_int_equal((unsigned char)buf[0], 1);
	assert_int_equal(buf[len], '\0');
	assert_int_equal(fgetc(f), EOF);     /* left open, at its end */
	fclose(f);
	free(buf);
	unlink(path);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(file_read_gives_every_byte_and_a_nul),
		cmocka_unit_test(file_read_refuses_a_file_over_the_cap),
		cmocka_unit_test(file_read_says_why_a_file_cannot_be_read),
		cmocka_unit_test(file_read_stream_reads_to_the_end),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
