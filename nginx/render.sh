#!/bin/sh
# Fills in an nginx template of this folder and prints the result:
#
#   nginx/render.sh TEMPLATE [NAME=VALUE]...     (TEMPLATE - reads stdin)
#
# Every @NAME@ becomes VALUE. A line that ends in `# @IF:NAME@` stays only when
# NAME is not empty; a line that ends in `# @EACH:NAME@` is repeated once for
# each word of NAME (none when empty) with {} standing for the word. The
# template's first comment block (up to its first blank line), which explains
# the placeholders, is left out. A placeholder without a value is an error.
set -eu

die() {
	printf 'render: %s\n' "$*" >&2
	exit 1
}

[ $# -ge 1 ] || die "usage: render.sh TEMPLATE [NAME=VALUE]..."
template=$1
shift
[ "$template" = - ] || [ -r "$template" ] || die "$template not found"

# The values travel to awk in the environment (awk's -v would interpret
# backslashes): RENDER_NAMES lists them, RENDER_<NAME> holds each.
names=
for pair in "$@"; do
	name=${pair%%=*}
	case $name in
	'' | *[!A-Z0-9_]*) die "not a NAME=VALUE pair: $pair" ;;
	esac
	[ "$name" != "$pair" ] || die "not a NAME=VALUE pair: $pair"
	export "RENDER_$name=${pair#*=}"
	names="$names $name"
done
export RENDER_NAMES="$names"

awk '
	BEGIN {
		n = split(ENVIRON["RENDER_NAMES"], list, " ")
		for (i = 1; i <= n; i++)
			value[list[i]] = ENVIRON["RENDER_" list[i]]
		header = 1
	}
	header && /^$/ { header = 0; next }
	header { next }
	function known(name) {
		if (!(name in value)) {
			printf "render: no value for %s\n", name > "/dev/stderr"
			failed = 1
			exit 1
		}
		return value[name]
	}
	function fill(line,    out, name) {
		out = ""
		while (match(line, /@[A-Z][A-Z0-9_]*@/)) {
			name = substr(line, RSTART + 1, RLENGTH - 2)
			out = out substr(line, 1, RSTART - 1) known(name)
			line = substr(line, RSTART + RLENGTH)
		}
		return out line
	}
	match($0, /[ \t]*# @IF:[A-Z0-9_]+@[ \t]*$/) {
		name = substr($0, RSTART, RLENGTH)
		sub(/^.*@IF:/, "", name)
		sub(/@.*$/, "", name)
		line = substr($0, 1, RSTART - 1)
		if (known(name) != "")
			print fill(line)
		next
	}
	match($0, /[ \t]*# @EACH:[A-Z0-9_]+@[ \t]*$/) {
		name = substr($0, RSTART, RLENGTH)
		sub(/^.*@EACH:/, "", name)
		sub(/@.*$/, "", name)
		line = fill(substr($0, 1, RSTART - 1))
		m = split(known(name), words, " ")
		for (i = 1; i <= m; i++) {
			each = line
			gsub(/\{\}/, words[i], each)
			print each
		}
		next
	}
	{ print fill($0) }
	END { if (failed) exit 1 }
' "$template"
