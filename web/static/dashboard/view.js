// Rendering: plain DOM built with textContent, so nothing a charger sends becomes markup.

const $ = (selector) => document.querySelector(selector);
const MESSAGE_TYPES = { 2: "CALL", 3: "CALLRESULT", 4: "CALLERROR" };
const OUTCOMES_SHOWN = 8;

export function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null) continue;
    if (key === "class") node.className = value;
    else if (key.startsWith("data-")) node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

export function badge(word) {
  return element("span", { class: `badge ${word || ""}` }, word || "—");
}

export function when(iso) {
  if (!iso) return "—";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

export function energy(kwh) {
  return kwh === null || kwh === undefined ? "—" : `${Number(kwh).toFixed(3)} kWh`;
}

export function fillTable(selector, rows, columns, emptyText) {
  const body = $(`${selector} tbody`);
  const previous = new Map([...body.rows].map((row) => [row.dataset.key, row.dataset.sig]));
  body.replaceChildren();
  if (rows.length === 0) {
    const cell = element("td", { class: "empty", colSpan: columns }, emptyText);
    body.append(element("tr", {}, cell));
  }
  return previous;
}

// A row whose content changed since the last render flashes once, so live changes catch the eye.
export function addRow(body, previous, key, cells, attributes = {}) {
  const row = element("tr", { "data-key": key, ...attributes }, ...cells.map(cell));
  row.dataset.sig = row.textContent;
  if (previous.size > 0 && previous.get(key) !== row.dataset.sig) row.classList.add("flash");
  body.append(row);
  return row;
}

function cell(content) {
  return content instanceof Node && content.nodeName === "TD" ? content : element("td", {}, content);
}

function connectorBadges(connectors) {
  const span = element("span");
  for (const connector of connectors) {
    span.append(
      element(
        "span",
        { class: "connector", "data-connector": connector.id, "data-state": connector.state },
        `#${connector.id} `,
        badge(connector.state),
        " ",
        element("small", {}, connector.ocppStatus || ""),
      ),
    );
  }
  return span;
}

export function chargerLink(name) {
  return element("a", { href: `#/chargers/${encodeURIComponent(name)}` }, name);
}

export function transactionLink(id) {
  return element("a", { href: `#/transactions/${encodeURIComponent(id)}` }, String(id));
}

export function renderChargers(chargers) {
  const previous = fillTable("#chargers", chargers, 6, "No chargers yet.");
  const body = $("#chargers tbody");
  for (const charger of chargers) {
    addRow(
      body,
      previous,
      charger.name,
      [
        chargerLink(charger.name),
        element("td", { class: "status" }, badge(charger.status)),
        badge(charger.registration),
        when(charger.lastHeartbeat),
        charger.firmware || "—",
        connectorBadges(charger.connectors),
      ],
      { "data-charger": charger.name, "data-status": charger.status },
    );
  }
}

export function renderActiveTransactions(transactions) {
  const previous = fillTable("#active-transactions", transactions, 6, "No session is running.");
  const body = $("#active-transactions tbody");
  for (const t of transactions) {
    addRow(
      body,
      previous,
      String(t.id),
      [transactionLink(t.id), chargerLink(t.charger), `#${t.connector}`, t.idTag, when(t.start), energy(t.energyKwh)],
      { "data-transaction": t.id },
    );
  }
}

function outcomeCells(command) {
  return [
    when(command.completed || command.created),
    chargerLink(command.charger),
    command.action,
    element("td", { class: "outcome" }, badge(command.status), " ", command.errorCode || ""),
    command.requestedBy || "—",
  ];
}

export function renderCommands(commands) {
  const previous = fillTable("#commands", commands, 5, "No command sent yet.");
  const body = $("#commands tbody");
  for (const command of commands) {
    addRow(body, previous, command.id, outcomeCells(command), { "data-command": command.id });
  }
}

export function renderChargerDetails(charger) {
  $("#charger-title").replaceChildren(charger.name, " ", badge(charger.status));
  $("#charger-view").dataset.status = charger.status;
  const details = $("#charger-details");
  details.replaceChildren();
  const fields = [
    ["Registration", badge(charger.registration)],
    ["Last heartbeat", when(charger.lastHeartbeat)],
    ["Last message", when(charger.lastCommunication)],
    ["Last boot", when(charger.lastBoot)],
    ["Vendor / model", [charger.vendor, charger.model].filter(Boolean).join(" / ") || "—"],
    ["Serial numbers", [charger.serial, charger.boxSerial].filter(Boolean).join(" / ") || "—"],
    ["Firmware", charger.firmware || "—"],
    ["Location", charger.location || "—"],
  ];
  for (const [label, value] of fields) details.append(element("dt", {}, label), element("dd", {}, value));
  const previous = fillTable("#charger-connectors", charger.connectors, 5, "No connector reported yet.");
  const body = $("#charger-connectors tbody");
  for (const c of charger.connectors) {
    addRow(
      body,
      previous,
      String(c.id),
      [`#${c.id}`, badge(c.state), c.ocppStatus || "—", c.errorCode || "—", when(c.updated)],
      { "data-connector": c.id, "data-state": c.state },
    );
  }
}

export function renderChargerTransactions(transactions) {
  const previous = fillTable("#charger-transactions", transactions, 7, "No sessions yet.");
  const body = $("#charger-transactions tbody");
  for (const t of transactions) {
    addRow(
      body,
      previous,
      String(t.id),
      [transactionLink(t.id), `#${t.connector}`, t.idTag, when(t.start), when(t.end), energy(t.energyKwh), badge(t.status)],
      { "data-transaction": t.id, "data-status": t.status },
    );
  }
}

export function renderStatusLog(entries) {
  const previous = fillTable("#status-log", entries, 4, "Nothing logged yet.");
  const body = $("#status-log tbody");
  for (const entry of entries) {
    const connector = entry.connector === null || entry.connector === undefined ? "—" : `#${entry.connector}`;
    addRow(body, previous, String(entry.id), [when(entry.time), connector, entry.status, entry.message || ""]);
  }
}

export function renderMessages(page, number, size) {
  const list = $("#message-log");
  list.replaceChildren();
  const pages = Math.max(1, Math.ceil(page.total / size));
  $("#messages-page").textContent = `page ${number} of ${pages} (${page.total} frames, newest first)`;
  $("#messages-newer").disabled = number <= 1;
  $("#messages-older").disabled = number >= pages;
  for (const message of page.items) {
    const meta = element(
      "div",
      { class: "meta" },
      element("span", {}, when(message.time)),
      element("strong", {}, message.direction === "in" ? "charger → us" : "us → charger"),
      element("span", {}, MESSAGE_TYPES[message.messageType] || message.messageType),
      element("span", {}, message.action || ""),
      element("code", {}, message.uniqueId || ""),
    );
    const frame = element("pre", {}, JSON.stringify(message.payload, null, 2));
    list.append(element("li", { "data-action": message.action || "" }, meta, frame));
  }
}

export function showCommandOutcome(command) {
  if (!command || !command.action) return;
  const list = $("#command-outcomes");
  const key = command.id || `${command.action}-${Date.now()}`;
  const existing = [...list.children].find((item) => item.dataset.command === key);
  // A slow poll must not turn a known outcome back into "Sent".
  if (existing && existing.dataset.final === "true" && !command.final) return;
  const detail = command.errorCode || command.errorDescription || "";
  const item = element(
    "li",
    {
      "data-command": key,
      "data-action": command.action,
      "data-status": command.status,
      "data-final": String(Boolean(command.final)),
    },
    element("strong", {}, command.action),
    " ",
    badge(command.status),
    " ",
    element("small", {}, detail),
  );
  if (existing) existing.replaceWith(item);
  else list.prepend(item);
  while (list.children.length > OUTCOMES_SHOWN) list.lastElementChild.remove();
}

export function showSection(id) {
  for (const section of document.querySelectorAll("main > section")) section.hidden = section.id !== id;
}

export function showSignedIn(claims) {
  const who = $("#who");
  who.textContent = `${claims.username || "user"} (${claims.role || "?"})`;
  who.hidden = false;
  $("#logout").hidden = false;
}

export function showSignedOut() {
  $("#who").hidden = true;
  $("#logout").hidden = true;
  $("#command-outcomes").replaceChildren();
  showSection("login-view");
}

export function showLoginError(text) {
  const error = $("#login-error");
  error.textContent = text;
  error.hidden = !text;
}

export function showNotice(text) {
  const notice = $("#notice");
  notice.textContent = text;
  notice.hidden = !text;
}

export function showLiveState(value) {
  const live = $("#live");
  live.dataset.state = value;
  live.textContent = { open: "live", reconnecting: "reconnecting…", off: "offline" }[value] || value;
}
