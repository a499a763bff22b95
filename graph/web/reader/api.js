// The reader's page's side of the API: reads as persisted queries over GET, mutations as
// POSTs carrying the signed-in caller's token, and one idempotency key per intended action.
"use strict";

const TOKEN_KEY = "evidence-ledger.token";
const ROLE_KEY = "evidence-ledger.role";
const ACCEPT = "application/graphql-response+json, application/json";

class ApiError extends Error {
  constructor(message, code) {
    super(code ? `${message} (${code})` : message);
    this.code = code;
  }
}

async function send(url, init) {
  let response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    throw new ApiError(`The API could not be reached: ${error.message}`);
  }
  try {
    return await response.json();
  } catch (error) {
    throw new ApiError(`The API answered ${response.status} without a GraphQL response.`);
  }
}

function dataOf(body) {
  if (body.errors && body.errors.length) {
    const [first] = body.errors;
    throw new ApiError(first.message, first.extensions && first.extensions.code);
  }
  return body.data;
}

async function graphql(query, variables, token) {
  const headers = { "content-type": "application/json", accept: ACCEPT };
  if (token) headers.authorization = `Bearer ${token}`;
  const body = { query, variables };
  return dataOf(await send("/graphql", { method: "POST", headers, body: JSON.stringify(body) }));
}

// Apollo's hash of a document: the sha256 of its exact text, in hexadecimal.
async function documentHash(query) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(query));
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

// An anonymous read, as an automatic persisted query over GET: a short URL whose answer the
// browser keeps and revalidates with its ETag (a 304 when nothing it shows has changed). The
// document's text is sent only when the server does not know its hash yet. Where the page
// is not a secure context (no crypto.subtle), a plain POST.
async function read(query, variables) {
  if (!(window.crypto && crypto.subtle)) return graphql(query, variables);
  const extensions = { persistedQuery: { version: 1, sha256Hash: await documentHash(query) } };
  const get = (params) => {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(params)) {
      search.set(name, typeof value === "string" ? value : JSON.stringify(value));
    }
    // The header is what lets a GET through the API's CSRF prevention.
    const headers = { accept: ACCEPT, "graphql-require-preflight": "1" };
    return send(`/graphql?${search}`, { method: "GET", headers });
  };
  let body = await get({ variables, extensions });
  const [first] = body.errors || [];
  if (first && first.extensions && first.extensions.code === "PERSISTED_QUERY_NOT_FOUND") {
    body = await get({ query, variables, extensions });
  }
  return dataOf(body);
}

// A read as the signed-in caller (their own ratings): never kept, so a plain POST.
async function readAsCaller(query, variables) {
  return graphql(query, variables, sessionStorage.getItem(TOKEN_KEY));
}

// A mutation's typed error (NotAllowed, ValidationError, ...) as the API words it.
async function mutate(query, field, input) {
  const data = await graphql(query, { input }, sessionStorage.getItem(TOKEN_KEY));
  const result = data[field];
  if (result.message !== undefined) throw new ApiError(result.message, result.code);
  return result;
}

function newIdempotencyKey() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  return `${Date.now()}-${Math.random().toString(16).slice(2)}`;
}

// One intended action behind a form's button. Its idempotency key is made when the form is
// first submitted and sent again on every retry of the same input (after a network failure
// or a 5xx the first attempt may have been applied, and the API answers a repeated key with
// the first result instead of applying it twice); a new key only once the action succeeded
// or the input changed. The button is disabled while a request is in flight, and stays so
// after a success, since the page is drawn again without this form.
class Action {
  constructor(button) {
    this.button = button;
    this.key = null;
    this.input = null;
    this.inFlight = false;
  }

  keyFor(input) {
    const fingerprint = JSON.stringify(input);
    if (this.key === null || fingerprint !== this.input) {
      this.key = newIdempotencyKey();
      this.input = fingerprint;
    }
    return this.key;
  }

  // Sends `input` with this action's key; null when a request is already in flight.
  async run(input, sendInput) {
    if (this.inFlight) return null;
    this.inFlight = true;
    this.button.disabled = true;
    try {
      const result = await sendInput({ ...input, idempotencyKey: this.keyFor(input) });
      this.key = null; // done: this form is spent, and stays disabled until it is drawn anew
      return result;
    } catch (error) {
      this.inFlight = false;
      this.button.disabled = false;
      throw error;
    }
  }
}
