/**
 * node-opcua-debug imports `hexy`, an ESM-only package that jest (CommonJS, node_modules untransformed) cannot
 * load. Test files call `jest.mock('hexy', () => hexyMock)`; hexy only formats hex dumps for debug output.
 */
export const hexyMock = { hexy: (buf: Buffer): string => buf.toString('hex') };
