/*
 * bench_loader.c -- time to discover, check and register 50 plugin modules,
 * against the limit: dlopen + dlsym + dlclose of the same 50 files with no
 * checks at all.
 *
 * The 50 modules are copies of tests/plugins tp-good.so whose plugin name is
 * patched in place ("tp-good" -> "tp-g00d" ... "tp-g49d"), so each is a
 * distinct, valid plugin.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log/log.h"
#include "plugin/plugin.h"

#define N_MODULES 50
#define ROUNDS 21

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Write N_MODULES renamed copies of `src` into `dir`.  0 or -1. */
static int
make_copies(const char *src, const char *dir)
{
	FILE *f = fopen(src, "rb");
	char *buf, *hit = NULL;
	long n, i;
	int k;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) <= 0)
		return -1;
	rewind(f);
	if ((buf = malloc((size_t)n)) == NULL ||
	    fread(buf, 1, (size_t)n, f) != (size_t)n)
		return -1;
	fclose(f);
	for (i = 0; i + 8 <= n; i++)
		if (memcmp(buf + i, "tp-good", 8) == 0) {
			hit = buf + i;
			break;
		}
	if (hit == NULL)
		return -1;
	for (k = 0; k < N_MODULES; k++) {
		char path[512];

		snprintf(path, sizeof(path), "%s/p%02d.so", dir, k);
		hit[4] = (char)('0' + k / 10);
		hit[5] = (char)('0' + k % 10);
		if ((f = fopen(path, "wb")) == NULL ||
		    fwrite(buf, 1, (size_t)n, f) != (size_t)n)
			return -1;
		fclose(f);
	}
	free(buf);
	return 0;
}

int
main(void)
{
	char dir[] = "/tmp/qd-bench-loader-XXXXXX", src[4096];
	double t_load[ROUNDS], t_raw[ROUNDS];
	int r, k;

	snprintf(src, sizeof(src), "%s/tests/plugins/.libs/tp-good.so",
		QD_TEST_BUILDDIR);
	if (mkdtemp(dir) == NULL || make_copies(src, dir) != 0) {
		fprintf(stderr, "bench_loader: cannot prepare modules from %s "
			"(run make check first to build test plugins)\n", src);
		return 1;
	}
	log_open("/dev/null", QD_LOG_ERROR);
	for (r = 0; r < ROUNDS; r++) {
		struct plugin_registry *reg = plugin_registry_new();
		double t0 = now_s();
		int loaded = plugin_load_dir(reg, dir);

		plugin_resolve(reg);
		t_load[r] = now_s() - t0;
		if (loaded != N_MODULES) {
			fprintf(stderr, "bench_loader: loaded %d of %d\n",
				loaded, N_MODULES);
			return 1;
		}
		plugin_registry_free(reg);

		t0 = now_s();
		for (k = 0; k < N_MODULES; k++) {
			char path[512];
			void *h;

			snprintf(path, sizeof(path), "%s/p%02d.so", dir, k);
			h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
			if (h == NULL || dlsym(h, "qd_module") == NULL)
				return 1;
			dlclose(h);
		}
		t_raw[r] = now_s() - t0;
	}
	qsort(t_load, ROUNDS, sizeof(double), cmp_double);
	qsort(t_raw, ROUNDS, sizeof(double), cmp_double);
	printf("loader: %d modules, median of %d rounds\n", N_MODULES, ROUNDS);
	printf("  %-34s %9.3f ms  (%6.1f us/module)\n", "plugin_load_dir + resolve",
		t_load[ROUNDS / 2] * 1e3, t_load[ROUNDS / 2] * 1e6 / N_MODULES);
	printf("  %-34s %9.3f ms  (%6.1f us/module)\n", "limit: bare dlopen+dlsym+dlclose",
		t_raw[ROUNDS / 2] * 1e3, t_raw[ROUNDS / 2] * 1e6 / N_MODULES);
	printf("  ratio loader/limit: %.2fx\n", t_load[ROUNDS / 2] /
		t_raw[ROUNDS / 2]);
	for (k = 0; k < N_MODULES; k++) {
		char path[512];

		snprintf(path, sizeof(path), "%s/p%02d.so", dir, k);
		unlink(path);
	}
	rmdir(dir);
	return 0;
}
