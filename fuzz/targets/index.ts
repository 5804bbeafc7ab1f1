import type { FuzzTarget } from '../engine';
import { httpApi } from './http-api';
import { kinesisRecords } from './kinesis-records';
import { modbusReply } from './modbus-reply';
import { referenceImport } from './reference-import';
import { smClientFrames } from './sm-client-frames';
import { smServerFrames } from './sm-server-frames';

export const TARGETS: Record<string, FuzzTarget> = {
  [modbusReply.name]: modbusReply,
  [smServerFrames.name]: smServerFrames,
  [smClientFrames.name]: smClientFrames,
  [kinesisRecords.name]: kinesisRecords,
  [referenceImport.name]: referenceImport,
  [httpApi.name]: httpApi,
};
