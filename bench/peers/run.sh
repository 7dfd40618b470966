#!/usr/bin/env bash
# Side-by-side benchmark of skein against Colly, Scrapy, Crawlee and wget.
# Entry point of `deno task bench:peers`; see bench/peers/README.md.
#
# Env knobs (defaults in brackets):
#   RUNS [3]              runs per crawler and scenario, interleaved round-robin
#   PAGES [10000]         pages of the static site (nginx)
#   LATENCY_PAGES [5000]  pages of the latency site
#   SCENARIOS [static,latency]  (also: wide, the 20,000-page 250 ms site at
#                         concurrency 500, 1000 and 2000; run alone with SCENARIOS=wide)
#   PEERS [skein,skein-threads,deno-floor,colly,scrapy,crawlee,wget]
#                         skein-threads: skein with --threads SKEIN_THREADS (one crawl over
#                         that many threads); deno-floor: floor/floor.ts, the least a Deno
#                         program has to do to crawl these sites (a reference, not a crawler)
#   STATIC_CONCURRENCY [64]  LATENCY_CONCURRENCY [500]  LATENCY_DELAY [250ms]
#   WIDE_PAGES [20000]    WIDE_CONCURRENCY [500,1000,2000]  WIDE_PORT [18082]
#   TRACE_RUNS [1]        extra skein runs of the latency scenario with SKEIN_TRACE=1 and
#                         --trace-gc (where the lag goes; not part of the medians)
#   TIMEOUT [600]         seconds before a crawler run is killed
#   STATIC_PORT [18080]   LATENCY_PORT [18081]
#   SKEIN_OUT [devnull]   "devnull": --out /dev/null, pages read from the stderr summary
#                         ("done: N pages, ..."); "file": NDJSON to a temp file, pages
#                         from its done event
#   SKEIN_ARGS []         extra arguments for cli.ts
#   SKEIN_THREADS [2]     --threads of peer skein-threads
#   SKEIN_BASE_ARGS [SKEIN_ARGS]  extra arguments for skein-base's cli.ts (SKEIN_BASE may be
#                         a checkout of the same commit: one flag against another)
#   SKEIN_BASE []         a checkout of another skein version: peer "skein-base" runs its
#                         cli.ts the same way (before/after in one interleaved run)
#   SKEIN_V8 [the flags of `deno task crawl`]  V8 flags of skein's runs
#   SKEIN_BASE_V8 [SKEIN_V8]  V8 flags of skein-base's runs (e.g. the flags of that version)
#   INSTALL [1]           0: do not apt-get/npm install anything
#   RESULTS [bench/RESULTS.md]
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BENCH=$(dirname "$HERE")
ROOT=$(dirname "$BENCH")
OUT="$BENCH/out"
export PATH="$PATH:/usr/local/go/bin"

RUNS=${RUNS:-3}
PAGES=${PAGES:-10000}
LATENCY_PAGES=${LATENCY_PAGES:-5000}
SCENARIOS=${SCENARIOS:-static,latency}
PEERS=${PEERS:-skein,skein-threads,deno-floor,colly,scrapy,crawlee,wget}
SKEIN_THREADS=${SKEIN_THREADS:-2}
STATIC_CONCURRENCY=${STATIC_CONCURRENCY:-64}
LATENCY_CONCURRENCY=${LATENCY_CONCURRENCY:-500}
LATENCY_DELAY=${LATENCY_DELAY:-250ms}
WIDE_PAGES=${WIDE_PAGES:-20000}
WIDE_CONCURRENCY=${WIDE_CONCURRENCY:-500,1000,2000}
WIDE_PORT=${WIDE_PORT:-18082}
TRACE_RUNS=${TRACE_RUNS:-1}
TIMEOUT=${TIMEOUT:-600}
STATIC_PORT=${STATIC_PORT:-18080}
LATENCY_PORT=${LATENCY_PORT:-18081}
SKEIN_OUT=${SKEIN_OUT:-devnull}
SKEIN_ARGS=${SKEIN_ARGS:-}
SKEIN_BASE_ARGS=${SKEIN_BASE_ARGS-$SKEIN_ARGS}
SKEIN_BASE=${SKEIN_BASE:-}
# The same V8 flags as `deno task crawl` (deno.json).
SKEIN_V8=${SKEIN_V8:---max-semi-space-size=8,--min-semi-space-size=8,--max-old-space-size=1024}
SKEIN_BASE_V8=${SKEIN_BASE_V8:-$SKEIN_V8}
INSTALL=${INSTALL:-1}
RESULTS=${RESULTS:-$BENCH/RESULTS.md}
PYTHON=/usr/bin/python3 # Debian's, which has python3-scrapy (not a pyenv one)

log() { printf '[bench:peers %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
has_peer() { [[ ",$PEERS," == *",$1,"* ]]; }
has_scenario() { [[ ",$SCENARIOS," == *",$1,"* ]]; }

# --- install what is missing -------------------------------------------------
need_apt=()
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need_apt+=(nginx)
command -v wrk >/dev/null || need_apt+=(wrk)
[ -x /usr/bin/time ] || need_apt+=(time)
if has_peer scrapy && ! "$PYTHON" -c 'import scrapy' 2>/dev/null; then need_apt+=(python3-scrapy); fi
if has_peer wget && ! command -v wget >/dev/null; then need_apt+=(wget); fi
if [ ${#need_apt[@]} -gt 0 ]; then
  [ "$INSTALL" = 1 ] || { log "missing ${need_apt[*]} and INSTALL=0"; exit 1; }
  log "apt-get install ${need_apt[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

mkdir -p "$OUT"
if has_peer crawlee && [ ! -d "$HERE/crawlee/node_modules/@crawlee/cheerio" ]; then
  [ "$INSTALL" = 1 ] || { log "crawlee not installed and INSTALL=0"; exit 1; }
  log "npm ci in bench/peers/crawlee"
  (cd "$HERE/crawlee" && npm ci --no-audit --no-fund --loglevel=error)
fi
if has_peer colly; then
  log "go build colly-bench"
  (cd "$HERE/colly" && go build -o "$OUT/colly-bench" .)
fi
if has_scenario latency || has_scenario wide; then
  log "go build latency-server"
  (cd "$HERE/latency" && go build -o "$OUT/latency-server" .)
fi
SKEIN=0
if has_peer skein; then
  if [ -f "$ROOT/cli.ts" ]; then
    log "deno cache cli.ts"
    if (cd "$ROOT" && deno cache cli.ts >/dev/null 2>&1); then SKEIN=1; else log "cli.ts does not compile: skein not available"; fi
  else
    log "no $ROOT/cli.ts: skein not available"
  fi
fi

# --- site, servers, cleanup ---------------------------------------------------
SITE="$OUT/site-$PAGES"
if has_scenario static && [ ! -f "$SITE/.complete" ]; then
  log "generating $PAGES pages into $SITE"
  rm -rf "$SITE"
  deno run --allow-read --allow-write "$BENCH/gen_site.ts" --pages "$PAGES" --out "$SITE"
  touch "$SITE/.complete"
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/skein-peers.XXXXXX")
# Not under /dev/shm: Deno asks for --allow-all to write anywhere under /dev.
SCRATCH=$(mktemp -d "$TMP/scratch.XXXXXX")
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$TMP" "$SCRATCH"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_http() {
  local url=$1 i
  for i in $(seq 1 100); do
    curl -fsS -o /dev/null "$url" 2>/dev/null && return 0
    sleep 0.1
  done
  log "server at $url did not come up"
  return 1
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

RUN_DIR="$OUT/peers-run"
rm -rf "$RUN_DIR"
mkdir -p "$RUN_DIR"
META="$RUN_DIR/meta.tsv"
meta() { printf '%s\t%s\n' "$1" "$2" >>"$META"; }

# 2,000 requests in flight need 2,000 sockets in the crawler (Colly keeps up to 2C idle),
# and as many in the server: the soft open-files limit is raised to the hard one.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if has_scenario wide && [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 8192 ]; then
  log "open-files limit $(ulimit -n) is low for the wide scenario (2,000 sockets a side)"
fi
WRK_CONNS_LATENCY=$(($(ulimit -n) > 2200 ? 2000 : $(ulimit -n) - 200))

if has_scenario static; then
  port_free "$STATIC_PORT" || { log "port $STATIC_PORT is in use (set STATIC_PORT)"; exit 1; }
  mkdir -p "$TMP/nginx"
  sed -e "s#@PREFIX@#$TMP/nginx#g; s#@ROOT@#$SITE#g; s#@PORT@#$STATIC_PORT#g" \
    "$HERE/nginx/nginx.conf.tmpl" >"$TMP/nginx/nginx.conf"
  "$NGINX" -e "$TMP/nginx/error.log" -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" &
  PIDS+=($!)
  wait_http "http://127.0.0.1:$STATIC_PORT/index.html"
  log "nginx ceiling: wrk -t2 -c64 -d5s one page"
  wrk -t2 -c64 -d5s "http://127.0.0.1:$STATIC_PORT/s5/p37.html" >"$RUN_DIR/wrk-static.txt" 2>&1 || true
  meta ceiling_static "$(awk '/Requests\/sec/ {print $2}' "$RUN_DIR/wrk-static.txt")"
fi
if has_scenario latency; then
  port_free "$LATENCY_PORT" || { log "port $LATENCY_PORT is in use (set LATENCY_PORT)"; exit 1; }
  "$OUT/latency-server" -addr "127.0.0.1:$LATENCY_PORT" -pages "$LATENCY_PAGES" -delay "$LATENCY_DELAY" \
    2>"$TMP/latency.log" &
  PIDS+=($!)
  wait_http "http://127.0.0.1:$LATENCY_PORT/robots.txt"
  log "latency server check: wrk -t2 -c$WRK_CONNS_LATENCY -d5s"
  wrk -t2 -c"$WRK_CONNS_LATENCY" -d5s "http://127.0.0.1:$LATENCY_PORT/p/7.html" \
    >"$RUN_DIR/wrk-latency.txt" 2>&1 || true
  meta ceiling_latency_server "$(awk '/Requests\/sec/ {print $2}' "$RUN_DIR/wrk-latency.txt")"
  meta wrk_latency_conns "$WRK_CONNS_LATENCY"
fi

if has_scenario wide; then
  port_free "$WIDE_PORT" || { log "port $WIDE_PORT is in use (set WIDE_PORT)"; exit 1; }
  # /index.html links to 2,000 pages, so the first wave can fill the widest concurrency.
  "$OUT/latency-server" -addr "127.0.0.1:$WIDE_PORT" -pages "$WIDE_PAGES" -delay "$LATENCY_DELAY" \
    -breadth 2000 2>"$TMP/wide.log" &
  PIDS+=($!)
  wait_http "http://127.0.0.1:$WIDE_PORT/robots.txt"
fi

# --- metadata -----------------------------------------------------------------
meta date "$(date -u +'%Y-%m-%d %H:%M UTC')"
meta nproc "$(nproc)"
meta memory "$(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
meta cpu "$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
meta kernel "$(uname -sr)"
meta runs "$RUNS"
meta pages "$PAGES"
meta latency_pages "$LATENCY_PAGES"
meta static_concurrency "$STATIC_CONCURRENCY"
meta latency_concurrency "$LATENCY_CONCURRENCY"
meta latency_delay "$LATENCY_DELAY"
meta wide_pages "$WIDE_PAGES"
meta wide_concurrency "$WIDE_CONCURRENCY"
meta open_files "$(ulimit -n)"
meta scenarios "$SCENARIOS"
meta peers "$PEERS"
meta skein_available "$SKEIN"
meta skein_out "$SKEIN_OUT"
meta skein_args "$SKEIN_ARGS"
meta skein_base_args "$SKEIN_BASE_ARGS"
meta v_skein_base "$( [ -z "$SKEIN_BASE" ] || (cd "$SKEIN_BASE" && git rev-parse --short HEAD 2>/dev/null || cat .base-rev 2>/dev/null || echo '?'))"
meta v_skein "$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?') ($(deno --version | head -1))"
meta v_colly "colly $(awk '/gocolly\/colly\/v2 v/ {print $NF}' "$HERE/colly/go.mod") ($(go version | awk '{print $3}'))"
meta v_scrapy "Scrapy $("$PYTHON" -c 'import scrapy; print(scrapy.__version__)' 2>/dev/null || echo '?') (Twisted $("$PYTHON" -c 'import twisted; print(twisted.__version__)' 2>/dev/null || echo '?'), Python $("$PYTHON" -c 'import platform; print(platform.python_version())'))"
meta v_crawlee "@crawlee/cheerio $(node -p 'require(process.argv[1]).version' "$HERE/crawlee/node_modules/@crawlee/cheerio/package.json" 2>/dev/null || echo '?') (Node $(node -v))"
meta v_wget "$(wget --version 2>/dev/null | head -1)"
meta v_nginx "$("$NGINX" -v 2>&1 | sed 's/^nginx version: //')"

# --- one crawl ------------------------------------------------------------------
# run_one SCENARIO PEER RUN URL CONCURRENCY [STATS_PORT] [TRACE]
run_one() {
  local scenario=$1 peer=$2 run=$3 url=$4 conc=$5 stats_port=${6:-} trace=${7:-0}
  local dir="$RUN_DIR/$scenario/$peer/$run"
  mkdir -p "$dir"
  local work="$SCRATCH/work"
  rm -rf "$work" && mkdir -p "$work"
  local cmd=() cwd="$work"
  case $peer in
    skein | skein-base | skein-threads)
      local root=$ROOT
      if [ "$peer" = skein-base ]; then
        root=$SKEIN_BASE
        if [ -z "$root" ] || ! (cd "$root" && deno cache cli.ts >/dev/null 2>&1); then
          echo "SKEIN_BASE not set or its cli.ts does not compile" >"$dir/unavailable"
          return
        fi
      elif [ "$SKEIN" != 1 ]; then
        echo "cli.ts not available" >"$dir/unavailable"
        return
      fi
      local out=/dev/null
      [ "$SKEIN_OUT" != file ] || out="$work/skein.ndjson"
      # shellcheck disable=SC2206
      # The same command as `deno task crawl` (deno.json), V8 heap flags (SKEIN_V8) and arenas.
      local v8=$SKEIN_V8
      local args=$SKEIN_ARGS
      [ "$peer" != skein-base ] || v8=$SKEIN_BASE_V8
      [ "$peer" != skein-base ] || args=$SKEIN_BASE_ARGS
      [ "$peer" != skein-threads ] || args="$SKEIN_ARGS --threads $SKEIN_THREADS"
      # Traced: timestamps and event-loop delay (SKEIN_TRACE=1, a "trace:" line on stderr),
      # and V8's GC log on stdout (free: the pages go to --out).
      [ "$trace" != 1 ] || v8="$v8,--trace-gc"
      cmd=(env MALLOC_ARENA_MAX=2 SKEIN_TRACE="$trace" deno run --allow-net --allow-read --allow-write
        --allow-env --allow-sys --v8-flags="$v8" "$root/cli.ts"
        --concurrency "$conc" --per-host "$conc" --ignore-robots --max-depth 1000
        --max-pages 1000000 --retries 0 --out "$out" $args "$url")
      cwd="$root"
      ;;
    colly) cmd=("$OUT/colly-bench" -parallelism "$conc" "$url") ;;
    deno-floor)
      cmd=(deno run --allow-net "$HERE/floor/floor.ts" --concurrency "$conc" "$url")
      ;;
    scrapy)
      cmd=("$PYTHON" -m scrapy runspider "$HERE/scrapy/spider.py" -a "start_url=$url"
        -s "CONCURRENT_REQUESTS=$conc" -s "CONCURRENT_REQUESTS_PER_DOMAIN=$conc")
      ;;
    crawlee)
      cmd=(node "$HERE/crawlee/crawl.mjs" --concurrency "$conc" "$url")
      cwd="$work" # Crawlee would create ./storage here if it persisted anything
      ;;
    wget)
      if [ "$scenario" != static ]; then echo "single connection: left out" >"$dir/unavailable"; return; fi
      cmd=(wget -r -l inf -np -nd --delete-after -e robots=off -nv -o "$dir/wget.log" "$url")
      ;;
    *) log "unknown peer $peer"; return ;;
  esac
  printf '%q ' "${cmd[@]}" >"$dir/cmd"
  log "$scenario run $run: $peer"
  # The latency server times every answer; reading /_stats starts a fresh record.
  [ -z "$stats_port" ] || curl -fsS -o /dev/null "http://127.0.0.1:$stats_port/_stats" || true
  local rc=0
  (cd "$cwd" && CRAWLEE_PERSIST_STORAGE=false /usr/bin/time -v -o "$dir/time.txt" \
    timeout -k 10 "$TIMEOUT" "${cmd[@]}" >"$dir/stdout" 2>"$dir/stderr") || rc=$?
  echo "$rc" >"$dir/rc"
  [ -z "$stats_port" ] ||
    curl -fsS -o "$dir/server.json" "http://127.0.0.1:$stats_port/_stats?c=$conc" || true
  case $peer in
    skein | skein-base | skein-threads)
      if [ -f "$work/skein.ndjson" ]; then
        grep '"type":"done"' "$work/skein.ndjson" | tail -n 1 >"$dir/done.json" || true
        grep -c '"type":"page"' "$work/skein.ndjson" >"$dir/page_events" || true
      fi
      ;;
    wget) grep -c ' URL:' "$dir/wget.log" >"$dir/page_events" || true ;;
  esac
  rm -rf "$work"
  sleep 1
}

IFS=, read -r -a peer_list <<<"$PEERS"
n=${#peer_list[@]}
# run_rounds SCENARIO URL CONCURRENCY [STATS_PORT]
run_rounds() {
  local run k
  for run in $(seq 1 "$RUNS"); do
    # Round-robin, starting one crawler later each run, so no crawler always goes first.
    for k in $(seq 0 $((n - 1))); do
      run_one "$1" "${peer_list[$(((k + run - 1) % n))]}" "$run" "$2" "$3" "${4:-}"
    done
  done
}
if has_scenario static; then
  run_rounds static "http://127.0.0.1:$STATIC_PORT/index.html" "$STATIC_CONCURRENCY"
fi
if has_scenario latency; then
  run_rounds latency "http://127.0.0.1:$LATENCY_PORT/index.html" "$LATENCY_CONCURRENCY" "$LATENCY_PORT"
  if has_peer skein; then
    for run in $(seq 1 "$TRACE_RUNS"); do
      run_one latency-trace skein "$run" "http://127.0.0.1:$LATENCY_PORT/index.html" \
        "$LATENCY_CONCURRENCY" "$LATENCY_PORT" 1
    done
  fi
fi
if has_scenario wide; then
  IFS=, read -r -a wide_list <<<"$WIDE_CONCURRENCY"
  for c in "${wide_list[@]}"; do
    run_rounds "wide-$c" "http://127.0.0.1:$WIDE_PORT/index.html" "$c" "$WIDE_PORT"
  done
fi

log "writing $RESULTS"
deno run --allow-read --allow-write "$HERE/report.ts" "$RUN_DIR" "$RESULTS"
(cd "$ROOT" && deno fmt -q "$RESULTS") || true
