// The public REST API, as any front end calls it: JSON, JWT bearer tokens, stable error codes.
//
// Tokens: the short-lived access token lives in memory only; the refresh token lives in this
// tab's sessionStorage (so a reload keeps you logged in, a new tab or a closed browser does
// not). Nothing is ever put in a cookie, so the API never trusts ambient credentials.

const BASE = "/api/v1";
const REFRESH_KEY = "frontrow.refresh";
const USER_KEY = "frontrow.user";

let accessToken = null;
let refreshToken = sessionStorage.getItem(REFRESH_KEY);
let currentUser = readJSON(USER_KEY);
let refreshing = null;
const listeners = new Set();

function readJSON(key) {
  try {
    return JSON.parse(sessionStorage.getItem(key) || "null");
  } catch {
    return null;
  }
}

/** An error answered by the API: `code` is the stable machine code, `detail` the message. */
export class ApiError extends Error {
  constructor(status, body, headers) {
    super((body && body.detail) || `Request failed (${status}).`);
    this.status = status;
    this.body = body || {};
    this.code = this.body.code || (status >= 500 ? "server_error" : "error");
    this.retryAfter = Number(headers && headers.get("Retry-After")) || 0;
  }
}

/** Raised when the network itself failed (offline, server down). */
export class NetworkError extends Error {
  constructor() {
    super("We could not reach the ticket server. Check your connection and try again.");
    this.code = "network";
  }
}

export const session = {
  get user() {
    return currentUser;
  },
  get loggedIn() {
    return Boolean(refreshToken);
  },
  onChange(listener) {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

function setSession(tokens, user) {
  accessToken = tokens ? tokens.access : null;
  refreshToken = tokens ? tokens.refresh || refreshToken : null;
  currentUser = user === undefined ? currentUser : user;
  if (refreshToken) sessionStorage.setItem(REFRESH_KEY, refreshToken);
  else sessionStorage.removeItem(REFRESH_KEY);
  if (currentUser && refreshToken) sessionStorage.setItem(USER_KEY, JSON.stringify(currentUser));
  else sessionStorage.removeItem(USER_KEY);
}

function endSession(reason) {
  const wasLoggedIn = Boolean(refreshToken);
  setSession(null, null);
  if (wasLoggedIn) listeners.forEach((listener) => listener({ reason }));
}

/** Revoke a pair of tokens this page will not use (logout needs the access token too). */
function revoke(tokens) {
  if (!tokens || !tokens.refresh || !tokens.access) return;
  fetch(`${BASE}/auth/logout/`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      Accept: "application/json",
      Authorization: `Bearer ${tokens.access}`,
    },
    body: JSON.stringify({ refresh: tokens.refresh }),
    cache: "no-store",
  }).catch(() => {});
}

/** Trade the refresh token for a new access token; one request however many callers wait. */
function refreshAccess() {
  if (!refreshing) {
    refreshing = (async () => {
      const sent = refreshToken;
      try {
        const response = await fetch(`${BASE}/auth/token/refresh/`, {
          method: "POST",
          headers: { "Content-Type": "application/json", Accept: "application/json" },
          body: JSON.stringify({ refresh: sent }),
          cache: "no-store",
        });
        if (refreshToken !== sent) {
          // The buyer logged out (or in again) while this was in flight: do not bring the old
          // session back; revoke the token the server just issued for it.
          if (response.ok) revoke(await response.json());
          return false;
        }
        if (!response.ok) {
          endSession("expired");
          return false;
        }
        setSession(await response.json());
        return true;
      } catch {
        return false; // offline: keep the session, the caller reports the network error
      } finally {
        refreshing = null;
      }
    })();
  }
  return refreshing;
}

function idempotencyKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Call the API. Adds the bearer token, refreshes it once on a 401, retries a busy (503) or
 * throttled (429) answer after its Retry-After, and gives POSTs that change seats an
 * Idempotency-Key so that a retry after a lost answer can never hold or book twice.
 *
 * With `raw: true` the Response is returned as is (the seat map's 304 handling needs it).
 */
export async function api(path, options = {}) {
  const { method = "GET", body, headers = {}, raw = false, idempotent = false, signal } = options;
  const url = path.startsWith("http") || path.startsWith("/api/") ? path : BASE + path;
  const key = idempotent ? idempotencyKey() : null;
  let refreshed = false;
  let retries = 0;
  if (refreshToken && !accessToken) await refreshAccess();
  for (;;) {
    const sent = { Accept: "application/json", ...headers };
    if (body !== undefined) sent["Content-Type"] = "application/json";
    if (accessToken) sent.Authorization = `Bearer ${accessToken}`;
    if (key) sent["Idempotency-Key"] = key;
    let response;
    try {
      response = await fetch(url, {
        method,
        headers: sent,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: "no-store",
        signal,
      });
    } catch (error) {
      if (error.name === "AbortError") throw error;
      if ((method === "GET" || key) && retries < 1) {
        retries += 1;
        await sleep(600);
        continue; // same Idempotency-Key: the server answers a repeat with the first answer
      }
      throw new NetworkError();
    }
    if (response.status === 401 && refreshToken && !refreshed) {
      refreshed = true;
      if (await refreshAccess()) continue;
    }
    if ((response.status === 503 || response.status === 429) && (method === "GET" || key) && retries < 2) {
      const wait = Number(response.headers.get("Retry-After")) || 1;
      if (wait <= 5) {
        retries += 1;
        await sleep(wait * 1000);
        continue;
      }
    }
    if (raw) return response;
    const text = response.status === 204 || response.status === 205 ? "" : await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    if (!response.ok) {
      if (response.status === 401) endSession("expired");
      throw new ApiError(response.status, data, response.headers);
    }
    return data;
  }
}

export async function logIn(username, password) {
  const tokens = await api("/auth/token/", { method: "POST", body: { username, password } });
  setSession(tokens, null);
  const user = await api("/auth/me/");
  setSession({ access: accessToken, refresh: refreshToken }, user);
  listeners.forEach((listener) => listener({ reason: "login" }));
  return user;
}

export async function signUp(username, email, password) {
  await api("/auth/register/", { method: "POST", body: { username, email, password } });
  return logIn(username, password);
}

export async function logOut() {
  if (refreshToken) {
    try {
      await api("/auth/logout/", { method: "POST", body: { refresh: refreshToken } });
    } catch {
      // The token is dropped here whatever the server said.
    }
  }
  endSession("logout");
}
