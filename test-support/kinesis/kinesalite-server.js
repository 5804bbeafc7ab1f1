'use strict';
const { Readable } = require('node:stream');
const kinesalite = require('kinesalite');

/**
 * A kinesalite HTTP server (not listening yet), with two defects of kinesalite 3.3 taken out of its way:
 * - It grows the request body with Buffer.concat on every chunk: quadratic in the number of chunks, so a 7 MB
 *   PutRecords costs seconds of copying or not depending on how TCP happened to split it. The body is collected
 *   here in one pass and handed to kinesalite as a single chunk (its 7 MiB request limit still applies).
 * - Node's 5 s keep-alive timeout races a client's reuse of an idle connection ("socket hang up"); idle
 *   connections are kept for 10 minutes instead.
 * `options.path`: a folder where streams and records persist (LevelDB); in memory without it.
 */
function createLocalKinesisServer(options = {}) {
  const server = kinesalite({
    createStreamMs: 0,
    deleteStreamMs: 0,
    updateStreamMs: 0,
    shardLimit: 100,
    ...(options.path ? { path: options.path } : {}),
  });
  const handlers = server.listeners('request');
  server.removeAllListeners('request');
  server.on('request', (req, res) => {
    const chunks = [];
    let length = 0;
    req.on('data', (c) => {
      chunks.push(c);
      length += c.length;
    });
    req.on('error', (err) => res.destroy(err));
    req.on('end', () => {
      const whole = Readable.from(length === 0 ? [] : [Buffer.concat(chunks, length)], { objectMode: false });
      Object.assign(whole, {
        headers: req.headers,
        method: req.method,
        url: req.url,
        httpVersion: req.httpVersion,
        socket: req.socket,
      });
      for (const h of handlers) h.call(server, whole, res);
    });
  });
  server.keepAliveTimeout = 600000;
  server.headersTimeout = 601000;
  server.requestTimeout = 0;
  return server;
}

module.exports = { createLocalKinesisServer };
