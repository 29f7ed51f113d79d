// The operator dashboard: overview and charger pages, rendered from the REST API and kept
// current by /api/events. Routes live in the hash: #/, #/health, #/chargers/<name> and
// #/transactions/<id>.

import { ApiError, api, claims, onSignedOut, signIn, signOut } from "./api.js";
import { LiveEvents } from "./live.js";
import * as data from "./data.js";
import * as health from "./healthview.js";
import * as view from "./view.js";

const $ = (selector) => document.querySelector(selector);
const MESSAGE_PAGE_SIZE = 20;
const COMMAND_POLL_MS = 2000;
const COMMAND_POLLS = 45;

const FILTER_DELAY_MS = 250;

const state = {
  route: null,
  messagePage: 1,
  refreshTimer: null,
  filters: { search: "", status: "", maxScore: "" },
  pages: { chargers: 1, health: 1 },
  filterTimer: null,
};

const live = new LiveEvents({
  events: data.EVENT_NAMES,
  onState: (value) => view.showLiveState(value),
  onEvent: (name, payload) => {
    if (data.isCommandEvent(name) && payload && payload.charger_id === state.route) {
      view.showCommandOutcome(data.commandFromEvent(payload));
    }
    scheduleRefresh();
  },
});

function canCommand() {
  const role = (claims() || {}).role;
  return role === "operator" || role === "admin";
}

function notify(error) {
  const text = error ? (error instanceof ApiError ? error.message : String(error)) : "";
  view.showNotice(text);
}

// Bursts of events (a session start touches charger, connector and transaction) cost one read.
function scheduleRefresh() {
  clearTimeout(state.refreshTimer);
  state.refreshTimer = setTimeout(() => render().catch(notify), 150);
}

async function render() {
  if (!claims()) return showLogin();
  const route = location.hash.match(/^#\/chargers\/(.+)$/);
  const session = location.hash.match(/^#\/transactions\/(\d+)$/);
  view.showSignedIn(claims());
  $("#fleet-filter").hidden = Boolean(route || session);
  if (session) {
    state.route = null;
    view.showSection("transaction-view");
    await renderTransaction(session[1]);
  } else if (route) {
    const name = decodeURIComponent(route[1]);
    if (state.route !== name) state.messagePage = 1;
    state.route = name;
    view.showSection("charger-view");
    await renderCharger(name);
  } else if (location.hash === "#/health" || state.filters.maxScore) {
    state.route = null;
    if (location.hash !== "#/health") location.hash = "#/health";
    view.showSection("health-view");
    await renderHealth();
  } else {
    state.route = null;
    view.showSection("overview-view");
    await renderOverview();
  }
  notify(null);
}

async function renderOverview() {
  const [chargers, active, commands] = await Promise.all([
    data.chargers(state.filters, state.pages.chargers),
    data.activeTransactions(),
    data.latestCommands(),
  ]);
  view.renderChargers(chargers.items);
  health.renderPager("chargers", state.pages.chargers, chargers.total, data.PAGE_SIZE);
  view.renderActiveTransactions(active);
  view.renderCommands(commands);
}

async function renderHealth() {
  const ranking = await data.fleetHealth(state.filters, state.pages.health);
  health.renderHealthRanking(ranking.items);
  health.renderPager("health", state.pages.health, ranking.total, data.PAGE_SIZE);
}

async function renderTransaction(id) {
  const [transaction, points] = await Promise.all([data.transaction(id), data.energySeries(id)]);
  health.renderTransaction(transaction, points);
}

async function renderCharger(name) {
  const [charger, transactions, statusLog, messages, scorecard, timeline] = await Promise.all([
    data.charger(name),
    data.chargerTransactions(name),
    data.statusLog(name),
    data.messages(name, state.messagePage, MESSAGE_PAGE_SIZE),
    data.scorecard(name),
    data.timeline(name),
  ]);
  view.renderChargerDetails(charger);
  health.renderScorecard(scorecard);
  health.renderTimeline(timeline);
  view.renderChargerTransactions(transactions);
  // Remote stop is nearly always for the session running now.
  const stopInput = $('form[data-action="RemoteStopTransaction"] [name="transactionId"]');
  const running = transactions.find((t) => t.status === "Active");
  if (running && !stopInput.value) stopInput.value = running.id;
  view.renderStatusLog(statusLog);
  view.renderMessages(messages, state.messagePage, MESSAGE_PAGE_SIZE);
  $("#actions").hidden = !canCommand();
}

function showLogin() {
  live.stop();
  state.route = null;
  view.showSignedOut();
}

async function submitLogin(event) {
  event.preventDefault();
  const form = event.target;
  view.showLoginError("");
  try {
    await signIn(form.username.value, form.password.value);
  } catch (error) {
    view.showLoginError(error instanceof ApiError ? error.message : "cannot reach the server");
    return;
  }
  form.reset();
  live.start();
  await render().catch(notify);
}

async function submitCommand(event) {
  event.preventDefault();
  const form = event.target;
  const action = form.dataset.action;
  const button = form.querySelector("button");
  button.disabled = true;
  try {
    const command = await data.sendCommand(state.route, action, data.commandPayload(form));
    view.showCommandOutcome(command);
    followCommand(command);
  } catch (error) {
    view.showCommandOutcome({ action, status: "Refused", errorDescription: error.message });
  } finally {
    button.disabled = false;
  }
}

// The outcome normally arrives as a live event; asking now and then covers a dropped stream.
async function followCommand(command) {
  for (let attempt = 0; !command.final && attempt < COMMAND_POLLS; attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, COMMAND_POLL_MS));
    command = await data.commandStatus(command.id).catch(() => command);
    view.showCommandOutcome(command);
  }
}

function turnMessagePage(step) {
  state.messagePage = Math.max(1, state.messagePage + step);
  render().catch(notify);
}

function turnFleetPage(list, step) {
  state.pages[list] = Math.max(1, state.pages[list] + step);
  render().catch(notify);
}

// Typing in the search box asks the server once the typing pauses.
function filtersChanged() {
  const form = $("#fleet-filter");
  state.filters = {
    search: form.search.value.trim(),
    status: form.status.value,
    maxScore: form.maxScore.value,
  };
  state.pages = { chargers: 1, health: 1 };
  clearTimeout(state.filterTimer);
  state.filterTimer = setTimeout(() => render().catch(notify), FILTER_DELAY_MS);
}

function start() {
  onSignedOut(showLogin);
  $("#login-form").addEventListener("submit", submitLogin);
  $("#logout").addEventListener("click", () => signOut());
  for (const form of document.querySelectorAll("#actions form")) {
    form.addEventListener("submit", submitCommand);
  }
  $("#messages-newer").addEventListener("click", () => turnMessagePage(-1));
  $("#messages-older").addEventListener("click", () => turnMessagePage(1));
  for (const list of ["chargers", "health"]) {
    $(`#${list}-prev`).addEventListener("click", () => turnFleetPage(list, -1));
    $(`#${list}-next`).addEventListener("click", () => turnFleetPage(list, 1));
  }
  $("#fleet-filter").addEventListener("input", filtersChanged);
  $("#fleet-filter").addEventListener("change", filtersChanged);
  $("#fleet-filter").addEventListener("submit", (event) => event.preventDefault());
  window.addEventListener("hashchange", () => render().catch(notify));
  if (claims()) live.start();
  render().catch(notify);
}

start();
