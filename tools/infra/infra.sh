#!/usr/bin/env bash
# Local infrastructure for Keel integration tests: a real Kafka broker (KRaft,
# single node), a MongoDB-wire-compatible server (FerretDB v1 on SQLite) and,
# when its binary is there, a Qdrant server, all as plain background processes
# on 127.0.0.1. No container engine needed: Kafka and FerretDB come from package
# registries through their ordinary clients (Kafka jars via `mvn`, FerretDB and
# helm source via `go`); Qdrant is a prebuilt binary outside the repository
# (../shared/bin/qdrant from the repository root, or KEEL_QDRANT_BIN).
#
#   tools/infra/infra.sh install        # download/build into the cache (idempotent)
#   tools/infra/infra.sh start          # start all, wait until they really answer
#   tools/infra/infra.sh stop [--clean] # stop all; --clean also deletes their data
#   tools/infra/infra.sh status         # what runs where
#   tools/infra/infra.sh env            # `eval "$(tools/infra/infra.sh env)"`
#   tools/infra/infra.sh install-helm   # optional: build helm into the cache
#
# Environment (all optional):
#   KEEL_INFRA_HOME         cache root            (default: ~/.cache/keel-infra)
#   KEEL_INFRA_RUN          data/logs/pids        (default: $KEEL_INFRA_HOME/run)
#   KEEL_KAFKA_PORT         broker port           (default: 9092)
#   KEEL_KAFKA_CONTROLLER_PORT  KRaft controller  (default: broker port + 1)
#   KEEL_FERRETDB_PORT      MongoDB wire port     (default: 27017)
#   KEEL_QDRANT_BIN         Qdrant server binary  (default: <repo>/../shared/bin/qdrant; optional)
#   KEEL_QDRANT_PORT        Qdrant HTTP port      (default: 6333)
#   KEEL_QDRANT_GRPC_PORT   Qdrant gRPC port      (default: HTTP port + 1)
#   KEEL_INFRA_START_TIMEOUT  seconds to wait per service (default: 120)
#   KEEL_JAVA               java binary, >= 17    (default: /usr/bin/java, else PATH)
#   KEEL_KAFKA_HEAP         broker -Xmx           (default: 512m)
#   KEEL_KAFKA_JVM_OPTS     extra broker JVM flags, appended (e.g. -XX:TieredStopAtLevel=4)
set -euo pipefail

INFRA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$INFRA_DIR/../.." && pwd)"
INFRA_HOME="${KEEL_INFRA_HOME:-$HOME/.cache/keel-infra}"
RUN_DIR="${KEEL_INFRA_RUN:-$INFRA_HOME/run}"

# The Kafka version lives in one place, the POM, so a bump there is all it takes.
KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$INFRA_DIR/kafka/pom.xml")"
FERRETDB_MODULE="github.com/FerretDB/FerretDB"
FERRETDB_VERSION="v1.24.2"
HELM_MODULE="helm.sh/helm/v3"
HELM_VERSION="v3.22.0"
# The Qdrant release the binary outside the repository is built from; another
# version still starts (with a warning), and infra.json records what it reports.
QDRANT_VERSION="1.18.3"

KAFKA_HOME="$INFRA_HOME/kafka-$KAFKA_VERSION"
FERRETDB_BIN="$INFRA_HOME/bin/ferretdb"
HELM_BIN="$INFRA_HOME/bin/helm"
QDRANT_BIN="${KEEL_QDRANT_BIN:-$REPO_ROOT/../shared/bin/qdrant}"
# Absolute, because services start with their run dir as the working directory.
[[ "$QDRANT_BIN" == /* ]] || QDRANT_BIN="$PWD/$QDRANT_BIN"

KAFKA_PORT="${KEEL_KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KEEL_KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 1))}"
FERRETDB_PORT="${KEEL_FERRETDB_PORT:-27017}"
QDRANT_PORT="${KEEL_QDRANT_PORT:-6333}"
QDRANT_GRPC_PORT="${KEEL_QDRANT_GRPC_PORT:-$((QDRANT_PORT + 1))}"
START_TIMEOUT="${KEEL_INFRA_START_TIMEOUT:-120}"
KAFKA_HEAP="${KEEL_KAFKA_HEAP:-512m}"

KAFKA_BROKERS="127.0.0.1:$KAFKA_PORT"
MONGODB_URL="mongodb://127.0.0.1:$FERRETDB_PORT/"
QDRANT_URL="http://127.0.0.1:$QDRANT_PORT"
STATE_FILE="$RUN_DIR/infra.json"

log() { printf '[infra] %s\n' "$*" >&2; }
die() { printf '[infra] ERROR: %s\n' "$*" >&2; exit 1; }

java_bin() {
  local j="${KEEL_JAVA:-}"
  if [[ -z "$j" ]]; then
    if [[ -x /usr/bin/java ]]; then j=/usr/bin/java; else j="$(command -v java || true)"; fi
  fi
  [[ -n "$j" && -x "$j" ]] || die "java not found (need Java 17+; set KEEL_JAVA)"
  echo "$j"
}

# Kafka 4.x needs Java 17+ for the broker.
check_java() {
  local j major
  j="$(java_bin)"
  major="$("$j" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p')"
  [[ "${major:-0}" -ge 17 ]] || die "$j is Java ${major:-?}; Kafka $KAFKA_VERSION needs Java 17+"
}

need() { command -v "$1" >/dev/null 2>&1 || die "'$1' is required but not on PATH"; }

# Go builds are made independent of whatever Go settings the caller's shell or a
# surrounding go.work might carry: no toolchain switching (local Go is new
# enough), no VCS stamping (the build dir is not a checkout), static binaries.
go_env() { env GOTOOLCHAIN=local GOWORK=off GOFLAGS=-buildvcs=false CGO_ENABLED=0 "$@"; }

# ---------------------------------------------------------------- install ----

install_kafka() {
  # The marker holds a hash of the POM: editing the POM (e.g. adding a jar)
  # re-resolves even when the version number did not change.
  local pom_hash marker="$KAFKA_HOME/.installed"
  pom_hash="$(cat "$INFRA_DIR/kafka/pom.xml" "$INFRA_DIR/kafka/KafkaReady.java" | sha256sum | cut -d' ' -f1)"
  if [[ -f "$marker" && "$(cat "$marker")" == "$pom_hash" ]]; then
    log "kafka $KAFKA_VERSION: already installed ($KAFKA_HOME)"
    return
  fi
  # Replacing libs/ under a running broker would break its lazy class loading.
  if running_pid kafka >/dev/null; then
    die "kafka is running from $KAFKA_HOME and its jars need updating; run '$0 stop' first"
  fi
  need mvn
  need javac
  check_java
  log "kafka $KAFKA_VERSION: resolving jars with mvn (Maven's default repositories)..."
  # Build into a temp dir and swap it in at the end, so an interrupted install
  # never leaves a half-filled libs/ that looks installed.
  local tmp="$INFRA_HOME/.tmp-kafka-$$"
  rm -rf "$tmp"
  mkdir -p "$tmp/probe"
  if ! mvn -B -q -f "$INFRA_DIR/kafka/pom.xml" \
      dependency:copy-dependencies -DoutputDirectory="$tmp/libs" >"$tmp/mvn.log" 2>&1; then
    tail -n 40 "$tmp/mvn.log" >&2
    rm -rf "$tmp"
    die "mvn could not resolve Kafka $KAFKA_VERSION"
  fi
  # The readiness probe is compiled once here instead of on every start.
  javac --release 17 -nowarn -cp "$tmp/libs/*" -d "$tmp/probe" "$INFRA_DIR/kafka/KafkaReady.java"
  echo "$pom_hash" >"$tmp/.installed"
  rm -f "$tmp/mvn.log"
  rm -rf "$KAFKA_HOME"
  mv "$tmp" "$KAFKA_HOME"
  log "kafka $KAFKA_VERSION: installed $(find "$KAFKA_HOME/libs" -name '*.jar' | wc -l) jars into $KAFKA_HOME/libs"
}

# Prints the version a ferretdb binary reports ("" if it does not run). Output is
# captured rather than piped into `grep -q`, which under pipefail can fail the
# check when grep exits early and the binary gets SIGPIPE.
ferretdb_version() {
  local out
  out="$("$1" --version 2>/dev/null)" || true
  sed -n 's/^version: //p' <<<"$out"
}

install_ferretdb() {
  # `ferretdb --version` doubles as the "binary works" check and the cache key.
  if [[ -x "$FERRETDB_BIN" && "$(ferretdb_version "$FERRETDB_BIN")" == "$FERRETDB_VERSION" ]]; then
    log "ferretdb $FERRETDB_VERSION: already installed ($FERRETDB_BIN)"
    return
  fi
  need go
  # Why not simply `go install github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.2`:
  # that builds, but the binary panics at startup ("Invalid build/version/version.txt
  # file content") because upstream generates build/version/version.txt at release
  # time and the module zip does not contain it. So: fetch the module source through
  # the Go module proxy (`go mod download`), copy it, write version.txt the way
  # upstream's `task gen-version` would, and build cmd/ferretdb from that copy.
  log "ferretdb $FERRETDB_VERSION: fetching module source with go mod download..."
  local tmp="$INFRA_HOME/.tmp-ferretdb-$$" src_dir
  rm -rf "$tmp"
  mkdir -p "$tmp"
  # Run outside any module so the repo's own go.mod/go.work (if any) do not matter.
  src_dir="$(cd "$tmp" && go_env go mod download -json "$FERRETDB_MODULE@$FERRETDB_VERSION" \
    | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
  [[ -n "$src_dir" && -d "$src_dir" ]] || die "go mod download did not return a source dir for $FERRETDB_MODULE@$FERRETDB_VERSION"
  cp -R "$src_dir" "$tmp/src"
  chmod -R u+w "$tmp/src" # the module cache is read-only
  echo "$FERRETDB_VERSION" >"$tmp/src/build/version/version.txt"
  log "ferretdb $FERRETDB_VERSION: compiling (a cold build takes ~2 min on 2 cores)..."
  (cd "$tmp/src" && go_env go build -trimpath -o "$tmp/ferretdb" ./cmd/ferretdb) \
    || { rm -rf "$tmp"; die "building ferretdb failed"; }
  [[ "$(ferretdb_version "$tmp/ferretdb")" == "$FERRETDB_VERSION" ]] \
    || { rm -rf "$tmp"; die "built ferretdb does not run or does not report $FERRETDB_VERSION"; }
  mkdir -p "$(dirname "$FERRETDB_BIN")"
  mv -f "$tmp/ferretdb" "$FERRETDB_BIN"
  rm -rf "$tmp"
  log "ferretdb $FERRETDB_VERSION: installed $FERRETDB_BIN"
}

install_helm() {
  if [[ -x "$HELM_BIN" && "$("$HELM_BIN" version --template '{{.Version}}' 2>/dev/null || true)" == "$HELM_VERSION" ]]; then
    log "helm $HELM_VERSION: already installed ($HELM_BIN)"
    return
  fi
  need go
  log "helm $HELM_VERSION: building with go install (~1-2 min cold)..."
  local tmp="$INFRA_HOME/.tmp-helm-$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  # Upstream's Makefile stamps the version via -ldflags; without it `helm version`
  # prints only the source default ("v3.22"), and the cache check above needs the
  # exact version.
  (cd "$tmp" && go_env GOBIN="$tmp" go install -trimpath \
    -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" \
    "$HELM_MODULE/cmd/helm@$HELM_VERSION") || { rm -rf "$tmp"; die "building helm failed"; }
  mkdir -p "$(dirname "$HELM_BIN")"
  mv -f "$tmp/helm" "$HELM_BIN"
  rm -rf "$tmp"
  log "helm $HELM_VERSION: installed $HELM_BIN ($("$HELM_BIN" version --short))"
}

# Qdrant is not installed from a registry: its binary comes with the machine. This
# only reports what `start` will find.
check_qdrant_binary() {
  local version
  if ! qdrant_available; then
    log "qdrant: no binary at $QDRANT_BIN (optional; set KEEL_QDRANT_BIN) - start will run without Qdrant"
    return
  fi
  version="$(qdrant_version "$QDRANT_BIN")"
  if [[ -z "$version" ]]; then
    log "WARNING: qdrant: $QDRANT_BIN does not run ('qdrant --version' failed); start will fail until it does"
    return
  fi
  log "qdrant $version: using $QDRANT_BIN"
}

cmd_install() {
  mkdir -p "$INFRA_HOME"
  install_kafka
  install_ferretdb
  check_qdrant_binary
}

# ---------------------------------------------------------------- process ----

pid_file() { echo "$RUN_DIR/$1/$1.pid"; }
log_file() { echo "$RUN_DIR/$1/$1.log"; }

# Prints the pid if the service's recorded process is alive. The command-line
# check guards against a stale pid file whose pid was reused by something else.
running_pid() {
  local name="$1" pf pid
  pf="$(pid_file "$name")"
  [[ -f "$pf" ]] || return 1
  pid="$(cat "$pf")"
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  case "$name" in
    kafka) grep -qa 'kafka.Kafka' "/proc/$pid/cmdline" 2>/dev/null || return 1 ;;
    ferretdb) grep -qa 'ferretdb' "/proc/$pid/cmdline" 2>/dev/null || return 1 ;;
    qdrant) grep -qa 'qdrant' "/proc/$pid/cmdline" 2>/dev/null || return 1 ;;
  esac
  echo "$pid"
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Starts "$@" detached in its own session (so it survives the calling shell and
# ignores the caller's Ctrl-C), with stdout/stderr appended to the log file. The
# pid is written by the wrapper shell right before it execs, so it is exact.
spawn() {
  local name="$1"
  shift
  local pf lf
  pf="$(pid_file "$name")"
  lf="$(log_file "$name")"
  printf '\n===== %s starting %s =====\n' "$(date -u +%FT%TZ)" "$name" >>"$lf"
  # cwd = the service's run dir (never the caller's checkout); fd 9 (our lock) is
  # closed so a long-lived service never holds the start/stop lock.
  # shellcheck disable=SC2016 # $$/$0/$@ are for the inner bash, not this one
  (cd "$RUN_DIR/$name" && exec setsid bash -c 'echo $$ >"$0"; exec "$@"' "$pf" "$@") \
    </dev/null >>"$lf" 2>&1 9>&- &
  STARTED+=("$name")
  # Wait (briefly) for the pid file so callers can rely on it.
  local _
  for _ in $(seq 50); do [[ -s "$pf" ]] && return 0; sleep 0.1; done
  die "$name did not start (no pid file)"
}

# Services launched by this invocation; a failed start stops all of them so CI
# never keeps a half-started stack around.
STARTED=()

fail_start() {
  local name="$1" msg="$2" svc
  log "$name: $msg"
  log "----- last 40 lines of $(log_file "$name") -----"
  tail -n 40 "$(log_file "$name")" >&2 || true
  log "-----"
  for svc in "${STARTED[@]}"; do stop_service "$svc"; done
  die "$name failed to start"
}

# A check that fails after other services were launched: stop those too, then exit.
abort_start() {
  local svc
  for svc in "${STARTED[@]}"; do stop_service "$svc"; done
  die "$*"
}

# ----------------------------------------------------------------- kafka -----

# Short-lived JVMs (storage format, readiness probe) start fastest with the C1
# JIT only and the serial GC.
QUICK_JVM_OPTS=(-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto)

# Same format as `kafka-storage random-uuid` (base64url of 16 random bytes, never
# starting with '-'), without paying for a JVM start.
new_cluster_id() {
  local id
  while :; do
    id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    [[ "$id" != -* ]] && break
  done
  echo "$id"
}

write_kafka_config() {
  local dir="$RUN_DIR/kafka"
  # Regenerated on every start so port overrides always take effect. The data dir
  # (and with it the cluster id) is what persists between starts.
  cat >"$dir/server.properties" <<EOF
# Generated by tools/infra/infra.sh on every start; edit the script, not this file.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/data

# Test-friendly defaults: topics appear on first use, a single broker can host
# the internal topics, and consumer groups start without the 3 s rebalance wait.
auto.create.topics.enable=true
num.partitions=3
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
delete.topic.enable=true
# Internal topics default to 50 partitions each; creating and loading them made
# the first consumer-group join / transactional producer noticeably slower.
offsets.topic.num.partitions=5
transaction.state.log.num.partitions=5
# Keep test data small on disk.
log.retention.hours=24
log.segment.bytes=67108864
EOF
}

start_kafka() {
  local pid
  if pid="$(running_pid kafka)"; then
    log "kafka: already running (pid $pid) on $KAFKA_BROKERS"
    return
  fi
  [[ -f "$KAFKA_HOME/.installed" ]] || die "kafka $KAFKA_VERSION is not installed; run: $0 install"
  check_java
  port_busy "$KAFKA_PORT" && die "port $KAFKA_PORT is already in use by another process (set KEEL_KAFKA_PORT)"
  port_busy "$KAFKA_CONTROLLER_PORT" && die "port $KAFKA_CONTROLLER_PORT is already in use (set KEEL_KAFKA_CONTROLLER_PORT)"

  local dir="$RUN_DIR/kafka" java cp
  java="$(java_bin)"
  cp="$KAFKA_HOME/libs/*"
  mkdir -p "$dir/data"
  rm -f "$(pid_file kafka)"
  write_kafka_config

  # KRaft needs its log dir formatted once, with a cluster id, before first start.
  if [[ ! -f "$dir/data/meta.properties" ]]; then
    local cluster_id
    cluster_id="$(new_cluster_id)"
    log "kafka: formatting storage (cluster id $cluster_id)"
    "$java" "${QUICK_JVM_OPTS[@]}" -cp "$cp" -Dlog4j2.configurationFile="$INFRA_DIR/kafka/log4j2.properties" \
      kafka.tools.StorageTool format --ignore-formatted \
      -t "$cluster_id" -c "$dir/server.properties" >>"$(log_file kafka)" 2>&1 \
      || fail_start kafka "kafka-storage format failed"
  fi

  log "kafka: starting $KAFKA_VERSION on $KAFKA_BROKERS (controller 127.0.0.1:$KAFKA_CONTROLLER_PORT)"
  # -XX:TieredStopAtLevel=1 (C1 JIT only) roughly halves broker start-up on a
  # 2-core machine; test traffic is tiny so peak throughput does not matter. For
  # benchmarks, KEEL_KAFKA_JVM_OPTS="-XX:TieredStopAtLevel=4" restores the full JIT
  # (later flags win).
  local -a extra_opts
  read -r -a extra_opts <<<"${KEEL_KAFKA_JVM_OPTS:-}"
  spawn kafka "$java" "-Xms128m" "-Xmx$KAFKA_HEAP" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:TieredStopAtLevel=1 "${extra_opts[@]}" \
    -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$INFRA_DIR/kafka/log4j2.properties" \
    -Dkafka.logs.dir="$dir" \
    -cp "$cp" kafka.Kafka "$dir/server.properties"
}

wait_kafka() {
  local pid java
  pid="$(cat "$(pid_file kafka)")"
  java="$(java_bin)"
  # The probe retries on its own until the timeout; run it in the background so we
  # can also notice the broker dying and fail fast instead of waiting it out.
  "$java" "${QUICK_JVM_OPTS[@]}" -cp "$KAFKA_HOME/libs/*:$KAFKA_HOME/probe" \
    -Dlog4j2.configurationFile="$INFRA_DIR/kafka/log4j2.properties" \
    KafkaReady "$KAFKA_BROKERS" "$START_TIMEOUT" >"$RUN_DIR/kafka/ready.out" 2>&1 &
  await_probe kafka "$pid" $!
  log "kafka: ready ($(grep -m1 'kafka ready' "$RUN_DIR/kafka/ready.out" || true))"
}

# Waits for a readiness probe running in the background (its output in <run>/<service>/ready.out),
# failing fast when the service itself dies first instead of waiting the timeout out.
await_probe() {
  local service=$1 pid=$2 probe=$3
  while kill -0 "$probe" 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null; then
      kill "$probe" 2>/dev/null || true
      wait "$probe" 2>/dev/null || true
      fail_start "$service" "process exited during startup"
    fi
    sleep 0.1
  done
  if ! wait "$probe"; then
    cat "$RUN_DIR/$service/ready.out" >&2
    fail_start "$service" "not ready after ${START_TIMEOUT}s"
  fi
}

# -------------------------------------------------------------- ferretdb -----

start_ferretdb() {
  local pid
  if pid="$(running_pid ferretdb)"; then
    log "ferretdb: already running (pid $pid) on $MONGODB_URL"
    return
  fi
  [[ -x "$FERRETDB_BIN" ]] || abort_start "ferretdb is not installed; run: $0 install"
  port_busy "$FERRETDB_PORT" && abort_start "port $FERRETDB_PORT is already in use by another process (set KEEL_FERRETDB_PORT)"

  local dir="$RUN_DIR/ferretdb"
  mkdir -p "$dir/data"
  rm -f "$(pid_file ferretdb)"
  log "ferretdb: starting $FERRETDB_VERSION (SQLite backend) on $MONGODB_URL"
  # --debug-addr=- : no HTTP debug/metrics listener (its default :8088 could clash).
  # --telemetry=disable : never phone home (and no "undecided" banner in logs).
  # --state-dir : FerretDB keeps a small state.json; keep it with the run data.
  spawn ferretdb "$FERRETDB_BIN" \
    --handler=sqlite \
    --sqlite-url="file:$dir/data/" \
    --listen-addr="127.0.0.1:$FERRETDB_PORT" \
    --state-dir="$dir" \
    --telemetry=disable \
    --debug-addr=- \
    --log-level=info
}

wait_ferretdb() {
  local pid
  pid="$(cat "$(pid_file ferretdb)")"
  need node
  node "$INFRA_DIR/probe/mongo-ping.mjs" 127.0.0.1 "$FERRETDB_PORT" "$START_TIMEOUT" >"$RUN_DIR/ferretdb/ready.out" 2>&1 &
  await_probe ferretdb "$pid" $!
  log "ferretdb: ready ($(cat "$RUN_DIR/ferretdb/ready.out"))"
}

# ---------------------------------------------------------------- qdrant -----

qdrant_available() { [[ -x "$QDRANT_BIN" ]]; }

# Prints the version a qdrant binary reports ("qdrant 1.18.3" -> "1.18.3"; "" if it does not run).
qdrant_version() {
  local out
  out="$("$1" --version 2>/dev/null)" || true
  sed -n 's/^qdrant \([0-9][^ ]*\).*/\1/p' <<<"$out"
}

start_qdrant() {
  local pid version
  if pid="$(running_pid qdrant)"; then
    log "qdrant: already running (pid $pid) on $QDRANT_URL"
    return
  fi
  if ! qdrant_available; then
    log "WARNING: qdrant: no binary at $QDRANT_BIN (set KEEL_QDRANT_BIN); starting without Qdrant, so QDRANT_URL stays unset and Qdrant suites skip"
    return
  fi
  version="$(qdrant_version "$QDRANT_BIN")"
  [[ -n "$version" ]] || abort_start "$QDRANT_BIN does not run ('qdrant --version' failed)"
  [[ "$version" == "$QDRANT_VERSION" ]] || log "WARNING: qdrant: $QDRANT_BIN is $version, tested with $QDRANT_VERSION"
  port_busy "$QDRANT_PORT" && abort_start "port $QDRANT_PORT is already in use by another process (set KEEL_QDRANT_PORT)"
  port_busy "$QDRANT_GRPC_PORT" && abort_start "port $QDRANT_GRPC_PORT is already in use by another process (set KEEL_QDRANT_GRPC_PORT)"

  local dir="$RUN_DIR/qdrant"
  mkdir -p "$dir/storage" "$dir/snapshots"
  rm -f "$(pid_file qdrant)"
  log "qdrant: starting $version on $QDRANT_URL (gRPC 127.0.0.1:$QDRANT_GRPC_PORT)"
  # No config file: everything through Qdrant's environment variables. HOST keeps it off the
  # other interfaces (its default is 0.0.0.0); no web UI folder, no telemetry.
  spawn qdrant env \
    QDRANT__SERVICE__HOST=127.0.0.1 \
    QDRANT__SERVICE__HTTP_PORT="$QDRANT_PORT" \
    QDRANT__SERVICE__GRPC_PORT="$QDRANT_GRPC_PORT" \
    QDRANT__SERVICE__ENABLE_STATIC_CONTENT=false \
    QDRANT__STORAGE__STORAGE_PATH="$dir/storage" \
    QDRANT__STORAGE__SNAPSHOTS_PATH="$dir/snapshots" \
    QDRANT__TELEMETRY_DISABLED=true \
    "$QDRANT_BIN"
}

wait_qdrant() {
  local pid
  pid="$(cat "$(pid_file qdrant)")"
  need node
  node "$INFRA_DIR/probe/http-ready.mjs" qdrant "$QDRANT_URL/readyz" "$START_TIMEOUT" >"$RUN_DIR/qdrant/ready.out" 2>&1 &
  await_probe qdrant "$pid" $!
  log "qdrant: ready ($(cat "$RUN_DIR/qdrant/ready.out"))"
}

# ------------------------------------------------------------- commands -----

# Serialise start/stop: parallel test targets may all call `start` at once.
take_lock() {
  mkdir -p "$RUN_DIR"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$RUN_DIR/.lock"
    flock -w 300 9 || die "timed out waiting for another infra.sh on $RUN_DIR/.lock"
  fi
}

write_state() {
  local tmp="$STATE_FILE.tmp" qdrant="" pid version
  # Qdrant is listed only when it runs: without its binary the stack has none.
  if pid="$(running_pid qdrant)"; then
    version="$(qdrant_version "$QDRANT_BIN")"
    qdrant=",\"qdrant\":{\"url\":\"$QDRANT_URL\",\"version\":\"${version:-$QDRANT_VERSION}\",\"pid\":$pid}"
  fi
  cat >"$tmp" <<EOF
{"kafka":{"brokers":"$KAFKA_BROKERS","version":"$KAFKA_VERSION","pid":$(cat "$(pid_file kafka)")},"mongodb":{"url":"$MONGODB_URL","server":"ferretdb $FERRETDB_VERSION","pid":$(cat "$(pid_file ferretdb)")}$qdrant}
EOF
  mv -f "$tmp" "$STATE_FILE" # atomic: readers never see a half-written file
}

cmd_start() {
  take_lock
  local kafka_pid ferret_pid qdrant_pid=""
  # Qdrant counts only when its binary is there (or it runs anyway).
  if kafka_pid="$(running_pid kafka)" && ferret_pid="$(running_pid ferretdb)" &&
    { qdrant_pid="$(running_pid qdrant)" || ! qdrant_available; }; then
    local wanted="$KAFKA_BROKERS $MONGODB_URL${qdrant_pid:+ $QDRANT_URL}"
    load_recorded_endpoints
    if [[ "$wanted" != "$KAFKA_BROKERS $MONGODB_URL${qdrant_pid:+ $QDRANT_URL}" ]]; then
      log "WARNING: the running stack uses other ports than requested; run '$0 stop' first to change them"
    fi
    local qdrant_note=", no qdrant (no binary at $QDRANT_BIN)"
    [[ -n "$qdrant_pid" ]] && qdrant_note=", qdrant pid $qdrant_pid ($QDRANT_URL)"
    log "already running: kafka pid $kafka_pid ($KAFKA_BROKERS), ferretdb pid $ferret_pid ($MONGODB_URL)$qdrant_note - nothing to do"
    [[ -f "$STATE_FILE" ]] || write_state
    return
  fi
  rm -f "$STATE_FILE"
  local t0=$SECONDS
  # Launch all first, then wait for each: the JVM, FerretDB and Qdrant boot in parallel.
  local started_kafka=0 started_ferret=0 started_qdrant=0
  running_pid kafka >/dev/null || started_kafka=1
  running_pid ferretdb >/dev/null || started_ferret=1
  running_pid qdrant >/dev/null || ! qdrant_available || started_qdrant=1
  start_kafka
  start_ferretdb
  start_qdrant
  if [[ $started_ferret == 1 ]]; then wait_ferretdb; fi
  if [[ $started_qdrant == 1 ]]; then wait_qdrant; fi
  if [[ $started_kafka == 1 ]]; then wait_kafka; fi
  write_state
  log "started in $((SECONDS - t0))s; state in $STATE_FILE"
  cmd_env >&2
}

# SIGTERM (Kafka does a controlled shutdown, FerretDB closes SQLite cleanly),
# then SIGKILL if it has not exited after the grace period.
stop_service() {
  local name="$1" pid pf _
  pf="$(pid_file "$name")"
  if ! pid="$(running_pid "$name")"; then
    [[ -f "$pf" ]] && log "$name: not running (removing stale pid file)"
    rm -f "$pf"
    return
  fi
  log "$name: stopping pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 300); do # 30 s
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name: still alive after 30s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.5
  fi
  rm -f "$pf"
}

cmd_stop() {
  local clean=0
  [[ "${1:-}" == "--clean" ]] && clean=1
  take_lock
  rm -f "$STATE_FILE" # first, so harnesses stop discovering a going-away stack
  stop_service kafka
  stop_service ferretdb
  stop_service qdrant
  if [[ $clean == 1 ]]; then
    # Only our own subdirectories, never the whole (possibly user-set) run dir.
    rm -rf "$RUN_DIR/kafka" "$RUN_DIR/ferretdb" "$RUN_DIR/qdrant"
    log "removed run data under $RUN_DIR"
  fi
  log "stopped"
}

cmd_status() {
  local pid rc=0
  load_recorded_endpoints
  echo "cache:    $INFRA_HOME"
  echo "run dir:  $RUN_DIR"
  if [[ -f "$KAFKA_HOME/.installed" ]]; then echo "kafka:    $KAFKA_VERSION installed"; else echo "kafka:    $KAFKA_VERSION NOT installed"; fi
  if [[ -x "$FERRETDB_BIN" ]]; then echo "ferretdb: $FERRETDB_VERSION installed"; else echo "ferretdb: NOT installed"; fi
  if qdrant_available; then
    echo "qdrant:   $(qdrant_version "$QDRANT_BIN") at $QDRANT_BIN"
  else
    echo "qdrant:   no binary at $QDRANT_BIN (optional; set KEEL_QDRANT_BIN)"
  fi
  if [[ -x "$HELM_BIN" ]]; then echo "helm:     $("$HELM_BIN" version --short 2>/dev/null) at $HELM_BIN"; fi
  if pid="$(running_pid kafka)"; then
    echo "kafka    RUNNING pid $pid  brokers=$KAFKA_BROKERS  log=$(log_file kafka)"
  else
    echo "kafka    stopped"; rc=3
  fi
  if pid="$(running_pid ferretdb)"; then
    echo "ferretdb RUNNING pid $pid  url=$MONGODB_URL  log=$(log_file ferretdb)"
  else
    echo "ferretdb stopped"; rc=3
  fi
  if pid="$(running_pid qdrant)"; then
    echo "qdrant   RUNNING pid $pid  url=$QDRANT_URL  log=$(log_file qdrant)"
  elif qdrant_available; then
    echo "qdrant   stopped"; rc=3
  else
    echo "qdrant   not available (optional: no binary)"
  fi
  [[ -f "$STATE_FILE" ]] && echo "state:    $STATE_FILE"
  return $rc
}

# The running stack may have been started with other port overrides than this
# shell has: adopt what it recorded in infra.json, if anything.
# RECORDED_QDRANT: 1 if infra.json lists Qdrant, 0 if it exists without it, "" without infra.json.
RECORDED_QDRANT=""
load_recorded_endpoints() {
  [[ -f "$STATE_FILE" ]] || return 0
  local brokers url qdrant
  brokers="$(sed -n 's/.*"kafka":{"brokers":"\([^"]*\)".*/\1/p' "$STATE_FILE")"
  url="$(sed -n 's/.*"mongodb":{"url":"\([^"]*\)".*/\1/p' "$STATE_FILE")"
  qdrant="$(sed -n 's/.*"qdrant":{"url":"\([^"]*\)".*/\1/p' "$STATE_FILE")"
  [[ -n "$brokers" ]] && KAFKA_BROKERS="$brokers"
  [[ -n "$url" ]] && MONGODB_URL="$url"
  if [[ -n "$qdrant" ]]; then
    QDRANT_URL="$qdrant"
    RECORDED_QDRANT=1
  else
    RECORDED_QDRANT=0
  fi
  return 0
}

cmd_env() {
  load_recorded_endpoints
  echo "export KAFKA_BROKERS=$KAFKA_BROKERS"
  echo "export MONGODB_URL=$MONGODB_URL"
  # A running stack: what it recorded. Otherwise: what `start` would run.
  if [[ "$RECORDED_QDRANT" == 1 ]] || { [[ -z "$RECORDED_QDRANT" ]] && qdrant_available; }; then
    echo "export QDRANT_URL=$QDRANT_URL"
  else
    echo "# no Qdrant in this stack (no binary at $QDRANT_BIN): QDRANT_URL left unset"
  fi
}

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
}

main() {
  local cmd="${1:-help}"
  [[ $# -gt 0 ]] && shift
  case "$cmd" in
    install) cmd_install ;;
    install-helm) mkdir -p "$INFRA_HOME"; install_helm ;;
    start) cmd_start ;;
    stop) cmd_stop "$@" ;;
    status) cmd_status ;;
    env) cmd_env ;;
    help | -h | --help) usage ;;
    *) usage >&2; die "unknown command: $cmd" ;;
  esac
}

main "$@"
