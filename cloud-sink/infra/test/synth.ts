import { App } from 'aws-cdk-lib';
import { addPcfEdgeStacks, type PcfEdgeStacks } from '../src/app';
import { deployConfig, type DeployConfig } from '../src/config';

export const TEST_CONFIG = {
  region: 'eu-central-1',
  stream: { shardCount: 4 },
  consumer: { parallelizationFactor: 2, reservedConcurrency: 8, retryAttempts: 5 },
  alarms: { email: 'oncall@example.com' },
};

/**
 * Synthesizes the app for template assertions. `bundle: false` skips esbuild (the assets are placeholders), which is
 * what assertion and cdk-nag tests need; the bundle test synthesizes with bundling.
 */
export function synthApp(
  config: unknown = TEST_CONFIG,
  o: { bundle?: boolean; outdir?: string } = {},
): PcfEdgeStacks & { app: App; config: Readonly<DeployConfig> } {
  const app = new App({
    ...(o.outdir ? { outdir: o.outdir } : {}),
    context: o.bundle ? {} : { 'aws:cdk:bundling-stacks': [] },
  });
  const c = deployConfig(config, 'test config');
  return { app, config: c, ...addPcfEdgeStacks(app, c) };
}
