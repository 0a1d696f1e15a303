/*
 * util/deadline -- the absolute time pthread_cond_timedwait() takes for
 * "timeout_ms from now" (CLOCK_REALTIME, the condition's default clock).
 */
#ifndef QD_UTIL_DEADLINE_H
#define QD_UTIL_DEADLINE_H

#include <time.h>

static inline struct timespec
deadline_in(int timeout_ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

#endif
