#!/bin/sh
# link-plugins.sh DIR LA... : link the shared object of each libtool plugin
# into DIR so an in-tree build has one plugin directory.
dir=$1; shift
mkdir -p "$dir" || exit 1
for la in "$@"; do
	dlname=$(sed -n "s/^dlname='\(.*\)'/\1/p" "$la")
	[ -n "$dlname" ] || continue
	src=$(cd "$(dirname "$la")/.libs" && pwd)/$dlname
	ln -sf "$src" "$dir/$dlname"
done
