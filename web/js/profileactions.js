/*
 * Like and adopt, in the profile dialog, for a signed-in visitor (site version 3).
 *
 * The buttons send the visitor's ID token; the API answers with the updated mysfit. A second
 * like is harmless (the API counts each visitor once), so the page only has to show it.
 */

import { SessionExpired } from "./session.js";

const byId = (id) => document.getElementById(id);

/**
 * `source.act(mysfit, action, token)` does the request; `onUpdate(mysfit)` redraws the
 * profile; `openSignIn(message)` opens the sign-in dialog.
 */
export function createProfileActions({ source, session, openSignIn, onUpdate }) {
  const like = byId("like-button");
  const adopt = byId("adopt-button");
  const signIn = byId("profile-sign-in");
  let current = null;

  function hint(message, isError = false) {
    const node = byId("profile-action-hint");
    node.textContent = message;
    node.hidden = !message;
    node.classList.toggle("profile__hint--error", isError);
  }

  function render() {
    if (!current) return;
    const user = session.user();
    byId("profile-actions").hidden = false;
    like.textContent = current.liked ? "You like this" : "Like";
    like.disabled = !user || current.liked === true;
    adopt.textContent = current.adoptedByYou
      ? "Adopted by you"
      : current.adopted
        ? "Already adopted"
        : "Adopt";
    adopt.disabled = !user || current.adopted === true;
    signIn.hidden = Boolean(user);
  }

  function explain(error, action) {
    if (error instanceof SessionExpired) return error.message;
    if (error.status === 401) {
      session.expire(); // the API refused the token: the session is over
      return "Your session has expired: please sign in again.";
    }
    if (error.status === 409) {
      current = { ...current, adopted: true };
      return `Someone else adopted ${current.name} first.`;
    }
    return `Your ${action === "like" ? "like" : "adoption"} did not go through (${error.message}).`;
  }

  async function act(action) {
    const mysfit = current;
    hint(action === "like" ? "Sending your like…" : "Adopting…");
    like.disabled = adopt.disabled = true;
    try {
      const token = await session.idToken();
      if (!token) throw new SessionExpired();
      const updated = await source.act(mysfit, action, token);
      if (current !== mysfit) return; // another profile is open now
      current = { ...mysfit, ...updated };
      onUpdate(current);
      hint(action === "like" ? "Thanks for the like!" : `${current.name} has a home with you now!`);
    } catch (error) {
      if (current !== mysfit) return;
      hint(explain(error, action), true);
    } finally {
      render();
    }
  }

  like.addEventListener("click", () => act("like"));
  adopt.addEventListener("click", () => act("adopt"));
  signIn.addEventListener("click", () => openSignIn("Sign in to like or adopt."));
  session.onChange(() => render());

  return {
    /** Show the buttons for `mysfit` (again, when fresher details arrive). */
    show(mysfit) {
      if (!current || current.mysfitId !== mysfit.mysfitId) hint("");
      current = mysfit;
      render();
    },

    hide() {
      current = null;
      byId("profile-actions").hidden = true;
    },
  };
}
