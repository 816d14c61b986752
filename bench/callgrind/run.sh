#!/usr/bin/env bash
# Counts the instructions a server spends per stateless HTTP `tools/call`,
# under callgrind (valgrind's instruction counts repeat exactly from run to
# run, so they tell small changes apart on a shared machine).
#
#   bench/callgrind/run.sh OUT PORT N SERVER ARGS...
#
# starts `SERVER ARGS...` (which must serve Streamable HTTP at
# 127.0.0.1:PORT/mcp) under callgrind, sends 200 unmeasured calls, zeroes the
# counters, sends N more (drive.py), and writes the profile of those N to
# OUT/callgrind.out. moat needs `--max-instances 4`: valgrind cannot reserve
# the address space of the default 1000 instances. For example:
#
#   bench/callgrind/run.sh /tmp/cg-moat 18777 1000 target/release/moat serve \
#       --http 127.0.0.1:18777 --plugins target/plugins --max-instances 4
#   bench/callgrind/run.sh /tmp/cg-native 18778 1000 target/release/native-math \
#       http 127.0.0.1:18778
#   bench/callgrind/breakdown.py /tmp/cg-moat/callgrind.out 1000 \
#       /tmp/cg-native/callgrind.out 1000
set -euo pipefail
out=$1 port=$2 count=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
valgrind --tool=callgrind --dump-instr=no --callgrind-out-file="$out/callgrind.%p" \
    "$@" 2>"$out/stderr" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 600); do
    python3 "$here/drive.py" 127.0.0.1 "$port" 1 >/dev/null 2>&1 && break
    kill -0 $pid 2>/dev/null || { cat "$out/stderr" >&2; exit 1; }
    sleep 0.5
done
python3 "$here/drive.py" 127.0.0.1 "$port" 200 >/dev/null
callgrind_control --zero $pid >/dev/null 2>&1
python3 "$here/drive.py" 127.0.0.1 "$port" "$count"
callgrind_control --dump=measured $pid >/dev/null 2>&1
mv "$out/callgrind.$pid.1" "$out/callgrind.out"
