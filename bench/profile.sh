#!/usr/bin/env bash
# Profiles our Go server under one fixed fan-out load with Linux perf (the
# server has no pprof endpoint; Go binaries keep frame pointers, so perf's
# call graphs are exact). Server on core 0, generator on core 1.
#
#   bench/profile.sh                         # 50 rooms x 20, 80 msg/s per room (80,000 deliveries/s)
#   RATE=40 ROOMS_OF=500 CONNS=500 SENDERS=50 bench/profile.sh   # big room
#
# Output: bench/results/profile-<UTC time>/{perf.data,self.txt,children.txt,gen.txt}.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
BIN=$HERE/.bin
PORT=${BENCH_PORT:-5701}
RATE=${RATE:-80}
CONNS=${CONNS:-1000}
ROOMS_OF=${ROOMS_OF:-20}
SENDERS=${SENDERS:-20}
SECONDS_PROFILED=${SECONDS_PROFILED:-15}
OUT=${OUT:-$HERE/results/profile-$(date -u +%Y%m%dT%H%M%SZ)}
SECRET=bench-secret-0123456789-0123456789-abcdef

ulimit -n "$(ulimit -Hn)"
mkdir -p "$BIN" "$OUT"
(cd "$ROOT" && CGO_ENABLED=0 go build -o "$BIN/izpochat" . && go build -o "$BIN/loadgen" ./bench/loadgen)

DATA_DIR=$(mktemp -d /tmp/izpo-profile.XXXXXX)
(cd "$DATA_DIR" && exec env DATA_DIR="$DATA_DIR" PORT="$PORT" JWT_SECRET_KEY="$SECRET" LOG_LEVEL=warn \
	taskset -c 0 "$BIN/izpochat" -env-file "$DATA_DIR/none.env") >"$OUT/server.log" 2>&1 &
SERVER_PID=$!
cleanup() {
	kill "$SERVER_PID" 2>/dev/null || true
	wait "$SERVER_PID" 2>/dev/null || true
	rm -rf "$DATA_DIR"
}
trap cleanup EXIT
for _ in $(seq 1 100); do
	curl -sf "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break
	sleep 0.1
done

# One long step; perf starts after connections, joins and warmup are done.
taskset -c 1 "$BIN/loadgen" -mode traffic -url "http://127.0.0.1:$PORT" -label go -server-pid "$SERVER_PID" \
	-server-core 0 -gen-core 1 -conns "$CONNS" -room-size "$ROOMS_OF" -senders "$SENDERS" -users "$ROOMS_OF" \
	-rates "$RATE" -warmup 10s -duration "$((SECONDS_PROFILED + 10))s" -out "$OUT/gen.json" >"$OUT/gen.txt" 2>"$OUT/gen.log" &
GEN_PID=$!
# Wait until the generator has finished setting up (it logs "step" only at the
# end, so watch for the join phase, then leave the warmup to pass).
for _ in $(seq 1 600); do
	grep -q 'joining rooms' "$OUT/gen.log" 2>/dev/null && break
	sleep 0.1
done
sleep 14
perf record -F 999 -g -p "$SERVER_PID" -o "$OUT/perf.data" -- sleep "$SECONDS_PROFILED" 2>"$OUT/perf.log"
wait "$GEN_PID" || true

perf report -i "$OUT/perf.data" --stdio --no-children --sort symbol -g none --percent-limit 0.5 2>/dev/null >"$OUT/self.txt"
perf report -i "$OUT/perf.data" --stdio --children --sort symbol -g none --percent-limit 2 2>/dev/null >"$OUT/children.txt"
cat "$OUT/gen.txt"
echo "--- top self time ---"
grep -v '^#' "$OUT/self.txt" | grep -v '^$' | head -30
echo "--- top inclusive time ---"
grep -v '^#' "$OUT/children.txt" | grep -v '^$' | head -40
echo "profile in $OUT"
