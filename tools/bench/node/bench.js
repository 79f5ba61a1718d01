// Uploads profile images through Clerk's official Node SDK
// (@clerk/backend): the Node comparison of upload_load_bench, which runs it
// as a child process. A closed loop: --concurrency workers, each calling
// users.updateUserProfileImage back to back, first for --warmup_ms, then
// for the measured --duration_ms (announced by creating --started_file).
// Writes the measured run's records in
// upload_load_bench's text form (see tools/bench/load_plan.h), with the CPU
// this process used during it (process.cpuUsage), to --out.
//
//   CLERK_SECRET_KEY=sk_test_... node tools/bench/node/bench.js \
//     --api_url=http://127.0.0.1:8787 --image=/tmp/a.png \
//     --users=user_2NNEqL2nrIRdJ194ndJqAHwEfxC --concurrency=64 \
//     --duration_ms=10000 --warmup_ms=2000 --out=/tmp/node.records

import { readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createClerkClient } from '@clerk/backend';

function parseArgs(argv) {
  const args = {};
  for (const arg of argv) {
    const match = /^--([a-z_]+)=(.*)$/.exec(arg);
    if (!match) throw new Error(`unexpected argument ${arg}`);
    args[match[1]] = match[2];
  }
  for (const required of ['api_url', 'image', 'users', 'out']) {
    if (!args[required]) throw new Error(`--${required} is required`);
  }
  return {
    apiUrl: args.api_url,
    image: readFileSync(args.image),
    users: args.users.split(','),
    concurrency: Number(args.concurrency ?? 1),
    durationMs: Number(args.duration_ms ?? 10000),
    warmupMs: Number(args.warmup_ms ?? 2000),
    out: args.out,
    startedFile: args.started_file,
  };
}

// Runs a closed loop for `durationMs`; returns the calls (times in ms from
// the start of the run) and the failures by message.
async function closedLoop(clerk, config, durationMs) {
  const start = performance.now();
  const end = start + durationMs;
  const calls = [];
  const errors = new Map();
  let index = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  async function worker() {
    while (performance.now() < end) {
      const i = index++;
      const user = config.users[i % config.users.length];
      const file = new File([config.image], `bench-${i}.png`, {
        type: 'image/png',
      });
      const scheduled = performance.now() - start;
      let ok = false;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        await clerk.users.updateUserProfileImage(user, { file });
        ok = true;
      } catch (error) {
        const text = String(error?.message ?? error)
          .replace(/\s+/g, ' ')
          .slice(0, 160);
        errors.set(text, (errors.get(text) ?? 0) + 1);
      }
      inFlight--;
      calls.push([scheduled, performance.now() - start, ok]);
    }
  }
  await Promise.all(Array.from({ length: config.concurrency }, worker));
  return { calls, errors, maxInFlight };
}

async function main() {
  const config = parseArgs(process.argv.slice(2));
  const clerk = createClerkClient({
    secretKey: process.env.CLERK_SECRET_KEY,
    apiUrl: config.apiUrl,
  });
  if (config.warmupMs > 0) await closedLoop(clerk, config, config.warmupMs);
  if (config.startedFile) writeFileSync(config.startedFile, '');
  const cpuBefore = process.cpuUsage();
  const run = await closedLoop(clerk, config, config.durationMs);
  const cpu = process.cpuUsage(cpuBefore);
  const lines = [
    `cpu_s ${((cpu.user + cpu.system) / 1e6).toFixed(6)}`,
    `max_in_flight ${run.maxInFlight}`,
  ];
  for (const [text, count] of run.errors) lines.push(`error ${count} ${text}`);
  for (const [scheduled, finished, ok] of run.calls) {
    lines.push(
      `call ${Math.round(scheduled * 1000)} ${Math.round(finished * 1000)} ${ok ? 1 : 0}`,
    );
  }
  writeFileSync(config.out, lines.join('\n') + '\n');
}

main().catch((error) => {
  console.error(`bench.js: ${error?.stack ?? error}`);
  process.exit(1);
});
