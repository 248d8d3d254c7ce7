/*
 * Cognito user pools through their JSON API, with fetch and nothing else (no SDK bundle).
 *
 * Every call is POST {endpoint}/ with Content-Type application/x-amz-json-1.1 and
 * X-Amz-Target AWSCognitoIdentityProviderService.<Operation>. SignUp, ConfirmSignUp,
 * ResendConfirmationCode and InitiateAuth need no AWS signature: a public app client (no
 * secret) is all they take. Errors come back as {"__type": "<Name>", "message": "..."}.
 */

const TIMEOUT_MS = 10000;
const TARGET_PREFIX = "AWSCognitoIdentityProviderService.";

/** Cognito answered with an error: `type` is its name (NotAuthorizedException, ...). */
export class CognitoError extends Error {
  constructor(type, message) {
    super(message || type);
    this.name = "CognitoError";
    this.type = type;
  }
}

/** Cognito could not be reached at all (network, CORS, timeout). */
export class CognitoUnreachable extends Error {
  constructor(endpoint, reason) {
    super(`Cognito at ${endpoint} could not be reached (${reason})`);
    this.name = "CognitoUnreachable";
  }
}

/** `__type` may carry a namespace ("com.amazonaws...#NotAuthorizedException"). */
function errorType(raw) {
  const text = String(raw || "UnknownError");
  return text.slice(text.lastIndexOf("#") + 1).split(":")[0];
}

async function readJson(response) {
  try {
    return await response.json();
  } catch (error) {
    return {};
  }
}

/**
 * A client for one app client of one pool. `endpoint` is Cognito's regional URL
 * (https://cognito-idp.{region}.amazonaws.com/) or, on the local cloud, its loopback address.
 */
export function createCognito({ endpoint, clientId }) {
  async function call(operation, body) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
    let response;
    try {
      response = await fetch(endpoint, {
        method: "POST",
        headers: {
          "Content-Type": "application/x-amz-json-1.1",
          "X-Amz-Target": TARGET_PREFIX + operation,
        },
        body: JSON.stringify({ ClientId: clientId, ...body }),
        signal: controller.signal,
      });
    } catch (error) {
      const reason = error.name === "AbortError" ? "no answer in time" : error.message;
      throw new CognitoUnreachable(endpoint, reason);
    } finally {
      clearTimeout(timer);
    }
    const answer = await readJson(response);
    if (!response.ok) {
      throw new CognitoError(errorType(answer.__type), answer.message || answer.Message);
    }
    return answer;
  }

  /** InitiateAuth; a challenge (new password, MFA) is something this site does not do. */
  async function authenticate(flow, parameters) {
    const answer = await call("InitiateAuth", { AuthFlow: flow, AuthParameters: parameters });
    if (!answer.AuthenticationResult) {
      throw new CognitoError(
        "UnsupportedChallenge",
        `Cognito asked for ${answer.ChallengeName || "a challenge"}, ` +
          "which this site cannot answer.",
      );
    }
    return answer.AuthenticationResult;
  }

  return {
    endpoint,

    signUp(email, password) {
      return call("SignUp", {
        Username: email,
        Password: password,
        UserAttributes: [{ Name: "email", Value: email }],
      });
    },

    confirmSignUp(email, code) {
      return call("ConfirmSignUp", { Username: email, ConfirmationCode: code });
    },

    resendCode(email) {
      return call("ResendConfirmationCode", { Username: email });
    },

    /** USER_PASSWORD_AUTH: {IdToken, AccessToken, RefreshToken, ExpiresIn, TokenType}. */
    signIn(email, password) {
      return authenticate("USER_PASSWORD_AUTH", { USERNAME: email, PASSWORD: password });
    },

    /** REFRESH_TOKEN_AUTH: new ID and access tokens (the refresh token stays the same). */
    refresh(refreshToken) {
      return authenticate("REFRESH_TOKEN_AUTH", { REFRESH_TOKEN: refreshToken });
    },
  };
}

/** The claims of a JWT, read without checking it (the API checks it; this is for display). */
export function readClaims(token) {
  try {
    const part = String(token).split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const padded = part + "=".repeat((4 - (part.length % 4)) % 4);
    const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    return {};
  }
}
