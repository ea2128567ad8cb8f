// Live updates of the public status page. Progressive enhancement only: the server-rendered
// page is complete without this file; with it, times are shown in the reader's time zone and
// the page follows the dashboard stream without ever reloading.
"use strict";

(() => {
  const root = document.getElementById("status");
  const i18n = readStrings();
  const lang = (root && root.dataset.lang) || document.documentElement.lang || undefined;

  const POLL_MS = 30_000;
  const BACKOFF_BASE_MS = 1_000;
  const BACKOFF_MAX_MS = 30_000;
  // After this many failed connections in a row, poll as well until the stream is back.
  const FAILURES_BEFORE_POLLING = 3;
  const MAX_ANNOUNCED = 3;

  // -- strings ----------------------------------------------------------------------------

  function readStrings() {
    const node = document.getElementById("status-i18n");
    try {
      return node ? JSON.parse(node.textContent) : {};
    } catch {
      return {};
    }
  }

  function t(key, values = {}) {
    const template = typeof i18n[key] === "string" ? i18n[key] : key;
    return template.replace(/\{(\w+)\}/g, (whole, name) =>
      name in values ? String(values[name]) : whole,
    );
  }

  function statusLabel(code) {
    return (i18n.status && i18n.status[String(code)]) || String(code);
  }

  // -- times ------------------------------------------------------------------------------

  // Dates follow the page's language, in the reader's own variant of it when the browser has
  // one (en-GB writes 14:05 where en-US writes 2:05 PM).
  const locale =
    (navigator.languages || []).find((tag) => tag.toLowerCase().split("-")[0] === lang) || lang;
  const dateTime = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" });
  const fullDateTime = new Intl.DateTimeFormat(locale, { dateStyle: "full", timeStyle: "long" });
  const clockTime = new Intl.DateTimeFormat(locale, { timeStyle: "medium" });

  function relative(date, now) {
    const minutes = Math.floor((now - date) / 60_000);
    if (minutes < 1) return t("just_now");
    if (minutes < 60) return t("minutes_ago", { n: minutes });
    const hours = Math.floor(minutes / 60);
    if (hours < 24) return t("hours_ago", { n: hours });
    return t("days_ago", { n: Math.floor(hours / 24) });
  }

  function renderTimes(scope = document) {
    const now = Date.now();
    for (const node of scope.querySelectorAll("time.updated[datetime]")) {
      const date = new Date(node.getAttribute("datetime"));
      if (Number.isNaN(date.getTime())) continue;
      node.textContent = `${dateTime.format(date)} (${relative(date, now)})`;
      node.title = fullDateTime.format(date);
    }
  }

  renderTimes();
  // Only the relative part ages; redrawing the text is not a refresh of the page.
  setInterval(renderTimes, 60_000);

  if (!root || !root.dataset.streamUrl) return;

  // -- announcing -------------------------------------------------------------------------

  // Messages that come together ("resumed", then what changed meanwhile) are spoken together.
  let waiting = [];
  function announce(text) {
    const announcer = document.getElementById("live-announcer");
    if (!announcer || !text) return;
    waiting.push(text);
    if (waiting.length > 1) return;
    // Emptying first makes screen readers speak a message equal to the previous one.
    announcer.textContent = "";
    setTimeout(() => {
      announcer.textContent = waiting.join(". ");
      waiting = [];
    }, 100);
  }

  // -- applying a dashboard ---------------------------------------------------------------

  function groupNodes() {
    return [...root.querySelectorAll("section.group[data-group-id]")];
  }

  function itemNodes(section) {
    return [...section.querySelectorAll("li.item[data-item-id]")];
  }

  function sameShape(dashboard) {
    const sections = groupNodes();
    if (sections.length !== dashboard.groups.length) return false;
    return dashboard.groups.every((group, index) => {
      const section = sections[index];
      if (section.dataset.groupId !== group.id) return false;
      const ids = itemNodes(section).map((node) => node.dataset.itemId);
      const wanted = sortedItems(group).map((item) => item.id);
      return ids.length === wanted.length && ids.every((id, i) => id === wanted[i]);
    });
  }

  function sortedItems(group) {
    return [...group.items].sort((a, b) => (a.order ?? 0) - (b.order ?? 0));
  }

  function groupStatusNode(section) {
    const inSummary = section.querySelector("summary .status");
    if (inSummary) return inSummary;
    return [...section.querySelectorAll(".status")].find((node) => !node.closest(".item"));
  }

  // The icons are the server's: copy the one it drew for the same code elsewhere on the page.
  function iconFor(code) {
    const sample = root.querySelector(`.status[data-status="${code}"] .status-icon`);
    return sample ? sample.cloneNode(true).childNodes : null;
  }

  // Returns false when the node cannot be brought up to date in place.
  function setStatus(node, code) {
    if (!node) return false;
    if (node.dataset.status === String(code)) return true;
    const icon = iconFor(code);
    const iconNode = node.querySelector(".status-icon");
    const textNode = node.querySelector(".status-text");
    if (!icon || !iconNode || !textNode) return false;
    iconNode.replaceChildren(...icon);
    textNode.textContent = statusLabel(code);
    node.dataset.status = String(code);
    return true;
  }

  function updateItem(node, item) {
    // A description that appears or goes away changes the layout: leave that to the server.
    if (Boolean(node.querySelector(".description")) !== Boolean(item.description)) return false;
    const updated = node.querySelector("time.updated");
    if (updated && item.last_updated && updated.getAttribute("datetime") !== item.last_updated) {
      updated.setAttribute("datetime", item.last_updated);
    }
    if (!setStatus(node.querySelector(".status"), item.status_code)) return false;
    node.dataset.status = String(item.status_code);
    return true;
  }

  // Same rule as the server's roll-up: disrupted wins over unknown, unknown over operational.
  function overall(dashboard) {
    const codes = dashboard.groups.map((group) => group.status_code);
    if (codes.includes(2)) return 2;
    if (codes.includes(3) || codes.length === 0) return 3;
    return 1;
  }

  function updateBanner(dashboard) {
    const banner = document.getElementById("banner");
    if (!banner) return;
    const code = String(overall(dashboard));
    if (banner.dataset.status === code) return;
    banner.dataset.status = code;
    const text = i18n.banner && i18n.banner[code];
    if (text) banner.textContent = text;
  }

  function changesFrom(dashboard) {
    const shown = new Map(
      [...root.querySelectorAll("li.item[data-item-id]")].map((node) => [node.dataset.itemId, node]),
    );
    const changes = [];
    for (const group of dashboard.groups) {
      for (const item of group.items) {
        const node = shown.get(item.id);
        if (node && node.dataset.status !== String(item.status_code)) {
          // The name as the page shows it: the stream's is not translated.
          const name = node.querySelector(".item-name")?.textContent.trim() || item.name;
          changes.push(t("changed", { name, status: statusLabel(item.status_code) }));
        }
      }
    }
    return changes;
  }

  // Names and descriptions are shown translated, and the stream carries them untranslated: a
  // change is seen against the previous event, and the server renders the new wording.
  let previous = null;

  function wording(dashboard) {
    const words = new Map();
    for (const group of dashboard.groups) {
      words.set(`group ${group.id}`, group.name);
      for (const item of group.items) {
        words.set(`item ${item.id}`, `${item.name}\n${item.description || ""}`);
      }
    }
    return words;
  }

  function reworded(dashboard) {
    if (!previous) return false;
    const before = wording(previous);
    const after = wording(dashboard);
    return [...after].some(([key, text]) => before.get(key) !== text);
  }

  function applyInPlace(dashboard) {
    if (!sameShape(dashboard)) return false;
    for (const [index, section] of groupNodes().entries()) {
      const group = dashboard.groups[index];
      const byId = new Map(group.items.map((item) => [item.id, item]));
      for (const node of itemNodes(section)) {
        if (!updateItem(node, byId.get(node.dataset.itemId))) return false;
      }
      if (!setStatus(groupStatusNode(section), group.status_code)) return false;
      if (section.dataset.status !== undefined) section.dataset.status = String(group.status_code);
    }
    updateBanner(dashboard);
    return true;
  }

  // Items or groups came or went: take the server's rendering of this very page.
  async function swapFromServer() {
    const answer = await fetch(location.href, {
      headers: { Accept: "text/html" },
      cache: "no-cache",
    });
    if (!answer.ok) throw new Error(`page answered ${answer.status}`);
    const fresh = new DOMParser()
      .parseFromString(await answer.text(), "text/html")
      .getElementById("status");
    if (!fresh) throw new Error("page without #status");
    // Keep the live regions themselves, so assistive technology keeps listening to them,
    // and keep open or closed what the reader opened or closed.
    for (const id of ["live-announcer", "live-state"]) {
      const mine = document.getElementById(id);
      const theirs = fresh.querySelector(`#${id}`);
      if (mine && theirs && root.contains(mine)) theirs.replaceWith(mine);
    }
    const opened = new Map(
      groupNodes()
        .filter((section) => section.querySelector("details"))
        .map((section) => [section.dataset.groupId, section.querySelector("details").open]),
    );
    root.replaceChildren(...fresh.childNodes);
    for (const section of groupNodes()) {
      const details = section.querySelector("details");
      if (details && opened.has(section.dataset.groupId)) {
        details.open = opened.get(section.dataset.groupId);
      }
    }
    renderTimes(root);
  }

  async function apply(dashboard) {
    if (!dashboard || !Array.isArray(dashboard.groups)) return;
    const changes = changesFrom(dashboard);
    if (reworded(dashboard) || !applyInPlace(dashboard)) await swapFromServer();
    previous = dashboard;
    renderTimes(root);
    if (changes.length) announce(changes.slice(0, MAX_ANNOUNCED).join(". "));
  }

  // Dashboards are applied one after the other, so a slow page swap cannot overtake a newer one.
  // One that could not be applied (the page fetch failed) is tried again at the next heartbeat.
  let applying = Promise.resolve();
  let unapplied = null;
  let turns = 0;
  function enqueue(dashboard) {
    const turn = ++turns;
    unapplied = null;
    applying = applying
      .then(() => apply(dashboard))
      .catch(() => {
        if (turn === turns) unapplied = dashboard; // a newer one supersedes it anyway
      });
  }

  // -- liveness ---------------------------------------------------------------------------

  const heartbeatMs = Math.max(Number(root.dataset.heartbeatS) || 15, 0.1) * 1000;
  const marginMs = Math.max(1000, heartbeatMs / 5);
  const streamSilenceMs = 2 * heartbeatMs + marginMs;

  let lastFreshAt = Date.now(); // the server-rendered page was fresh when it arrived
  let paused = false;
  let polling = null;
  let etag = null;

  function staleAfterMs() {
    // While polling, data arrives every POLL_MS at best; judge it by that pace.
    return polling ? 2 * POLL_MS + marginMs : streamSilenceMs;
  }

  function markFresh() {
    lastFreshAt = Date.now();
    if (!paused) return;
    paused = false;
    const state = document.getElementById("live-state");
    if (state) state.hidden = true;
    announce(t("live_resumed"));
  }

  function checkFreshness() {
    if (Date.now() - lastFreshAt <= staleAfterMs()) return;
    const state = document.getElementById("live-state");
    // The time is that of the last news, so rewriting it each check keeps the same truth.
    const text = t("live_paused", { time: clockTime.format(new Date(lastFreshAt)) });
    if (state && state.textContent !== text) state.textContent = text;
    if (state) state.hidden = false;
    paused = true;
  }

  // -- polling (no EventSource, or the stream keeps failing) ------------------------------

  async function pollOnce() {
    const headers = { Accept: "application/json" };
    if (etag) headers["If-None-Match"] = etag;
    try {
      const answer = await fetch(root.dataset.dashboardUrl, { headers, cache: "no-cache" });
      if (answer.status === 304) {
        markFresh();
        if (unapplied) enqueue(unapplied);
      } else if (answer.ok) {
        etag = answer.headers.get("ETag") || etag;
        enqueue(await answer.json());
        markFresh();
      }
    } catch {
      // The server is unreachable: the page stays as it is and says it is paused.
    }
  }

  function startPolling() {
    if (polling || !root.dataset.dashboardUrl) return;
    polling = setInterval(pollOnce, POLL_MS);
    pollOnce();
  }

  function stopPolling() {
    if (!polling) return;
    clearInterval(polling);
    polling = null;
  }

  // -- the stream -------------------------------------------------------------------------

  let source = null;
  let sourceHeardAt = 0;
  let failures = 0;
  let reconnectTimer = null;

  function onDashboard(event) {
    heard(event);
    if (event.lastEventId) etag = event.lastEventId;
    try {
      enqueue(JSON.parse(event.data));
    } catch {
      // A malformed event is ignored; the next one carries the whole dashboard again.
    }
  }

  function heard(event) {
    sourceHeardAt = Date.now();
    failures = 0;
    stopPolling();
    markFresh();
    if (event.type === "heartbeat" && unapplied) enqueue(unapplied);
  }

  function connect() {
    reconnectTimer = null;
    source = new EventSource(root.dataset.streamUrl);
    sourceHeardAt = Date.now();
    source.addEventListener("dashboard", onDashboard);
    source.addEventListener("heartbeat", heard);
    source.addEventListener("error", dropStream);
  }

  // EventSource retries by itself only while the server answers; when it is down, or a proxy
  // holds a dead connection open, we close and reopen with our own backoff.
  function dropStream() {
    if (source) source.close();
    source = null;
    failures += 1;
    if (failures >= FAILURES_BEFORE_POLLING) startPolling();
    if (reconnectTimer) return;
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (failures - 1));
    // Jitter spreads the reconnections of many readers after a restart of the server.
    const delay = ceiling / 2 + (Math.random() * ceiling) / 2;
    reconnectTimer = setTimeout(connect, delay);
  }

  function watch() {
    checkFreshness();
    // An open connection that brings not even a heartbeat is as good as a dropped one.
    if (source && Date.now() - sourceHeardAt > streamSilenceMs) dropStream();
  }

  setInterval(watch, Math.min(1000, heartbeatMs / 2));
  if ("EventSource" in window) {
    connect();
  } else {
    startPolling();
  }
})();
