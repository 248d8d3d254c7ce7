/*
 * Mythical Mysfits front end.
 *
 * One script serves every version of the site. On load it reads config.json:
 *   - no "apiEndpoint"  -> static mode: the list comes from mysfits.json next to this page;
 *   - "apiEndpoint" set -> API mode: the list comes from GET {apiEndpoint}/mysfits;
 *   - "cognito" set too (version 3) -> visitors register, sign in, like and adopt:
 *       {"region", "userPoolId", "clientId", "endpoint"?, "passwordPolicy"?}; "endpoint" is
 *       Cognito's address when it is not https://cognito-idp.{region}.amazonaws.com/ (the
 *       local cloud's loopback URL);
 *   - "clicksUrl" set (version 4) -> opening a profile POSTs a click record there.
 * Everything taken from the data is put on the page with textContent / DOM
 * properties, never as HTML.
 */

import { setUpAccount } from "./account.js";
import { createClickSender } from "./clicks.js";
import { createCognito } from "./cognito.js";
import { createProfileActions } from "./profileactions.js";
import { createSession } from "./session.js";

(() => {
  const FETCH_TIMEOUT_MS = 5000;
  const ALL = "All";

  // Each filter select, the query name the API expects and the item field it tests.
  const FILTERS = [
    { selectId: "filter-goodevil", name: "GoodEvil", field: "goodEvil" },
    { selectId: "filter-lawchaos", name: "LawChaos", field: "lawChaos" },
  ];

  const byId = (id) => document.getElementById(id);

  /* ------------------------------------------------------------------ */
  /* Networking                                                          */
  /* ------------------------------------------------------------------ */

  /** The server answered, but not with a 2xx status. */
  class HttpError extends Error {
    constructor(status, statusText) {
      super(`HTTP ${status}${statusText ? ` ${statusText}` : ""}`);
      this.name = "HttpError";
      this.status = status;
    }
  }

  /** The server answered 2xx, but the body is not what this page expects. */
  class BadResponseError extends Error {
    constructor(message) {
      super(message);
      this.name = "BadResponseError";
    }
  }

  /** fetch() a JSON document, giving up after FETCH_TIMEOUT_MS. */
  async function fetchJson(url, options = {}) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), FETCH_TIMEOUT_MS);
    try {
      const response = await fetch(url, { ...options, signal: controller.signal });
      if (!response.ok) {
        throw new HttpError(response.status, response.statusText);
      }
      try {
        return await response.json();
      } catch (error) {
        if (error.name === "AbortError") throw error;
        throw new BadResponseError("the answer is not valid JSON");
      }
    } catch (error) {
      if (error.name === "AbortError") {
        throw new Error(`no answer within ${FETCH_TIMEOUT_MS / 1000} seconds`);
      }
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  function readMysfit(answer) {
    if (!answer || typeof answer !== "object") {
      throw new BadResponseError("the answer is not a mysfit");
    }
    return answer;
  }

  /** Pull the list out of a {"mysfits": [...]} document. */
  function readMysfitList(answer) {
    if (!answer || !Array.isArray(answer.mysfits)) {
      throw new BadResponseError('the answer has no "mysfits" list');
    }
    return answer.mysfits.filter((item) => item && typeof item === "object");
  }

  /* ------------------------------------------------------------------ */
  /* Configuration                                                       */
  /* ------------------------------------------------------------------ */

  /**
   * Read config.json. A missing file (S3 answers 403 or 404) means "no
   * configuration", which is the static version of the site.
   */
  async function loadConfig() {
    let raw;
    try {
      raw = await fetchJson("config.json", { cache: "no-store" });
    } catch (error) {
      if (error instanceof HttpError && (error.status === 403 || error.status === 404)) {
        return {};
      }
      throw new Error(`The site configuration (config.json) could not be read: ${error.message}.`);
    }
    return normaliseConfig(raw);
  }

  const isSet = (value) => value !== undefined && value !== null && value !== "";

  /** `value` as an http(s) URL without trailing slashes, or an error naming the setting. */
  function httpUrl(name, value) {
    const url = String(value).trim().replace(/\/+$/, "");
    let parsed = null;
    try {
      parsed = new URL(url);
    } catch (error) {
      parsed = null;
    }
    if (!parsed || (parsed.protocol !== "http:" && parsed.protocol !== "https:")) {
      throw new Error(`config.json has a ${name} that is not an http(s) URL: "${url}".`);
    }
    return url;
  }

  /** The user pool settings; every one of region, userPoolId and clientId is needed. */
  function normaliseCognito(raw) {
    const missing = ["region", "userPoolId", "clientId"].filter((key) => !isSet(raw[key]));
    if (missing.length) {
      throw new Error(`config.json's cognito section lacks ${missing.join(", ")}.`);
    }
    const region = String(raw.region);
    const endpoint = isSet(raw.endpoint)
      ? httpUrl("cognito endpoint", raw.endpoint)
      : `https://cognito-idp.${region}.amazonaws.com`;
    return {
      region,
      userPoolId: String(raw.userPoolId),
      clientId: String(raw.clientId),
      endpoint: `${endpoint}/`,
      passwordPolicy: raw.passwordPolicy,
    };
  }

  function normaliseConfig(raw) {
    const config = {};
    if (!raw || typeof raw !== "object") return config;

    if (isSet(raw.apiEndpoint)) {
      config.apiEndpoint = httpUrl("apiEndpoint", raw.apiEndpoint);
    }
    // Sign-in protects the API's likes and adoptions: without an API there is nothing to do.
    if (config.apiEndpoint && raw.cognito && typeof raw.cognito === "object") {
      config.cognito = normaliseCognito(raw.cognito);
    }
    if (isSet(raw.clicksUrl)) {
      config.clicksUrl = httpUrl("clicksUrl", raw.clicksUrl);
    }
    if (raw.version !== undefined && raw.version !== null) {
      config.version = raw.version;
    }
    return config;
  }

  /* ------------------------------------------------------------------ */
  /* Data sources: both offer list(filter), detail(mysfit), explain(error) */
  /* ------------------------------------------------------------------ */

  /** Static mode: one JSON file, filtered in the browser. */
  function createStaticSource() {
    let everything = null; // a promise, so parallel calls share one download

    function loadAll() {
      if (!everything) {
        everything = fetchJson("mysfits.json").then(readMysfitList);
        everything.catch(() => {
          everything = null; // let the next attempt try again
        });
      }
      return everything;
    }

    return {
      mode: "static",
      label: "mysfits.json",

      async list(filter) {
        const mysfits = await loadAll();
        if (!filter) return mysfits;
        const { field } = FILTERS.find((f) => f.name === filter.name);
        return mysfits.filter((mysfit) => mysfit[field] === filter.value);
      },

      async detail(mysfit) {
        return mysfit; // the list already holds every fact
      },

      explain(error) {
        return `The mysfits could not be loaded from mysfits.json (${error.message}). ` +
          "Was it uploaded next to index.html?";
      },
    };
  }

  /** API mode: the Mysfits service does the filtering. */
  function createApiSource(endpoint) {
    const apiUrl = (path, params) => {
      const url = new URL(endpoint + path);
      if (params) url.search = new URLSearchParams(params).toString();
      return url.href;
    };

    return {
      mode: "api",
      label: `the Mysfits API at ${endpoint}`,

      async list(filter) {
        const params = filter ? { filter: filter.name, value: filter.value } : null;
        return readMysfitList(await fetchJson(apiUrl("/mysfits", params)));
      },

      /** With a token, the answer also says whether this visitor liked or adopted it. */
      async detail(mysfit, token) {
        const path = `/mysfits/${encodeURIComponent(mysfit.mysfitId)}`;
        const headers = token ? { Authorization: token } : {};
        return readMysfit(await fetchJson(apiUrl(path), { headers }));
      },

      /** POST like or adopt as the signed-in visitor; the updated mysfit. */
      async act(mysfit, action, token) {
        const path = `/mysfits/${encodeURIComponent(mysfit.mysfitId)}/${action}`;
        const headers = { Authorization: token };
        return readMysfit(await fetchJson(apiUrl(path), { method: "POST", headers }));
      },

      explain(error) {
        if (error instanceof HttpError) {
          return `The Mysfits API at ${endpoint} answered with ${error.message}. ` +
            "Check the service's logs.";
        }
        if (error instanceof BadResponseError) {
          return `The Mysfits API at ${endpoint} sent an answer this page does not understand ` +
            `(${error.message}).`;
        }
        return `The Mysfits API at ${endpoint} could not be reached (${error.message}). ` +
          "Is the service running, and does it allow requests from this site (CORS)?";
      },
    };
  }

  /* ------------------------------------------------------------------ */
  /* Formatting helpers                                                  */
  /* ------------------------------------------------------------------ */

  const text = (value) => (value === undefined || value === null ? "" : String(value));

  function formatAge(age) {
    const years = Number(age);
    if (age === "" || age === null || age === undefined || !Number.isFinite(years)) {
      return text(age);
    }
    return `${years.toLocaleString("en-US")} ${years === 1 ? "year" : "years"} old`;
  }

  const formatAlignment = (mysfit) => `${text(mysfit.goodEvil)} · ${text(mysfit.lawChaos)}`;

  /** Only http(s) images, resolved against this page; anything else shows the logo. */
  function imageUrl(uri) {
    try {
      const url = new URL(text(uri), document.baseURI);
      if (url.protocol === "http:" || url.protocol === "https:") return url.href;
    } catch (error) {
      // fall through to the placeholder
    }
    return new URL("images/logo.svg", document.baseURI).href;
  }

  function element(tag, className, content) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (content !== undefined) node.textContent = content;
    return node;
  }

  /* ------------------------------------------------------------------ */
  /* List rendering                                                      */
  /* ------------------------------------------------------------------ */

  function createCard(mysfit) {
    const name = text(mysfit.name);
    const species = text(mysfit.species);

    const card = element("li", "mysfit-card");
    card.dataset.mysfitId = text(mysfit.mysfitId);

    const image = element("img", "mysfit-card__image");
    image.src = imageUrl(mysfit.thumbImageUri);
    image.alt = `${name} the ${species}`;
    image.width = 150;
    image.height = 150;

    const heading = element("h3", "mysfit-card__name");
    const open = element("button", "mysfit-card__open", name);
    open.type = "button";
    open.setAttribute("aria-haspopup", "dialog");
    open.addEventListener("click", () => openProfile(mysfit, open));
    heading.append(open);

    const alignment = element("p", "alignment", formatAlignment(mysfit));
    alignment.dataset.goodEvil = text(mysfit.goodEvil);

    card.append(
      image,
      heading,
      element("p", "mysfit-card__species", species),
      element("p", "mysfit-card__age", formatAge(mysfit.age)),
      alignment,
    );
    return card;
  }

  function renderList(mysfits) {
    byId("mysfits").replaceChildren(...mysfits.map(createCard));
  }

  function setStatus(message, isError = false) {
    const status = byId("status");
    status.textContent = message;
    status.classList.toggle("status--error", isError);
  }

  function describeCount(count, filter) {
    const noun = count === 1 ? "mysfit" : "mysfits";
    if (!filter) return count ? `Showing all ${count} ${noun}.` : "There are no mysfits yet.";
    if (!count) return `No ${filter.value} mysfits right now.`;
    return `Showing ${count} ${filter.value} ${noun}.`;
  }

  /* ------------------------------------------------------------------ */
  /* Profile dialog                                                      */
  /* ------------------------------------------------------------------ */

  let source = null;
  let profileRequest = 0; // ignore answers that arrive after another profile was opened
  let profileOpener = null;
  // Site version 3: the visitor's session and the like/adopt buttons (null without Cognito).
  let session = null;
  let actions = null;
  // Site version 4: records a click per opened profile (does nothing without a click stream).
  let sendClick = () => {};

  function addFact(list, term, value) {
    list.append(element("dt", "", term), element("dd", "", value));
  }

  /** Likes and adoption come from the API only; show them when the answer has them. */
  function addCommunityFacts(list, mysfit) {
    if (Number.isInteger(mysfit.likes)) {
      addFact(list, "Likes", mysfit.likes.toLocaleString("en-US"));
    }
    if (typeof mysfit.adopted === "boolean") {
      const home = mysfit.adoptedByYou ? "Yes, by you" : "Yes, already has a home";
      addFact(list, "Adopted", mysfit.adopted ? home : "Not yet, still looking");
    }
  }

  function fillProfile(mysfit) {
    const name = text(mysfit.name);
    const species = text(mysfit.species);
    const image = byId("profile-image");
    image.src = imageUrl(mysfit.profileImageUri || mysfit.thumbImageUri);
    image.alt = `${name} the ${species}`;

    byId("profile-name").textContent = name;
    byId("profile-species").textContent = species;
    byId("profile-description").textContent = text(mysfit.description);

    const facts = byId("profile-facts");
    facts.replaceChildren();
    addFact(facts, "Species", species);
    addFact(facts, "Age", formatAge(mysfit.age));
    addFact(facts, "Good / Evil", text(mysfit.goodEvil));
    addFact(facts, "Law / Chaos", text(mysfit.lawChaos));
    addCommunityFacts(facts, mysfit);
  }

  function setProfileStatus(message, isError = false) {
    const status = byId("profile-status");
    status.textContent = message;
    status.hidden = !message;
    status.classList.toggle("profile__status--error", isError);
  }

  async function openProfile(mysfit, opener) {
    const request = ++profileRequest;
    const dialog = byId("profile");
    profileOpener = opener;
    fillProfile(mysfit);
    setProfileStatus(source.mode === "api" ? "Fetching the latest details…" : "");
    if (!dialog.open) dialog.showModal();
    sendClick(mysfit.mysfitId, session && session.user() ? session.user().sub : undefined);
    if (actions) actions.show(mysfit);

    try {
      const detail = await source.detail(mysfit, await viewerToken());
      if (request !== profileRequest) return;
      fillProfile({ ...mysfit, ...detail });
      if (actions) actions.show({ ...mysfit, ...detail });
      setProfileStatus("");
    } catch (error) {
      if (request !== profileRequest) return;
      setProfileStatus(`The latest details could not be loaded (${error.message}).`, true);
    }
  }

  /** The visitor's ID token for a read, or null (signed out, or the session just ended). */
  async function viewerToken() {
    if (!session) return null;
    try {
      return await session.idToken();
    } catch (error) {
      return null; // reads are public: the profile still shows, without "you like this"
    }
  }

  function setUpProfileDialog() {
    const dialog = byId("profile");
    byId("profile-close").addEventListener("click", () => dialog.close());
    // A click on the backdrop lands on the <dialog> itself, not on its sheet.
    dialog.addEventListener("click", (event) => {
      if (event.target === dialog) dialog.close();
    });
    // Escape closes a modal <dialog> natively; either way, tidy up on close.
    dialog.addEventListener("close", () => {
      profileRequest += 1;
      if (actions) actions.hide();
      if (profileOpener && profileOpener.isConnected) profileOpener.focus();
      profileOpener = null;
    });
  }

  /* ------------------------------------------------------------------ */
  /* Filters and list loading                                            */
  /* ------------------------------------------------------------------ */

  let listRequest = 0; // only the newest list request may update the page

  async function showMysfits(filter) {
    const request = ++listRequest;
    const list = byId("mysfits");
    list.setAttribute("aria-busy", "true");
    try {
      const mysfits = await source.list(filter);
      if (request !== listRequest) return;
      renderList(mysfits);
      setStatus(describeCount(mysfits.length, filter));
      document.body.dataset.state = "ready";
    } catch (error) {
      if (request !== listRequest) return;
      renderList([]);
      setStatus(source.explain(error), true);
      document.body.dataset.state = "error";
    } finally {
      if (request === listRequest) list.removeAttribute("aria-busy");
    }
  }

  /** The API takes one filter at a time, so choosing one resets the other. */
  function onFilterChange(event) {
    const changed = FILTERS.find((f) => f.selectId === event.target.id);
    for (const other of FILTERS) {
      if (other !== changed) byId(other.selectId).value = ALL;
    }
    const value = event.target.value;
    showMysfits(value === ALL ? null : { name: changed.name, value });
  }

  function setUpFilters() {
    for (const { selectId } of FILTERS) {
      const select = byId(selectId);
      select.value = ALL;
      select.disabled = false;
      select.addEventListener("change", onFilterChange);
    }
  }

  /* ------------------------------------------------------------------ */
  /* Start-up                                                            */
  /* ------------------------------------------------------------------ */

  function showSiteInfo(config) {
    const parts = [`Data: ${source.label}`];
    if (config.version !== undefined) parts.push(`site version ${text(config.version)}`);
    byId("site-info").textContent = parts.join(" · ");
  }

  /** Version 3: sign-in, and like and adopt in the profile; hidden without Cognito settings. */
  function setUpSignIn(cognitoConfig) {
    document.body.dataset.auth = cognitoConfig ? "on" : "off";
    if (!cognitoConfig) return;
    const cognito = createCognito(cognitoConfig);
    session = createSession(cognito, `mysfits.session.${cognitoConfig.clientId}`);
    const account = setUpAccount(cognito, session, cognitoConfig);
    actions = createProfileActions({
      source,
      session,
      openSignIn: (message) => account.open("sign-in", message),
      onUpdate: (mysfit) => fillProfile(mysfit),
    });
    session.start();
  }

  async function start() {
    let config;
    try {
      config = await loadConfig();
    } catch (error) {
      setStatus(error.message, true);
      document.body.dataset.state = "error";
      return;
    }

    source = config.apiEndpoint ? createApiSource(config.apiEndpoint) : createStaticSource();
    document.body.dataset.mode = source.mode;
    setUpSignIn(config.cognito);
    sendClick = createClickSender(config.clicksUrl);
    showSiteInfo(config);
    setUpProfileDialog();
    setUpFilters();
    await showMysfits(null);
  }

  start();
})();
