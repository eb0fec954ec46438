#!/usr/bin/env bash
# Runs the Node reference server (two configurations) and our Go server through
# the same scenarios in one run: each server pinned to one core, the load
# generator to the other, a fresh SQLite data directory per scenario. Prints
# the comparison table.
#
# Servers: node         the reference with ws in plain JS (WS_NO_BUFFER_UTIL=1
#                       WS_NO_UTF_8_VALIDATE=1: ws ignores its native addons)
#          node-native  the same install with ws's native addons (bufferutil,
#                       utf-8-validate) as ws finds them: Node at its best here
#          go           our server;  thin: the generator's calibration server
# Each Node start logs which addons ws loaded; the run stops if that is not
# what the configuration says.
#
#   bench/run.sh                      # everything (~25-40 minutes)
#   SCENARIOS=fanout-polling bench/run.sh   # fan-out with long-polling clients (no upgrade)
#   SERVERS=go SCENARIOS=fanout bench/run.sh
#   SERVERS="node go" SCENARIOS=storm bench/run.sh   # reconnect storm: 10,000 drop and reconnect at once
#   QUICK=1 bench/run.sh              # short steps, small idle counts: a smoke run
#   SERVERS=thin SCENARIOS=fanout bench/run.sh   # calibrate the generator on a server with no work
#   GEN_ARGS=-in-step bench/run.sh    # extra generator flags (here: all rooms send at the same instants)
#   GO_BIN=/tmp/izpochat-variant SERVERS=go bench/run.sh   # measure a prebuilt server binary instead of the tree
#
# Results: bench/results/<UTC time>/<server>-<scenario>.{json,txt,log} and table.md.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
BIN=$HERE/.bin

SERVERS=${SERVERS:-"node node-native go"}
SCENARIOS=${SCENARIOS:-"idle fanout fanout-polling bigroom history"}
PORT=${BENCH_PORT:-5700}
SERVER_CPU=${SERVER_CPU:-0}
GEN_CPU=${GEN_CPU:-1}
OUT=${OUT:-$HERE/results/$(date -u +%Y%m%dT%H%M%SZ)}
SECRET=${JWT_SECRET_KEY:-bench-secret-0123456789-0123456789-abcdef}

# Per-room message rates, stepped up until a step loses a message or p99 > 100 ms.
# fan-out: 50 rooms x 20 members, so deliveries/s = rate x 1000.
FANOUT_RATES=${FANOUT_RATES:-10,20,30,40,50,60,80,100,120,140,160,200,240,280,320}
# big room: 1 x 500, deliveries/s = rate x 500.
BIGROOM_RATES=${BIGROOM_RATES:-20,40,60,80,100,120,160,200,240,280,320,400,480,560,640,800}
# fan-out with long-polling clients: the same 50 x 20, lower rates (every
# delivery rides an HTTP answer).
POLLING_RATES=${POLLING_RATES:-2,5,10,20,30,40,60,80,100}
IDLE_COUNTS=${IDLE_COUNTS:-1000,5000,10000,15000}
# reconnect storm: this many connections drop and reconnect at once, STORM_ROUNDS times.
STORM_CONNS=${STORM_CONNS:-10000}
STORM_ROUNDS=${STORM_ROUNDS:-3}
STEP=${STEP:-6s}
WARMUP=${WARMUP:-2s}
if [[ ${QUICK:-0} == 1 ]]; then
	STEP=2s WARMUP=1s IDLE_COUNTS=500,1000 STORM_CONNS=500 STORM_ROUNDS=1
	FANOUT_RATES=10,40 BIGROOM_RATES=20,80 POLLING_RATES=5,20
fi

log() { printf '\n### %s\n' "$*" >&2; }

# Every connection is a descriptor, on both sides.
ulimit -n "$(ulimit -Hn)"
if (($(ulimit -n) < 21000)); then
	echo "note: open-file limit is $(ulimit -n); 10k idle connections need ~10k per process" >&2
fi

mkdir -p "$BIN" "$OUT"
log "building (results in $OUT)"
GO_BIN=${GO_BIN:-$BIN/izpochat}
if [[ $GO_BIN == "$BIN/izpochat" ]]; then
	(cd "$ROOT" && CGO_ENABLED=0 go build -o "$BIN/izpochat" .)
fi
(cd "$ROOT" && go build -o "$BIN/loadgen" ./bench/loadgen && go build -o "$BIN/thinserver" ./bench/thinserver)
if [[ " $SERVERS " == *" node "* || " $SERVERS " == *" node-native "* ]]; then
	(
		cd "$HERE/reference-node"
		if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
			npm ci --no-audit --no-fund
		fi
	)
fi

SERVER_PID=
DATA_DIR=
# shellcheck source=go_bench_env.sh
source "$HERE/go_bench_env.sh"
start_server() { # server scenario
	local server=$1 scenario=$2
	DATA_DIR=$(mktemp -d /tmp/izpo-bench.XXXXXX)
	local logf=$OUT/$server-$scenario.log
	case $server in
	node | node-native)
		local addons=()
		if [[ $server == node ]]; then
			addons=(WS_NO_BUFFER_UTIL=1 WS_NO_UTF_8_VALIDATE=1)
		fi
		(cd "$HERE/reference-node" && exec env -u WS_NO_BUFFER_UTIL -u WS_NO_UTF_8_VALIDATE "${addons[@]}" \
			DATA_DIR="$DATA_DIR" PORT="$PORT" JWT_SECRET_KEY="$SECRET" \
			taskset -c "$SERVER_CPU" node server.js) >"$logf" 2>&1 &
		;;
	go)
		# Run from the data directory so no stray .env is read; warn-level logs
		# keep logging out of the measurement; GO_BENCH_ENV lifts the caps
		# (go_bench_env.sh).
		(cd "$DATA_DIR" && exec env DATA_DIR="$DATA_DIR" PORT="$PORT" JWT_SECRET_KEY="$SECRET" LOG_LEVEL=warn \
			$GO_BENCH_ENV ${GO_SERVER_ENV:-} taskset -c "$SERVER_CPU" "$GO_BIN" -env-file "$DATA_DIR/none.env") >"$logf" 2>&1 &
		;;
	thin)
		# Not IzpoChat: the generator's calibration (no database, no library).
		(exec env PORT="$PORT" taskset -c "$SERVER_CPU" "$BIN/thinserver") >"$logf" 2>&1 &
		;;
	*)
		echo "unknown server $server" >&2
		exit 2
		;;
	esac
	SERVER_PID=$!
	for _ in $(seq 1 100); do
		if curl -sf "http://127.0.0.1:$PORT/health" >/dev/null 2>&1; then
			check_addons "$server" "$logf"
			return 0
		fi
		if ! kill -0 "$SERVER_PID" 2>/dev/null; then
			echo "$server exited at startup; log:" >&2
			cat "$logf" >&2
			return 1
		fi
		sleep 0.1
	done
	echo "$server did not become healthy on :$PORT" >&2
	return 1
}

# check_addons server log: the Node reference logs at startup which of ws's
# native addons it loaded (server.js); node must run without bufferutil,
# node-native with it. (ws 8 takes Node's buffer.isUtf8 over utf-8-validate,
# so utf-8-validate is installed but loaded by neither; the line says so.)
check_addons() {
	local server=$1 logf=$2 want line
	case $server in
	node) want="bufferutil resolves=yes loaded=no" ;;
	node-native) want="bufferutil resolves=yes loaded=yes" ;;
	*) return 0 ;;
	esac
	for _ in $(seq 1 20); do
		line=$(grep -m1 '^ws addons:' "$logf" || true)
		[[ -n $line ]] && break
		sleep 0.1
	done
	echo "$server: $line" >&2
	if [[ $line != *"$want"* ]]; then
		echo "$server: ws addons are not as the configuration says (want \"$want\"); stopping" >&2
		exit 3
	fi
}

stop_server() {
	if [[ -n $SERVER_PID ]]; then
		kill "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
		SERVER_PID=
	fi
	if [[ -n $DATA_DIR ]]; then
		rm -rf "$DATA_DIR"
		DATA_DIR=
	fi
}
trap stop_server EXIT

scenario_args() {
	case $1 in
	idle) echo "-mode idle -idle $IDLE_COUNTS -room-size 50 -users 50 -settle 3s" ;;
	fanout) echo "-mode traffic -conns 1000 -room-size 20 -senders 20 -users 20 -payload 64 -rates $FANOUT_RATES -warmup $WARMUP -duration $STEP" ;;
	fanout-polling) echo "-mode traffic -transport polling -conns 1000 -room-size 20 -senders 20 -users 20 -payload 64 -rates $POLLING_RATES -warmup $WARMUP -duration $STEP" ;;
	bigroom) echo "-mode traffic -conns 500 -room-size 500 -senders 50 -users 50 -payload 64 -rates $BIGROOM_RATES -warmup $WARMUP -duration $STEP" ;;
	storm) echo "-mode storm -conns $STORM_CONNS -room-size 50 -users 50 -rounds $STORM_ROUNDS -settle 3s" ;;
	history) echo "-mode history -workers 16 -seed 200 -limit 100 -warmup 2s -duration 8s" ;;
	*)
		echo "unknown scenario $1" >&2
		exit 2
		;;
	esac
}

start=$(date +%s)
for scenario in $SCENARIOS; do
	for server in $SERVERS; do
		log "$server: $scenario"
		start_server "$server" "$scenario"
		# shellcheck disable=SC2046 # word splitting of the argument list is intended
		taskset -c "$GEN_CPU" "$BIN/loadgen" $(scenario_args "$scenario") ${GEN_ARGS:-} \
			-url "http://127.0.0.1:$PORT" -label "$server" -server-pid "$SERVER_PID" \
			-server-core "$SERVER_CPU" -gen-core "$GEN_CPU" \
			-out "$OUT/$server-$scenario.json" 2>>"$OUT/$server-$scenario.gen.log" | tee "$OUT/$server-$scenario.txt" ||
			echo "($server $scenario: generator reported an error, see $OUT/$server-$scenario.gen.log)" >&2
		stop_server
	done
done

log "comparison ($(($(date +%s) - start)) s)"
"$BIN/loadgen" -mode table -dir "$OUT" | tee "$OUT/table.md"
