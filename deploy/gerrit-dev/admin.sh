#!/usr/bin/env bash
# admin.sh [SITE_DIR]                     checks the admin's HTTP password
#                                          against the running server and
#                                          prints {"username", "http_password",
#                                          "account_id"} as JSON
# admin.sh [SITE_DIR] password USER [PW]   sets USER's HTTP password (to PW, or
#                                          a generated one) as admin; prints it
#
# How to get an admin with an HTTP password without a browser, as found on
# Gerrit 3.10.2 here:
#
# * What works (and what start.sh relies on): `init --batch --dev` with
#   auth.type = DEVELOPMENT_BECOME_ANY_ACCOUNT creates, on a NEW site only
#   (init must get an empty or missing directory), account 1000000 with
#   username "admin", name "Administrator", email admin@example.com and HTTP
#   password "secret", a member of Administrators. So from the first second
#   `curl -u admin:secret http://127.0.0.1:8089/a/...` works, and the admin
#   can create accounts with a password (PUT /a/accounts/NAME
#   {"name", "email", "http_password"}) or set one
#   (PUT /a/accounts/NAME/password.http {"http_password": ...} or
#   {"generate": true}).
#
# * What does not work here: the become-any-account flow. GET
#   /login/?account_id=1000000 does set a GerritAccount session cookie, and
#   GET calls without /a/ then run as that account; but every write with a
#   cookie needs the X-Gerrit-Auth header holding the XSRF_TOKEN cookie,
#   which only the web UI's index page sets, and the server runs headless
#   (no UI in the jars Maven Central serves here). PUT
#   /accounts/self/password.http with the cookie answers 403 "Invalid
#   authentication method"; /a/ with only the cookie, the same. With the war
#   (GERRIT_WAR) the UI would be there, but the init account makes this moot.
set -euo pipefail

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

site_arg=""
if [ $# -gt 0 ] && [ "$1" != password ]; then
  site_arg="$1"
  shift
fi
site="$(gerrit_site_dir "$site_arg")"
gerrit_pid "$site" >/dev/null || gerrit_die "no running Gerrit for $site: run start.sh first"

self="$(gerrit_rest GET accounts/self)" \
  || gerrit_die "admin:$GERRIT_ADMIN_PASSWORD is refused by $(gerrit_url)/a/accounts/self"
caps="$(gerrit_rest GET accounts/self/capabilities)"
case "$caps" in
  *'"administrateServer":true'*) ;;
  *) gerrit_die "$GERRIT_ADMIN_USER is not an administrator" ;;
esac

if [ "${1:-}" = password ]; then
  user="${2:?usage: admin.sh [SITE_DIR] password USER [PASSWORD]}"
  if [ -n "${3:-}" ]; then
    body="$(python3 -c 'import json,sys; print(json.dumps({"http_password": sys.argv[1]}))' "$3")"
  else
    body='{"generate": true}'
  fi
  gerrit_rest PUT "accounts/$user/password.http" "$body" | python3 -c 'import json,sys; print(json.load(sys.stdin))'
  exit 0
fi

python3 - "$self" "$GERRIT_ADMIN_PASSWORD" <<'EOF'
import json, sys
me = json.loads(sys.argv[1])
print(json.dumps({"username": me["username"], "http_password": sys.argv[2], "account_id": me["_account_id"]}))
EOF
