/**
 * Modbus RTU bus benchmark: `npm run bench:rtu -- [--seconds N] [--bauds 9600,38400] [--reply-ms R]`.
 *
 * One bus on a socat PTY pair (Debian package socat): the meter simulator in a child process serves the four RTU
 * meters of test-support/rtu-scenario.ts (unit ids 1–4, 8E1) and paces every reply at the line's baud rate and the
 * meter's reply time R (default 5 ms), so the PTY carries the timing of a real RS-485 line. For each baud rate:
 *
 *   limit      the bus's theoretical requests/s for the collector's own request plan: every request costs
 *                frame(request) + t3.5 + R + frame(reply) + t3.5
 *              (character = start + 8 data + parity + stop bits; t3.5 = 3.5 characters, 1.75 ms above 19,200 baud),
 *              the second t3.5 being the silence the master must keep before its next request;
 *   collector  the Modbus collector polling every meter back to back (pollOnce in a loop), requests/s answered;
 *              ratio = collector ÷ limit, target ≥ 0.8 (issue 21);
 *   bare       modbus-serial's RTU client (connectRTUBuffered) issuing the same plan back to back, the same run's
 *              baseline. It keeps no inter-frame silence (the simulator counts its violations), so it may exceed
 *              what a real bus allows; the collector keeps every silence (its violations must be 0).
 * Collector and bare client alternate in slices (one port owner at a time) so machine load hits both alike.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import ModbusRTU from 'modbus-serial';
import { silentLogger } from '@pcf-edge/core';
import { createMeterSimulator, type RtuLineStats } from '@pcf-edge/meter-simulators';
import { frameMs, interFrameSilenceMs, type SerialLine } from '@pcf-edge/profiles';
import {
  createModbusCollector,
  parseCollectorConfig,
  rtuReplyBytes,
  RTU_READ_REQUEST_BYTES,
  type CollectorConfig,
  type ReadRequest,
} from '../../components/modbus-collector/src';
import { openPtyPair } from '../../test-support/pty-pair';
import { rtuDemoScenario, RTU_BUS_METERS } from '../../test-support/rtu-scenario';

const HELP = `usage: npm run bench:rtu -- [--seconds N] [--bauds B,B] [--reply-ms R]
  --seconds N    measuring time per baud rate, split between collector and bare client (default 12)
  --bauds B,B    baud rates of the bus (default 9600,38400), 8E1
  --reply-ms R   every simulated meter's reply time, ms (default 5)`;

const SLICES = 3;

/** Child process: the simulator's RTU bus on `path`; answers {stats} requests with the bus's line stats. */
async function serve(path: string, baudRate: number, replyTimeMs: number): Promise<void> {
  const sim = createMeterSimulator(rtuDemoScenario({ transport: 'rtu', path, baudRate, replyTimeMs }), {
    log: silentLogger(),
  });
  await sim.start();
  process.on('message', () => process.send?.({ stats: sim.lineStats()['bus-1'] }));
  process.on('disconnect', () => void sim.stop().then(() => process.exit(0)));
  process.send?.({ ready: true });
}

function startSimulator(path: string, baudRate: number, replyTimeMs: number): Promise<ChildProcess> {
  const child = fork(__filename, ['--serve', path, String(baudRate), String(replyTimeMs)], { stdio: 'inherit' });
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`simulator exited with ${code}`)));
  });
}

function lineStats(child: ChildProcess): Promise<RtuLineStats> {
  return new Promise((resolve) => {
    child.once('message', (m: { stats: RtuLineStats }) => resolve(m.stats));
    child.send({ stats: true });
  });
}

function busConfig(path: string, line: SerialLine): Readonly<CollectorConfig> {
  const scenario = rtuDemoScenario({ transport: 'rtu', path, baudRate: line.baudRate });
  const bus = scenario.modbus.devices.find((d) => d.id === 'bus-1')!;
  return parseCollectorConfig(
    {
      site: 'bench',
      devices: [{ id: 'bus-1', transport: 'rtu', serial: { path, ...line }, timeoutMs: 200 }],
      meters: bus.meters.map((m) => ({ id: m.id, line: 'L1', device: 'bus-1', unitId: m.unitId, profile: m.profile })),
    },
    'bench:rtu',
  );
}

/** ms one request of `plan` holds the bus, by the formula in the header. */
function requestCycleMs(line: SerialLine, r: ReadRequest, replyTimeMs: number): number {
  const silence = interFrameSilenceMs(line);
  return (
    frameMs(line, RTU_READ_REQUEST_BYTES) +
    silence +
    replyTimeMs +
    frameMs(line, rtuReplyBytes(r.functionCode, r.count)) +
    silence
  );
}

/** `p`, or an error naming the stage when it has not settled `ms` + 10 s after it began (a hung port or client). */
function watchdog<T>(name: string, p: Promise<T>, ms: number): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    t = setTimeout(() => reject(new Error(`bench:rtu: ${name} did not finish within ${ms + 10_000} ms`)), ms + 10_000);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(t));
}

async function collectorSlice(cfg: Readonly<CollectorConfig>, ms: number) {
  const c = createModbusCollector(cfg, { log: silentLogger() });
  await c.pollOnce(); // opens the port
  const r0 = c.stats().devices['bus-1']!;
  const before = { responses: r0.responses, timeouts: r0.timeouts, crcErrors: r0.crcErrors };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let bad = 0;
  while (performance.now() - t0 < ms) bad += (await c.pollOnce()).filter((x) => x.quality !== 'good').length;
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const s = c.stats().devices['bus-1']!;
  await c.stop();
  return {
    responses: s.responses - before.responses,
    timeouts: s.timeouts - before.timeouts,
    crcErrors: s.crcErrors - before.crcErrors,
    bad,
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
}

async function bareSlice(path: string, line: SerialLine, plan: ReadRequest[], ms: number) {
  const client = new ModbusRTU();
  await client.connectRTUBuffered(path, { ...line });
  client.setTimeout(200);
  let responses = 0;
  let failures = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    for (const r of plan) {
      client.setID(r.unitId);
      try {
        if (r.functionCode === 3) await client.readHoldingRegisters(r.address, r.count);
        else if (r.functionCode === 4) await client.readInputRegisters(r.address, r.count);
        else if (r.functionCode === 1) await client.readCoils(r.address, r.count);
        else await client.readDiscreteInputs(r.address, r.count);
        responses++;
      } catch {
        failures++;
      }
    }
  }
  const wallMs = performance.now() - t0;
  await new Promise<void>((resolve) => client.close(() => resolve()));
  return { responses, failures, wallMs };
}

async function benchBaud(baudRate: number, seconds: number, replyTimeMs: number): Promise<string[]> {
  const line: SerialLine = { baudRate, parity: 'even', dataBits: 8, stopBits: 1 };
  const pty = await openPtyPair();
  const child = await startSimulator(pty.b, baudRate, replyTimeMs);
  try {
    const cfg = busConfig(pty.a, line);
    const plan = createModbusCollector(cfg, { log: silentLogger() })
      .pollers()
      .flatMap((p) => p.plan);
    const cycleMs = plan.reduce((t, r) => t + requestCycleMs(line, r, replyTimeMs), 0);
    const limit = (plan.length * 1000) / cycleMs;
    const sliceMs = (seconds * 1000) / (2 * SLICES);
    const col = { responses: 0, timeouts: 0, crcErrors: 0, bad: 0, wallMs: 0, cpuMs: 0, violations: 0 };
    const bare = { responses: 0, failures: 0, wallMs: 0, violations: 0 };
    const stage = <T>(name: string, p: Promise<T>): Promise<T> => watchdog(`${baudRate} baud: ${name}`, p, sliceMs);
    for (let i = 0; i < SLICES; i++) {
      const v0 = (await stage('line stats', lineStats(child))).silenceViolations;
      const c = await stage(`collector slice ${i + 1}`, collectorSlice(cfg, sliceMs));
      const v1 = (await stage('line stats', lineStats(child))).silenceViolations;
      const b = await stage(`bare slice ${i + 1}`, bareSlice(pty.a, line, plan, sliceMs));
      const v2 = (await stage('line stats', lineStats(child))).silenceViolations;
      for (const k of ['responses', 'timeouts', 'crcErrors', 'bad', 'wallMs', 'cpuMs'] as const) col[k] += c[k];
      col.violations += v1 - v0;
      bare.responses += b.responses;
      bare.failures += b.failures;
      bare.wallMs += b.wallMs;
      bare.violations += v2 - v1;
    }
    const colRate = (col.responses * 1000) / col.wallMs;
    const bareRate = (bare.responses * 1000) / bare.wallMs;
    const k = `rtu.${baudRate}`;
    return [
      `  ${baudRate} 8E1: ${plan.length} requests per poll of ${Object.keys(RTU_BUS_METERS).length} meters, ` +
        `${cycleMs.toFixed(1)} ms of bus time per poll (t3.5 ${interFrameSilenceMs(line).toFixed(2)} ms, reply time ${replyTimeMs} ms)`,
      `    collector ${colRate.toFixed(1)} req/s (${col.timeouts} timeouts, ${col.crcErrors} CRC errors, ${col.bad} readings not good, ` +
        `${col.violations} silence violations, CPU ${((col.cpuMs / col.wallMs) * 100).toFixed(1)} % of one core)`,
      `    bare modbus-serial ${bareRate.toFixed(1)} req/s (${bare.failures} failures, ${bare.violations} silence violations)`,
      `BENCH ${k}.limitRequestsPerSec=${limit.toFixed(1)} req/s`,
      `BENCH ${k}.requestsPerSec=${colRate.toFixed(1)} req/s`,
      `BENCH ${k}.bareRequestsPerSec=${bareRate.toFixed(1)} req/s`,
      `BENCH ${k}.ratioToLimit=${(colRate / limit).toFixed(3)} target >= 0.8`,
      `BENCH ${k}.ratioToBare=${(colRate / bareRate).toFixed(3)}`,
      `BENCH ${k}.silenceViolations=${col.violations} target = 0`,
    ];
  } finally {
    child.disconnect();
    await new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', () => resolve())));
    await pty.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string' },
      bauds: { type: 'string' },
      'reply-ms': { type: 'string' },
      serve: { type: 'string' },
      help: { type: 'boolean' },
    },
    allowPositionals: true,
  });
  if (values.serve) {
    const [baud, reply] = process.argv.slice(-2).map(Number);
    return serve(values.serve, baud!, reply!);
  }
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const seconds = Number(values.seconds ?? 12);
  const bauds = (values.bauds ?? '9600,38400').split(',').map(Number);
  const replyTimeMs = Number(values['reply-ms'] ?? 5);
  if (!(seconds > 0) || !bauds.every((b) => Number.isInteger(b) && b > 0) || !(replyTimeMs >= 0)) {
    process.stderr.write(`--seconds must be > 0, --bauds positive integers, --reply-ms ≥ 0\n${HELP}\n`);
    process.exit(2);
  }
  const out = [
    `Modbus RTU bus on a socat PTY pair, simulator paced at the baud rate, node ${process.version} ` +
      `(load average ${loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')} on ${cpus().length} cores)`,
  ];
  for (const b of bauds) {
    process.stderr.write(`rtu bench: ${b} baud, ${seconds} s …\n`);
    out.push(...(await benchBaud(b, seconds, replyTimeMs)));
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
