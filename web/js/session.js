/*
 * The signed-in user's tokens: kept in sessionStorage (they die with the tab, never in
 * localStorage or a cookie), refreshed with the refresh token before the ID token expires.
 */

import { CognitoError, readClaims } from "./cognito.js";

// Refresh this long before expiry (a quarter of the lifetime when that is shorter), so a
// request made just before the deadline still carries a valid token.
const REFRESH_MARGIN_MS = 5 * 60 * 1000;
// After a refresh that could not reach Cognito (offline, timeout), try again this much later.
const RETRY_MS = 30 * 1000;
// setTimeout fires at once for delays above 2^31 - 1 ms (about 24.8 days): wake then, look again.
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The refresh token was refused (expired, revoked): the user must sign in again. */
export class SessionExpired extends Error {
  constructor() {
    super("Your session has expired: please sign in again.");
    this.name = "SessionExpired";
  }
}

function validTokens(value) {
  return Boolean(
    value &&
      typeof value.idToken === "string" &&
      typeof value.refreshToken === "string" &&
      Number.isFinite(value.expiresAt) &&
      Number.isFinite(value.lifetime),
  );
}

export function createSession(cognito, storageKey, storage = window.sessionStorage) {
  let tokens = restore();
  let timer = null;
  let refreshing = null;
  const listeners = new Set();

  function restore() {
    try {
      const value = JSON.parse(storage.getItem(storageKey));
      return validTokens(value) ? value : null;
    } catch (error) {
      return null;
    }
  }

  function save() {
    try {
      if (tokens) storage.setItem(storageKey, JSON.stringify(tokens));
      else storage.removeItem(storageKey);
    } catch (error) {
      // storage full or disabled: the session still works until the page closes
    }
  }

  function user() {
    if (!tokens) return null;
    const claims = readClaims(tokens.idToken);
    return { email: claims.email || claims["cognito:username"] || "", sub: claims.sub || "" };
  }

  function notify(reason) {
    for (const listener of listeners) listener(user(), reason);
  }

  function accept(result, previousRefreshToken) {
    const lifetime = Number(result.ExpiresIn) * 1000;
    tokens = {
      idToken: result.IdToken,
      refreshToken: result.RefreshToken || previousRefreshToken,
      expiresAt: Date.now() + lifetime,
      lifetime,
    };
    save();
    schedule();
  }

  function refreshDue() {
    const margin = Math.min(REFRESH_MARGIN_MS, tokens.lifetime / 4);
    return tokens.expiresAt - margin;
  }

  /** Refresh when due, or after `wait` ms (a retry). */
  function schedule(wait = null) {
    clearTimeout(timer);
    if (!tokens) return;
    if (wait === null) wait = refreshDue() - Date.now();
    timer = setTimeout(() => {
      if (Date.now() < refreshDue()) return schedule(); // woke early (a very long wait)
      refresh().catch((error) => {
        if (!(error instanceof SessionExpired)) schedule(RETRY_MS);
      });
    }, Math.min(Math.max(wait, 0), MAX_TIMER_MS));
  }

  function end(reason) {
    tokens = null;
    clearTimeout(timer);
    save();
    notify(reason);
  }

  /** One refresh at a time; a refusal ends the session, a network failure keeps it. */
  function refresh() {
    if (!tokens) return Promise.reject(new SessionExpired());
    if (!refreshing) {
      const refreshToken = tokens.refreshToken;
      refreshing = cognito
        .refresh(refreshToken)
        .then(
          (result) => {
            accept(result, refreshToken);
            notify("refreshed");
          },
          (error) => {
            if (error instanceof CognitoError) {
              end("expired");
              throw new SessionExpired();
            }
            throw error;
          },
        )
        .finally(() => {
          refreshing = null;
        });
    }
    return refreshing;
  }

  return {
    user,

    onChange(listener) {
      listeners.add(listener);
    },

    /** Call once the page listens: schedules the refresh of a session restored from storage. */
    start() {
      schedule();
      notify("restored");
    },

    async signIn(email, password) {
      accept(await cognito.signIn(email, password));
      notify("signed-in");
    },

    signOut() {
      end("signed-out");
    },

    /** The API refused the token although it looked valid: the session is over. */
    expire() {
      if (tokens) end("expired");
    },

    /** A current ID token (refreshed first when due); null when nobody is signed in. */
    async idToken() {
      if (!tokens) return null;
      if (Date.now() >= refreshDue()) await refresh();
      return tokens ? tokens.idToken : null;
    },
  };
}
