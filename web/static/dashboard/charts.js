// Small inline-SVG charts: a line chart with a point per reading, a connected/disconnected
// timeline, and a bar chart of counts per time bucket. No library, nothing from a CDN.

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 640;
const HEIGHT = 180;
const PAD = { left: 48, right: 48, top: 12, bottom: 24 };

function svgNode(tag, attributes = {}, text = null) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== null) node.textContent = text;
  return node;
}

function canvas(container, label, height = HEIGHT) {
  const svg = svgNode("svg", {
    viewBox: `0 0 ${WIDTH} ${height}`,
    class: "chart",
    role: "img",
    "aria-label": label,
  });
  container.replaceChildren(svg);
  return svg;
}

const clockTime = (ms) =>
  new Date(ms).toLocaleString([], { weekday: "short", hour: "2-digit", minute: "2-digit", second: "2-digit" });

function scale(domainLow, domainHigh, rangeLow, rangeHigh) {
  const span = domainHigh - domainLow || 1;
  return (value) => rangeLow + ((value - domainLow) / span) * (rangeHigh - rangeLow);
}

function timeAxis(svg, x, since, until, height) {
  for (const [ms, anchor] of [[since, "start"], [until, "end"]]) {
    svg.append(svgNode("text", { x: x(ms), y: height - 6, class: "axis", "text-anchor": anchor }, clockTime(ms)));
  }
}

// series: [{key, label, unit, side: "left"|"right", values: [number|null per point]}];
// times: one epoch-ms per point. Each series is a polyline plus one circle per known value.
export function lineChart(container, times, series, label) {
  const svg = canvas(container, label);
  if (times.length === 0) {
    svg.append(svgNode("text", { x: WIDTH / 2, y: HEIGHT / 2, class: "axis", "text-anchor": "middle" }, "No readings yet"));
    return svg;
  }
  const since = times[0];
  const until = Math.max(times[times.length - 1], since + 1);
  const x = scale(since, until, PAD.left, WIDTH - PAD.right);
  for (const line of series) {
    const known = line.values.filter((value) => value !== null && value !== undefined);
    const top = Math.max(...known, 0) || 1;
    const y = scale(0, top, HEIGHT - PAD.bottom, PAD.top);
    const left = line.side !== "right";
    svg.append(
      svgNode("text", { x: left ? 4 : WIDTH - 4, y: PAD.top + 4, class: `axis ${line.key}`, "text-anchor": left ? "start" : "end" },
        `${top.toFixed(1)} ${line.unit}`),
    );
    const coordinates = [];
    line.values.forEach((value, index) => {
      if (value === null || value === undefined) return;
      coordinates.push(`${x(times[index]).toFixed(1)},${y(value).toFixed(1)}`);
    });
    svg.append(svgNode("polyline", { points: coordinates.join(" "), class: `line ${line.key}`, "data-series": line.key }));
    line.values.forEach((value, index) => {
      if (value === null || value === undefined) return;
      const point = svgNode("circle", {
        cx: x(times[index]).toFixed(1), cy: y(value).toFixed(1), r: 3, class: `point ${line.key}`, "data-series": line.key,
      });
      point.append(svgNode("title", {}, `${new Date(times[index]).toLocaleString()}: ${value} ${line.unit}`));
      svg.append(point);
    });
  }
  timeAxis(svg, x, since, until, HEIGHT);
  return svg;
}

// segments: [{start, end, connected}] with ISO times, covering since..until.
export function timelineChart(container, since, until, segments) {
  const height = 64;
  const svg = canvas(container, "connection timeline", height);
  const x = scale(since, until, PAD.left, WIDTH - PAD.right);
  for (const segment of segments) {
    const from = x(Date.parse(segment.start));
    const to = x(Date.parse(segment.end));
    const bar = svgNode("rect", {
      x: from.toFixed(1), y: 8, width: Math.max(to - from, 1).toFixed(1), height: 28,
      class: segment.connected ? "segment connected" : "segment disconnected",
      "data-connected": segment.connected,
    });
    bar.append(svgNode("title", {}, `${segment.connected ? "connected" : "disconnected"} ${new Date(segment.start).toLocaleString()} – ${new Date(segment.end).toLocaleString()}`));
    svg.append(bar);
  }
  timeAxis(svg, x, since, until, height);
  return svg;
}

// counts: frames per bucket of bucketSeconds, the first starting at `since` (epoch ms).
export function barChart(container, since, bucketSeconds, counts, label) {
  const svg = canvas(container, label);
  const until = since + counts.length * bucketSeconds * 1000;
  const x = scale(since, until, PAD.left, WIDTH - PAD.right);
  const top = Math.max(...counts, 1);
  const y = scale(0, top, HEIGHT - PAD.bottom, PAD.top);
  const width = Math.max((WIDTH - PAD.left - PAD.right) / counts.length - 1, 1);
  counts.forEach((count, index) => {
    const start = since + index * bucketSeconds * 1000;
    const bar = svgNode("rect", {
      x: x(start).toFixed(1), y: y(count).toFixed(1), width: width.toFixed(1),
      height: (HEIGHT - PAD.bottom - y(count)).toFixed(1), class: "bar", "data-count": count,
    });
    bar.append(svgNode("title", {}, `${clockTime(start)}: ${count} frames`));
    svg.append(bar);
  });
  svg.append(svgNode("text", { x: 4, y: PAD.top + 4, class: "axis" }, `${top} / ${Math.round(bucketSeconds / 60)} min`));
  timeAxis(svg, x, since, until, HEIGHT);
  return svg;
}
