import type { FuzzTarget } from '../engine';
import { kinesisRecords } from './kinesis-records';
import { referenceImport } from './reference-import';

export const TARGETS: Record<string, FuzzTarget> = {
  [kinesisRecords.name]: kinesisRecords,
  [referenceImport.name]: referenceImport,
};
