# shellcheck shell=bash
# shellcheck disable=SC2034 # GERRIT_CMD and GERRIT_DIST_KIND are read by the scripts that source this
# Functions shared by start.sh, stop.sh, admin.sh and seed.sh: where the
# throwaway Gerrit site lives, how Gerrit is fetched from Maven Central and
# run, and small REST helpers. Source it; it sets no shell options itself.
#
# Settings (environment):
#   GERRIT_VERSION        3.10.x to run (default 3.10.2, the newest 3.10 that
#                         the Maven Central reachable here serves; see README)
#   GERRIT_HTTP_PORT      loopback HTTP port (default 8089)
#   GERRIT_SITE           site directory when no SITE_DIR argument is given
#                         (default ${TMPDIR:-/tmp}/codepace-gerrit-site)
#   CODEPACE_CACHE        download cache (default $HOME/.cache/codepace)
#   GERRIT_WAR            path of a gerrit.war to use instead of downloading
#   GERRIT_RETRY_WAR=1    ask Maven Central for gerrit-war again even though
#                         an earlier try recorded that it is not served
#   GERRIT_START_TIMEOUT  seconds to wait for the REST API (default 180)
#
# Admin account: `init --batch --dev` (auth.type DEVELOPMENT_BECOME_ANY_ACCOUNT)
# creates account 1000000, username "admin", HTTP password "secret", member of
# Administrators. REST calls as admin: curl -u admin:secret URL/a/...

GERRIT_VERSION="${GERRIT_VERSION:-3.10.2}"
GERRIT_HTTP_PORT="${GERRIT_HTTP_PORT:-8089}"
GERRIT_ADMIN_USER="${GERRIT_ADMIN_USER:-admin}"
GERRIT_ADMIN_PASSWORD="${GERRIT_ADMIN_PASSWORD:-secret}"
GERRIT_START_TIMEOUT="${GERRIT_START_TIMEOUT:-180}"
GERRIT_DEV_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# Bouncy Castle version that Gerrit 3.10 builds its war with.
GERRIT_BC_VERSION="1.72"

gerrit_log() { echo "gerrit-dev: $*" >&2; }
gerrit_die() {
  gerrit_log "error: $*"
  exit 1
}

# gerrit_site_dir [DIR]: absolute site directory.
gerrit_site_dir() {
  local dir="${1:-${GERRIT_SITE:-${TMPDIR:-/tmp}/codepace-gerrit-site}}"
  mkdir -p "$(dirname "$dir")"
  echo "$(cd "$(dirname "$dir")" && pwd)/$(basename "$dir")"
}

gerrit_url() { echo "http://127.0.0.1:${GERRIT_HTTP_PORT}"; }

gerrit_cache_dir() { echo "${CODEPACE_CACHE:-$HOME/.cache/codepace}/gerrit-${GERRIT_VERSION}"; }

# gerrit_mvn_copy ARTIFACT OUTDIR: one artifact from Maven Central; Maven's
# output (without colour codes) goes to stderr only when it fails.
# GERRIT_MVN_OPTS adds options (e.g. -Dmaven.repo.local=DIR).
gerrit_mvn_copy() {
  local log rc=0
  log="$(mktemp)"
  # shellcheck disable=SC2086 # GERRIT_MVN_OPTS is a list of options
  mvn -B -q ${GERRIT_MVN_OPTS:-} dependency:copy -Dartifact="$1" -DoutputDirectory="$2" >"$log" 2>&1 || rc=$?
  if [ "$rc" != 0 ]; then
    sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -v '^\s*$' >&2 || true
  fi
  rm -f "$log"
  return "$rc"
}

# gerrit_prepare_dist: makes sure a runnable Gerrit is in the cache and sets
# the array GERRIT_CMD to the command that runs a Gerrit program
# ("${GERRIT_CMD[@]}" init ..., "${GERRIT_CMD[@]}" daemon ...) and
# GERRIT_DIST_KIND to "war" or "jars".
#
# The war (com.google.gerrit:gerrit-war:VERSION:war) is preferred. Where
# Maven Central does not serve it (as here), the same server code is run from
# the two fat jars Gerrit publishes there, gerrit-plugin-api (server, httpd,
# sshd, JGit, Lucene, Guice, ...) and gerrit-acceptance-framework (pgm: Init
# and Daemon, Jetty, H2), plus Bouncy Castle, with GerritMain.java as the
# launcher. That build has no web UI, so the daemon runs --headless; REST and
# git over HTTP are the same code.
gerrit_prepare_dist() {
  local cache war jars classes marker log
  cache="$(gerrit_cache_dir)"
  war="$cache/gerrit.war"
  jars="$cache/jars"
  classes="$cache/classes"
  marker="$cache/war-not-served.txt"
  mkdir -p "$cache"
  command -v java >/dev/null || gerrit_die "java (17) is needed"

  if [ -n "${GERRIT_WAR:-}" ]; then
    [ -f "$GERRIT_WAR" ] || gerrit_die "GERRIT_WAR=$GERRIT_WAR does not exist"
    GERRIT_CMD=(java -jar "$GERRIT_WAR")
    GERRIT_DIST_KIND=war
    return 0
  fi

  if [ ! -f "$war" ] && [ ! -f "$jars/.complete" ] \
    && { [ ! -f "$marker" ] || [ "${GERRIT_RETRY_WAR:-0}" = 1 ]; }; then
    command -v mvn >/dev/null || gerrit_die "mvn is needed to fetch Gerrit from Maven Central"
    gerrit_log "fetching com.google.gerrit:gerrit-war:${GERRIT_VERSION}:war with Maven"
    log="$(mktemp)"
    if gerrit_mvn_copy "com.google.gerrit:gerrit-war:${GERRIT_VERSION}:war" "$cache" 2>"$log" \
      && [ -f "$cache/gerrit-war-${GERRIT_VERSION}.war" ]; then
      mv "$cache/gerrit-war-${GERRIT_VERSION}.war" "$war"
      rm -f "$marker"
    else
      grep -m 1 'ERROR\] Failed' "$log" >"$marker" || cp "$log" "$marker"
      gerrit_log "Maven Central does not serve gerrit-war ${GERRIT_VERSION} here (recorded in $marker):"
      sed 's/^/  /' "$marker" >&2
    fi
    rm -f "$log"
  fi

  if [ -f "$war" ]; then
    GERRIT_CMD=(java -jar "$war")
    GERRIT_DIST_KIND=war
    return 0
  fi

  if [ ! -f "$jars/.complete" ]; then
    command -v mvn >/dev/null || gerrit_die "mvn is needed to fetch Gerrit from Maven Central"
    gerrit_log "fetching gerrit-plugin-api and gerrit-acceptance-framework ${GERRIT_VERSION} (about 95 MB) with Maven"
    rm -rf "$jars"
    mkdir -p "$jars"
    local a
    for a in com.google.gerrit:gerrit-plugin-api:"${GERRIT_VERSION}" \
      com.google.gerrit:gerrit-acceptance-framework:"${GERRIT_VERSION}" \
      org.bouncycastle:bcprov-jdk18on:"${GERRIT_BC_VERSION}" \
      org.bouncycastle:bcpkix-jdk18on:"${GERRIT_BC_VERSION}" \
      org.bouncycastle:bcutil-jdk18on:"${GERRIT_BC_VERSION}" \
      org.bouncycastle:bcpg-jdk18on:"${GERRIT_BC_VERSION}"; do
      gerrit_mvn_copy "$a" "$jars" || gerrit_die "Maven could not fetch $a"
    done
    touch "$jars/.complete"
  fi

  if [ ! -f "$classes/GerritMain.class" ] \
    || [ "$GERRIT_DEV_DIR/GerritMain.java" -nt "$classes/GerritMain.class" ]; then
    command -v javac >/dev/null || gerrit_die "javac (JDK 17) is needed to build GerritMain.java"
    mkdir -p "$classes/com/google/gerrit/common"
    javac -d "$classes" "$GERRIT_DEV_DIR/GerritMain.java"
    # The war carries this resource; without it the server reports "(dev)".
    echo "$GERRIT_VERSION" >"$classes/com/google/gerrit/common/Version"
  fi

  local cp="$classes" j
  for j in "$jars"/*.jar; do cp="$cp:$j"; done
  GERRIT_CMD=(java -cp "$cp" GerritMain)
  GERRIT_DIST_KIND=jars
}

# gerrit_pid SITE: prints the daemon's PID when SITE/gerrit.pid names a live
# Gerrit daemon of this site; fails otherwise.
gerrit_pid() {
  local site="$1" pid
  [ -f "$site/gerrit.pid" ] || return 1
  pid="$(cat "$site/gerrit.pid")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "daemon -d $site" || return 1
  echo "$pid"
}

# gerrit_version: the server's version, from GET /config/server/version.
gerrit_version() {
  curl -fsS --max-time 5 "$(gerrit_url)/config/server/version" 2>/dev/null | sed -n '2p' | tr -d '"'
}

# gerrit_rest METHOD PATH [JSON]: REST call as the admin (HTTP Basic under
# /a/); prints the JSON body without the )]}' line. Use GERRIT_USER and
# GERRIT_PASSWORD to act as someone else.
gerrit_rest() {
  local method="$1" path="$2" body="${3:-}"
  local args=(-fsS --max-time 60 -X "$method"
    -u "${GERRIT_USER:-$GERRIT_ADMIN_USER}:${GERRIT_PASSWORD:-$GERRIT_ADMIN_PASSWORD}"
    -H 'Accept: application/json')
  if [ -n "$body" ]; then
    args+=(-H 'Content-Type: application/json' --data "$body")
  fi
  curl "${args[@]}" "$(gerrit_url)/a/${path#/}" | sed "1{/^)]}'\$/d}"
}
