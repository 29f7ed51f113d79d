// The REST API with the operator's JWT: sign in, refresh, sign out, authorised requests.
// Tokens live in sessionStorage only: they go when the tab closes and never ride in a cookie.

const ACCESS = "voltline.access";
const REFRESH = "voltline.refresh";

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

let signedOutListener = () => {};
let refreshing = null;

export function onSignedOut(listener) {
  signedOutListener = listener;
}

export function accessToken() {
  return sessionStorage.getItem(ACCESS);
}

// The token's claims (role, username) steer what the page shows; the server still decides.
export function claims() {
  const token = accessToken();
  if (!token) return null;
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), "=")));
  } catch {
    return null;
  }
}

async function send(path, { method = "GET", body, token, headers = {} } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers } };
  if (token) init.headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { message: text };
    }
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return { data, headers: response.headers };
}

export async function signIn(username, password) {
  const { data } = await send("/api/token/", { method: "POST", body: { username, password } });
  sessionStorage.setItem(ACCESS, data.access);
  sessionStorage.setItem(REFRESH, data.refresh);
}

function forget() {
  sessionStorage.removeItem(ACCESS);
  sessionStorage.removeItem(REFRESH);
}

// Sign out revokes both tokens, so a copied token is useless afterwards. If the access token
// has already expired, the refresh token presents itself instead.
export async function signOut() {
  const access = accessToken();
  const refresh = sessionStorage.getItem(REFRESH);
  forget();
  const revoke = (token, body) => send("/api/token/revoke/", { method: "POST", token, body });
  try {
    if (!access) throw new ApiError(401, null);
    await revoke(access, refresh ? { refresh } : {});
  } catch {
    if (refresh) await revoke(refresh, {}).catch(() => {});
  }
  signedOutListener();
}

// One refresh at a time, however many requests found the access token expired.
function refreshAccess() {
  if (!refreshing) {
    const refresh = sessionStorage.getItem(REFRESH);
    refreshing = (async () => {
      if (!refresh) throw new ApiError(401, { message: "signed out" });
      const { data } = await send("/api/token/refresh/", { method: "POST", body: { refresh } });
      sessionStorage.setItem(ACCESS, data.access);
      return data.access;
    })()
      .catch((error) => {
        if (error instanceof ApiError && (error.status === 401 || error.status === 422)) {
          forget();
          signedOutListener();
        }
        throw error;
      })
      .finally(() => {
        refreshing = null;
      });
  }
  return refreshing;
}

// An authorised request; an expired access token is refreshed once and the request retried.
export async function api(path, options = {}) {
  try {
    return await send(path, { ...options, token: accessToken() });
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401) throw error;
    const token = await refreshAccess();
    return send(path, { ...options, token });
  }
}
