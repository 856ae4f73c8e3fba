#!/usr/bin/env bash
# start.sh [SITE_DIR]: runs a throwaway Gerrit (3.10.x) for integration tests,
# on loopback only, and prints its URL on stdout.
#
# - fetches Gerrit from Maven Central with Maven, once, into
#   ${CODEPACE_CACHE:-$HOME/.cache/codepace}/gerrit-VERSION/ (lib.sh says how
#   and why it may be the published jars rather than the war);
# - when SITE_DIR has no site yet, initialises one in batch mode
#   (init --batch --dev --no-auto-start --skip-plugins) and configures it:
#   HTTP on 127.0.0.1:$GERRIT_HTTP_PORT (8089), canonicalWebUrl to match,
#   SSH off, auth DEVELOPMENT_BECOME_ANY_ACCOUNT, Lucene index, 512m heap,
#   no mail; init --dev also creates the admin (admin / secret, see admin.sh);
# - starts the daemon in the background (PID in SITE/gerrit.pid, output in
#   SITE/logs/daemon.log, Gerrit's own logs in SITE/logs/) and waits until
#   GET /config/server/version answers ($GERRIT_START_TIMEOUT, 180 s);
# - when the site's daemon is already running, only checks that it answers.
#
# SITE_DIR defaults to $GERRIT_SITE or ${TMPDIR:-/tmp}/codepace-gerrit-site.
# Stop it with stop.sh; remove SITE_DIR to start from scratch.
set -euo pipefail

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

site="$(gerrit_site_dir "${1:-}")"
url="$(gerrit_url)"
t0=$SECONDS

wait_ready() {
  local pid="$1" deadline=$((SECONDS + GERRIT_START_TIMEOUT)) version
  while [ "$SECONDS" -lt "$deadline" ]; do
    version="$(gerrit_version || true)"
    if [ -n "$version" ]; then
      gerrit_log "Gerrit $version answers at $url/ (PID $pid, site $site, ready after $((SECONDS - t0))s)"
      echo "$url/"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 30 "$site/logs/daemon.log" >&2 || true
      gerrit_die "the daemon exited during start-up; see $site/logs/"
    fi
    sleep 1
  done
  tail -n 30 "$site/logs/daemon.log" >&2 || true
  gerrit_die "no answer from $url/config/server/version within ${GERRIT_START_TIMEOUT}s; see $site/logs/"
}

if pid="$(gerrit_pid "$site")"; then
  gerrit_log "the daemon of $site is already running (PID $pid)"
  wait_ready "$pid"
  exit 0
fi

if curl -fsS --max-time 2 -o /dev/null "$url/config/server/version" 2>/dev/null; then
  gerrit_die "something else already answers on $url (another site? stop it first)"
fi

gerrit_prepare_dist
gerrit_log "running Gerrit from the ${GERRIT_DIST_KIND} in $(gerrit_cache_dir) (ready after $((SECONDS - t0))s)"
daemon_args=()
if [ "$GERRIT_DIST_KIND" = jars ]; then
  daemon_args+=(--headless)
fi
# Logging until Gerrit's own error_log is set up, and for init.
java_opts=(-Dlog4j.configuration="file:$GERRIT_DEV_DIR/log4j.properties")

if [ ! -f "$site/etc/gerrit.config" ]; then
  gerrit_log "initialising a new site in $site"
  # Init treats an existing, non-empty directory as an old site and then
  # creates no admin account: give it a fresh directory.
  [ ! -e "$site" ] || rmdir "$site" 2>/dev/null \
    || gerrit_die "$site exists but holds no site (no etc/gerrit.config); remove it"
  init_log="$(mktemp)"
  t_init=$SECONDS
  if ! "${GERRIT_CMD[0]}" "${java_opts[@]}" "${GERRIT_CMD[@]:1}" init --batch --no-auto-start --dev \
    --skip-plugins -d "$site" >"$init_log" 2>&1; then
    tail -n 30 "$init_log" >&2
    gerrit_die "init failed; see $init_log"
  fi
  mkdir -p "$site/logs"
  mv "$init_log" "$site/logs/init.log"
  chmod 644 "$site/logs/init.log"
  if [ "$GERRIT_DIST_KIND" = jars ]; then
    # Init copies the archive it ran from (here the plugin API jar) to
    # bin/gerrit.war; that copy is of no use.
    rm -f "$site/bin/gerrit.war"
  fi
  cfg="$site/etc/gerrit.config"
  git config -f "$cfg" gerrit.canonicalWebUrl "$url/"
  git config -f "$cfg" httpd.listenUrl "http://127.0.0.1:${GERRIT_HTTP_PORT}/"
  git config -f "$cfg" sshd.listenAddress off
  git config -f "$cfg" auth.type DEVELOPMENT_BECOME_ANY_ACCOUNT
  git config -f "$cfg" index.type lucene
  git config -f "$cfg" container.heapLimit 512m
  git config -f "$cfg" sendemail.enable false
  gerrit_log "site initialised in $((SECONDS - t_init))s"
fi

# The HTTP port may differ from the one the site was made with.
git config -f "$site/etc/gerrit.config" httpd.listenUrl "http://127.0.0.1:${GERRIT_HTTP_PORT}/"
git config -f "$site/etc/gerrit.config" gerrit.canonicalWebUrl "$url/"

heap="$(git config -f "$site/etc/gerrit.config" container.heapLimit || echo 512m)"
java_opts+=(-Xmx"$heap")
while IFS= read -r opt; do
  [ -n "$opt" ] && java_opts+=("$opt")
done < <(git config -f "$site/etc/gerrit.config" --get-all container.javaOptions || true)

mkdir -p "$site/logs"
gerrit_log "starting the daemon"
# GERRIT_CMD starts with "java": put the JVM options right after it.
nohup "${GERRIT_CMD[0]}" "${java_opts[@]}" "${GERRIT_CMD[@]:1}" daemon -d "$site" "${daemon_args[@]}" \
  >"$site/logs/daemon.log" 2>&1 </dev/null &
pid=$!
echo "$pid" >"$site/gerrit.pid"
wait_ready "$pid"
