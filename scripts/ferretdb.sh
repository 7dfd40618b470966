#!/usr/bin/env bash
# Installs and runs FerretDB 1.24.2 (SQLite backend) for the MongoStore tests.
#
#   scripts/ferretdb.sh install        build the binary when missing, print its path
#   scripts/ferretdb.sh start [port]   start it (default port 27018) and print MONGODB_URI=...
#   scripts/ferretdb.sh stop           stop it and remove its data directory
#   scripts/ferretdb.sh status         print MONGODB_URI=... when running, exit 1 otherwise
#
# Typical use:  eval "$(scripts/ferretdb.sh start)"; ...; scripts/ferretdb.sh stop
#
# Environment: SKEIN_TOOLS (default ~/.cache/skein) holds bin/ferretdb and run/ (pid, port, data
# directory). FERRETDB_START_TIMEOUT (seconds, default 30) bounds the wait for the server.
# GOGC (default 400 here, Go's own default is 100) is the server's garbage-collection target: with
# Go's default its collector took 14 % of its CPU under the service's inserts; at 400 its CPU per
# stored page is 15 % less for about 30 MB more memory (bench/RESULTS.md, issue 11, stop 21).
#
# Why not plain `go install ...@v1.24.2`: the installed binary panics at start ("Invalid
# build/version/version.txt file content") because the module zip ships that file empty. So the
# module is fetched into the Go module cache, copied, given its version file, and built there.
set -euo pipefail

readonly FERRETDB_VERSION="v1.24.2"
readonly FERRETDB_MODULE="github.com/FerretDB/FerretDB"
readonly TOOLS_DIR="${SKEIN_TOOLS:-${HOME}/.cache/skein}"
readonly BIN="${TOOLS_DIR}/bin/ferretdb"
readonly RUN_DIR="${TOOLS_DIR}/run"
readonly PID_FILE="${RUN_DIR}/ferretdb.pid"
readonly PORT_FILE="${RUN_DIR}/ferretdb.port"
readonly DATA_FILE="${RUN_DIR}/ferretdb.dir"
readonly START_TIMEOUT="${FERRETDB_START_TIMEOUT:-30}"

die() {
  echo "ferretdb.sh: $*" >&2
  exit 1
}

log() {
  echo "ferretdb.sh: $*" >&2
}

# Succeeds when something accepts TCP connections on 127.0.0.1:$1.
port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Succeeds when the pid file names a live process.
running() {
  [[ -f "${PID_FILE}" ]] && kill -0 "$(cat "${PID_FILE}")" 2>/dev/null
}

ensure_go() {
  if ! command -v go >/dev/null 2>&1; then
    export PATH="${PATH}:/usr/local/go/bin"
  fi
  command -v go >/dev/null 2>&1 ||
    die "Go is required to build FerretDB but is neither on PATH nor in /usr/local/go/bin"
}

install() {
  if [[ -x "${BIN}" ]]; then
    echo "${BIN}"
    return
  fi
  ensure_go
  local modcache src work
  modcache="$(go env GOMODCACHE)"
  # The module cache escapes capital letters as "!" + lower case.
  src="${modcache}/github.com/!ferret!d!b/!ferret!d!b@${FERRETDB_VERSION}"
  if [[ ! -d "${src}" ]]; then
    log "fetching ${FERRETDB_MODULE}@${FERRETDB_VERSION} into the Go module cache (about a minute)"
    go install "${FERRETDB_MODULE}/cmd/ferretdb@${FERRETDB_VERSION}" >&2
  fi
  [[ -d "${src}" ]] || die "module source not found at ${src} after go install"
  work="$(mktemp -d)"
  # shellcheck disable=SC2064 # expand now: work is local
  trap "rm -rf '${work}'" RETURN
  cp -R "${src}/." "${work}/"
  chmod -R u+w "${work}"
  printf '%s' "${FERRETDB_VERSION}" >"${work}/build/version/version.txt"
  mkdir -p "$(dirname "${BIN}")"
  log "building ${BIN}"
  (cd "${work}" && go build -o "${BIN}.tmp" ./cmd/ferretdb) >&2
  mv "${BIN}.tmp" "${BIN}"
  echo "${BIN}"
}

start() {
  local port="${1:-27018}"
  [[ "${port}" =~ ^[0-9]+$ ]] || die "port must be a number, got '${port}'"
  if running; then
    local current
    current="$(cat "${PORT_FILE}")"
    [[ "${current}" == "${port}" ]] ||
      die "already running on port ${current} (pid $(cat "${PID_FILE}")); run 'stop' first"
    echo "MONGODB_URI=mongodb://127.0.0.1:${port}/"
    return
  fi
  if port_open "${port}"; then
    die "port ${port} is already in use by another process"
  fi
  install >/dev/null
  mkdir -p "${RUN_DIR}"
  local data
  data="$(mktemp -d "${TMPDIR:-/tmp}/skein-ferretdb.XXXXXX")"
  GOGC="${GOGC:-400}" "${BIN}" \
    --handler=sqlite \
    --sqlite-url="file:${data}/" \
    --listen-addr="127.0.0.1:${port}" \
    --state-dir="${data}" \
    --debug-addr=- \
    --log-level=ERROR \
    --telemetry=disable \
    >"${data}/ferretdb.log" 2>&1 </dev/null &
  local pid=$!
  echo "${pid}" >"${PID_FILE}"
  echo "${port}" >"${PORT_FILE}"
  echo "${data}" >"${DATA_FILE}"
  local deadline=$((SECONDS + START_TIMEOUT))
  until port_open "${port}"; do
    if ! kill -0 "${pid}" 2>/dev/null; then
      local logtext
      logtext="$(tail -n 20 "${data}/ferretdb.log" 2>/dev/null || true)"
      cleanup_state
      die "FerretDB exited before listening on 127.0.0.1:${port}; log tail:"$'\n'"${logtext}"
    fi
    if ((SECONDS >= deadline)); then
      stop >/dev/null
      die "FerretDB did not listen on 127.0.0.1:${port} within ${START_TIMEOUT}s"
    fi
    sleep 0.1
  done
  echo "MONGODB_URI=mongodb://127.0.0.1:${port}/"
}

cleanup_state() {
  if [[ -f "${DATA_FILE}" ]]; then
    local data
    data="$(cat "${DATA_FILE}")"
    # Only ever remove a directory this script created.
    [[ "${data}" == */skein-ferretdb.* ]] && rm -rf "${data}"
  fi
  rm -f "${PID_FILE}" "${PORT_FILE}" "${DATA_FILE}"
}

stop() {
  if running; then
    local pid i
    pid="$(cat "${PID_FILE}")"
    kill "${pid}" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
      kill -0 "${pid}" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "${pid}" 2>/dev/null; then
      kill -9 "${pid}" 2>/dev/null || true
    fi
  fi
  cleanup_state
}

status() {
  running || die "not running"
  echo "MONGODB_URI=mongodb://127.0.0.1:$(cat "${PORT_FILE}")/"
}

case "${1:-}" in
install) install ;;
start) start "${2:-}" ;;
stop) stop ;;
status) status ;;
*) die "usage: $0 install | start [port] | stop | status" ;;
esac
