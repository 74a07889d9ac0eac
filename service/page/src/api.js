// The page's one way to the service's HTTP API (docs/service.md): JSON in and out, the bearer
// token when the service asks for one, and every failure as a thrown ApiError with the
// service's error code, never a console error.
const TOKEN_KEY = "seg-token";

// Integers past 2^53 (player and client ids up to 2^63) kept exact both ways: a JavaScript
// number would change 9007199254740993 into ...992, and the saved rule would name another
// player (found by a review). Such integers are BigInts on the page, written to JSON as
// their digits (JSON.rawJSON) and read back from the answer's own text (the reviver's source).
BigInt.prototype.toJSON = function () { return JSON.rawJSON(this.toString()); };
export function parseJson(text) {
  return JSON.parse(text, (key, value, context) =>
    typeof value === "number" && !Number.isSafeInteger(value) && /^-?\d+$/.test(context?.source ?? "")
      ? BigInt(context.source) : value);
}

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message || `HTTP ${status}`);
    this.status = status;
    this.code = body?.error?.code || "http";
    this.body = body || {};
  }
}

let onUnauthorized = () => {};
export function whenUnauthorized(f) { onUnauthorized = f; }
export function setToken(t) { sessionStorage.setItem(TOKEN_KEY, t); }
// Whether a token is being sent (a 401 then means it was not accepted).
export function hasToken() { return !!sessionStorage.getItem(TOKEN_KEY); }

// Rule errors come back as 422 with diagnostics: callers that show diagnostics pass
// `accept422` and get the body like any answer.
export async function call(method, path, body, { accept422 = false } = {}) {
  const headers = { Accept: "application/json" };
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, { error: { code: "network", message: "the service cannot be reached" } });
  }
  let json = null;
  try { json = parseJson(await res.text()); } catch { /* not JSON: handled below */ }
  if (res.status === 401) onUnauthorized();
  if (res.ok || (accept422 && res.status === 422 && json)) return json;
  throw new ApiError(res.status, json);
}

async function download(path) {
  const headers = {};
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.Authorization = `Bearer ${token}`;
  let res;
  try {
    res = await fetch(path, { headers });
  } catch (e) {
    throw new ApiError(0, { error: { code: "network", message: "the service cannot be reached" } });
  }
  if (res.status === 401) onUnauthorized();
  if (!res.ok) {
    let json = null;
    try { json = await res.json(); } catch { /* not JSON */ }
    throw new ApiError(res.status, json);
  }
  return { blob: await res.blob(), count: Number(res.headers.get("X-Seg-Members")) };
}

export const api = {
  health: () => call("GET", "/api/health"),
  schema: () => call("GET", "/api/schema"),
  // The live count of an unsaved rule: count, plan (per clause), preview rows, diagnostics,
  // and whether the form can show it. `what` is {rule} or {form}.
  // With `check`, a rule with errors is an answer (ok false, diagnostics), not a 422.
  count: (what, preview = 10) => call("POST", "/api/count", { ...what, preview, check: true }),
  check: (what) => call("POST", "/api/check", what),
  // What changing the saved rule `before` into `after` does: who enters, who leaves, and which
  // clauses account for it (over the membership's clients when the service keeps one).
  diff: (before, after, sample = 5) => call("POST", "/api/diff", { before, after, sample }),
  complete: (text, cursor) => call("POST", "/api/complete", { text, cursor }),
  // Counts the service has not computed yet come back `pending` instead of being waited for.
  list: (archived) => call("GET", `/api/segments?counts=cached${archived ? "&archived=true" : ""}`),
  get: (id) => call("GET", `/api/segments/${id}`),
  // A saved segment's members as CSV (the client ids, in id order: what a campaign is sent
  // to), as a Blob; the bearer token goes along, so this is a fetch rather than a plain link.
  members: (id) => download(`/api/segments/${id}/members?format=csv`),
  versions: (id) => call("GET", `/api/segments/${id}/versions`),
  // What the rule of version `to` does against version `from`'s, over the clients now.
  versionDiff: (id, from, to, sample = 5) => call("GET", `/api/segments/${id}/diff?from=${from}&to=${to}&sample=${sample}`),
  create: (body) => call("POST", "/api/segments", body, { accept422: true }),
  update: (id, body) => call("PUT", `/api/segments/${id}`, body, { accept422: true }),
  archive: (id, version) => call("DELETE", `/api/segments/${id}?version=${version}`),
  restore: (id, version) => call("POST", `/api/segments/${id}/restore?version=${version}`),
  // With a membership (seg serve --membership): answers when a version after `since` exists,
  // or after `wait` seconds.
  membership: (since, wait) => call("GET", `/api/membership?since=${since}&wait=${wait}`),
};
