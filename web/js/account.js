/*
 * The account corner and the sign-in dialog: register, confirm with the e-mailed code, sign in,
 * sign out. Every message names what happened and what to do next.
 */

import { CognitoError, CognitoUnreachable } from "./cognito.js";
import { SessionExpired } from "./session.js";

const byId = (id) => document.getElementById(id);
const VIEWS = ["sign-in", "register", "confirm"];
const TITLES = {
  "sign-in": "Sign in",
  register: "Create an account",
  confirm: "Confirm your e-mail",
};

// What Cognito's errors mean to someone at this form. NotAuthorizedException depends on the form.
const MESSAGES = {
  UserNotConfirmedException:
    "This address is not confirmed yet: enter the code we e-mailed you (or ask for a new one).",
  UserNotFoundException: "There is no account with this address yet: register first.",
  UsernameExistsException:
    "This address is already registered: sign in, or confirm it with the code we e-mailed.",
  CodeMismatchException: "That code is not the one we sent: check the e-mail and try again.",
  ExpiredCodeException: "That code has expired: ask for a new one below.",
  LimitExceededException: "Too many attempts: wait a few minutes, then try again.",
  TooManyRequestsException: "Too many attempts: wait a few minutes, then try again.",
  TooManyFailedAttemptsException: "Too many wrong codes: wait a few minutes, then try again.",
  PasswordResetRequiredException: "This account needs a new password before it can sign in.",
};
const NOT_AUTHORIZED = {
  "sign-in": "Wrong e-mail address or password.",
  confirm: "This address cannot be confirmed again: it probably is already. Sign in.",
};

/** A message for `error` raised by the form `view`. */
export function explain(error, view) {
  if (error instanceof SessionExpired || error instanceof CognitoUnreachable) return error.message;
  if (!(error instanceof CognitoError)) return `Something went wrong: ${error.message}`;
  if (error.type === "NotAuthorizedException" && NOT_AUTHORIZED[view]) return NOT_AUTHORIZED[view];
  if (error.type === "InvalidPasswordException") return `Password too weak: ${error.message}`;
  return MESSAGES[error.type] || `${error.message} (${error.type})`;
}

/** "at least 8 characters, with an upper-case letter, ..." from a Cognito PasswordPolicy. */
export function describePolicy(policy) {
  if (!policy || typeof policy !== "object") return "";
  const parts = [];
  if (policy.RequireUppercase) parts.push("an upper-case letter");
  if (policy.RequireLowercase) parts.push("a lower-case letter");
  if (policy.RequireNumbers) parts.push("a number");
  if (policy.RequireSymbols) parts.push("a symbol");
  const length = Number(policy.MinimumLength) || 8;
  const rest = parts.length ? `, with ${parts.join(", ")}` : "";
  return `At least ${length} characters${rest}.`;
}

function field(view, name) {
  return byId(`${view}-${name}`);
}

export function setUpAccount(cognito, session, { passwordPolicy } = {}) {
  const dialog = byId("auth");
  const message = byId("auth-message");
  let current = "sign-in";

  function say(text, isError = false) {
    message.textContent = text;
    message.hidden = !text;
    message.classList.toggle("auth__message--error", isError);
  }

  function show(view, text = "", isError = false) {
    current = view;
    for (const name of VIEWS) {
      byId(`${name}-form`).hidden = name !== view;
      const tab = dialog.querySelector(`[data-tab="${name}"]`);
      tab.setAttribute("aria-selected", String(name === view));
    }
    byId("auth-title").textContent = TITLES[view];
    say(text, isError);
  }

  function open(view = "sign-in", text = "") {
    show(view, text);
    if (!dialog.open) dialog.showModal();
    const first = byId(`${view}-form`).querySelector("input:not([value]), input");
    if (first) first.focus();
  }

  function carryEmail(from, to) {
    const address = field(from, "email").value.trim();
    if (address) field(to, "email").value = address;
    return address;
  }

  /** Run `work` for a form with its buttons disabled; errors become the dialog's message. */
  async function busy(form, work) {
    const buttons = [...form.querySelectorAll("button")];
    buttons.forEach((button) => (button.disabled = true));
    try {
      await work();
    } catch (error) {
      onError(error);
    } finally {
      buttons.forEach((button) => (button.disabled = false));
    }
  }

  function onError(error) {
    if (error instanceof CognitoError && error.type === "UserNotConfirmedException") {
      carryEmail(current, "confirm");
      show("confirm", explain(error, current), true);
      return;
    }
    say(explain(error, current), true);
  }

  async function register() {
    const email = field("register", "email").value.trim();
    const answer = await cognito.signUp(email, field("register", "password").value);
    field("register", "password").value = "";
    carryEmail("register", "confirm");
    const where = (answer.CodeDeliveryDetails || {}).Destination || email;
    show("confirm", `We sent a confirmation code to ${where}: enter it here.`);
  }

  async function confirm() {
    const email = field("confirm", "email").value.trim();
    await cognito.confirmSignUp(email, field("confirm", "code").value.trim());
    field("confirm", "code").value = "";
    carryEmail("confirm", "sign-in");
    show("sign-in", "Your address is confirmed: sign in with your password.");
  }

  async function resend() {
    const email = field("confirm", "email").value.trim();
    const answer = await cognito.resendCode(email);
    const where = (answer.CodeDeliveryDetails || {}).Destination || email;
    say(`We sent a new code to ${where}.`);
  }

  async function signIn() {
    const email = field("sign-in", "email").value.trim();
    await session.signIn(email, field("sign-in", "password").value);
    field("sign-in", "password").value = "";
    dialog.close();
  }

  const actions = { "sign-in": signIn, register, confirm };
  for (const view of VIEWS) {
    const form = byId(`${view}-form`);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(form, actions[view]);
    });
    dialog.querySelector(`[data-tab="${view}"]`).addEventListener("click", () => {
      carryEmail(current, view);
      show(view);
    });
  }
  byId("confirm-resend").addEventListener("click", () => busy(byId("confirm-form"), resend));
  byId("auth-close").addEventListener("click", () => dialog.close());
  byId("password-policy").textContent =
    describePolicy(passwordPolicy) || "Cognito will say if the password is too weak.";

  setUpCorner(session, () => open("sign-in"));
  return { open };
}

/** The header: who is signed in, the sign-in and sign-out buttons, and session news. */
function setUpCorner(session, openSignIn) {
  const note = byId("account-message");
  const news = {
    "signed-out": "You are signed out.",
    expired: "Your session has expired: please sign in again.",
  };

  session.onChange((user, reason) => {
    byId("account-user").textContent = user ? `Signed in as ${user.email}` : "";
    byId("account-user").hidden = !user;
    byId("sign-in-open").hidden = Boolean(user);
    byId("sign-out").hidden = !user;
    document.body.dataset.signedIn = String(Boolean(user));
    if (reason in news || reason === "signed-in") {
      note.textContent = news[reason] || "";
      note.hidden = !note.textContent;
    }
  });
  byId("sign-in-open").addEventListener("click", openSignIn);
  byId("sign-out").addEventListener("click", () => session.signOut());
  byId("account").hidden = false;
}
