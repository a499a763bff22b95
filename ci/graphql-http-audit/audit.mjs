// Runs graphql-http's server audits (GraphQL over HTTP conformance) against a running server.
//
// Usage: node audit.mjs [URL]   (or GRAPHQL_URL=...; default http://127.0.0.1:8000/graphql)
// Prints every audit; exits 0 only when every one of them is "ok", 1 otherwise, 2 on a crash.

import { auditServer } from 'graphql-http';

const url = process.argv[2] ?? process.env.GRAPHQL_URL ?? 'http://127.0.0.1:8000/graphql';

// The server refuses requests that a browser could send cross-site without a preflight (GETs and
// simple-content-type POSTs), as Apollo Server's CSRF prevention does; the API's real clients send
// this header, so the audit does too, and judges everything else about the transport.
function fetchWithPreflightHeader(input, init = {}) {
  const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined));
  headers.set('GraphQL-Require-Preflight', '1');
  return fetch(input, { ...init, headers });
}

async function main() {
  const results = await auditServer({ url, fetchFn: fetchWithPreflightHeader });
  const counts = {};
  for (const result of results) {
    counts[result.status] = (counts[result.status] ?? 0) + 1;
    let line = `${result.status.toUpperCase().padEnd(6)} ${result.id} ${result.name}`;
    if (result.status !== 'ok') {
      const status = result.response ? ` [HTTP ${result.response.status}]` : '';
      line += `\n         reason: ${result.reason}${status}`;
    }
    console.log(line);
  }
  const summary = Object.entries(counts)
    .map(([status, count]) => `${count} ${status}`)
    .join(', ');
  console.log(`\n${results.length} audits against ${url}: ${summary}`);
  const failed = results.filter((result) => result.status !== 'ok').length;
  if (failed > 0) {
    console.log(`audit: ${failed} of ${results.length} audits are not ok`);
    return 1;
  }
  console.log('audit: every audit is ok');
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    console.error('audit: could not run the audits:', error);
    process.exitCode = 2;
  },
);
