'use strict';
// kinesalite in its own process, started by startLocalKinesisProcess (test-support/kinesis/index.ts) as
// `node kinesalite-process.js <port>`; prints "Listening at http://127.0.0.1:<port>" once ready.
const { createLocalKinesisServer } = require('./kinesalite-server.js');

const server = createLocalKinesisServer();
server.listen(Number(process.argv[2]), '127.0.0.1', () => {
  const a = server.address();
  process.stdout.write(`Listening at http://${a.address}:${a.port}\n`);
});
// SIGTERM / SIGINT exit cleanly (so --cpu-prof profiles are written).
const stop = () => process.exit(0);
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
