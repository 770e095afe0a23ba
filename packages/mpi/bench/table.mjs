// Prints the results of bench/exchange.mjs as Markdown tables (one per file): median ms (p10–p90)
// and bandwidth (message bytes / median) of each operation and message.
//
//   node packages/mpi/bench/table.mjs packages/mpi/bench/results/*.json
import { readFileSync } from 'node:fs';
import path from 'node:path';

const cell = (s) => `${s.medianMs} (${s.p10Ms}–${s.p90Ms}) · ${s.bandwidthGBps} GB/s`;
for (const file of process.argv.slice(2)) {
  const r = JSON.parse(readFileSync(file, 'utf8'));
  console.log(`**${path.basename(file)}**: ${r.label}; ${r.reps} reps, load average ${r.loadavg?.before?.[0]} → ${r.loadavg?.after?.[0]}`);
  console.log('');
  console.log('| message | allreduce (sum) | allgatherv | alltoallv + sum + allgatherv | of which MPI |');
  console.log('|---|---|---|---|---|');
  for (const x of r.results) console.log(`| ${x.message} | ${cell(x.allreduce)} | ${cell(x.allgatherv)} | ${cell(x.alltoallvAllgather)} | ${cell(x.alltoallvAllgather.mpiOnly)} |`);
  const l = r.latency;
  console.log('');
  console.log(`latency (median ms): barrierSync ${l.barrierSync.medianMs}, 8-byte allreduceSync ${l.allreduce8BytesSync.medianMs}, 8-byte allreduce (promise) ${l.allreduce8BytesPromise.medianMs}`);
  console.log('');
}
