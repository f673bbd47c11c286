#!/usr/bin/env bash
# Side-by-side macro benchmark: EgressGuard vs direct, Squid and tinyproxy, with the neutral
# harness in ../shared/bench (same load generators, interleaved rounds, medians).
# usage: bench/compare/run.sh [ROUNDS]      env: QUICK=1 (short runs), DUR, TARGETS, SHARED_BENCH
# Loopback only; every run is bounded by the harness's durations; everything stops at the end.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SHARED=${SHARED_BENCH:-$ROOT/../shared/bench}
ROUNDS=${1:-3}
. "$SHARED/scripts/common.sh"
PORT=${EG_PORT:-3130}

bash "$SHARED/scripts/setup.sh"
dotnet publish "$ROOT/src/EgressGuard" -c Release -o "$WORK/egressguard" >/dev/null
cat > "$WORK/egressguard.json" <<JSON
{
  "Proxy": { "Listen": "127.0.0.1:$PORT" },
  "Guard": { "Exempt": [ "127.0.0.0/8" ] },
  "Lists": { "Ip": [ { "Path": "$ROOT/config/lists/feodo-c2-sample.txt", "Name": "feodo-c2" } ] },
  "Log": { "DecisionFile": "$WORK/logs/egressguard-decisions.jsonl" }
}
JSON

cleanup() { bash "$SHARED/scripts/stop_all.sh" >/dev/null 2>&1 || true; }
trap cleanup EXIT
bash "$SHARED/scripts/start_anchors.sh"
setsid nohup dotnet "$WORK/egressguard/EgressGuard.dll" --config "$WORK/egressguard.json" \
  >"$WORK/logs/egressguard.out" 2>&1 </dev/null &
echo $! > "$WORK/pids/egressguard.pid"
for i in $(seq 1 100); do ss -ltn | grep -q "127.0.0.1:$PORT " && break; sleep 0.1; done
EG_PROXY=127.0.0.1:$PORT bash "$SHARED/scripts/run_bench.sh" "$ROUNDS"
