#!/usr/bin/env bash
# Memory over time of one server binary under one scenario (issue 25): RSS and
# the runtime's memstats every 3 s (timeline.txt), then a heap profile (?gc=1),
# goroutines and memstats at the end, with the connections still open. BIN must
# be built with the pprof overlay (see profile.sh; bench/.bin/izpochat-pprof).
#
#   bench/memtrace.sh bench/.bin/izpochat-pprof /tmp/fan fanout     # steps past capacity, no stop
#   FANOUT_RATES=10,40,80 PEN=40 bench/memtrace.sh BIN OUT fanout    # PEN: the step before the last
#   IDLE_COUNTS=15000 LASTN=15000 HOLD=60s bench/memtrace.sh BIN OUT idle
#   bench/memtrace.sh BIN OUT idle GC_PERCENT=10                     # extra server environment
#
# Ports: PORT (5726) and PPORT (6126). Server on core 0, generator on core 1.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$1 OUT=$2 SC=$3; shift 3
PORT=${PORT:-5726} PP=127.0.0.1:${PPORT:-6126}
LG=$HERE/.bin/loadgen
[[ -x $LG ]] || (cd "$HERE/.." && go build -o "$LG" ./bench/loadgen)
# shellcheck source=go_bench_env.sh
source "$HERE/go_bench_env.sh"
ulimit -n "$(ulimit -Hn)"
mkdir -p "$OUT"; D=$(mktemp -d /tmp/izpo-memtrace.XXXXXX)
(cd "$D" && exec env DATA_DIR="$D" PORT="$PORT" JWT_SECRET_KEY=bench-secret-0123456789-0123456789-abcdef LOG_LEVEL=warn $GO_BENCH_ENV "$@" BENCH_PPROF_ADDR="$PP" taskset -c 0 "$BIN" -env-file "$D/none.env") >"$OUT/server.log" 2>&1 &
SP=$!
for _ in $(seq 100); do curl -sf http://127.0.0.1:$PORT/health >/dev/null && break; sleep 0.1; done
case $SC in
fanout) ARGS="-mode traffic -conns 1000 -room-size 20 -senders 20 -users 20 -payload 64 -rates ${FANOUT_RATES:-10,20,30,40,50,60,80,100,120,140,160,200,240,280,320} -warmup 2s -duration 6s -stop-on-fail=false -retry=false";;
idle) ARGS="-mode idle -idle ${IDLE_COUNTS:-1000} -room-size 50 -users 50 -settle 3s -hold ${HOLD:-1s}";;
esac
taskset -c 1 $LG $ARGS -url http://127.0.0.1:$PORT -label go -server-pid $SP -server-core 0 -gen-core 1 -out "$OUT/gen.json" >"$OUT/gen.txt" 2>"$OUT/gen.log" &
GP=$!
if [[ $SC == idle ]]; then
  for _ in $(seq 3000); do grep -q "msg=idle .*conns=${LASTN:-1000} " "$OUT/gen.log" 2>/dev/null && break; kill -0 $GP 2>/dev/null || break; sleep 0.2; done
else
  ( while kill -0 $GP 2>/dev/null; do echo "$(date +%T) $(grep VmRSS /proc/$SP/status | awk '{print int($2/1024)}') $(curl -sf "http://$PP/debug/pprof/heap?debug=1" | grep -E '^# (HeapInuse|HeapIdle|HeapReleased|HeapAlloc|Stack|NextGC) ' | awk '{printf "%s=%d ", $2, $4/1048576}')" >> "$OUT/timeline.txt"; sleep 3; done ) &
  PEN=${PEN:-120}
  for _ in $(seq 3000); do grep -q "room_rate=$PEN " "$OUT/gen.log" 2>/dev/null && break; kill -0 $GP 2>/dev/null || break; sleep 0.2; done
  sleep 6
fi
grep VmRSS /proc/$SP/status > "$OUT/rss.txt"
curl -sf "http://$PP/debug/pprof/heap?debug=1" | grep -E '^# (HeapInuse|HeapSys|HeapIdle|HeapReleased|Stack|MSpan|Sys|HeapAlloc|NumGC|NextGC) ' >"$OUT/memstats.txt"
curl -sf -o "$OUT/heap.pprof" "http://$PP/debug/pprof/heap?gc=1"
curl -sf -o "$OUT/goroutines.txt" "http://$PP/debug/pprof/goroutine?debug=1"
grep VmRSS /proc/$SP/status >> "$OUT/rss.txt"
kill $GP 2>/dev/null; wait $GP 2>/dev/null
kill $SP; wait $SP 2>/dev/null; rm -rf "$D"
cat "$OUT/gen.txt" "$OUT/rss.txt" "$OUT/memstats.txt"; head -1 "$OUT/goroutines.txt"
