import { parseArgs } from 'node:util';
import {
  clockFromEnv,
  createLogger,
  isPcfError,
  ManualClock,
  ScaledClock,
  SIM_CLOCK_ENV,
  type Clock,
} from '@pcf-edge/core';
import { formatSerialLine } from '@pcf-edge/profiles';
import { createControlServer, type ControlServer } from './control';
import { loadScenario } from './scenario/load';
import type { Scenario } from './scenario/types';
import { createMeterSimulator } from './simulator';
import { createTruthWriter, type TruthWriter } from './truth-writer';

const HELP = `Usage: npm run simulate -- --scenario <file> [options]

Runs the Modbus (TCP, RTU on a serial device, RTU over TCP) and OPC UA meter simulators of a scenario until
SIGINT/SIGTERM. An RTU bus serves the serial device of its scenario, e.g. one end of a PTY pair made with
  socat -d -d pty,raw,echo=0,link=/tmp/rtu-collector pty,raw,echo=0,link=/tmp/rtu-meters

Options:
  --scenario <file>       scenario file (YAML or JSON), e.g. simulators/scenarios/demo-factory.yaml
  --time-factor <n>       simulated seconds per real second (overrides the scenario's timeFactor)
  --truth-out <file>      write the ground truth as JSON to <file> every --truth-interval-ms (default 1000)
  --truth-interval-ms <n> wall milliseconds between truth writes
  --control-port <port>   HTTP control endpoint on 127.0.0.1 (POST /faults, DELETE /faults, GET /truth); 0 = any
  --at <iso>              freeze simulated time at this instant (for checks against ground truth)
  --help                  this text

Simulated time = startTime + wall time since start × timeFactor, unless ${SIM_CLOCK_ENV} is set (shared timeline
of an accelerated local stack) or --at freezes it. Ports and meters are printed on stdout when listening.`;

function usage(message: string): never {
  process.stderr.write(`${message}\n\n${HELP}\n`);
  process.exit(2);
}

/** A numeric option; `positive` excludes 0. */
function number(name: string, text: string | undefined, positive = false): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0 || (positive && n === 0)) {
    usage(`--${name} must be a ${positive ? 'positive' : 'non-negative'} number, got ${JSON.stringify(text)}`);
  }
  return n;
}

function chooseClock(scenario: Scenario, at: string | undefined): Clock {
  if (at !== undefined) {
    const ms = Date.parse(at);
    if (!Number.isFinite(ms)) usage(`--at must be an ISO-8601 time, got ${JSON.stringify(at)}`);
    return new ManualClock(ms);
  }
  if (process.env[SIM_CLOCK_ENV]) return clockFromEnv();
  return new ScaledClock(Date.parse(scenario.startTime), scenario.timeFactor);
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        scenario: { type: 'string' },
        'time-factor': { type: 'string' },
        'truth-out': { type: 'string' },
        'truth-interval-ms': { type: 'string' },
        'control-port': { type: 'string' },
        at: { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (err) {
    usage((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  if (!values.scenario) usage('--scenario is required');
  const log = createLogger({ component: 'meter-simulator' });
  const loaded = loadScenario(values.scenario);
  const factor = number('time-factor', values['time-factor'], true);
  const scenario: Scenario = factor === undefined ? loaded : { ...loaded, timeFactor: factor };
  const sim = createMeterSimulator(scenario, { clock: chooseClock(scenario, values.at), log });
  await sim.start();

  let control: ControlServer | undefined;
  const controlPort = number('control-port', values['control-port']);
  if (controlPort !== undefined) {
    control = createControlServer(sim, { port: controlPort, log });
    await control.start();
  }
  let writer: TruthWriter | undefined;
  if (values['truth-out']) {
    writer = createTruthWriter(sim, values['truth-out'], {
      intervalMs: number('truth-interval-ms', values['truth-interval-ms'], true) ?? 1000,
      log,
    });
    writer.start();
  }
  printListing(scenario, sim.ports, sim.opcua, control?.port);

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    writer?.stop();
    Promise.all([sim.stop(), control?.stop()]).then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

function printListing(
  s: Scenario,
  ports: { modbus: Record<string, number>; opcua?: number },
  opcua: { endpoint: string; namespaceUri: string } | undefined,
  control: number | undefined,
): void {
  const out: string[] = [`simulated time starts ${s.startTime}, time factor ${s.timeFactor}`];
  for (const d of s.modbus.devices) {
    const line = d.serial ? ` RTU ${formatSerialLine(d.serial)}` : '';
    if (d.transport === 'rtu') out.push(`modbus ${d.id} serving${line} on ${d.serial?.path ?? ''}`);
    else out.push(`modbus ${d.id} listening on ${d.host ?? '127.0.0.1'}:${ports.modbus[d.id]}${line}`);
    for (const m of d.meters)
      out.push(`  unit ${m.unitId}: ${m.id} (${m.profile}, ${m.role}${m.line ? `, ${m.line}` : ''})`);
  }
  if (s.opcua && opcua) {
    out.push(`opcua listening on ${opcua.endpoint} (namespace ${opcua.namespaceUri})`);
    for (const m of s.opcua.meters) out.push(`  ${m.id} (${m.type}, ${m.role}${m.line ? `, ${m.line}` : ''})`);
  }
  if (control !== undefined)
    out.push(`control endpoint http://127.0.0.1:${control} (POST /faults, DELETE /faults, GET /truth)`);
  process.stdout.write(`${out.join('\n')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${isPcfError(err) ? `${err.code}: ` : ''}${(err as Error).message}\n`);
  process.exit(1);
});
