/*
 * FAQ widget of the Seoul Startup Hub Ho Chi Minh assistant.
 *
 * Embed with one tag (the API base URL is derived from this script's own src):
 *   <script src="https://HOST/widget.js" data-lang="ko" defer></script>
 * Optional data- attributes: data-title, data-color (any CSS colour), data-position
 * ("right" default, or "left"), data-lang ("ko", "en", "vi", "ja"; else the browser language).
 *
 * Hand-written ES2020, no dependencies, no build step. Everything lives in a Shadow DOM with
 * a constructable stylesheet (allowed by a strict style-src 'self' CSP, unlike an inline
 * <style>). Every piece of question or answer text is inserted with textContent — never as HTML.
 */
(() => {
  "use strict";

  const script =
    document.currentScript || document.querySelector('script[src$="widget.js"]');
  if (!script || window.__sshHcmcAssistantLoaded) return;
  window.__sshHcmcAssistantLoaded = true;

  // The API lives next to this script (works behind a path prefix too).
  const BASE = new URL("./", script.src);
  const api = (path) => new URL(path, BASE).toString();
  const STORAGE_KEY = "ssh-hcmc-assistant:v1:" + BASE.toString();
  const MAX_QUESTION = 1000;
  const MAX_STORED_MESSAGES = 60;
  const REQUEST_TIMEOUT_MS = 30000;

  // Every language's labels and messages, from the language registry (bot/languages/*.py):
  // the server fills them in when it serves /widget.js (bot/web/widget.py).
  const STRINGS = {/*STRINGS*/};

  // data-lang first, else the page's language, else the browser's languages, else English.
  const primary = (code) => String(code || "").toLowerCase().split(/[-_]/)[0];
  const LANG =
    [
      script.dataset.lang,
      document.documentElement.lang,
      navigator.language,
      ...(navigator.languages || []),
    ]
      .map(primary)
      .find((code) => Object.prototype.hasOwnProperty.call(STRINGS, code)) || "en";
  const T = STRINGS[LANG];
  const TITLE = (script.dataset.title || "").trim().slice(0, 80) || T.title;
  const POSITION = script.dataset.position === "left" ? "left" : "right";
  const COLOR =
    script.dataset.color && window.CSS && CSS.supports("color", script.dataset.color)
      ? script.dataset.color
      : "";

  // --- state (sessionStorage: survives reloads of this tab, not other tabs) ----------------

  // The greeting's example questions, as fetched from /api/examples for this language.
  const validExamples = (value) =>
    value && value.lang === LANG && Array.isArray(value.questions)
      ? {
          lang: LANG,
          questions: value.questions
            .filter((q) => typeof q === "string" && q.trim())
            .slice(0, 3),
        }
      : null;

  const loadState = () => {
    try {
      const saved = JSON.parse(sessionStorage.getItem(STORAGE_KEY) || "null");
      if (saved && Array.isArray(saved.messages)) {
        return {
          conversationId: typeof saved.conversationId === "string" ? saved.conversationId : null,
          messages: saved.messages.filter((m) => m && typeof m.text === "string"),
          open: saved.open === true,
          examples: validExamples(saved.examples),
        };
      }
    } catch (_) {
      /* storage disabled or corrupt: start fresh */
    }
    return { conversationId: null, messages: [], open: false, examples: null };
  };
  const state = loadState();
  const saveState = () => {
    try {
      state.messages = state.messages.slice(-MAX_STORED_MESSAGES);
      sessionStorage.setItem(STORAGE_KEY, JSON.stringify(state));
    } catch (_) {
      /* storage full or disabled: the conversation just does not survive a reload */
    }
  };

  // --- DOM helpers (text only) -------------------------------------------------------------

  const el = (tag, attrs = {}, children = []) => {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "text") node.textContent = value;
      else if (key === "className") node.className = value;
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children) if (child) node.append(child);
    return node;
  };
  const SVG_NS = "http://www.w3.org/2000/svg";
  const icon = (pathData) => {
    const svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    const path = document.createElementNS(SVG_NS, "path");
    path.setAttribute("d", pathData);
    svg.append(path);
    return svg;
  };
  const CHAT_ICON =
    "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z";
  const CLOSE_ICON =
    "M6.4 5 5 6.4 10.6 12 5 17.6 6.4 19 12 13.4 17.6 19 19 17.6 13.4 12 19 6.4 17.6 5 12 10.6z";
  const NEW_ICON =
    "M17.65 6.35A7.96 7.96 0 0 0 12 4a8 8 0 1 0 7.73 10h-2.08A6 6 0 1 1 12 6c1.66 0 3.14.69 " +
    "4.22 1.78L13 11h7V4l-2.35 2.35z";
  const SEND_ICON = "M3 20.5 21 12 3 3.5V10l12 2-12 2z";
  // Thumbs as SVG (Material icons), so they look the same with or without an emoji font.
  const UP_ICON =
    "M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 1 " +
    "7.59 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23" +
    ".14-.47.14-.73v-2z";
  const DOWN_ICON =
    "M15 3H6c-.83 0-1.54.5-1.84 1.22l-3.02 7.05c-.09.23-.14.47-.14.73v2c0 1.1.9 2 2 2h6.31l-.95 " +
    "4.57-.03.32c0 .41.17.79.44 1.06L9.83 23l6.59-6.59c.36-.36.58-.86.58-1.41V5c0-1.1-.9-2-2-2zm4 " +
    "0v12h4V3h-4z";

  // --- styles ------------------------------------------------------------------------------

  const CSS_TEXT = `
    :host { all: initial !important; display: block !important; position: fixed !important;
      z-index: 2147483000 !important; bottom: 0 !important; width: 0 !important;
      height: 0 !important; }
    :host([data-position="right"]) { right: 0 !important; }
    :host([data-position="left"]) { left: 0 !important; }
    * { box-sizing: border-box; }
    .root { --accent: #0b5cad; --accent-text: #fff; --bg: #fff; --fg: #1b1f24;
      --muted: #5b6470; --line: #d9dee4; --bot-bg: #f2f4f7;
      font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans",
        "Noto Sans CJK KR", "Apple SD Gothic Neo", "Malgun Gothic", "Hiragino Sans",
        "Noto Sans JP", sans-serif;
      color: var(--fg); text-align: left; letter-spacing: normal; }
    .sr-only { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px;
      overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
    button { font: inherit; color: inherit; cursor: pointer; }
    button:focus-visible, textarea:focus-visible, input:focus-visible, .log:focus-visible {
      outline: 3px solid #f5a623; outline-offset: 2px; }
    .launcher { position: fixed; bottom: 20px; width: 60px; height: 60px; border-radius: 50%;
      border: 0; background: var(--accent); color: var(--accent-text);
      box-shadow: 0 6px 20px rgba(0,0,0,.25); display: grid; place-items: center; }
    .right .launcher { right: 20px; } .left .launcher { left: 20px; }
    .launcher svg { width: 28px; height: 28px; fill: currentColor; }
    .panel { position: fixed; bottom: 92px; width: min(390px, calc(100vw - 24px));
      height: min(620px, calc(100vh - 112px)); background: var(--bg); border-radius: 14px;
      box-shadow: 0 12px 40px rgba(0,0,0,.28); display: flex; flex-direction: column;
      overflow: hidden; border: 1px solid var(--line); }
    .panel[hidden] { display: none; }
    .right .panel { right: 12px; } .left .panel { left: 12px; }
    header { background: var(--accent); color: var(--accent-text); padding: 12px 8px 12px 16px;
      display: flex; align-items: center; gap: 4px; }
    header h2 { font-size: 16px; font-weight: 600; margin: 0; flex: 1; line-height: 1.3; }
    .icon-btn { background: transparent; border: 0; color: inherit; width: 36px; height: 36px;
      border-radius: 8px; display: grid; place-items: center; padding: 0; }
    .icon-btn:hover { background: rgba(255,255,255,.15); }
    .icon-btn svg { width: 22px; height: 22px; fill: currentColor; }
    .text-btn { background: transparent; border: 1px solid rgba(255,255,255,.6);
      color: inherit; border-radius: 8px; padding: 2px 8px; font-size: 12px; }
    .text-btn:hover { background: rgba(255,255,255,.15); }
    .log { flex: 1; overflow-y: auto; padding: 14px; display: flex; flex-direction: column;
      gap: 10px; background: var(--bg); }
    .msg { max-width: 88%; padding: 9px 12px; border-radius: 12px; overflow-wrap: anywhere; }
    .msg.bot { max-width: 94%; }
    /* Korean breaks between words, not inside them; Japanese and Chinese anywhere. */
    :lang(ko) { word-break: keep-all; }
    :lang(ja), :lang(zh) { word-break: normal; }
    .new-chat svg { display: none; width: 20px; height: 20px; fill: currentColor; }
    .msg .text { margin: 0; white-space: pre-wrap; }
    .msg.user { align-self: flex-end; background: var(--accent); color: var(--accent-text);
      border-bottom-right-radius: 4px; }
    .msg.bot { align-self: flex-start; background: var(--bot-bg);
      border-bottom-left-radius: 4px; }
    .msg.system { align-self: center; background: #fff4e5; color: #663c00; font-size: 14px; }
    .who { font-size: 12px; color: var(--muted); margin: 0 0 2px; }
    .msg.user .who { color: rgba(255,255,255,.85); }
    .spacer { flex: none; margin-top: -10px; height: 0; }
    .link-btn { background: transparent; border: 0; color: var(--accent); padding: 6px 2px;
      font-size: 13px; font-weight: 600; border-radius: 4px; text-align: left; }
    .link-btn:hover { text-decoration: underline; }
    .more-btn, .src-toggle { display: inline-flex; align-items: center; gap: 4px; }
    .more-btn::after, .src-toggle::after { content: ""; width: 6px; height: 6px;
      border: solid currentColor; border-width: 0 2px 2px 0; transform: rotate(45deg);
      margin: -3px 2px 0; }
    .more-btn[aria-expanded="true"]::after, .src-toggle[aria-expanded="true"]::after {
      transform: rotate(-135deg); margin-top: 3px; }
    .details { margin-top: 8px; }
    .sources { margin: 6px 0 0; padding: 2px 0 0; border-top: 1px solid var(--line);
      font-size: 13px; color: var(--muted); }
    .src-toggle { color: var(--muted); }
    .src-list { margin: 2px 0 4px; padding: 0; list-style: none; }
    .src-list li { margin: 6px 0 0; padding: 0 0 0 10px; border-left: 2px solid var(--line); }
    .src-title { display: block; color: var(--fg); font-weight: 600; }
    .src-verified { white-space: nowrap; }
    .note { margin: 8px 0 0; font-size: 13px; color: var(--muted); }
    .actions { display: flex; align-items: center; gap: 6px; margin-top: 8px;
      flex-wrap: wrap; }
    .actions .handoff-link { margin-left: auto; font-weight: 500; color: var(--muted);
      text-decoration: underline; text-underline-offset: 2px; }
    .actions .handoff-link:hover { color: var(--accent); }
    .feedback { display: flex; align-items: center; gap: 6px; }
    .feedback button { border: 1px solid var(--line); background: #fff; border-radius: 16px;
      width: 40px; height: 30px; padding: 0; display: grid; place-items: center;
      color: var(--muted); }
    .feedback button svg { width: 17px; height: 17px; fill: currentColor; }
    .feedback button:hover:not(:disabled) { color: var(--accent); border-color: var(--accent); }
    .feedback button[aria-pressed="true"] { border-color: var(--accent); color: var(--accent);
      background: #e6f0fa; }
    .feedback button:disabled { cursor: default; opacity: .75; }
    .status { font-size: 12px; color: var(--muted); margin: 4px 0 0; }
    .status:empty { margin: 0; }
    .handoff-btn { margin-top: 8px; border: 1px solid var(--accent); color: var(--accent);
      background: #fff; border-radius: 8px; padding: 6px 12px; font-weight: 600; }
    .chips { margin-top: 10px; display: flex; flex-wrap: wrap; gap: 6px; }
    .chips p { margin: 0; width: 100%; font-size: 13px; color: var(--muted); }
    .chip { border: 1px solid var(--accent); color: var(--accent); background: #fff;
      border-radius: 16px; padding: 5px 12px; font-size: 14px; text-align: left;
      max-width: 100%; line-height: 1.35; }
    .chip:hover:not(:disabled) { background: #e6f0fa; }
    .chip:disabled { cursor: default; opacity: .6; }
    .handoff { margin-top: 8px; display: grid; gap: 6px; }
    .handoff p { margin: 0; font-size: 13px; }
    .handoff label { font-size: 13px; font-weight: 600; }
    .handoff input, .handoff textarea, .composer textarea { font: inherit; color: var(--fg);
      border: 1px solid var(--line); border-radius: 8px; padding: 8px 10px; width: 100%;
      background: #fff; }
    .handoff textarea { min-height: 64px; resize: vertical; }
    .row { display: flex; gap: 8px; justify-content: flex-end; }
    .primary { background: var(--accent); color: var(--accent-text); border: 0;
      border-radius: 8px; padding: 7px 14px; font-weight: 600; }
    .secondary { background: #fff; border: 1px solid var(--line); border-radius: 8px;
      padding: 7px 14px; }
    .typing { padding: 0 2px; font-size: 13px; color: var(--muted); display: flex;
      align-items: center; gap: 8px; }
    .typing[hidden] { display: none; }
    .dots { display: inline-flex; gap: 3px; }
    .dots i { width: 6px; height: 6px; border-radius: 50%; background: var(--muted);
      animation: blink 1.2s infinite ease-in-out both; }
    .dots i:nth-child(2) { animation-delay: .2s; } .dots i:nth-child(3) { animation-delay: .4s; }
    @keyframes blink { 0%, 80%, 100% { opacity: .25; } 40% { opacity: 1; } }
    @media (prefers-reduced-motion: reduce) { .dots i { animation: none; } }
    .composer { display: flex; gap: 8px; padding: 10px; border-top: 1px solid var(--line);
      background: var(--bg); align-items: flex-end; }
    .composer textarea { resize: none; height: 44px; max-height: 120px; }
    .composer button { flex: none; width: 44px; height: 44px; border-radius: 10px; border: 0;
      background: var(--accent); color: var(--accent-text); display: grid;
      place-items: center; }
    .composer button:disabled { opacity: .6; cursor: default; }
    .composer svg { width: 22px; height: 22px; fill: currentColor; }
    @media (max-width: 480px) {
      .panel { width: calc(100vw - 16px); height: calc(100vh - 96px); bottom: 84px; }
      header { padding: 10px 6px 10px 14px; }
      header h2 { font-size: 15px; }
      .new-chat { border: 0; width: 36px; height: 36px; padding: 0; display: grid;
        place-items: center; }
      .new-chat svg { display: block; }
      .new-chat span { display: none; }
      .msg.bot { max-width: 100%; }
      .right .panel { right: 8px; } .left .panel { left: 8px; }
      .launcher { bottom: 14px; width: 56px; height: 56px; }
      .right .launcher { right: 14px; } .left .launcher { left: 14px; }
    }
  `;

  // --- build the widget --------------------------------------------------------------------

  const host = document.createElement("ssh-hcmc-assistant");
  host.setAttribute("data-position", POSITION);
  const shadow = host.attachShadow({ mode: "open" });
  if ("adoptedStyleSheets" in Document.prototype && "replaceSync" in CSSStyleSheet.prototype) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS_TEXT);
    shadow.adoptedStyleSheets = [sheet];
  } else {
    // Older browsers: a <style> element (needs style-src to allow it on strict-CSP pages).
    shadow.append(el("style", { text: CSS_TEXT }));
  }

  const root = el("div", { className: "root " + POSITION, lang: LANG });
  if (COLOR) root.style.setProperty("--accent", COLOR); // CSSOM: allowed under strict CSP

  const launcher = el("button", {
    type: "button",
    className: "launcher",
    "aria-label": T.open,
    "aria-expanded": "false",
    "aria-controls": "ssh-panel",
    "aria-haspopup": "dialog",
    title: TITLE,
  }, [icon(CHAT_ICON)]);

  const titleEl = el("h2", { id: "ssh-title", text: TITLE });
  // "New conversation" in words; on a phone a compact icon with the same accessible name.
  const newChatBtn = el("button", {
    type: "button", className: "text-btn new-chat", "aria-label": T.newChat, title: T.newChat,
  }, [icon(NEW_ICON), el("span", { text: T.newChat })]);
  const closeBtn = el("button", {
    type: "button", className: "icon-btn", "aria-label": T.close, title: T.close,
  }, [icon(CLOSE_ICON)]);
  const log = el("div", {
    className: "log", role: "log", "aria-live": "polite", "aria-relevant": "additions",
    "aria-labelledby": "ssh-title", tabindex: "0",
  });
  // Inside the log, after the last message: showing it never changes the view's height.
  const typing = el("div", { className: "typing", role: "status", hidden: true }, [
    el("span", { className: "dots", "aria-hidden": "true" }, [el("i"), el("i"), el("i")]),
    el("span", { text: T.typing }),
  ]);
  const input = el("textarea", {
    id: "ssh-question", rows: "1", maxlength: String(MAX_QUESTION),
    placeholder: T.placeholder, autocomplete: "off",
  });
  const sendBtn = el("button", {
    type: "submit", "aria-label": T.send, title: T.send,
  }, [icon(SEND_ICON)]);
  const composer = el("form", { className: "composer", novalidate: true }, [
    el("label", { className: "sr-only", for: "ssh-question", text: T.label }),
    input,
    sendBtn,
  ]);
  const panel = el("div", {
    id: "ssh-panel", className: "panel", role: "dialog", "aria-modal": "false",
    "aria-labelledby": "ssh-title", hidden: true,
  }, [el("header", {}, [titleEl, newChatBtn, closeBtn]), log, composer]);

  // The log ends with a spacer that leaves room below the newest answer, so that answer can
  // always sit with its first line at the top of the view: a founder reads it from the
  // start, and a streamed answer grows downwards without moving what is already shown.
  const spacer = el("div", { className: "spacer", "aria-hidden": "true" });
  log.append(typing, spacer);

  root.append(panel, launcher);
  shadow.append(root);

  // --- layout: the newest answer at the top of the view ------------------------------------

  let pinned = null; // the answer whose first line is kept at the top
  // Its distance from the top of the view: less than the gap between messages, so no sliver
  // of the question above shows.
  const PIN_OFFSET = 8;
  let nextId = 0;
  const uid = (prefix) => `ssh-${prefix}-${++nextId}`;

  const padding = () => {
    const style = getComputedStyle(log);
    return [parseFloat(style.paddingTop) || 0, parseFloat(style.paddingBottom) || 0];
  };

  // Room below the pinned answer: enough for its top to reach the top of the view.
  const sizeSpacer = () => {
    if (!pinned || !pinned.isConnected || panel.hidden) {
      spacer.style.height = "0px";
      return;
    }
    const [, bottom] = padding();
    const below = spacer.getBoundingClientRect().top - pinned.getBoundingClientRect().top;
    spacer.style.height = Math.max(0, log.clientHeight - PIN_OFFSET - bottom - below) + "px";
  };

  const pin = (node) => {
    pinned = node;
    if (panel.hidden) return; // laid out when the panel opens
    sizeSpacer();
    log.scrollTop += node.getBoundingClientRect().top - log.getBoundingClientRect().top - PIN_OFFSET;
  };

  // Scroll just enough for ``node`` to be seen (a question, the typing dots, a form).
  const reveal = (node) => {
    if (panel.hidden || !node.isConnected) return;
    sizeSpacer();
    const [, bottom] = padding();
    const over =
      node.getBoundingClientRect().bottom - (log.getBoundingClientRect().bottom - bottom);
    if (over > 0) log.scrollTop += over;
  };

  // Run ``change`` (which may shrink the log) without ``anchor`` moving on screen.
  const keepInPlace = (anchor, change) => {
    if (panel.hidden || !anchor.isConnected) {
      change();
      return;
    }
    const before = anchor.getBoundingClientRect().top;
    spacer.style.height = log.scrollHeight + "px"; // nothing can be clamped meanwhile
    change();
    sizeSpacer();
    log.scrollTop += anchor.getBoundingClientRect().top - before;
  };

  if (window.ResizeObserver) {
    // The panel resized (a phone rotated, the on-screen keyboard): keep the room right.
    new ResizeObserver(() => sizeSpacer()).observe(log);
  }

  // --- rendering ---------------------------------------------------------------------------

  const sourcesLabel = (count) =>
    count === 1 ? T.sourcesOne : T.sourcesMany.replace("{n}", String(count));

  // A toggle button (aria-expanded) for a hidden region, keeping the answer in place.
  const disclosure = (button, region, onToggle) => {
    button.addEventListener("click", () => {
      const open = button.getAttribute("aria-expanded") !== "true";
      keepInPlace(button.closest(".msg") || button, () => {
        region.hidden = !open;
        button.setAttribute("aria-expanded", open ? "true" : "false");
        if (onToggle) onToggle(open);
      });
    });
    return button;
  };

  const sourceItem = (src) => {
    const meta = [];
    if (src.section && src.section !== src.title) {
      meta.push(el("span", { className: "src-section", text: src.section }));
    }
    // Staff-published documents say where they came from (server-set date), never "verified".
    const origin = src.origin === "upload" ? T.uploaded : src.origin === "faq" ? T.savedFaq : "";
    if (origin) {
      if (meta.length) meta.push(document.createTextNode(" · "));
      meta.push(el("span", {
        className: "src-verified src-origin", text: origin.replace("{date}", src.added_on || "?"),
      }));
    } else if (src.last_verified) {
      if (meta.length) meta.push(document.createTextNode(" · "));
      meta.push(el("span", {
        className: "src-verified", text: `${T.verified} ${src.last_verified}`,
      }));
    }
    return el("li", {}, [
      el("span", { className: "src-title", text: src.title || src.source || "" }),
      ...meta,
    ]);
  };

  // One compact line ("3 sources") that opens the list: title, section, verified date.
  const sourcesBlock = (msg) => {
    const id = uid("src");
    const list = el("ul", {
      id, className: "src-list", hidden: true, lang: msg.language || null,
    }, msg.sources.map(sourceItem));
    const toggle = el("button", {
      type: "button", className: "link-btn src-toggle", "aria-expanded": "false",
      "aria-controls": id, text: sourcesLabel(msg.sources.length),
    });
    return el("div", { className: "sources" }, [disclosure(toggle, list), list]);
  };

  // The lead is the answer minus its details (it keeps a language note the core put first).
  const splitAnswer = (msg) => {
    const text = msg.text;
    const details = typeof msg.details === "string" ? msg.details.trim() : "";
    if (details && text.endsWith(details) && text.length > details.length) {
      return [text.slice(0, text.length - details.length).trimEnd(), details];
    }
    return [text, ""];
  };

  const moreBlock = (msg, rest) => {
    const id = uid("more");
    const region = el("div", { id, className: "details", hidden: true }, [
      el("p", { className: "text", lang: msg.language || null, text: rest }),
    ]);
    const button = el("button", {
      type: "button", className: "link-btn more-btn", "aria-expanded": "false",
      "aria-controls": id, text: T.more,
    });
    disclosure(button, region, (open) => {
      button.textContent = open ? T.less : T.more;
    });
    return [region, button];
  };

  const feedbackGroup = (msg, status) => {
    const up = el("button", {
      type: "button", "aria-label": "👍 " + T.up, title: T.up, "data-rating": "up",
      "aria-pressed": msg.feedback === "up" ? "true" : "false",
    }, [icon(UP_ICON)]);
    const down = el("button", {
      type: "button", "aria-label": "👎 " + T.down, title: T.down, "data-rating": "down",
      "aria-pressed": msg.feedback === "down" ? "true" : "false",
    }, [icon(DOWN_ICON)]);
    if (msg.feedback) {
      up.disabled = down.disabled = true;
      status.textContent = T.recorded;
    }
    const send = async (rating) => {
      up.disabled = down.disabled = true;
      try {
        const res = await post("api/feedback", {
          question_id: msg.questionId,
          conversation_id: state.conversationId,
          rating,
        });
        if (!res.ok) throw new Error(String(res.status));
        msg.feedback = rating;
        saveState();
        (rating === "up" ? up : down).setAttribute("aria-pressed", "true");
        status.textContent = T.recorded;
      } catch (_) {
        up.disabled = down.disabled = false;
        status.textContent = T.feedbackFailed;
      }
      sizeSpacer();
    };
    up.addEventListener("click", () => send("up"));
    down.addEventListener("click", () => send("down"));
    return el("div", { className: "feedback", role: "group", "aria-label": T.rate }, [up, down]);
  };

  const handoffForm = (msg, container, trigger) => {
    const id = uid("handoff");
    const contact = el("input", {
      id: id + "-contact", type: "text", required: true, maxlength: "200",
      autocomplete: "email",
    });
    const question = el("textarea", { id: id + "-question", required: true, maxlength: "1000" });
    question.value = msg.question || "";
    const status = el("p", { className: "status", role: "status" });
    const submit = el("button", { type: "submit", className: "primary", text: T.submit });
    const cancel = el("button", { type: "button", className: "secondary", text: T.cancel });
    const form = el("form", { className: "handoff", novalidate: true }, [
      el("p", { text: T.handoffIntro }),
      el("label", { for: id + "-contact", text: T.contact }),
      contact,
      el("label", { for: id + "-question", text: T.question }),
      question,
      el("div", { className: "row" }, [cancel, submit]),
      status,
    ]);
    cancel.addEventListener("click", () => {
      keepInPlace(container, () => {
        form.remove();
        trigger.hidden = false;
      });
      trigger.focus();
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const contactText = contact.value.trim();
      const questionText = question.value.trim();
      if (!contactText) return contact.focus();
      if (!questionText) return question.focus();
      submit.disabled = true;
      try {
        const res = await post("api/handoff", {
          contact: contactText,
          question: questionText,
          conversation_id: state.conversationId,
          question_id: msg.questionId || null,
          language: msg.language || LANG,
        });
        if (!res.ok) throw new Error(String(res.status));
        const data = await res.json();
        if (data.conversation_id) state.conversationId = data.conversation_id;
        msg.handoff = "sent";
        saveState();
        keepInPlace(container, () => {
          form.replaceWith(el("p", { className: "status", role: "status", text: T.handoffSent }));
        });
        input.focus(); // the form is gone: keep keyboard users in the chat
      } catch (_) {
        submit.disabled = false;
        status.textContent = T.handoffFailed;
      }
    });
    container.append(form);
    reveal(form);
    contact.focus();
  };

  // The way to a person: a quiet link under every answer, a button under the unsure ones
  // and declines (where it is what the founder needs next).
  const handoffTrigger = (msg, node, prominent) => {
    const trigger = el("button", {
      type: "button",
      className: prominent ? "handoff-btn" : "link-btn handoff-link",
      text: T.askStaff,
    });
    trigger.addEventListener("click", () => {
      trigger.hidden = true;
      handoffForm(msg, node, trigger);
    });
    return trigger;
  };

  const renderAnswer = (msg) => {
    const node = el("div", { className: "msg bot" }, [el("p", { className: "who", text: T.bot })]);
    const [lead, rest] = splitAnswer(msg);
    node.append(el("p", { className: "text lead", lang: msg.language || null, text: lead }));
    if (rest) node.append(...moreBlock(msg, rest));
    if (Array.isArray(msg.sources) && msg.sources.length) node.append(sourcesBlock(msg));
    const canHandOff = typeof msg.question === "string";
    const prominent = canHandOff && (msg.outcome === "unsure" || msg.outcome === "declined");
    if (msg.outcome === "unsure") node.append(el("p", { className: "note", text: T.unsureNote }));
    if (prominent && msg.handoff !== "sent") node.append(handoffTrigger(msg, node, true));
    const status = el("p", { className: "status", role: "status" });
    const actions = el("div", { className: "actions" });
    if (msg.questionId) actions.append(feedbackGroup(msg, status));
    if (canHandOff && !prominent && msg.handoff !== "sent") {
      actions.append(handoffTrigger(msg, node, false));
    }
    if (actions.childNodes.length) node.append(actions);
    node.append(status);
    if (msg.handoff === "sent") node.append(el("p", { className: "status", text: T.handoffSent }));
    return node;
  };

  let introNode = null;

  const chipsBlock = (questions) => {
    const labelId = uid("examples");
    const chips = questions.map((question) => {
      const chip = el("button", { type: "button", className: "chip", text: question });
      chip.addEventListener("click", () => submitQuestion(question));
      return chip;
    });
    return el("div", { className: "chips", role: "group", "aria-labelledby": labelId }, [
      el("p", { id: labelId, text: T.examples }),
      ...chips,
    ]);
  };

  const renderIntro = () => {
    introNode = el("div", { className: "msg bot intro" }, [
      el("p", { className: "who", text: T.bot }),
      el("p", { className: "text", text: T.intro }),
    ]);
    if (state.examples && state.examples.questions.length) {
      introNode.append(chipsBlock(state.examples.questions));
    }
    return introNode;
  };

  const renderMessage = (msg) => {
    if (msg.role === "user") {
      return el("div", { className: "msg user" }, [
        el("p", { className: "who sr-only", text: T.you }),
        el("p", { className: "text", text: msg.text }),
      ]);
    }
    if (msg.role === "system") {
      return el("div", { className: "msg system" }, [el("p", { className: "text", text: msg.text })]);
    }
    return renderAnswer(msg);
  };

  // New messages go after the last one, before the typing dots and the spacer.
  const append = (node) => log.insertBefore(node, typing);

  const addSystem = (text, persist = true) => {
    const msg = { role: "system", text };
    if (persist) {
      state.messages.push(msg);
      saveState();
    }
    const node = renderMessage(msg);
    append(node);
    reveal(node);
  };

  const renderAll = () => {
    pinned = null;
    for (const node of [...log.children]) if (node !== typing && node !== spacer) node.remove();
    append(renderIntro());
    let last = null;
    for (const msg of state.messages) {
      last = renderMessage(msg);
      append(last);
    }
    const lastMsg = state.messages[state.messages.length - 1];
    if (lastMsg && lastMsg.role === "bot") pin(last);
    else if (!panel.hidden) {
      sizeSpacer();
      log.scrollTop = log.scrollHeight;
    }
  };

  const showExamples = () => {
    if (!introNode || introNode.querySelector(".chips")) return;
    if (!state.examples || !state.examples.questions.length) return;
    keepInPlace(pinned || introNode, () => introNode.append(chipsBlock(state.examples.questions)));
  };

  // --- network -----------------------------------------------------------------------------

  const request = (path, options) => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
    return fetch(api(path), { credentials: "omit", signal: controller.signal, ...options })
      .finally(() => clearTimeout(timer));
  };

  const post = (path, body) =>
    request(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });

  const loadExamples = async () => {
    if (state.examples) return;
    try {
      const res = await request("api/examples?language=" + encodeURIComponent(LANG), {});
      if (!res.ok) return;
      const data = await res.json();
      state.examples = validExamples({ lang: LANG, questions: data && data.questions });
      saveState();
      showExamples();
    } catch (_) {
      /* no examples: the greeting still invites a question */
    }
  };

  const errorText = async (res) => {
    if (res.status === 429) {
      const seconds = parseInt(res.headers.get("Retry-After") || "", 10);
      return T.rateLimited.replace("{s}", Number.isFinite(seconds) ? String(seconds) : "60");
    }
    if (res.status === 413 || res.status === 422) return T.tooLong;
    if (res.status === 503) {
      try {
        const data = await res.json();
        if (data && typeof data.detail === "string") return data.detail;
      } catch (_) {
        /* fall through */
      }
    }
    return T.error;
  };

  // Reads token/sources/done events. Tokens show in ``preview`` (hidden from screen readers,
  // which hear the checked answer once); the final answer replaces it in the same place.
  // Resolves to the "done" body, {error} for an error event, or null.
  const readStream = async (res, preview) => {
    const textNode = preview.querySelector(".text");
    let shown = "";
    let result = null;
    const handle = (event, payload) => {
      let data;
      try {
        data = JSON.parse(payload);
      } catch (_) {
        return;
      }
      if (event === "token" && data && typeof data.text === "string") {
        shown += data.text;
        textNode.textContent = shown;
        if (!preview.isConnected) {
          typing.hidden = true;
          append(preview);
          pin(preview);
        } else {
          sizeSpacer();
        }
      } else if (event === "done") {
        result = data;
      } else if (event === "error") {
        result = { error: data && typeof data.detail === "string" ? data.detail : T.error };
      }
    };
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffer.indexOf("\n\n")) !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let event = "message";
        const lines = [];
        for (const line of block.split("\n")) {
          if (line.startsWith("event: ")) event = line.slice(7);
          else if (line.startsWith("data: ")) lines.push(line.slice(6));
        }
        handle(event, lines.join("\n"));
      }
    }
    return result;
  };

  const OUTCOMES = ["answered", "unsure", "declined", "smalltalk"];

  const toMessage = (data, question) => ({
    role: "bot",
    text: String(data.answer || ""),
    details: typeof data.details === "string" ? data.details : "",
    outcome: OUTCOMES.includes(data.outcome)
      ? data.outcome
      : data.answered === true ? "answered" : "declined",
    answered: data.answered === true,
    language: typeof data.language === "string" ? data.language : LANG,
    sources: Array.isArray(data.sources)
      ? data.sources.map((s) => ({
          title: String(s.title || ""),
          source: String(s.source || ""),
          section: String(s.section || ""),
          last_verified: String(s.last_verified || ""),
          origin: String(s.origin || ""),
          added_on: String(s.added_on || ""),
        }))
      : [],
    questionId: typeof data.question_id === "number" ? data.question_id : null,
    question,
  });

  let busy = false;
  const setBusy = (value) => {
    busy = value;
    sendBtn.disabled = value;
    for (const chip of log.querySelectorAll(".chip")) chip.disabled = value;
  };

  const ask = async (question) => {
    setBusy(true);
    typing.hidden = false;
    reveal(typing);
    const preview = el("div", { className: "msg bot", "aria-hidden": "true" }, [
      el("p", { className: "who", text: T.bot }),
      el("p", { className: "text lead" }),
    ]);
    const previous = pinned;
    const fail = (text) => {
      typing.hidden = true;
      if (pinned === preview) pinned = previous;
      preview.remove();
      addSystem(text);
    };
    try {
      const body = { question };
      if (state.conversationId) body.conversation_id = state.conversationId;
      // Streamed answers (server-sent events) when the server has them, else the JSON route.
      let res = await post("api/ask/stream", body);
      if (res.status === 404 || res.status === 405) res = await post("api/ask", body);
      if (!res.ok) return fail(await errorText(res));
      const streamed = (res.headers.get("Content-Type") || "").startsWith("text/event-stream");
      const data = streamed ? await readStream(res, preview) : await res.json();
      if (data && typeof data.error === "string") return fail(data.error);
      if (!data) return fail(T.error);
      if (typeof data.conversation_id === "string") state.conversationId = data.conversation_id;
      const msg = toMessage(data, question);
      state.messages.push(msg);
      saveState();
      const node = renderMessage(msg);
      typing.hidden = true;
      if (preview.isConnected) preview.replaceWith(node);
      else append(node);
      pin(node);
    } catch (_) {
      fail(T.network);
    } finally {
      setBusy(false);
    }
  };

  // A typed question or a tapped example.
  const submitQuestion = (question) => {
    if (!question || busy) return;
    if (question.length > MAX_QUESTION) {
      addSystem(T.tooLong, false);
      return;
    }
    const msg = { role: "user", text: question };
    state.messages.push(msg);
    saveState();
    const node = renderMessage(msg);
    append(node);
    reveal(node);
    ask(question);
  };

  // --- behaviour ---------------------------------------------------------------------------

  const setOpen = (open, focus = true) => {
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", open ? "true" : "false");
    state.open = open;
    saveState();
    if (open) {
      if (pinned && pinned.isConnected) pin(pinned);
      else log.scrollTop = log.scrollHeight;
      if (focus) input.focus();
    } else if (focus) {
      launcher.focus();
    }
  };

  launcher.addEventListener("click", () => setOpen(panel.hidden));
  closeBtn.addEventListener("click", () => setOpen(false));
  newChatBtn.addEventListener("click", () => {
    state.conversationId = null;
    state.messages = [];
    saveState();
    renderAll();
    input.focus();
  });
  root.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !panel.hidden) {
      event.stopPropagation();
      setOpen(false);
    }
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      composer.requestSubmit();
    }
  });
  composer.addEventListener("submit", (event) => {
    event.preventDefault();
    const question = input.value.trim();
    if (!question || busy) return;
    if (question.length <= MAX_QUESTION) input.value = "";
    submitQuestion(question);
  });

  renderAll();
  loadExamples();
  const mount = () => {
    document.body.append(host);
    if (state.open) setOpen(true, false);
  };
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount, { once: true });
})();
