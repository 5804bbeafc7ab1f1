import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ScaledClock, simClockEnvValue, type Clock } from '@pcf-edge/core';

/**
 * The simulated timeline of the local stack. Every process gets the same `PCF_EDGE_SIM_CLOCK`, so simulators,
 * collectors and aggregator agree on simulated time. The last simulated instant is saved in the data folder: a
 * restarted stack continues from there (the meters' counters are a pure function of simulated time, so they
 * simply continue; the stopped interval is skipped).
 */
export interface Timeline {
  /** Simulated start of the scenario (counters hold their initial values then). */
  scenarioStartMs: number;
  /** Simulated instant at which this run began. */
  runStartMs: number;
  factor: number;
  clock: Clock;
  envValue: string;
  /** Saves the current simulated instant (atomically). */
  save(): void;
}

interface Saved {
  scenarioStartMs: number;
  lastSimMs: number;
}

export function openTimeline(dataDir: string, scenarioStartMs: number, factor: number): Timeline {
  const file = join(dataDir, 'timeline.json');
  let runStartMs = scenarioStartMs;
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as Saved;
    if (saved.scenarioStartMs === scenarioStartMs && Number.isFinite(saved.lastSimMs)) runStartMs = saved.lastSimMs;
  }
  const wallStart = Date.now();
  const clock = new ScaledClock(runStartMs, factor, undefined, wallStart);
  const save = (): void => {
    const body: Saved = { scenarioStartMs, lastSimMs: clock.now() };
    writeFileSync(`${file}.tmp`, JSON.stringify(body));
    renameSync(`${file}.tmp`, file);
  };
  save();
  return {
    scenarioStartMs,
    runStartMs,
    factor,
    clock,
    envValue: simClockEnvValue(runStartMs, factor, wallStart),
    save,
  };
}
