// Rendering health: the fleet ranking, a charger's scorecard and charts, a session's chart,
// and the pagers of the fleet lists.

import { barChart, lineChart, timelineChart } from "./charts.js";
import { addRow, badge, chargerLink, element, energy, fillTable, when } from "./view.js";

const $ = (selector) => document.querySelector(selector);

// Deduction reasons in the operator's words.
const REASONS = {
  replaced_connections: "another socket took over its identity",
  malformed_calls: "calls we answered with CALLERROR",
  meter_anomalies: "meter readings backwards or implausible",
  unavailable_seconds: "seconds disconnected",
  flagged_transactions: "sessions flagged at finalisation",
  refused_frames: "frames refused before parsing",
  dropped_connections: "sockets dropped without a close frame",
  skewed_clock_readings: "timestamps off by more than a minute",
  failed_commands: "commands ending in CallError or Timeout",
  unexplained_boots: "reboots without a known cause",
  late_heartbeats: "late heartbeats",
};

function band(score) {
  if (score >= 90) return "good";
  if (score >= 70) return "fair";
  return "poor";
}

function scoreBadge(score) {
  return element("span", { class: `score ${band(score)}`, "data-score": score }, String(score));
}

function deductionText(deduction) {
  if (!deduction) return "—";
  return `−${deduction.points}: ${deduction.count} ${REASONS[deduction.reason] || deduction.reason}`;
}

export function renderHealthRanking(entries) {
  const previous = fillTable("#health-ranking", entries, 4, "No charger matches.");
  const body = $("#health-ranking tbody");
  for (const entry of entries) {
    addRow(
      body,
      previous,
      entry.name,
      [chargerLink(entry.name), badge(entry.status), scoreBadge(entry.score), deductionText(entry.worst)],
      { "data-charger": entry.name, "data-score": entry.score },
    );
  }
}

export function renderPager(prefix, page, total, size) {
  const pages = Math.max(1, Math.ceil(total / size));
  $(`#${prefix}-page`).textContent = `page ${page} of ${pages} (${total})`;
  $(`#${prefix}-prev`).disabled = page <= 1;
  $(`#${prefix}-next`).disabled = page >= pages;
}

function figure(term, value) {
  return [element("dt", {}, term), element("dd", {}, value)];
}

function counts(map) {
  const entries = Object.entries(map || {});
  return entries.length ? entries.map(([key, count]) => `${key} ${count}`).join(", ") : "none";
}

export function renderScorecard(card) {
  const score = $("#health-score");
  score.replaceChildren(scoreBadge(card.score));
  const list = $("#deductions");
  list.replaceChildren(
    ...(card.deductions.length
      ? card.deductions.map((d) => element("li", { "data-reason": d.reason }, deductionText(d)))
      : [element("li", { class: "empty" }, "Nothing wrong in the last 24 h.")]),
  );
  const seconds = (value) => (value === null || value === undefined ? "—" : `${value} s`);
  const heartbeat = card.heartbeat;
  $("#health-figures").replaceChildren(
    ...figure("Available", card.availability_percent === null ? "—" : `${card.availability_percent} %`),
    ...figure("Connections", `${card.connections.opened} opened, ${card.connections.replaced} replaced, ${card.connections.dropped} dropped`),
    ...figure("Boots", `${card.boots.count} (${counts(card.boots.reasons)})`),
    ...figure("Protocol errors", `${counts(card.protocol_errors.by_code)}; ${card.protocol_errors.refused_frames} frames refused`),
    ...figure("Commands", counts(card.command_outcomes)),
    ...figure("Heartbeat", `every ${seconds(heartbeat.expected_interval_seconds)}, p95 gap ${seconds(heartbeat.observed_p95_gap_seconds)}, ${heartbeat.late_count} late`),
    ...figure("Clock skew", `median ${seconds(card.clock_skew_seconds.median)}, worst ${seconds(card.clock_skew_seconds.worst)}`),
    ...figure("Meter", `${card.meter_anomalies.backwards_readings} backwards, ${card.meter_anomalies.implausible_readings} implausible, ${card.meter_anomalies.flagged_transactions} sessions flagged`),
  );
}

export function renderTimeline(timeline) {
  const since = Date.parse(timeline.since);
  const until = Date.parse(timeline.until);
  timelineChart($("#connection-timeline"), since, until, timeline.segments);
  const rate = timeline.message_rate;
  barChart($("#message-rate"), since, rate.bucket_seconds, rate.counts, "frames per bucket");
}

export function renderTransaction(transaction, points) {
  $("#transaction-title").textContent = `Session ${transaction.id}`;
  $("#transaction-details").replaceChildren(
    ...figure("Charger", chargerLink(transaction.charger)),
    ...figure("Connector", `#${transaction.connector}`),
    ...figure("Id tag", transaction.idTag),
    ...figure("Started", when(transaction.start)),
    ...figure("Ended", when(transaction.end)),
    ...figure("Energy", energy(transaction.energyKwh)),
    ...figure("Status", badge(transaction.status)),
  );
  lineChart(
    $("#energy-chart"),
    points.map((point) => point.time),
    [
      { key: "energy", label: "Energy", unit: "kWh", side: "left", values: points.map((p) => p.kwh) },
      { key: "power", label: "Power", unit: "kW", side: "right", values: points.map((p) => p.kw) },
    ],
    "energy and power over time",
  );
}
