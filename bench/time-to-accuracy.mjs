// The pure parts of bench/local-sgd.mjs: reading `shardgrad train --json` output, the time and
// bytes until a held-out accuracy, and the table over seeds (medians and spreads).
import { stats } from './common.mjs';

/** The JSON objects of `shardgrad train --json` output; other lines (a launcher's notices) are skipped. */
export function parseEvents(text) {
  const events = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      events.push(JSON.parse(line));
    } catch {
      // a line cut off (the run was stopped while writing it)
    }
  }
  return events;
}

/**
 * A run's course, one point per epoch event: the time since the run's start (the event's
 * `elapsed`, seconds, as ms), the held-out accuracy, and the bytes rank 0 sent and received and the
 * exchanges so far (the sums of the epochs' `comm`).
 */
export function course(events) {
  let sent = 0;
  let received = 0;
  let exchanges = 0;
  return events
    .filter((e) => e.type === 'epoch')
    .map((e) => {
      sent += e.comm?.sentBytes ?? 0;
      received += e.comm?.receivedBytes ?? 0;
      exchanges += e.comm?.exchanges ?? 0;
      return { epoch: e.epoch, ms: Math.round(e.elapsed * 1000), accuracy: e.accuracy, sentBytes: sent, receivedBytes: received, exchanges };
    });
}

/**
 * The first epoch whose accuracy is at least `target`: when it ended and what had been sent by
 * then (reached). Otherwise the run's end: its last epoch's time and bytes, and the best accuracy
 * it had reached (not reached). `final` is the accuracy of the epoch the run stopped at.
 */
export function timeToTarget(points, target) {
  if (points.length === 0) return { reached: false, epochs: 0, ms: NaN, sentBytes: 0, receivedBytes: 0, exchanges: 0, best: NaN, final: NaN };
  const hit = points.find((p) => p.accuracy >= target);
  const at = hit ?? points[points.length - 1];
  const best = Math.max(...points.map((p) => p.accuracy));
  return { reached: hit !== undefined, epochs: at.epoch, ms: at.ms, sentBytes: at.sentBytes, receivedBytes: at.receivedBytes, exchanges: at.exchanges, best, final: at.accuracy };
}

/** Whether a running training has done what it was started for: the target reached, or its time budget spent. */
export function doneAfter(epochEvent, target, seconds) {
  return epochEvent.accuracy >= target || epochEvent.elapsed >= seconds;
}

/**
 * One row per link × configuration over its seeds: the runs that reached the target, the median
 * time to it (min–max over the seeds), the median bytes rank 0 sent and received until then, and
 * the median accuracy the runs stopped at. Time and bytes are over the runs that reached the
 * target; with none, over all runs (then they are the budget's, and `reached` says 0).
 */
export function summarize(runs) {
  const rows = [];
  const key = (r) => `${r.link}\u0000${r.config}`;
  const groups = new Map();
  for (const r of runs) {
    if (!groups.has(key(r))) groups.set(key(r), []);
    groups.get(key(r)).push(r);
  }
  for (const group of groups.values()) {
    const reached = group.filter((r) => r.result.reached);
    const counted = reached.length > 0 ? reached : group;
    rows.push({
      link: group[0].link,
      config: group[0].config,
      runs: group.length,
      reached: reached.length,
      seconds: stats(counted.map((r) => r.result.ms / 1000)),
      sentMB: stats(counted.map((r) => r.result.sentBytes / 1e6)),
      receivedMB: stats(counted.map((r) => r.result.receivedBytes / 1e6)),
      epochs: stats(counted.map((r) => r.result.epochs)),
      final: stats(group.map((r) => r.result.final)),
      best: stats(group.map((r) => r.result.best)),
    });
  }
  return rows;
}

const spread = (s, digits) => (s.n === 0 ? '—' : s.min === s.max ? s.median.toFixed(digits) : `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`);
const pct = (s) => (s.n === 0 ? '—' : s.min === s.max ? `${(100 * s.median).toFixed(2)}%` : `${(100 * s.median).toFixed(2)}% (${(100 * s.min).toFixed(2)}–${(100 * s.max).toFixed(2)})`);

/** The markdown table of summarize's rows. */
export function formatTable(rows, target) {
  const lines = [
    `| link | configuration | reached ${(100 * target).toFixed(1)}% | seconds to it | epochs | MB sent (rank 0) | MB received | accuracy at the end |`,
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const budget = r.reached === 0 ? ' (budget)' : '';
    lines.push(`| ${r.link} | ${r.config} | ${r.reached}/${r.runs} | ${spread(r.seconds, 1)}${budget} | ${spread(r.epochs, 0)} | ${spread(r.sentMB, 1)} | ${spread(r.receivedMB, 1)} | ${pct(r.final)} |`);
  }
  return lines.join('\n');
}
