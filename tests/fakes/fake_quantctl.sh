#!/bin/sh
# fake_quantctl.sh -- stands in for quantctl as a job runner's program
# ("jobs.quantctl"): writes its arguments, one a line, to args.txt in the
# current directory (the job's), then behaves by the value of the strategy
# parameter "fast" it was given:
#   1  progress lines, a result on stdout, exit 0
#   2  progress, then sleep until killed (cancel, time limit)
#   3  quantctl's error message for a bad parameter, exit 2
#   4  killed by SIGSEGV (a crashing strategy)
#   5  ignores SIGTERM and sleeps (only SIGKILL stops it)
#   6  exits with status 127 saying nothing (a program that cannot run)
#   7  writes 4,000 lines (about 200 KB) to stderr, then its last words,
#      exit 1
#   8  a result of about 30 MB (300,000 trades), exit 0
printf '%s\n' "$@" > args.txt
mode=0
for a in "$@"; do
	case $a in fast=*) mode=${a#fast=} ;; esac
done
case $mode in
1)
	echo "progress 1 4" >&2
	echo "progress 4 4" >&2
	echo '{"metrics":{"final_equity":10001},"trades":[]}'
	;;
2)
	echo "progress 1 100" >&2
	sleep 30
	;;
3)
	echo "quantctl: param slow: 1 is below the minimum 2" >&2
	exit 2
	;;
4)
	echo "about to crash" >&2
	kill -SEGV $$
	;;
5)
	trap '' TERM
	echo "progress 1 2" >&2
	sleep 30
	;;
6)
	exit 127
	;;
7)
	awk 'BEGIN { for (i = 0; i < 4000; i++) printf "noise %d %040d\n", i, 0 }' >&2
	echo "the last words" >&2
	exit 1
	;;
8)
	echo "progress 1 1" >&2
	awk 'BEGIN {
		printf "{\"metrics\":{\"final_equity\":10001},\"trades\":["
		for (i = 0; i < 300000; i++)
			printf "%s{\"ts\":%d,\"side\":\"buy\",\"price\":%d.25,\"qty\":0.001,\"fee\":0.0001,\"note\":\"%030d\"}", i ? "," : "", 1704067200000 + i * 60000, 40000 + i % 997, i
		print "]}"
	}'
	;;
*)
	exit 3
	;;
esac
