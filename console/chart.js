// chart: a small SVG chart of an endpoint's delivery statistics
// (GET /webhooks/endpoints/{id}/stats): success rate and average latency
// per time bucket, drawn with our own code. A bucket without attempts is a
// gap, not a zero. Each point carries a <title> with its numbers.
import {fmtMs, fmtPct, fmtTime, h, svg} from "./dom.js";

const W = 720, H = 150, PAD = {l: 56, r: 12, t: 12, b: 24};

function axisLabel(x, y, text, anchor) {
  return svg("text", {x, y, class: "axis", "text-anchor": anchor || "end"}, text);
}

// One panel: value(b) per bucket (null: none), scaled to 0..max; with
// volume, faint bars of each bucket's attempts behind it.
function panel(buckets, {title, value, max, format, cls, volume}) {
  const iw = W - PAD.l - PAD.r, ih = H - PAD.t - PAD.b;
  const step = iw / Math.max(buckets.length, 1);
  const xOf = (i) => PAD.l + step * (i + 0.5);
  const yOf = (v) => PAD.t + ih - (max > 0 ? (v / max) * ih : 0);
  const parts = [
    svg("rect", {x: PAD.l, y: PAD.t, width: iw, height: ih, class: "plot"}),
    svg("line", {x1: PAD.l, x2: PAD.l + iw, y1: yOf(max / 2), y2: yOf(max / 2), class: "grid"}),
    axisLabel(PAD.l - 6, yOf(max) + 4, format(max)),
    axisLabel(PAD.l - 6, yOf(max / 2) + 4, format(max / 2)),
    axisLabel(PAD.l - 6, yOf(0) + 4, format(0)),
  ];
  const most = Math.max(0, ...buckets.map((b) => b.attempts));
  if (volume && most > 0) {
    buckets.forEach((b, i) => {
      if (!b.attempts) return;
      const bh = (b.attempts / most) * ih;
      parts.push(svg("rect", {x: (xOf(i) - step * 0.4).toFixed(1), y: (PAD.t + ih - bh).toFixed(1),
        width: (step * 0.8).toFixed(1), height: bh.toFixed(1), class: "volume"}));
    });
    parts.push(axisLabel(PAD.l + iw - 4, PAD.t + 12, "bars: attempts (max " + most + ")"));
  }
  if (buckets.length) {
    parts.push(axisLabel(PAD.l, H - 6, fmtTime(buckets[0].start), "start"));
    parts.push(axisLabel(PAD.l + iw, H - 6, fmtTime(buckets[buckets.length - 1].start), "end"));
  }
  // the line, broken where a bucket has no attempts
  let d = "";
  let drawing = false;
  buckets.forEach((b, i) => {
    const v = value(b);
    if (v === null || v === undefined) {
      drawing = false;
      return;
    }
    d += (drawing ? "L" : "M") + xOf(i).toFixed(1) + " " + yOf(Math.min(v, max)).toFixed(1) + " ";
    drawing = true;
  });
  if (d) parts.push(svg("path", {d, class: "series " + cls}));
  buckets.forEach((b, i) => {
    const v = value(b);
    if (v === null || v === undefined) return;
    parts.push(svg("circle", {cx: xOf(i).toFixed(1), cy: yOf(Math.min(v, max)).toFixed(1), r: 2.5, class: "dot " + cls},
      svg("title", null, fmtTime(b.start) + ": " + format(v) + " (" + b.attempts + " attempts: " + b.delivered +
        " delivered, " + b.failed + " failed, " + b.dead + " dead)")));
  });
  return h("figure", {class: "chart"},
    h("figcaption", null, title),
    svg("svg", {viewBox: "0 0 " + W + " " + H, width: W, height: H, role: "img", "aria-label": title}, parts));
}

export function deliveryChart(stats) {
  const b = stats.buckets || [];
  const worst = Math.max(0, ...b.map((x) => x.latency_ms_avg || 0));
  const max = worst <= 0 ? 100 : Math.pow(10, Math.ceil(Math.log10(worst)));
  return h("div", {class: "charts", id: "delivery-chart"},
    panel(b, {title: "Success rate", value: (x) => x.success_rate, max: 1, format: fmtPct, cls: "rate", volume: true}),
    panel(b, {title: "Average latency", value: (x) => x.latency_ms_avg, max, format: fmtMs, cls: "latency"}));
}
