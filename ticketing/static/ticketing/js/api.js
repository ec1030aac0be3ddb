// The public REST API, as any front end calls it: JSON, JWT bearer tokens, stable error codes.
//
// Tokens: the short-lived access token lives in this tab's memory only; the refresh token and
// the user live in localStorage, shared by every tab of the browser, so a login or a logout in
// one tab holds in all of them (the `storage` event tells the others). Refresh tokens rotate and
// work once, so tabs refresh one at a time (a Web Lock) and each reads the token another tab has
// just stored. Nothing is ever put in a cookie, so the API never trusts ambient credentials.
// DESIGN.md ("The buyer web client") explains why localStorage and what it costs.

const BASE = "/api/v1";
const REFRESH_KEY = "frontrow.refresh";
const USER_KEY = "frontrow.user";
const REFRESH_LOCK = "frontrow.refresh";

// Sessions of the per-tab design (sessionStorage) carry over once.
if (!localStorage.getItem(REFRESH_KEY) && sessionStorage.getItem(REFRESH_KEY)) {
  localStorage.setItem(REFRESH_KEY, sessionStorage.getItem(REFRESH_KEY));
  if (sessionStorage.getItem(USER_KEY)) localStorage.setItem(USER_KEY, sessionStorage.getItem(USER_KEY));
}
sessionStorage.removeItem(REFRESH_KEY);
sessionStorage.removeItem(USER_KEY);

let accessToken = null;
let refreshing = null;
const listeners = new Set();

const storedRefresh = () => localStorage.getItem(REFRESH_KEY);

function storedUser() {
  try {
    return JSON.parse(localStorage.getItem(USER_KEY) || "null");
  } catch {
    return null;
  }
}

/** Who this tab last saw logged in: compared with storage when another tab changes it. */
const snapshot = () => ({ loggedIn: Boolean(storedRefresh()), userId: storedUser()?.id ?? null });
let known = snapshot();

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
    return storedUser();
  },
  get loggedIn() {
    return Boolean(storedRefresh());
  },
  onChange(listener) {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

const notify = (change) => listeners.forEach((listener) => listener(change));

function setSession(tokens, user) {
  accessToken = tokens.access;
  if (user !== undefined) localStorage.setItem(USER_KEY, JSON.stringify(user));
  if (tokens.refresh) localStorage.setItem(REFRESH_KEY, tokens.refresh);
  known = snapshot();
}

/** Drop the session in every tab; true if there was one. */
function forget() {
  const wasLoggedIn = Boolean(storedRefresh());
  accessToken = null;
  localStorage.removeItem(REFRESH_KEY);
  localStorage.removeItem(USER_KEY);
  known = snapshot();
  return wasLoggedIn;
}

function endSession(reason) {
  if (forget()) notify({ reason });
}

// Another tab logged in or out (a rotated refresh token alone changes nothing here).
window.addEventListener("storage", (event) => {
  if (event.storageArea !== localStorage || (event.key && event.key !== REFRESH_KEY && event.key !== USER_KEY)) {
    return;
  }
  const was = known;
  known = snapshot();
  if (was.loggedIn && !known.loggedIn) {
    accessToken = null;
    notify({ reason: "logout", elsewhere: true });
  } else if (known.loggedIn && (!was.loggedIn || (was.userId !== null && known.userId !== was.userId))) {
    accessToken = null; // a new login, maybe of another buyer: this tab's token is not theirs
    notify({ reason: "login", elsewhere: true });
  } else if (known.userId !== was.userId) {
    notify({ reason: "user", elsewhere: true });
  }
});

/** Log a pair of tokens out (the access token authenticates the request). */
function postLogout(tokens) {
  return fetch(`${BASE}/auth/logout/`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      Accept: "application/json",
      Authorization: `Bearer ${tokens.access}`,
    },
    body: JSON.stringify({ refresh: tokens.refresh }),
    cache: "no-store",
  });
}

/** Revoke a pair of tokens this page will not use. */
function revoke(tokens) {
  if (tokens && tokens.refresh && tokens.access) postLogout(tokens).catch(() => {});
}

function postRefresh(refresh) {
  return fetch(`${BASE}/auth/token/refresh/`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ refresh }),
    cache: "no-store",
  });
}

/** Run `task` while no other tab of this browser runs one (Web Locks; alone where unsupported). */
function oneTabAtATime(task) {
  return navigator.locks ? navigator.locks.request(REFRESH_LOCK, task) : task();
}

/**
 * Trade the refresh token for a new access token: one request however many callers of this tab
 * wait, and one tab at a time, each sending the token the previous one stored.
 */
function refreshAccess() {
  if (!refreshing) {
    refreshing = oneTabAtATime(refreshNow).finally(() => {
      refreshing = null;
    });
  }
  return refreshing;
}

async function refreshNow() {
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const sent = storedRefresh();
    if (!sent) return false;
    let tokens = null;
    try {
      const response = await postRefresh(sent);
      if (response.ok) tokens = await response.json();
    } catch {
      return false; // offline: keep the session, the caller reports the network error
    }
    // Refused: maybe another tab rotated the token just before. Its write reaches this tab's
    // storage a moment later than the lock (tabs run in other processes): wait for it briefly.
    for (let wait = 0; !tokens && wait < 20 && storedRefresh() === sent; wait += 1) await sleep(25);
    if (storedRefresh() !== sent) {
      // Rotated by another tab, or logged out or in again meanwhile, here or in another tab: do
      // not bring the old session back; revoke any pair the server just issued for it, and go on
      // with the token stored now, if any.
      revoke(tokens);
      continue;
    }
    if (!tokens) {
      endSession("expired");
      return false;
    }
    setSession(tokens);
    return true;
  }
  return false;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function idempotencyKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

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
  if (storedRefresh() && !accessToken) await refreshAccess();
  for (;;) {
    const sentWith = storedRefresh();
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
    if (response.status === 401 && storedRefresh() && !refreshed) {
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
      // Unless another tab logged out or in meanwhile (that session is not this answer's).
      if (response.status === 401 && sentWith && storedRefresh() === sentWith) endSession("expired");
      throw new ApiError(response.status, data, response.headers);
    }
    return data;
  }
}

export async function logIn(username, password) {
  const tokens = await api("/auth/token/", { method: "POST", body: { username, password } });
  accessToken = tokens.access;
  let user;
  try {
    user = await api("/auth/me/");
  } catch (error) {
    accessToken = null;
    throw error;
  }
  setSession(tokens, user); // the user first: other tabs see who logged in with the new token
  notify({ reason: "login" });
  return user;
}

export async function signUp(username, email, password) {
  await api("/auth/register/", { method: "POST", body: { username, email, password } });
  return logIn(username, password);
}

export async function logOut() {
  if (storedRefresh() && !accessToken) await refreshAccess(); // logging out needs an access token
  const tokens = { access: accessToken, refresh: storedRefresh() };
  // Forget the session first, in every tab: a refresh answered from now on is revoked, not kept.
  const wasLoggedIn = forget();
  if (tokens.refresh && tokens.access) {
    try {
      const response = await postLogout(tokens);
      if (response.status === 401) {
        // The access token had expired: trade the refresh token once more and revoke the pair.
        const fresh = await postRefresh(tokens.refresh);
        if (fresh.ok) await postLogout(await fresh.json());
      }
    } catch {
      // The token is dropped here whatever the server said.
    }
  }
  if (wasLoggedIn) notify({ reason: "logout" });
}
