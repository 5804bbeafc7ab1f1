/** The four Greengrass components of the suite: where their code is and what their artifact is called. */
export interface ComponentSpec {
  /** Greengrass component name; the recipe is recipes/<componentName>.yaml. */
  componentName: string;
  /** Workspace folder under components/; also the zip's base name (`<dir>.zip`). */
  dir: string;
  /** Packages left out of the bundle besides COMMON_EXTERNALS (optional peers that are not installed). */
  externals: string[];
  /** Further bundles in the zip: file name in the zip → entry point, relative to the repository root. */
  extraEntries?: Record<string, string>;
  /** Ships the serial port addons (Modbus RTU on a serial bus; scripts/build/serialport.ts). */
  serialPort?: boolean;
}

export const COMPONENTS: readonly ComponentSpec[] = [
  { componentName: 'com.pcfedge.ModbusCollector', dir: 'modbus-collector', externals: [], serialPort: true },
  // @ster5/global-mutex (node-opcua-pki) imports proper-lockfile, an optional peer that is not installed.
  { componentName: 'com.pcfedge.OpcUaCollector', dir: 'opcua-collector', externals: ['proper-lockfile'] },
  // The gateway CLI (`pcf-edge status`, …; its own workspace, tools/pcf-edge-cli) travels in the aggregator's zip:
  // run it on the device with node.
  {
    componentName: 'com.pcfedge.LineAggregator',
    dir: 'line-aggregator',
    externals: [],
    extraEntries: { 'pcf-edge.js': 'tools/pcf-edge-cli/src/run.ts' },
  },
  { componentName: 'com.pcfedge.StreamExporter', dir: 'stream-exporter', externals: [] },
];

/**
 * Left out of every bundle: better-sqlite3 is shipped beside it (JavaScript plus one addon per architecture);
 * `cbor-extract` (optional native string decoding of cbor-x, which falls back to JavaScript) is an optional native
 * part the components do without (ADR 0200). `serialport` too, except in a component with `serialPort` (the Modbus
 * collector's RTU link, ADR 0225), which bundles it and ships its addon.
 */
export const COMMON_EXTERNALS = ['better-sqlite3', 'cbor-extract', 'serialport'];

/** What the bundle of `spec` leaves out. */
export function externalsOf(spec: ComponentSpec): string[] {
  const common = spec.serialPort ? COMMON_EXTERNALS.filter((e) => e !== 'serialport') : COMMON_EXTERNALS;
  return [...common, ...spec.externals];
}

/** Greengrass recipe architecture ↔ Node.js `process.arch`. */
export const ARCHITECTURES = { amd64: 'x64', aarch64: 'arm64' } as const;
export type RecipeArch = keyof typeof ARCHITECTURES;
