import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { addPcfEdgeStacks } from '../src/app';
import { loadDeployConfig } from '../src/config';

/** `npx cdk synth|deploy [-c config=<file>]`; the default config is config.sample.yaml. */
const app = new App();
const file = (app.node.tryGetContext('config') as string | undefined) ?? join(__dirname, '../config.sample.yaml');
addPcfEdgeStacks(app, loadDeployConfig(file));
app.synth();
