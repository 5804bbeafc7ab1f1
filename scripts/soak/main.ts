import { rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { openRepository } from '../../cloud-sink/src/store/open';
import { dropCloudSchema } from '../stack/cloud-store';
import { windowStartOf } from '@pcf-edge/core';
import { openStore } from '@pcf-edge/store';
import { runChaos, type ChaosResult } from './chaos';
import { collectInput } from './collect';
import { generatePlan, renderPlan } from './plan';
import { reconcile } from './reconcile';
import { describeDiscontinuity, injectedByKind, renderReport, type SoakReport } from './report';
import { startSampler } from './sampler';
import { ROOT, startSoakStack, type SoakStack } from './stack';

const HELP = `Usage: npm run soak -- --minutes <n> [--seed <s>] [options]

Runs the whole local stack (meter simulators, Modbus and OPC UA collectors, line aggregator, stream exporter,
local Stream Manager, local Kinesis, cloud-sink consumer) with time accelerated, under a chaos driver whose plan
follows from the seed: SIGKILL and restart of every component, Stream Manager and Kinesis outages, meter faults
(no reply, Modbus exceptions, garbage, disconnects, server restarts, counter resets, replacements, rollovers), a
full gateway store and clock jumps of the aggregator and exporter. Chaos stops before the end; the stack drains;
then the cloud is reconciled with the simulator's ground truth and the gateway store. The report is printed and
written to <data>/soak-report.json and <data>/soak-report.md. Exit 1 when a bound fails (the reasons are listed),
2 on a bad command line.

Options:
  --minutes <n>            real minutes of the run once the stack is up (chaos + drain), default 3
  --seed <s>               chaos seed (integer); default: random, printed (rerun with it to replay the plan)
  --time-factor <n>        simulated seconds per real second (default 60)
  --max-faults <n>         most faults in the plan (default 6 per real minute of chaos, at least 12: every kind and every component kill)
  --stamp-allowance-ms <n> real ms a Modbus reading's time stamp may trail the meter's instant (default 250)
  --drain-timeout-sec <n>  longest wait for the outbox and the cloud to catch up at the end (default 120)
  --data <dir>             data folder, emptied first (default .pcf-edge/soak)
  --help                   this text`;

interface Options {
  minutes: number;
  seed: number;
  factor: number;
  maxFaults: number | null;
  stampAllowanceMs: number;
  drainTimeoutSec: number;
  dataDir: string;
}

function usage(message: string): never {
  process.stderr.write(`error: ${message}\n\n${HELP}\n`);
  process.exit(2);
}

function positive(name: string, text: string | undefined, fallback: number, integer = false): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!(n > 0) || !Number.isFinite(n) || (integer && !Number.isInteger(n)))
    usage(`--${name} must be a positive ${integer ? 'integer' : 'number'}, got ${JSON.stringify(text)}`);
  return n;
}

function options(): Options {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        minutes: { type: 'string' },
        seed: { type: 'string' },
        'time-factor': { type: 'string' },
        'max-faults': { type: 'string' },
        'stamp-allowance-ms': { type: 'string' },
        'drain-timeout-sec': { type: 'string' },
        data: { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (err) {
    usage((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    process.exit(0);
  }
  const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32)
    usage(`--seed must be an integer 0..2^32-1, got ${JSON.stringify(values.seed)}`);
  const maxFaults = values['max-faults'] === undefined ? null : Number(values['max-faults']);
  if (maxFaults !== null && !(Number.isInteger(maxFaults) && maxFaults >= 0))
    usage(`--max-faults must be a non-negative integer, got ${values['max-faults']}`);
  const factor = positive('time-factor', values['time-factor'], 60);
  if (factor > 600) usage('--time-factor must be at most 600');
  return {
    minutes: positive('minutes', values.minutes, 3),
    seed,
    factor,
    maxFaults,
    stampAllowanceMs: positive('stamp-allowance-ms', values['stamp-allowance-ms'], 250),
    drainTimeoutSec: positive('drain-timeout-sec', values['drain-timeout-sec'], 120),
    dataDir: resolve(values.data ?? join(ROOT, '.pcf-edge/soak')),
  };
}

const say = (line: string): void => void process.stdout.write(`${line}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const MIN = 60_000;

async function main(): Promise<number> {
  const o = options();
  const loadStart = loadavg();
  const startedAt = new Date();
  rmSync(o.dataDir, { recursive: true, force: true });
  say(
    `soak: seed ${o.seed}, ${o.minutes} min ×${o.factor}, data ${o.dataDir}; load average ${loadStart.map((x) => x.toFixed(2)).join(' ')}`,
  );
  say('starting the stack…');
  // On PostgreSQL (PCF_EDGE_DATABASE_URL) the run has a schema of its own, dropped when it passes, unless
  // PCF_EDGE_DATABASE_SCHEMA names one.
  const ownSchema = process.env.PCF_EDGE_DATABASE_SCHEMA ? undefined : `soak_${o.seed}_${Date.now()}`;
  const stack = await startSoakStack({
    dataDir: o.dataDir,
    scenarioFile: join(ROOT, 'simulators/scenarios/demo-factory.yaml'),
    factor: o.factor,
    log: say,
    ...(ownSchema ? { cloudSchema: ownSchema } : {}),
  });
  say(`cloud store: ${stack.cloud.description}`);
  const onSignal = (): void => void stack.stopAll().then(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let code: number;
  try {
    code = await soak(o, stack, loadStart, startedAt);
  } finally {
    await stack.stopAll();
  }
  if (code === 0 && ownSchema) await dropCloudSchema(stack.cloud);
  else if (ownSchema) say(`the cloud store is kept for inspection: ${stack.cloud.description}`);
  return code;
}

async function soak(o: Options, stack: SoakStack, loadStart: number[], startedAt: Date): Promise<number> {
  const runStart = Date.now();
  const simReady = stack.timeline.clock.now();
  const durationMs = o.minutes * MIN;
  const chaosStartMs = Math.max(15_000, durationMs * 0.1);
  const chaosEndMs = durationMs - Math.max(30_000, durationMs * 0.25);
  const meters = {
    modbusDevices: stack.scenario.modbus.devices.map((d) => d.id),
    modbusMeters: stack.scenario.modbus.devices.flatMap((d) => d.meters.map((m) => m.id)),
    opcuaMeters: (stack.scenario.opcua?.meters ?? []).filter((m) => m.type !== 'machineState').map((m) => m.id),
  };
  const maxFaults = o.maxFaults ?? Math.max(12, Math.round(((chaosEndMs - chaosStartMs) / MIN) * 6));
  const plan =
    chaosEndMs > chaosStartMs && maxFaults > 0
      ? generatePlan({ seed: o.seed, chaosStartMs, chaosEndMs, maxFaults, meters, factor: o.factor })
      : [];
  say(
    `stack up after ${((runStart - startedAt.getTime()) / 1000).toFixed(0)} s; simulated ${new Date(simReady).toISOString()}`,
  );
  say(renderPlan(plan, o.seed));

  const repo = await openRepository(stack.cloud.location);
  const sampler = startSampler(stack, repo, 2000);
  const chaos: ChaosResult = await runChaos(stack, plan, runStart, o.factor, say);
  const rest = durationMs - (Date.now() - runStart);
  if (rest > 0) {
    say(`chaos over; fault-free for ${(rest / 1000).toFixed(0)} s`);
    await sleep(rest);
  }

  // Drain: the collectors stop (no new readings); the aggregator, exporter, Stream Manager and consumer catch up.
  say('draining: collectors stopped, waiting for the aggregator, the outbox and the cloud…');
  // The reconciled span ends a window before this instant: every meter was still being read until then.
  const simStop = stack.timeline.clock.now();
  await Promise.all([stack.kill('modbus-collector', 'SIGTERM'), stack.kill('opcua-collector', 'SIGTERM')]);
  const drainStart = Date.now();
  const store = openStore(stack.storeFile, { readonly: true });
  let drain: SoakReport['drain'] = { seconds: 0, complete: false, outboxDepth: null, unaggregatedReadings: null };
  for (;;) {
    const progress = JSON.parse(store.getState('lineAggregator', 'progress') ?? '{"cursor":0}') as { cursor: number };
    const unaggregated = store.latestReadingSeq() - progress.cursor;
    const depth = store.outboxStats(stack.timeline.clock.now()).depth;
    const gateway = store.listRollups({});
    const atCloud = new Map((await repo.getRollups(gateway.map((g) => g.rollup.id))).map((r) => [r.id, r.revision]));
    const behind = gateway.filter((g) => atCloud.get(g.rollup.id) !== g.rollup.revision).length;
    drain = {
      seconds: (Date.now() - drainStart) / 1000,
      complete: unaggregated === 0 && depth === 0 && behind === 0,
      outboxDepth: depth,
      unaggregatedReadings: unaggregated,
    };
    if (drain.complete || drain.seconds > o.drainTimeoutSec) break;
    await sleep(2000);
  }
  say(`drain ${drain.complete ? 'complete' : 'INCOMPLETE'} after ${drain.seconds.toFixed(1)} s`);
  const samples = await sampler.stop();

  const fromMs = windowStartOf(simReady, MIN) + 2 * MIN;
  const toMs = windowStartOf(simStop, MIN) - 2 * MIN;
  const input = await collectInput({
    scenario: stack.scenario,
    site: stack.site,
    lines: stack.lines,
    controlUrl: stack.controlUrl,
    store,
    repo,
    fromMs,
    toMs,
    pollIntervalSimMs: stack.pollIntervalMs * o.factor,
    stampAllowanceSimMs: o.stampAllowanceMs * o.factor,
  });
  const discontinuities = input.discontinuities ?? [];
  say(
    `ground truth: ${discontinuities.length} register discontinuit${discontinuities.length === 1 ? 'y' : 'ies'} on line registers${discontinuities.map((d) => `; ${describeDiscontinuity(d)}`).join('')}`,
  );
  const reconciliation = reconcile(input);
  store.close();
  await repo.close();

  const faultErrors = chaos.outcomes
    .filter((x) => x.error !== null)
    .map((x) => `${x.fault.kind} ${x.fault.target}: ${x.error}`);
  const failures = [
    ...reconciliation.failures,
    ...(drain.complete
      ? []
      : [
          `the drain did not complete within ${o.drainTimeoutSec} s (outbox depth ${drain.outboxDepth}, readings not aggregated ${drain.unaggregatedReadings})`,
        ]),
    ...stack.unexpectedExits.map(
      (e) =>
        `${e.name} exited by itself (code ${e.code}) ${(e.atMs / 1000).toFixed(0)} s into the run; see ${stack.sup.logFile(e.name)}`,
    ),
    ...chaos.restartFailures.map((f) => `restart failed: ${f}`),
    ...faultErrors.map((f) => `fault not injected: ${f}`),
  ];
  const report: SoakReport = {
    seed: o.seed,
    minutes: o.minutes,
    factor: o.factor,
    startedAt: startedAt.toISOString(),
    realSeconds: (Date.now() - startedAt.getTime()) / 1000,
    loadAverage: { start: loadStart, end: loadavg() },
    span: {
      from: new Date(fromMs).toISOString(),
      to: new Date(toMs).toISOString(),
      windows: Math.max(0, (toMs - fromMs) / MIN),
    },
    plan,
    faultsInjected: injectedByKind(chaos),
    faultErrors,
    restartsSurvived: chaos.restarts,
    unexpectedExits: stack.unexpectedExits,
    drain,
    maxExportLag: {
      simMinutes: samples.maxLagSimMs === null ? null : samples.maxLagSimMs / MIN,
      realSeconds: samples.maxLagSimMs === null ? null : samples.maxLagSimMs / o.factor / 1000,
    },
    peakRssMiB: samples.peakRssMiB,
    discontinuities,
    reconciliation,
    failures,
    passed: failures.length === 0,
  };
  const md = renderReport(report);
  writeFileSync(join(o.dataDir, 'soak-report.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(o.dataDir, 'soak-report.md'), md);
  say(`\n${md}`);
  say(`report: ${join(o.dataDir, 'soak-report.md')} (and .json)`);
  return report.passed ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`soak: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
