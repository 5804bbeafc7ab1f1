import { rmSync, writeFileSync } from 'node:fs';
import type { PlannedFault } from './plan';
import type { SoakStack } from './stack';

/**
 * Carries out a chaos plan against a running soak stack. Each fault runs on its own timer at its planned offset;
 * the plan guarantees that no two faults hold the same target at once. A restart that fails (the process does not
 * come up) is retried a few times and recorded.
 */
export interface FaultOutcome {
  fault: PlannedFault;
  /** Real ms after the run started when the fault was injected / ended. */
  startedMs: number | null;
  endedMs: number | null;
  error: string | null;
}

export interface ChaosResult {
  outcomes: FaultOutcome[];
  /** Successful restarts after a kill, an outage or a clock jump, per process. */
  restarts: Record<string, number>;
  restartFailures: string[];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function runChaos(
  stack: SoakStack,
  plan: readonly PlannedFault[],
  runStart: number,
  factor: number,
  log: (line: string) => void,
): Promise<ChaosResult> {
  const restarts: Record<string, number> = {};
  const restartFailures: string[] = [];
  const elapsed = (): number => Date.now() - runStart;

  async function restart(name: string, shiftMs = 0): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await stack.restart(name, shiftMs);
        restarts[name] = (restarts[name] ?? 0) + 1;
        return;
      } catch (err) {
        // Only a process that died before it was ready is started again; one that is merely slow (ready timeout)
        // may still be running, and a second copy would corrupt the run.
        if (attempt >= 5 || !/exited with code/.test((err as Error).message)) {
          restartFailures.push(`${name}: ${(err as Error).message}`);
          throw err;
        }
        log(`   restart of ${name} failed (${(err as Error).message.split('\n')[0]}); retrying`);
        await sleep(2000);
      }
    }
  }

  async function postFault(body: Record<string, unknown>): Promise<void> {
    const res = await fetch(`${stack.controlUrl}/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (res.status !== 201) throw new Error(`simulator refused the fault (${res.status}): ${await res.text()}`);
  }

  async function execute(f: PlannedFault): Promise<void> {
    switch (f.kind) {
      case 'kill':
      case 'streamManagerOutage':
      case 'kinesisOutage':
        await stack.kill(f.target, 'SIGKILL');
        await sleep(f.durationMs);
        await restart(f.target);
        return;
      case 'diskFull':
        writeFileSync(stack.fullFlag, `full since ${new Date().toISOString()}\n`);
        await sleep(f.durationMs);
        rmSync(stack.fullFlag, { force: true });
        return;
      case 'clockJump':
        // A clock step is not a crash: the processes stop gracefully and start again on the shifted clock.
        for (const name of ['line-aggregator', 'stream-exporter']) {
          await stack.kill(name, 'SIGTERM');
          await restart(name, f.jumpSimMs ?? 0);
        }
        await sleep(f.durationMs);
        for (const name of ['line-aggregator', 'stream-exporter']) {
          await stack.kill(name, 'SIGTERM');
          await restart(name);
        }
        return;
      case 'meterFault':
        await postFault({
          target: f.target,
          type: f.detail,
          durationSec: Math.max(1, Math.round((f.durationMs * factor) / 1000)),
        });
        await sleep(f.durationMs);
        return;
      case 'counterEvent':
        // The simulator records the register discontinuities in its ground truth; the reconciliation reads them there.
        await postFault({ target: f.target, type: f.detail });
    }
  }

  // Restarts take longer than planned on a loaded machine: faults on the same process run one after the other,
  // never interleaved (an interleaved kill and restart would leave two copies of a component running).
  const locks = new Map<string, Promise<unknown>>();
  const holds = (f: PlannedFault): string[] =>
    f.kind === 'clockJump' ? ['line-aggregator', 'stream-exporter'] : [f.target];
  const exclusive = async <T>(names: string[], fn: () => Promise<T>): Promise<T> => {
    const before = Promise.all(names.map((n) => locks.get(n)));
    const run = before.then(fn);
    const settled = run.catch(() => undefined);
    for (const n of names) locks.set(n, settled);
    return run;
  };

  const outcomes = await Promise.all(
    plan.map(async (f): Promise<FaultOutcome> => {
      const wait = f.atMs - elapsed();
      if (wait > 0) await sleep(wait);
      return exclusive(holds(f), () => inject(f));
    }),
  );
  return { outcomes, restarts, restartFailures };

  async function inject(f: PlannedFault): Promise<FaultOutcome> {
    const outcome: FaultOutcome = { fault: f, startedMs: elapsed(), endedMs: null, error: null };
    log(
      `-> ${((outcome.startedMs as number) / 1000).toFixed(1).padStart(6)} s ${f.kind} ${f.target}${f.detail ? ` ${f.detail}` : ''}`,
    );
    try {
      await execute(f);
    } catch (err) {
      outcome.error = (err as Error).message.split('\n')[0] ?? 'error';
      log(`!! ${f.kind} ${f.target}: ${outcome.error}`);
    }
    outcome.endedMs = elapsed();
    return outcome;
  }
}
