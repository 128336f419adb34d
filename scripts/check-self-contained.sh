#!/usr/bin/env bash
# Fails, naming file and line, when code or docs under packages/ apps/ e2e/ scripts/ read something
# outside the repository, so that a bare clone passes its own tests. Two static rules, cheap enough
# to run before every check:
#
# 1. No file names the shared fixture folder beside the repository (the words "shared" and
#    "fixtures" joined by a slash): golden vectors live in each package's test/fixtures.
# 2. No relative path climbs above the repository root. A chain of k ".." segments, written as one
#    path (two dots, slash, two dots, …) or as separate string arguments (two dots in quotes, comma,
#    two dots in quotes, …, as path.join and path.resolve take them), is resolved from the folder
#    of the file it appears in; it escapes when k exceeds that folder's depth below the root. This
#    is how import.meta.url, __dirname, $(dirname "$0"), imports, tsconfig "extends" and markdown
#    links resolve. It is conservative: a chain that first descends into a folder still counts in
#    full, and a path relative to some other folder is judged as if relative to the file's own.
#
# What it cannot see: paths assembled from variables (join(ROOT, up) with up computed). The e2e
# test e2e/src/standalone.test.ts covers those by running every package's tests in a copy of the
# repository with nothing beside it.
#
# Files searched: tracked, and untracked ones git does not ignore (what the next commit would
# take), except node_modules/ and dist/. This file is left out: it has to spell out its patterns.
#
# Usage: bash scripts/check-self-contained.sh [repository root]   (default: this script's repository)
set -euo pipefail
root="${1:-$(dirname "$0")/..}"
cd "$root"

self='scripts/check-self-contained.sh'
pathspec=(packages apps e2e scripts ':(exclude,glob)**/node_modules/**' ':(exclude,glob)**/dist/**' ":(exclude)$self")

# git grep exits 1 when nothing matches; anything above 1 is a real error.
search() {
  local status=0
  git grep --untracked -nIE "$@" -- "${pathspec[@]}" || status=$?
  if ((status > 1)); then
    echo "check-self-contained: git grep failed (status $status) in $PWD" >&2
    exit 2
  fi
}

fixtures=$(search 'shared/fixtures' | sed -E 's/^([^:]+:[0-9]+):.*/\1: names the shared fixture folder outside the repository/')

chain='(^|[^.[:alnum:]_])\.\.((/|["'\''`][[:space:]]*,[[:space:]]*["'\''`])\.\.)*([^.[:alnum:]_]|$)'
escapes=$(search -o "$chain" | awk '
  {
    file = $0; sub(/:.*/, "", file)
    line = $0; sub(/^[^:]*:/, "", line); sub(/:.*/, "", line)
    chain = $0; sub(/^[^:]*:[^:]*:/, "", chain)
    depth = gsub("/", "/", file)
    ups = gsub(/\.\./, "", chain)
    if (ups > depth) printf "%s:%s: climbs %d folders from a folder %d below the repository root\n", file, line, ups, depth
  }')

problems=$(printf '%s\n%s\n' "$fixtures" "$escapes" | sed '/^$/d' | sort -u)
if [[ -n "$problems" ]]; then
  echo "check-self-contained: these files read outside the repository (a bare clone would fail):" >&2
  echo "$problems" | sed 's/^/  /' >&2
  exit 1
fi
echo "check-self-contained: packages/ apps/ e2e/ scripts/ stay inside the repository"
