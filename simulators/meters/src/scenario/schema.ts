import { QUANTITY_NAMES } from '@pcf-edge/core';
import { FAULT_TYPES } from './types';

const id = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$', maxLength: 64 };
const nonNeg = { type: 'number', minimum: 0 };
const port = { type: 'integer', minimum: 0, maximum: 65535 };

const initial = {
  type: 'object',
  propertyNames: { enum: QUANTITY_NAMES },
  additionalProperties: { type: 'number', minimum: 0 },
  default: {},
};

const meterCommon = {
  id,
  line: id,
  site: id,
  role: { enum: ['lineTotal', 'subMeter', 'baseload'] },
  share: { type: 'number', exclusiveMinimum: 0, maximum: 1, default: 1 },
  initial,
  serial: { type: 'string', minLength: 1, maxLength: 64 },
};

const phase = {
  type: 'object',
  additionalProperties: false,
  required: ['state', 'minutes'],
  properties: {
    state: { enum: ['idle', 'producing', 'changeover'] },
    minutes: { type: 'number', exclusiveMinimum: 0 },
  },
};

const line = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'idleLoadKw', 'producingLoadKw', 'ratePerHour', 'schedule'],
  properties: {
    id,
    product: { type: 'string' },
    idleLoadKw: nonNeg,
    producingLoadKw: nonNeg,
    changeoverLoadKw: nonNeg,
    ratePerHour: nonNeg,
    scrapRatio: { type: 'number', minimum: 0, maximum: 1, default: 0 },
    gas: {
      type: 'object',
      additionalProperties: false,
      required: ['idleM3PerHour', 'producingM3PerHour'],
      properties: { idleM3PerHour: nonNeg, producingM3PerHour: nonNeg },
    },
    jitter: { type: 'number', minimum: 0, maximum: 0.5, default: 0 },
    schedule: { type: 'array', minItems: 1, items: phase },
  },
};

const fault = {
  type: 'object',
  additionalProperties: false,
  required: ['target', 'type'],
  properties: {
    target: id,
    type: { enum: [...FAULT_TYPES] },
    at: {
      anyOf: [
        { type: 'string', format: 'date-time' },
        { type: 'integer', minimum: 0 },
      ],
    },
    durationSec: nonNeg,
    code: { type: 'integer', minimum: 1, maximum: 255 },
    statusCode: { type: 'string', pattern: '^Bad[A-Za-z]*$' },
    startValue: nonNeg,
    serial: { type: 'string', minLength: 1, maxLength: 64 },
    belowModulus: { type: 'number', exclusiveMinimum: 0 },
    every: { type: 'integer', minimum: 1 },
  },
};

const serial = {
  type: 'object',
  additionalProperties: false,
  required: ['baudRate'],
  properties: {
    path: { type: 'string', minLength: 1 },
    baudRate: { type: 'integer', minimum: 300, maximum: 921600 },
    parity: { enum: ['none', 'even', 'odd'], default: 'even' },
    dataBits: { enum: [8], default: 8 },
    stopBits: { enum: [1, 2], default: 1 },
  },
};

/** JSON Schema of a scenario file; every object is closed. */
export const scenarioSchema = {
  $id: 'pcf-edge.simulator-scenario/1',
  type: 'object',
  additionalProperties: false,
  required: ['startTime', 'sites'],
  properties: {
    startTime: { type: 'string', format: 'date-time' },
    timeFactor: { type: 'number', exclusiveMinimum: 0, maximum: 1e6, default: 1 },
    seed: { type: 'integer', default: 1 },
    tickMs: { type: 'integer', minimum: 10, maximum: 60000, default: 500 },
    sites: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'lines'],
        properties: { id, baseloadKw: { ...nonNeg, default: 0 }, lines: { type: 'array', items: line } },
      },
    },
    modbus: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        devices: {
          type: 'array',
          default: [],
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['id', 'meters'],
            properties: {
              id,
              transport: { enum: ['tcp', 'rtu', 'rtuOverTcp'], default: 'tcp' },
              host: { type: 'string', minLength: 1 },
              port,
              serial,
              meters: {
                type: 'array',
                minItems: 1,
                items: {
                  type: 'object',
                  additionalProperties: false,
                  required: ['id', 'unitId', 'profile', 'role'],
                  properties: {
                    ...meterCommon,
                    unitId: { type: 'integer', minimum: 0, maximum: 255 },
                    profile: { type: 'string' },
                    replyTimeMs: { type: 'number', minimum: 0, maximum: 10000, default: 0 },
                  },
                },
              },
            },
          },
        },
      },
    },
    opcua: {
      type: 'object',
      additionalProperties: false,
      required: ['port', 'meters'],
      properties: {
        host: { type: 'string', default: '127.0.0.1' },
        port,
        namespaceUri: { type: 'string', minLength: 1, default: 'urn:pcf-edge:simulator' },
        security: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            modes: {
              type: 'array',
              minItems: 1,
              uniqueItems: true,
              items: { enum: ['None', 'Sign', 'SignAndEncrypt'] },
              default: ['None', 'SignAndEncrypt'],
            },
            clientCertificates: { enum: ['acceptAny', 'trustedOnly'], default: 'acceptAny' },
            pkiDir: { type: 'string', minLength: 1 },
          },
        },
        meters: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['id', 'type', 'role'],
            properties: { ...meterCommon, type: { enum: ['electricity', 'gas', 'lineCounter', 'machineState'] } },
          },
        },
      },
    },
    faults: { type: 'array', default: [], items: fault },
  },
} as const;
