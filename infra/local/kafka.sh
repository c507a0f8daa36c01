#!/usr/bin/env bash
# Local single-node Apache Kafka 4.x (KRaft, combined broker+controller) without Docker.
#
#   bash infra/local/kafka.sh start    # fetch jars (first time), format storage (first time), launch
#   bash infra/local/kafka.sh wait     # block until the broker answers metadata requests
#   bash infra/local/kafka.sh status   # exit 0 when running, 3 when not
#   bash infra/local/kafka.sh stop     # SIGTERM, then SIGKILL after KAFKA_STOP_TIMEOUT
#   bash infra/local/kafka.sh kill     # SIGKILL at once (crash tests on their own broker; never the shared one)
#   bash infra/local/kafka.sh reset    # stop (if running) and wipe data (topics, offsets, cluster id)
#   bash infra/local/kafka.sh fetch    # only fetch the jars from Maven Central
#   bash infra/local/kafka.sh tool CLASS [ARGS...]   # run a Kafka CLI class with the same classpath,
#        e.g. tool org.apache.kafka.tools.TopicCommand --bootstrap-server 127.0.0.1:9092 --list
#
# Environment overrides:
#   KAFKA_PORT             PLAINTEXT listener port on 127.0.0.1   (default 9092)
#   KAFKA_CONTROLLER_PORT  KRaft controller listener port          (default 9093)
#   KAFKA_HOME_DIR         jars, config, data, logs                (default <this dir>/.kafka)
#   KAFKA_HEAP_OPTS        JVM heap flags                          (default "-Xmx1g -Xms256m")
#   KAFKA_START_TIMEOUT    seconds `start` waits for the port      (default 60)
#   KAFKA_WAIT_TIMEOUT     seconds `wait` waits for metadata       (default 90)
#   KAFKA_STOP_TIMEOUT     seconds before SIGKILL on `stop`        (default 30)
#   JAVA                   java binary (default: $JAVA_HOME/bin/java, else java on PATH)
#   MVN                    maven binary (default: mvn on PATH)
set -euo pipefail

_src="${BASH_SOURCE[0]}"; [[ "$_src" == */* ]] || _src="./$_src"
SCRIPT_DIR="$(cd "${_src%/*}" && pwd)"
POM="$SCRIPT_DIR/kafka/pom.xml"

KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_HOME_DIR="${KAFKA_HOME_DIR:-$SCRIPT_DIR/.kafka}"
case "$KAFKA_HOME_DIR" in /*) ;; *) KAFKA_HOME_DIR="$PWD/$KAFKA_HOME_DIR" ;; esac
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xmx1g -Xms256m}"
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-60}"
KAFKA_WAIT_TIMEOUT="${KAFKA_WAIT_TIMEOUT:-90}"
KAFKA_STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"
HOST=127.0.0.1

LIBS="$KAFKA_HOME_DIR/libs"
CONF="$KAFKA_HOME_DIR/config"
DATA="$KAFKA_HOME_DIR/data"
LOGS="$KAFKA_HOME_DIR/logs"
PID_FILE="$KAFKA_HOME_DIR/kafka.pid"
STAMP_FILE="$LIBS/.fetched"           # holds the sha256 of pom.xml the jars were fetched for
FORMAT_STAMP="$DATA/.wtm-format"       # ports the storage was formatted for
SERVER_PROPS="$CONF/server.properties"
LOG4J_SERVER="$CONF/log4j2.xml"
LOG4J_TOOLS="$CONF/tools-log4j2.xml"

log() { printf 'kafka.sh: %s\n' "$*"; }
die() { printf 'kafka.sh: ERROR: %s\n' "$*" >&2; exit 1; }

for p in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
  [[ "$p" =~ ^[0-9]+$ ]] || die "port '$p' is not a number (KAFKA_PORT / KAFKA_CONTROLLER_PORT)"
done
[[ "$KAFKA_PORT" != "$KAFKA_CONTROLLER_PORT" ]] || die "KAFKA_PORT and KAFKA_CONTROLLER_PORT must differ"

# ---------------------------------------------------------------- helpers

find_java() {
  if [[ -n "${JAVA:-}" ]]; then :
  elif [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then JAVA="$JAVA_HOME/bin/java"
  elif command -v java >/dev/null 2>&1; then JAVA="$(command -v java)"
  else die "java not found (need Java 17+; install e.g. 'apt-get install openjdk-17-jre-headless' or set JAVA/JAVA_HOME)"
  fi
  [[ -f "$JAVA" && -x "$JAVA" ]] || die "java '$JAVA' does not exist or is not executable (need Java 17+)"
  local v major
  v="$("$JAVA" -version 2>&1 | awk -F'"' '/version/ {print $2; exit}')"
  major="${v%%.*}"; [[ "$major" == 1 ]] && major="$(cut -d. -f2 <<<"$v")"
  [[ "$major" =~ ^[0-9]+$ ]] || die "cannot tell the version of '$JAVA' (got '$v')"
  (( major >= 17 )) || die "Kafka 4.x needs Java 17+, '$JAVA' is $v"
}

pom_hash() { sha256sum "$POM" | cut -d' ' -f1; }

libs_ok() { [[ -f "$STAMP_FILE" && "$(cat "$STAMP_FILE")" == "$(pom_hash)" ]]; }

fetch_libs() {
  if libs_ok; then return 0; fi
  local mvn="${MVN:-mvn}"
  command -v "$mvn" >/dev/null 2>&1 || die "Kafka jars are not in $LIBS and maven ('$mvn') is not installed to fetch them"
  log "fetching Kafka jars from Maven Central into $LIBS (first run only) ..."
  local tmp="$KAFKA_HOME_DIR/libs.tmp.$$" t0=$SECONDS
  rm -rf "$tmp"; mkdir -p "$tmp"
  if ! "$mvn" -q -B -f "$POM" dependency:copy-dependencies \
        -DoutputDirectory="$tmp" -DincludeScope=runtime >"$KAFKA_HOME_DIR/fetch.log" 2>&1; then
    rm -rf "$tmp"
    tail -n 30 "$KAFKA_HOME_DIR/fetch.log" >&2 || true
    die "maven could not fetch the Kafka jars (full output: $KAFKA_HOME_DIR/fetch.log)"
  fi
  pom_hash >"$tmp/.fetched"
  rm -rf "$LIBS"; mv "$tmp" "$LIBS"
  local jars=("$LIBS"/*.jar)
  log "fetched ${#jars[@]} jars in $((SECONDS - t0))s"
}

alive() { # process $1 exists and is not a zombie
  kill -0 "$1" 2>/dev/null || return 1
  local st; st="$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null || true)"
  [[ "$st" != Z && "$st" != X ]]
}

# pid of our broker if it is running, else empty
running_pid() {
  [[ -f "$PID_FILE" ]] || return 0
  local pid; pid="$(cat "$PID_FILE" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  if alive "$pid" && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'kafka\.Kafka'; then
    echo "$pid"
  fi
}

port_open() { # something accepts TCP connections on $HOST:$1
  timeout 2 bash -c "exec 3<>/dev/tcp/$HOST/$1" 2>/dev/null
}

port_taken_desc() { # prints who listens on port $1 (best effort), returns 1 if nobody
  local out=""
  if command -v ss >/dev/null 2>&1; then
    out="$(ss -Hltnp "sport = :$1" 2>/dev/null || true)"
    [[ -n "$out" ]] && { echo "$out"; return 0; }
  fi
  port_open "$1" && { echo "(something accepts connections on $HOST:$1)"; return 0; }
  return 1
}

tail_log() {
  local f
  for f in "$LOGS/server.log" "$LOGS/kafka.out"; do
    if [[ -s "$f" ]]; then echo "----- last lines of $f -----" >&2; tail -n "${1:-40}" "$f" >&2; fi
  done
}

with_lock() {
  mkdir -p "$KAFKA_HOME_DIR"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$KAFKA_HOME_DIR/.lock"
    flock -w 900 9 || die "another kafka.sh is busy (lock $KAFKA_HOME_DIR/.lock)"
  fi
}

write_configs() {
  mkdir -p "$CONF" "$DATA" "$LOGS"
  cat >"$SERVER_PROPS" <<EOF
# Generated by infra/local/kafka.sh on every start -- edit the script, not this file.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=$HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$KAFKA_PORT,CONTROLLER://$HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$DATA
num.partitions=4
default.replication.factor=1
min.insync.replicas=1
auto.create.topics.enable=true
delete.topic.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.hours=24
log.segment.bytes=67108864
num.network.threads=2
num.io.threads=4
EOF
  cat >"$LOG4J_SERVER" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by infra/local/kafka.sh -->
<Configuration status="WARN">
  <Appenders>
    <RollingFile name="server" fileName="${sys:kafka.logs.dir}/server.log"
                 filePattern="${sys:kafka.logs.dir}/server.log.%i">
      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
      <SizeBasedTriggeringPolicy size="50MB"/>
      <DefaultRolloverStrategy max="3"/>
    </RollingFile>
  </Appenders>
  <Loggers>
    <Root level="INFO"><AppenderRef ref="server"/></Root>
    <Logger name="kafka.request.logger" level="WARN"/>
    <Logger name="org.apache.kafka.raft" level="INFO"/>
  </Loggers>
</Configuration>
EOF
  cat >"$LOG4J_TOOLS" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by infra/local/kafka.sh: CLI tools log warnings to stderr only -->
<Configuration status="WARN">
  <Appenders><Console name="stderr" target="SYSTEM_ERR"><PatternLayout pattern="[%d] %p %m (%c)%n"/></Console></Appenders>
  <Loggers><Root level="WARN"><AppenderRef ref="stderr"/></Root></Loggers>
</Configuration>
EOF
}

run_tool() { # run_tool CLASS ARGS...
  "$JAVA" -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Dlog4j2.configurationFile="$LOG4J_TOOLS" -cp "$LIBS/*" "$@"
}

format_storage() {
  local want="controller=$KAFKA_CONTROLLER_PORT"
  if [[ -f "$DATA/meta.properties" ]]; then
    if [[ -f "$FORMAT_STAMP" && "$(cat "$FORMAT_STAMP")" != "$want" ]]; then
      die "storage in $DATA was formatted for $(cat "$FORMAT_STAMP"), now KAFKA_CONTROLLER_PORT=$KAFKA_CONTROLLER_PORT; the KRaft voter set records the controller endpoint, so run 'bash $0 reset' first (wipes topics) or use the old port"
    fi
    return 0
  fi
  local cid
  cid="$(run_tool kafka.tools.StorageTool random-uuid | tail -n 1)"
  [[ -n "$cid" ]] || die "could not generate a cluster id"
  log "formatting storage in $DATA (cluster id $cid) ..."
  if ! run_tool kafka.tools.StorageTool format --standalone -t "$cid" -c "$SERVER_PROPS" >"$LOGS/format.log" 2>&1; then
    cat "$LOGS/format.log" >&2
    die "formatting KRaft storage failed"
  fi
  echo "$want" >"$FORMAT_STAMP"
  echo "$cid" >"$KAFKA_HOME_DIR/cluster.id"
}

# ---------------------------------------------------------------- commands

cmd_start() {
  find_java
  with_lock
  local pid; pid="$(running_pid)"
  if [[ -n "$pid" ]]; then
    log "already running (pid $pid) on $HOST:$KAFKA_PORT"
    return 0
  fi
  rm -f "$PID_FILE"
  local p who
  for p in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
    if who="$(port_taken_desc "$p")"; then
      die "port $p on $HOST is already taken by another process, cannot start Kafka there:
$who
(free the port, or choose others with KAFKA_PORT / KAFKA_CONTROLLER_PORT)"
    fi
  done
  fetch_libs
  write_configs
  format_storage

  log "starting Kafka (KRaft broker+controller) on $HOST:$KAFKA_PORT, controller $HOST:$KAFKA_CONTROLLER_PORT ..."
  local t0=$SECONDS
  # shellcheck disable=SC2086
  nohup setsid "$JAVA" $KAFKA_HEAP_OPTS -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
      -Djava.awt.headless=true -Dkafka.logs.dir="$LOGS" \
      -Dlog4j2.configurationFile="$LOG4J_SERVER" \
      -cp "$LIBS/*" kafka.Kafka "$SERVER_PROPS" \
      >"$LOGS/kafka.out" 2>&1 </dev/null 9>&- &
  pid=$!
  echo "$pid" >"$PID_FILE"

  while :; do
    if ! alive "$pid"; then
      rm -f "$PID_FILE"
      tail_log 60
      die "Kafka exited during startup (see $LOGS/server.log and $LOGS/kafka.out)"
    fi
    if port_open "$KAFKA_PORT"; then break; fi
    if (( SECONDS - t0 >= KAFKA_START_TIMEOUT )); then
      tail_log 60
      die "Kafka (pid $pid) did not open $HOST:$KAFKA_PORT within ${KAFKA_START_TIMEOUT}s; it is left running, see $LOGS/server.log ('bash $0 stop' to kill it)"
    fi
    sleep 0.5
  done
  log "started (pid $pid), listening on $HOST:$KAFKA_PORT after $((SECONDS - t0))s; logs: $LOGS/server.log"
}

cmd_wait() {
  find_java
  libs_ok || die "Kafka jars are not fetched yet; run 'bash $0 start' first"
  [[ -f "$LOG4J_TOOLS" ]] || write_configs
  local t0=$SECONDS pid out
  while :; do
    pid="$(running_pid)"
    if [[ -z "$pid" ]] && [[ -f "$PID_FILE" ]]; then
      tail_log 60; die "Kafka is not running any more (it died; see $LOGS/server.log)"
    fi
    if port_open "$KAFKA_PORT" && out="$(timeout 30 \
          "$JAVA" -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Dlog4j2.configurationFile="$LOG4J_TOOLS" \
          -cp "$LIBS/*" org.apache.kafka.tools.TopicCommand \
          --bootstrap-server "$HOST:$KAFKA_PORT" --list 2>&1)"; then
      log "ready: $HOST:$KAFKA_PORT answers metadata ($((SECONDS - t0))s)"
      return 0
    fi
    if (( SECONDS - t0 >= KAFKA_WAIT_TIMEOUT )); then
      [[ -n "${out:-}" ]] && { echo "----- last check output -----" >&2; tail -n 15 <<<"$out" >&2; }
      tail_log 40
      die "Kafka on $HOST:$KAFKA_PORT did not answer metadata within ${KAFKA_WAIT_TIMEOUT}s"
    fi
    sleep 1
  done
}

cmd_status() {
  local pid; pid="$(running_pid)"
  if [[ -n "$pid" ]]; then
    if port_open "$KAFKA_PORT"; then
      log "running (pid $pid), $HOST:$KAFKA_PORT accepts connections; data $DATA; logs $LOGS/server.log"
    else
      log "running (pid $pid) but $HOST:$KAFKA_PORT does not accept connections (yet?); logs $LOGS/server.log"
    fi
    return 0
  fi
  log "not running"
  return 3
}

cmd_stop() {
  with_lock
  local pid; pid="$(running_pid)"
  if [[ -z "$pid" ]]; then
    rm -f "$PID_FILE"
    log "not running, nothing to stop"
    return 0
  fi
  log "stopping Kafka (pid $pid) ..."
  kill -TERM "$pid" 2>/dev/null || true
  local t0=$SECONDS
  while alive "$pid"; do
    if (( SECONDS - t0 >= KAFKA_STOP_TIMEOUT )); then
      log "still alive after ${KAFKA_STOP_TIMEOUT}s, sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 1
      break
    fi
    sleep 0.5
  done
  rm -f "$PID_FILE"
  log "stopped after $((SECONDS - t0))s"
}

# SIGKILL, no orderly shutdown: what a crash or an OOM kill does (the crash tests use it on their own broker).
cmd_kill() {
  with_lock
  local pid; pid="$(running_pid)"
  if [[ -z "$pid" ]]; then
    log "not running, nothing to kill"
    return 0
  fi
  kill -KILL "$pid" 2>/dev/null || true
  while alive "$pid"; do sleep 0.2; done
  rm -f "$PID_FILE"
  log "killed (SIGKILL) pid $pid"
}

cmd_reset() {
  cmd_stop
  log "wiping $DATA (topics, offsets, cluster id) and logs"
  rm -rf "$DATA" "$LOGS" "$KAFKA_HOME_DIR/cluster.id"
}

cmd_tool() {
  [[ $# -ge 1 ]] || die "usage: $0 tool CLASS [ARGS...]"
  find_java
  fetch_libs
  [[ -f "$LOG4J_TOOLS" ]] || write_configs
  run_tool "$@"
}

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
}

case "${1:-}" in
  start)  cmd_start ;;
  stop)   cmd_stop ;;
  kill)   cmd_kill ;;
  status) cmd_status ;;
  wait)   cmd_wait ;;
  reset)  cmd_reset ;;
  fetch)  find_java; with_lock; fetch_libs ;;
  tool)   shift; cmd_tool "$@" ;;
  -h|--help|help) usage ;;
  *) usage >&2; exit 2 ;;
esac
