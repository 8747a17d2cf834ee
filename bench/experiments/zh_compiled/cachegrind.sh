#!/bin/bash
# Instructions per Chinese note in-process: bash cachegrind.sh TREE [EXTRA_PYTHONPATH]
# (valgrind's cachegrind, the run over 1,024 notes minus the run over 64, divided by 960)
set -e
HERE=$(cd "$(dirname "$0")" && pwd)
PY=${PY:-python3}
count() {
  (cd "$1" && PYTHONPATH=src${2:+:$2} valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
     "$PY" "$HERE/harness.py" --notes "$3" 2>&1 | grep "I *refs" | awk '{print $NF}' | tr -d ,)
}
small=$(count "$1" "$2" 64)
large=$(count "$1" "$2" 1024)
echo "$(( (large - small) / 960 )) instructions a note"
