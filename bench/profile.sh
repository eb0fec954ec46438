#!/usr/bin/env bash
# Profiles our Go server with pprof under one fixed load. The server has no
# pprof endpoint of its own: this script builds a benchmark binary with
# `go build -overlay` adding bench/pprof/pprof_listener.go.txt to the main
# package (net/http/pprof on BENCH_PPROF_ADDR), without touching the tree.
# Server on core 0, generator on core 1.
#
#   bench/profile.sh                       # CPU: 50 rooms x 20, 80 msg/s per room (80,000 deliveries/s)
#   RATE=200 CONNS=500 ROOM_SIZE=500 SENDERS=50 bench/profile.sh    # CPU: big room
#   MODE=idle IDLE=5000 bench/profile.sh   # heap and goroutines with 5,000 idle connections
#   MODE=history bench/profile.sh          # CPU of GET /api/rooms/{id}/messages?limit=100
#   MODE=connect IDLE=15000 bench/profile.sh  # CPU while connections are opened and join rooms
#
# Output: bench/results/profile-<UTC time>/ (cpu.pprof or heap.pprof, top lists, generator report).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
BIN=$HERE/.bin
MODE=${MODE:-cpu}
PORT=${BENCH_PORT:-5701}
PPROF=127.0.0.1:${PPROF_PORT:-6061}
RATE=${RATE:-80}
CONNS=${CONNS:-1000}
ROOM_SIZE=${ROOM_SIZE:-20}
SENDERS=${SENDERS:-20}
IDLE=${IDLE:-5000}
PROFILE_SECONDS=${PROFILE_SECONDS:-15}
OUT=${OUT:-$HERE/results/profile-$MODE-$(date -u +%Y%m%dT%H%M%SZ)}
SECRET=bench-secret-0123456789-0123456789-abcdef
# shellcheck source=go_bench_env.sh
source "$HERE/go_bench_env.sh"

ulimit -n "$(ulimit -Hn)"
mkdir -p "$BIN" "$OUT"
overlay=$(mktemp /tmp/izpo-overlay.XXXXXX.json)
printf '{"Replace":{"%s/zz_bench_pprof.go":"%s/pprof/pprof_listener.go.txt"}}\n' "$ROOT" "$HERE" >"$overlay"
(cd "$ROOT" && CGO_ENABLED=0 go build -overlay "$overlay" -o "$BIN/izpochat-pprof" . && go build -o "$BIN/loadgen" ./bench/loadgen)
rm -f "$overlay"

DATA_DIR=$(mktemp -d /tmp/izpo-profile.XXXXXX)
(cd "$DATA_DIR" && exec env DATA_DIR="$DATA_DIR" PORT="$PORT" JWT_SECRET_KEY="$SECRET" LOG_LEVEL=warn $GO_BENCH_ENV \
	BENCH_PPROF_ADDR="$PPROF" taskset -c 0 "$BIN/izpochat-pprof" -env-file "$DATA_DIR/none.env") >"$OUT/server.log" 2>&1 &
SERVER_PID=$!
GEN_PID=
cleanup() {
	[[ -n $GEN_PID ]] && kill "$GEN_PID" 2>/dev/null || true
	kill "$SERVER_PID" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$DATA_DIR"
}
trap cleanup EXIT
for _ in $(seq 1 100); do
	curl -sf "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break
	sleep 0.1
done

wait_log() { # pattern: wait until the generator logged it
	for _ in $(seq 1 1200); do
		grep -q "$1" "$OUT/gen.log" 2>/dev/null && return 0
		kill -0 "$GEN_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

print_cpu_tops() { # the CPU profile's flat and cumulative tops, kept beside it
	go tool pprof -top -nodecount=40 "$BIN/izpochat-pprof" "$OUT/cpu.pprof" >"$OUT/cpu-flat.txt" 2>/dev/null
	go tool pprof -top -cum -nodecount=70 "$BIN/izpochat-pprof" "$OUT/cpu.pprof" >"$OUT/cpu-cum.txt" 2>/dev/null
	echo "--- flat ---" && head -50 "$OUT/cpu-flat.txt"
	echo "--- cumulative ---" && head -80 "$OUT/cpu-cum.txt"
}

case $MODE in
cpu)
	# One long step: 10 s warmup, then the profile inside the measured window.
	taskset -c 1 "$BIN/loadgen" -mode traffic -url "http://127.0.0.1:$PORT" -label go -server-pid "$SERVER_PID" \
		-server-core 0 -gen-core 1 -conns "$CONNS" -room-size "$ROOM_SIZE" -senders "$SENDERS" -users "$ROOM_SIZE" \
		-rates "$RATE" -warmup 10s -duration "$((PROFILE_SECONDS + 8))s" -out "$OUT/gen.json" >"$OUT/gen.txt" 2>"$OUT/gen.log" &
	GEN_PID=$!
	wait_log 'joining rooms'
	sleep 14
	curl -sf -o "$OUT/cpu.pprof" "http://$PPROF/debug/pprof/profile?seconds=$PROFILE_SECONDS"
	curl -sf -o "$OUT/goroutines.txt" "http://$PPROF/debug/pprof/goroutine?debug=1"
	curl -sf -o "$OUT/mutex.pprof" "http://$PPROF/debug/pprof/mutex"
	wait "$GEN_PID" || true
	GEN_PID=
	cat "$OUT/gen.txt"
	print_cpu_tops
	;;
idle)
	taskset -c 1 "$BIN/loadgen" -mode idle -url "http://127.0.0.1:$PORT" -label go -server-pid "$SERVER_PID" \
		-idle "$IDLE" -room-size 50 -users 50 -settle 3s -hold 60s -out "$OUT/gen.json" >"$OUT/gen.txt" 2>"$OUT/gen.log" &
	GEN_PID=$!
	wait_log 'msg=idle '
	curl -sf -o "$OUT/heap.pprof" "http://$PPROF/debug/pprof/heap?gc=1"
	curl -sf -o "$OUT/goroutines.txt" "http://$PPROF/debug/pprof/goroutine?debug=1"
	curl -sf "http://$PPROF/debug/pprof/heap?debug=1" | grep -E '^# (HeapInuse|HeapSys|Stack|MSpan|Sys|HeapAlloc|NumGC) ' >"$OUT/memstats.txt" || true
	kill "$GEN_PID" 2>/dev/null || true
	wait "$GEN_PID" 2>/dev/null || true
	GEN_PID=
	cat "$OUT/gen.txt"
	cat "$OUT/memstats.txt"
	head -1 "$OUT/goroutines.txt"
	go tool pprof -sample_index=inuse_space -top -nodecount=30 "$BIN/izpochat-pprof" "$OUT/heap.pprof" 2>/dev/null | tee "$OUT/heap-top.txt"
	;;
connect)
	# The idle scenario's connecting phase (websocket handshake, Socket.IO connect
	# with its token, join_room): the profile starts once the baseline is read.
	taskset -c 1 "$BIN/loadgen" -mode idle -url "http://127.0.0.1:$PORT" -label go -server-pid "$SERVER_PID" \
		-idle "$IDLE" -room-size 50 -users 50 -settle 3s -hold 1s -out "$OUT/gen.json" >"$OUT/gen.txt" 2>"$OUT/gen.log" &
	GEN_PID=$!
	wait_log 'idle baseline'
	curl -sf -o "$OUT/cpu.pprof" "http://$PPROF/debug/pprof/profile?seconds=$PROFILE_SECONDS"
	wait "$GEN_PID" || true
	GEN_PID=
	cat "$OUT/gen.txt"
	print_cpu_tops
	;;
history)
	# REST history reads; the profile covers the measured window.
	taskset -c 1 "$BIN/loadgen" -mode history -url "http://127.0.0.1:$PORT" -label go -server-pid "$SERVER_PID" \
		-server-core 0 -gen-core 1 -warmup 3s -duration "$((PROFILE_SECONDS + 4))s" -out "$OUT/gen.json" >"$OUT/gen.txt" 2>"$OUT/gen.log" &
	GEN_PID=$!
	wait_log 'history seeded'
	sleep 5
	curl -sf -o "$OUT/cpu.pprof" "http://$PPROF/debug/pprof/profile?seconds=$PROFILE_SECONDS"
	wait "$GEN_PID" || true
	GEN_PID=
	cat "$OUT/gen.txt"
	go tool pprof -top -cum -nodecount=60 "$BIN/izpochat-pprof" "$OUT/cpu.pprof" >"$OUT/cpu-cum.txt" 2>/dev/null
	head -70 "$OUT/cpu-cum.txt"
	;;
*)
	echo "MODE must be cpu, idle, connect or history" >&2
	exit 2
	;;
esac
echo "profile in $OUT"
