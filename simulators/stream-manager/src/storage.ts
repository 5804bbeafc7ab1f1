import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { MessageStreamDefinition } from '@pcf-edge/stream-manager-client';

/**
 * Message storage on SQLite (ADR 0020): `File` streams live in `<dir>/streams.sqlite` (WAL, synchronous NORMAL:
 * an acknowledged append survives a process kill), `Memory` streams in an in-memory database with the same
 * schema. Stream definitions of both kinds are kept in the file database. Sequence numbers are int64 (bigint).
 */
export interface StoredMessage {
  seq: bigint;
  ingestTime: number;
  payload: Buffer;
}

export interface ExportProgress {
  lastExportedSeq: bigint;
  exportedBytes: bigint;
  exportedCount: bigint;
  lastExportTime: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS streams (name TEXT PRIMARY KEY, definition TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS messages (
  stream TEXT NOT NULL, seq INTEGER NOT NULL, ingest_time INTEGER NOT NULL, payload BLOB NOT NULL,
  PRIMARY KEY (stream, seq));
CREATE TABLE IF NOT EXISTS exports (
  stream TEXT NOT NULL, id TEXT NOT NULL, last_seq INTEGER NOT NULL, exported_bytes INTEGER NOT NULL,
  exported_count INTEGER NOT NULL, last_time INTEGER NOT NULL, PRIMARY KEY (stream, id));
`;

/** Definitions go to JSON with int64 fields as decimal strings, tagged so they come back as bigint. */
export function definitionToJson(def: MessageStreamDefinition): string {
  return JSON.stringify(def, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
}

export function definitionFromJson(text: string): MessageStreamDefinition {
  return JSON.parse(text, (_k, v: unknown) =>
    typeof v === 'string' && /^-?\d+n$/.test(v) ? BigInt(v.slice(0, -1)) : v,
  ) as MessageStreamDefinition;
}

/** One database (file or memory) holding messages and export progress. */
export class MessageDb {
  readonly db: Database.Database;
  private readonly st;

  constructor(file: string) {
    this.db = new Database(file);
    // 64 KiB pages (only takes effect on a new file): messages are often 100 KiB+ blobs, and fewer, larger
    // overflow pages make an append about twice as cheap as with 4 KiB pages (ADR 0130).
    this.db.pragma('page_size = 65536');
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(SCHEMA);
    this.db.defaultSafeIntegers(true);
    this.st = {
      insert: this.db.prepare('INSERT INTO messages (stream, seq, ingest_time, payload) VALUES (?, ?, ?, ?)'),
      range: this.db.prepare(
        'SELECT seq, ingest_time, payload FROM messages WHERE stream = ? AND seq >= ? ORDER BY seq LIMIT ?',
      ),
      stats: this.db.prepare(
        'SELECT MIN(seq) AS oldest, MAX(seq) AS newest, COALESCE(SUM(length(payload)), 0) AS bytes FROM messages WHERE stream = ?',
      ),
      oldestSizes: this.db.prepare(
        'SELECT seq, length(payload) AS bytes FROM messages WHERE stream = ? ORDER BY seq LIMIT ?',
      ),
      deleteUpTo: this.db.prepare('DELETE FROM messages WHERE stream = ? AND seq <= ?'),
      expired: this.db.prepare(
        'SELECT MAX(seq) AS seq, COALESCE(SUM(length(payload)), 0) AS bytes FROM messages WHERE stream = ? AND ingest_time < ?',
      ),
      deleteStream: this.db.prepare('DELETE FROM messages WHERE stream = ?'),
      getExports: this.db.prepare(
        'SELECT id, last_seq, exported_bytes, exported_count, last_time FROM exports WHERE stream = ?',
      ),
      putExport: this.db.prepare(
        'INSERT OR REPLACE INTO exports (stream, id, last_seq, exported_bytes, exported_count, last_time) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      deleteExports: this.db.prepare('DELETE FROM exports WHERE stream = ?'),
      deleteExport: this.db.prepare('DELETE FROM exports WHERE stream = ? AND id = ?'),
    };
  }

  append(stream: string, seq: bigint, ingestTime: number, payload: Buffer): void {
    this.st.insert.run(stream, seq, ingestTime, payload);
  }

  range(stream: string, fromSeq: bigint, limit: number): StoredMessage[] {
    const rows = this.st.range.all(stream, fromSeq, limit) as { seq: bigint; ingest_time: bigint; payload: Buffer }[];
    return rows.map((r) => ({ seq: r.seq, ingestTime: Number(r.ingest_time), payload: r.payload }));
  }

  stats(stream: string): { oldest: bigint | null; newest: bigint | null; bytes: bigint } {
    return this.st.stats.get(stream) as { oldest: bigint | null; newest: bigint | null; bytes: bigint };
  }

  oldestSizes(stream: string, limit: number): { seq: bigint; bytes: bigint }[] {
    return this.st.oldestSizes.all(stream, limit) as { seq: bigint; bytes: bigint }[];
  }

  deleteUpTo(stream: string, seq: bigint): void {
    this.st.deleteUpTo.run(stream, seq);
  }

  /** Highest seq and total bytes of messages ingested before `cutoff` (epoch ms). */
  expired(stream: string, cutoff: number): { seq: bigint | null; bytes: bigint } {
    return this.st.expired.get(stream, cutoff) as { seq: bigint | null; bytes: bigint };
  }

  deleteStream(stream: string): void {
    this.db.transaction(() => {
      this.st.deleteStream.run(stream);
      this.st.deleteExports.run(stream);
    })();
  }

  exports(stream: string): Map<string, ExportProgress> {
    const rows = this.st.getExports.all(stream) as {
      id: string;
      last_seq: bigint;
      exported_bytes: bigint;
      exported_count: bigint;
      last_time: bigint;
    }[];
    return new Map(
      rows.map((r) => [
        r.id,
        {
          lastExportedSeq: r.last_seq,
          exportedBytes: r.exported_bytes,
          exportedCount: r.exported_count,
          lastExportTime: Number(r.last_time),
        },
      ]),
    );
  }

  putExport(stream: string, id: string, p: ExportProgress): void {
    this.st.putExport.run(stream, id, p.lastExportedSeq, p.exportedBytes, p.exportedCount, p.lastExportTime);
  }

  deleteExport(stream: string, id: string): void {
    this.st.deleteExport.run(stream, id);
  }

  close(): void {
    this.db.close();
  }
}

/** The file database (definitions + File streams) and the memory database (Memory streams). */
export function openStorage(dir: string): { file: MessageDb; memory: MessageDb } {
  mkdirSync(dir, { recursive: true });
  return { file: new MessageDb(join(dir, 'streams.sqlite')), memory: new MessageDb(':memory:') };
}

export function loadDefinitions(db: MessageDb): MessageStreamDefinition[] {
  const rows = db.db.prepare('SELECT definition FROM streams ORDER BY name').all() as { definition: string }[];
  return rows.map((r) => definitionFromJson(r.definition));
}

export function saveDefinition(db: MessageDb, def: MessageStreamDefinition): void {
  db.db.prepare('INSERT OR REPLACE INTO streams (name, definition) VALUES (?, ?)').run(def.name, definitionToJson(def));
}

export function deleteDefinition(db: MessageDb, name: string): void {
  db.db.prepare('DELETE FROM streams WHERE name = ?').run(name);
}
