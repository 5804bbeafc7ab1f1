import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@pcf-edge/core';
import { createOpcUaCollector } from '../src/collector';
import { validateOpcUaConfig } from '../src/config';
import { capture, eventually } from './support/harness';
import { startTestServer, TEST_NS, type TestServer } from './support/server';

jest.mock('hexy', () => jest.requireActual('./support/hexy-mock').hexyMock);
jest.setTimeout(180_000);

const PASSWORD = 'S3cret-Meter-pw-7731';
const WRONG = 'Wrong-pw-9942-xyz';

let dir: string;
let server: TestServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'opcua-security-'));
  server = await startTestServer(join(dir, 'server-pki'), [{ name: 'e', dataType: 'UInt32', value: 77 }], {
    users: { meter: PASSWORD },
  });
});

afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function config(password: string, pkiDir: string) {
  return validateOpcUaConfig(
    {
      site: 's',
      endpoints: [
        {
          id: 'plc',
          url: server.url,
          securityMode: 'SignAndEncrypt',
          securityPolicy: 'Basic256Sha256',
          userName: 'meter',
          password,
          pkiDir,
          automaticallyAcceptUnknownCertificate: true,
          retry: { initialDelayMs: 200, maxDelayMs: 500 },
        },
      ],
      meters: [
        {
          id: 'm',
          line: 'L',
          endpoint: 'plc',
          points: [{ name: 'e', nodeId: `nsu=${TEST_NS};s=e`, quantity: 'unitsProduced', samplingIntervalMs: 100 }],
        },
      ],
    },
    'test',
  );
}

function logSink() {
  const lines: string[] = [];
  return {
    lines,
    destination: {
      write: (s: string) => {
        lines.push(s);
      },
    },
  };
}

test('SignAndEncrypt with user name: readings flow; the password never reaches the log; the certificate persists in pkiDir', async () => {
  const pkiDir = join(dir, 'client-pki');
  const sink = logSink();
  const cap = capture();
  const collector = createOpcUaCollector(config(PASSWORD, pkiDir), {
    ...cap.deps,
    log: createLogger({ component: 'opcua-collector', level: 'trace', destination: sink.destination }),
  });
  await collector.start();
  try {
    await cap.waitFor((r) => r.point === 'e' && r.value === 77 && r.quality === 'good', 60_000, 'e=77');
  } finally {
    await collector.stop();
  }
  const certFile = join(pkiDir, 'own', 'certs', 'client_certificate.pem');
  expect(existsSync(certFile)).toBe(true);
  const cert = readFileSync(certFile, 'utf8');
  expect(sink.lines.join('')).toContain('endpoint connected');
  expect(sink.lines.join('')).not.toContain(PASSWORD);

  // A second run on the same pkiDir reuses the certificate instead of minting a new one.
  const again = capture();
  const second = createOpcUaCollector(config(PASSWORD, pkiDir), {
    ...again.deps,
    log: createLogger({ component: 'opcua-collector', level: 'trace', destination: sink.destination }),
  });
  await second.start();
  try {
    await again.waitFor((r) => r.point === 'e' && r.quality === 'good', 60_000, 'second run');
  } finally {
    await second.stop();
  }
  expect(readFileSync(certFile, 'utf8')).toBe(cert);
});

test('a rejected password gives bad readings and log lines that do not contain it', async () => {
  const sink = logSink();
  const cap = capture();
  const collector = createOpcUaCollector(config(WRONG, join(dir, 'client-pki')), {
    ...cap.deps,
    log: createLogger({ component: 'opcua-collector', level: 'trace', destination: sink.destination }),
  });
  await collector.start();
  try {
    const bad = await cap.waitFor((r) => r.point === 'e' && r.quality === 'bad', 60_000, 'bad reading');
    expect(bad.qualityReason).toMatch(/^ERR_OPCUA: connect failed/);
    await eventually(() => sink.lines.some((l) => l.includes('endpoint lost')), 30_000, 'warning logged');
  } finally {
    await collector.stop();
  }
  const all = sink.lines.join('') + JSON.stringify(cap.readings);
  expect(all).not.toContain(WRONG);
  expect(all).not.toContain(PASSWORD);
});
