// What the page shows, read from the REST API and put in the page's own words.

import { api } from "./api.js";

export const EVENT_NAMES = ["command", "charger", "connector", "transaction"];
const LATEST_COMMANDS = 10;
const STATUS_LOG_ROWS = 25;
const OPEN_COMMAND_STATUSES = ["Pending", "Queued", "Sent"];

const path = (name) => encodeURIComponent(name);

function pagination(headers) {
  try {
    return JSON.parse(headers.get("X-Pagination") || "{}");
  } catch {
    return {};
  }
}

function connectorFrom(raw) {
  return {
    id: raw.connector_id,
    state: raw.status,
    ocppStatus: raw.ocpp_status,
    errorCode: raw.error_code,
    updated: raw.last_communication,
  };
}

function chargerFrom(raw) {
  return {
    name: raw.name,
    status: raw.status,
    registration: raw.registration_status,
    lastHeartbeat: raw.last_heartbeat,
    lastCommunication: raw.last_communication,
    lastBoot: raw.last_boot_at,
    firmware: raw.firmware_version,
    vendor: raw.vendor,
    model: raw.model,
    serial: raw.serial_number,
    boxSerial: raw.box_serial_number,
    location: raw.location,
    connectors: (raw.connectors || []).map(connectorFrom),
  };
}

function transactionFrom(raw) {
  return {
    id: raw.id,
    charger: raw.charger,
    connector: raw.connector,
    idTag: raw.id_tag,
    start: raw.start_time,
    end: raw.end_time,
    meterStart: raw.meter_start,
    // Active sessions: energy so far, as the API computes it from the latest reading.
    energyKwh: raw.energy_so_far_kWh ?? raw.energy_consumed_kWh,
    status: raw.status,
  };
}

function commandFrom(raw) {
  return {
    id: raw.id || raw.command_id,
    charger: raw.charger || raw.charger_id,
    action: raw.action,
    status: raw.status,
    errorCode: raw.error_code,
    errorDescription: raw.error_description,
    requestedBy: raw.requested_by,
    created: raw.created_at || raw.time,
    completed: raw.completed_at,
    final: !OPEN_COMMAND_STATUSES.includes(raw.status),
  };
}

export function isCommandEvent(name) {
  return name === "command";
}

export const commandFromEvent = commandFrom;

export const PAGE_SIZE = 50;

// The fleet filters as query parameters: name search, status and (for the ranking) a score bound.
function fleetQuery(filters, page) {
  const query = new URLSearchParams({ page: String(page), page_size: String(PAGE_SIZE) });
  if (filters.search) query.set("search", filters.search);
  if (filters.status) query.set("status", filters.status);
  if (filters.maxScore !== "" && filters.maxScore !== undefined) query.set("max_score", filters.maxScore);
  return query;
}

export async function chargers(filters, page) {
  const query = fleetQuery({ ...filters, maxScore: "" }, page);
  const { data, headers } = await api(`/api/chargers/?${query}`);
  return { items: data.map(chargerFrom), total: pagination(headers).total || 0 };
}

export async function fleetHealth(filters, page) {
  const { data, headers } = await api(`/api/chargers/health/?${fleetQuery(filters, page)}`);
  const items = data.map((raw) => ({
    name: raw.charger,
    status: raw.status,
    score: raw.score,
    worst: raw.top_deduction,
  }));
  return { items, total: pagination(headers).total || 0 };
}

export async function scorecard(name) {
  const { data } = await api(`/api/chargers/${path(name)}/health/`);
  return data;
}

export async function timeline(name) {
  const { data } = await api(`/api/chargers/${path(name)}/health/timeline/`);
  return data;
}

export async function transaction(id) {
  const { data } = await api(`/api/transactions/${path(id)}/`);
  return transactionFrom(data);
}

export async function energySeries(id) {
  const { data } = await api(`/api/transactions/${path(id)}/energy/`);
  return data.map((raw) => ({ time: Date.parse(raw.timestamp), kwh: raw.energy_kWh, kw: raw.power_kW }));
}

export async function charger(name) {
  const { data } = await api(`/api/chargers/${path(name)}/`);
  return chargerFrom(data);
}

export async function activeTransactions() {
  const { data } = await api("/api/transactions/?status=Active&page_size=100");
  return data.map(transactionFrom);
}

export async function chargerTransactions(name) {
  const { data } = await api(`/api/transactions/?charger=${path(name)}&page_size=20`);
  return data.map(transactionFrom);
}

export async function latestCommands() {
  const { data } = await api(`/api/commands/?page_size=${LATEST_COMMANDS}`);
  return data.map(commandFrom);
}

export async function statusLog(name) {
  const { data } = await api(`/api/status-logs/?charger=${path(name)}&page_size=${STATUS_LOG_ROWS}`);
  return data.map((raw) => ({
    id: raw.id,
    time: raw.timestamp,
    connector: raw.connector_id,
    status: raw.status,
    message: raw.message,
  }));
}

export async function messages(name, page, size) {
  const { data, headers } = await api(
    `/api/chargers/${path(name)}/messages/?page=${page}&page_size=${size}`,
  );
  const items = data.map((raw) => ({
    time: raw.created_at,
    direction: raw.direction,
    messageType: raw.message_type,
    uniqueId: raw.unique_id,
    action: raw.action,
    payload: raw.payload,
  }));
  return { items, total: pagination(headers).total || items.length };
}

// A command form's fields as the OCPP payload: numbers as numbers, empty optionals left out.
export function commandPayload(form) {
  const payload = {};
  for (const field of form.elements) {
    if (!field.name || field.value === "") continue;
    payload[field.name] = field.type === "number" ? Number(field.value) : field.value;
  }
  return payload;
}

// Sent asynchronously: the page shows the command at once and its outcome when it arrives.
export async function sendCommand(name, action, payload) {
  const { data } = await api(`/api/chargers/${path(name)}/commands/${action}`, {
    method: "POST",
    body: payload,
    headers: { Prefer: "respond-async" },
  });
  return commandFrom(data);
}

export async function commandStatus(id) {
  const { data } = await api(`/api/commands/${path(id)}`);
  return commandFrom(data);
}
