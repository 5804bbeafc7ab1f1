import { join, resolve } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** The repository root: esbuild runs there, on the sources and node_modules of the whole workspace. */
export const REPO_ROOT = resolve(__dirname, '../../..');
const ENTRY_DIR = join(REPO_ROOT, 'cloud-sink/src/aws');
/** The handler file placed beside each bundle: it enables source maps, then loads the bundle (ADR 0272). */
export const SOURCE_MAPS_ENTRY = join(REPO_ROOT, 'cloud-sink/infra/src/source-maps-entry.cjs');

/** The Node.js the bundles run on in Lambda: the major the tests run them on (ADR 0211). */
export const LAMBDA_RUNTIME = lambda.Runtime.NODEJS_24_X;

export type EntryName = 'consumer' | 'api' | 'migrate' | 'recompute';

export interface CloudSinkFunctionProps {
  entry: EntryName;
  description: string;
  memoryMb: number;
  timeout: Duration;
  environment: Record<string, string>;
  vpc: ec2.IVpc;
  securityGroup: ec2.ISecurityGroup;
  logRetentionDays: number;
  reservedConcurrency?: number;
}

/** `main.js`, the handler file: source maps on, then the bundle (index.js); see source-maps-entry.cjs. */
function handlerFile(outputDir: string): string {
  return `cp "${SOURCE_MAPS_ENTRY}" "${outputDir}/main.js"`;
}

/** The dashboard's static files and the chart.js build it serves, placed where the API bundle reads them. */
function dashboardFiles(inputDir: string, outputDir: string): string[] {
  const chart = `${outputDir}/node_modules/chart.js`;
  return [
    `cp -R "${inputDir}/cloud-sink/src/dashboard/public" "${outputDir}/public"`,
    `mkdir -p "${chart}/dist"`,
    `cp "${inputDir}/node_modules/chart.js/package.json" "${chart}/package.json"`,
    // require.resolve('chart.js') must find the package's main file; the dashboard serves chart.umd.js beside it
    `cp "${inputDir}/node_modules/chart.js/dist/chart.cjs" "${inputDir}/node_modules/chart.js/dist/chart.umd.js" "${chart}/dist/"`,
  ];
}

/**
 * One cloud-sink Lambda: an entry of cloud-sink/src/aws bundled by esbuild from node_modules on this machine (never
 * in Docker, so synthesis works offline), every dependency inside the bundle (the AWS SDK too: the deployed SDK is
 * the tested one), ARM64, in the isolated subnets, its own log group with the configured retention.
 */
export class CloudSinkFunction extends Construct {
  readonly fn: nodejs.NodejsFunction;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: CloudSinkFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetentionDays as logs.RetentionDays });
    this.fn = new nodejs.NodejsFunction(this, 'Function', {
      entry: join(ENTRY_DIR, `${props.entry}.ts`),
      // main.js (handlerFile) loads the bundle with source maps on; with a dot the handler is taken as written
      handler: 'main.handler',
      description: props.description,
      runtime: LAMBDA_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memoryMb,
      timeout: props.timeout,
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      logGroup: this.logGroup,
      vpc: props.vpc,
      vpcSubnets: { subnets: props.vpc.isolatedSubnets },
      securityGroups: [props.securityGroup],
      ...(props.reservedConcurrency !== undefined ? { reservedConcurrentExecutions: props.reservedConcurrency } : {}),
      environment: props.environment,
      bundling: {
        forceDockerBundling: false,
        format: nodejs.OutputFormat.CJS,
        target: 'node24',
        sourceMap: true,
        keepNames: true,
        // bundle the AWS SDK too (the runtime's copy is not the one the tests ran); pg-native is an optional addon
        externalModules: ['pg-native'],
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (inputDir: string, outputDir: string) => [
            handlerFile(outputDir),
            ...(props.entry === 'api' ? dashboardFiles(inputDir, outputDir) : []),
          ],
        },
      },
    });
  }
}
