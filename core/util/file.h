/*
 * util/file -- reading a whole file into memory, the one way every area
 * does it (instance and configuration files, CSV and import files, job
 * results, the dashboard's static files).
 *
 * The buffer is malloc'd, NUL-terminated after its `len` bytes (text
 * parsers can rely on it; the bytes may hold NULs of their own) and the
 * caller's to free.  A file over `max` bytes is refused whole, never cut.
 */
#ifndef QD_UTIL_FILE_H
#define QD_UTIL_FILE_H

#include <stddef.h>
#include <stdio.h>

/**
 * The whole of `path` (at most `max` bytes): the buffer and *len, or NULL
 * with errno: fopen()'s (ENOENT, EACCES, ...), EFBIG over `max`, ENOMEM,
 * EIO on a read error.
 */
char *file_read(const char *path, size_t max, size_t *len);

/** file_read() of an open stream (e.g. stdin), read to its end; the
 *  stream is left open. */
char *file_read_stream(FILE *f, size_t max, size_t *len);

#endif
