#!/usr/bin/env bash
# Serves the API from a scratch SQLite database and audits it with graphql-http's server audits
# (GraphQL over HTTP conformance). Exits with the audit's status: 0 only when every audit is ok.
#
# Usage: ci/graphql-http-audit/run.sh [PATH_TO_EVIDENCE_LEDGER]
#   The command defaults to $EVIDENCE_LEDGER, else the repository's .venv/bin/evidence-ledger.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cli="${1:-${EVIDENCE_LEDGER:-$repo/.venv/bin/evidence-ledger}}"
if [[ ! -x "$cli" ]]; then
    echo "audit: no evidence-ledger command at $cli" >&2
    exit 2
fi

echo "-- npm ci (graphql-http audit)"
(cd "$here" && npm ci --no-audit --no-fund --loglevel=error)

scratch="$(mktemp -d)"
server=""
cleanup() {
    if [[ -n "$server" ]] && kill -0 "$server" 2>/dev/null; then
        kill -TERM "$server" 2>/dev/null || true
        for _ in $(seq 1 50); do
            kill -0 "$server" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$server" 2>/dev/null || true
    fi
    rm -rf "$scratch"
}
trap cleanup EXIT

# A port nothing listens on now; the server takes it a moment later.
port="$(node -e '
const server = require("net").createServer();
server.listen(0, "127.0.0.1", () => { console.log(server.address().port); server.close(); });
')"
base="http://127.0.0.1:$port"

echo "-- serving $base from $scratch/audit.db"
"$cli" serve --database "sqlite:///$scratch/audit.db" --port "$port" >"$scratch/serve.log" 2>&1 &
server=$!

healthy=""
for _ in $(seq 1 120); do
    if curl -fsS "$base/healthz" >/dev/null 2>&1; then
        healthy=1
        break
    fi
    if ! kill -0 "$server" 2>/dev/null; then
        break
    fi
    sleep 0.5
done
if [[ -z "$healthy" ]]; then
    echo "audit: the server did not answer /healthz with 200; its log:" >&2
    cat "$scratch/serve.log" >&2
    exit 2
fi

echo "-- auditing $base/graphql"
status=0
(cd "$here" && timeout 300 node audit.mjs "$base/graphql") || status=$?
exit "$status"
