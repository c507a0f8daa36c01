#!/usr/bin/env bash
# Make sure a MySQL-compatible server answers and has the project's databases.
#
#   bash infra/local/mysql.sh ensure   # start the local MariaDB if it does not answer, wait, create databases
#   bash infra/local/mysql.sh status   # exit 0 when the server answers, 3 when not
#   bash infra/local/mysql.sh stop     # stop the local MariaDB, but only if this script started it
#
# Databases created (utf8mb4 / utf8mb4_unicode_ci): wtm, wtm_test  (override: MYSQL_DATABASES="a b")
#
# Environment overrides:
#   MYSQL_HOST (127.0.0.1)  MYSQL_PORT (3306)  MYSQL_USER (root)  MYSQL_PASSWORD (empty)
#   MYSQL_WAIT_TIMEOUT      seconds to wait for the server after starting it (default 60)
#   MARIADBD                server binary started when nothing answers (default /usr/sbin/mariadbd)
#   MYSQL_BUFFER_POOL       bytes of InnoDB buffer pool a local server gets at least (default 2147483648 = 2 GiB;
#                           0 = leave it); raised with SET GLOBAL, so it lasts until the server restarts
#
# The server is started the way this machine starts it:
#   start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
# (its settings -- user, datadir, port, bind-address -- come from /etc/mysql/my.cnf). A server is only
# started when MYSQL_HOST is local; a remote or already running server is used as it is.
# `stop` only stops a server this script started (it leaves a marker file); a server that was already
# running (e.g. the machine's own) is left alone.
set -euo pipefail

_src="${BASH_SOURCE[0]}"; [[ "$_src" == */* ]] || _src="./$_src"
SCRIPT_DIR="$(cd "${_src%/*}" && pwd)"

MYSQL_HOST="${MYSQL_HOST:-127.0.0.1}"
MYSQL_PORT="${MYSQL_PORT:-3306}"
MYSQL_USER="${MYSQL_USER:-root}"
MYSQL_PASSWORD="${MYSQL_PASSWORD:-}"
MYSQL_WAIT_TIMEOUT="${MYSQL_WAIT_TIMEOUT:-60}"
MYSQL_DATABASES="${MYSQL_DATABASES:-wtm wtm_test}"
MARIADBD="${MARIADBD:-/usr/sbin/mariadbd}"
MYSQL_BUFFER_POOL="${MYSQL_BUFFER_POOL:-2147483648}"
STATE_DIR="$SCRIPT_DIR/.mysql"
STARTED_MARKER="$STATE_DIR/started-by-script"

log() { printf 'mysql.sh: %s\n' "$*"; }
die() { printf 'mysql.sh: ERROR: %s\n' "$*" >&2; exit 1; }

client_args() {
  CLIENT_ARGS=(--protocol=TCP -h"$MYSQL_HOST" -P"$MYSQL_PORT" -u"$MYSQL_USER" --connect-timeout=3)
}

# the password goes through the environment, not the command line
with_pw() { if [[ -n "$MYSQL_PASSWORD" ]]; then MYSQL_PWD="$MYSQL_PASSWORD" "$@"; else "$@"; fi; }

need_clients() {
  if ! command -v mysqladmin >/dev/null 2>&1 || ! command -v mysql >/dev/null 2>&1; then
    die "the mysql/mysqladmin clients are missing (apt-get install mariadb-client)"
  fi
}

answers() { client_args; with_pw mysqladmin "${CLIENT_ARGS[@]}" ping >/dev/null 2>&1; }

is_local_host() { [[ "$MYSQL_HOST" == 127.0.0.1 || "$MYSQL_HOST" == localhost || "$MYSQL_HOST" == ::1 ]]; }

start_server() {
  is_local_host || die "nothing answers on $MYSQL_HOST:$MYSQL_PORT and it is not a local host, so it cannot be started from here"
  [[ -x "$MARIADBD" ]] || die "nothing answers on $MYSQL_HOST:$MYSQL_PORT and $MARIADBD does not exist (apt-get install mariadb-server)"
  command -v start-stop-daemon >/dev/null 2>&1 || die "start-stop-daemon is missing (package dpkg), cannot start $MARIADBD"
  if start-stop-daemon --status --exec "$MARIADBD"; then
    die "$MARIADBD is already running but nothing answers 'mysqladmin ping' on $MYSQL_HOST:$MYSQL_PORT (does it listen on another port? see port/bind-address in /etc/mysql/my.cnf)"
  fi
  # /run is a tmpfs: the socket/pid directory vanishes on reboot
  if [[ ! -d /run/mysqld ]]; then
    mkdir -p /run/mysqld
    if id mysql >/dev/null 2>&1; then chown mysql:mysql /run/mysqld; fi
  fi
  log "nothing answers on $MYSQL_HOST:$MYSQL_PORT, starting $MARIADBD ..."
  start-stop-daemon --start --oknodo --background --exec "$MARIADBD"
  mkdir -p "$STATE_DIR"; : >"$STARTED_MARKER"
  local t0=$SECONDS
  until answers; do
    if (( SECONDS - t0 >= MYSQL_WAIT_TIMEOUT )); then
      local errlog=/var/log/mysql/error.log
      if [[ -r "$errlog" ]]; then echo "----- last lines of $errlog -----" >&2; tail -n 30 "$errlog" >&2; fi
      die "$MARIADBD did not answer 'mysqladmin ping' on $MYSQL_HOST:$MYSQL_PORT within ${MYSQL_WAIT_TIMEOUT}s (if it listens elsewhere, check port/bind-address in /etc/mysql/my.cnf)"
    fi
    sleep 0.5
  done
  log "MariaDB answers after $((SECONDS - t0))s"
}

# A distribution's default buffer pool (128 MiB) holds about a day of facts at 100k pageviews a day, so a
# filtered 30-day question reads the disk page by page (seconds, and the 5 s statement limit). Production's
# MySQL gets ~70 % of its memory (infra/overlays/production); a local server gets at least MYSQL_BUFFER_POOL.
ensure_buffer_pool() {
  [[ "$MYSQL_BUFFER_POOL" =~ ^[0-9]+$ ]] || die "MYSQL_BUFFER_POOL must be a number of bytes"
  (( MYSQL_BUFFER_POOL > 0 )) && is_local_host || return 0
  client_args
  local now
  now="$(with_pw mysql "${CLIENT_ARGS[@]}" -N -B -e 'SELECT @@innodb_buffer_pool_size' 2>/dev/null || echo 0)"
  if (( now < MYSQL_BUFFER_POOL )); then
    if with_pw mysql "${CLIENT_ARGS[@]}" -e "SET GLOBAL innodb_buffer_pool_size = $MYSQL_BUFFER_POOL" 2>/dev/null; then
      log "InnoDB buffer pool raised from $((now / 1048576)) MiB to $((MYSQL_BUFFER_POOL / 1048576)) MiB (until the server restarts)"
    else
      log "could not raise the InnoDB buffer pool (needs SUPER); it stays $((now / 1048576)) MiB"
    fi
  fi
}

cmd_ensure() {
  need_clients
  if answers; then
    log "server answers on $MYSQL_HOST:$MYSQL_PORT"
  else
    start_server
  fi
  local sql="" db
  for db in $MYSQL_DATABASES; do
    [[ "$db" =~ ^[A-Za-z0-9_]+$ ]] || die "bad database name '$db'"
    sql+="CREATE DATABASE IF NOT EXISTS \`$db\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci; "
  done
  client_args
  local out
  if ! out="$(with_pw mysql "${CLIENT_ARGS[@]}" -e "$sql" 2>&1)"; then
    die "could not create databases ($MYSQL_DATABASES) as $MYSQL_USER@$MYSQL_HOST:$MYSQL_PORT: $out"
  fi
  ensure_buffer_pool
  local version
  version="$(with_pw mysql "${CLIENT_ARGS[@]}" -N -B -e 'SELECT VERSION()' 2>/dev/null || true)"
  log "ready: $MYSQL_USER@$MYSQL_HOST:$MYSQL_PORT (server $version), databases: $MYSQL_DATABASES"
}

cmd_status() {
  need_clients
  if answers; then
    client_args
    log "answers on $MYSQL_HOST:$MYSQL_PORT ($(with_pw mysql "${CLIENT_ARGS[@]}" -N -B -e 'SELECT VERSION()' 2>/dev/null || echo '?'))"
    return 0
  fi
  log "nothing answers on $MYSQL_HOST:$MYSQL_PORT"
  return 3
}

cmd_stop() {
  if [[ ! -f "$STARTED_MARKER" ]]; then
    log "not stopping: the server (if any) was not started by this script"
    return 0
  fi
  # aim at the very server on MYSQL_HOST:MYSQL_PORT through its pid file, not at every mariadbd
  local pidfile="" sel=()
  if answers; then
    client_args
    pidfile="$(with_pw mysql "${CLIENT_ARGS[@]}" -N -B -e 'SELECT @@pid_file' 2>/dev/null || true)"
    [[ -n "$pidfile" && "$pidfile" != /* ]] &&
      pidfile="$(with_pw mysql "${CLIENT_ARGS[@]}" -N -B -e 'SELECT @@datadir' 2>/dev/null || true)/$pidfile"
  fi
  if [[ -n "$pidfile" && -r "$pidfile" ]]; then sel=(--pidfile "$pidfile"); fi
  if start-stop-daemon --stop --quiet --retry=TERM/60/KILL/5 "${sel[@]}" --exec "$MARIADBD"; then
    log "stopped $MARIADBD${pidfile:+ (pid file $pidfile)}"
  else
    log "$MARIADBD was not running"
  fi
  rm -f "$STARTED_MARKER"
}

case "${1:-}" in
  ensure) cmd_ensure ;;
  status) cmd_status ;;
  stop)   cmd_stop ;;
  -h|--help|help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' ;;
  *) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
