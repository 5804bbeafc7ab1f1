import { parseArgs, type ParseArgsConfig } from 'node:util';
import { PcfError } from '@pcf-edge/core';

import { DEFAULT_DB } from '../store/open';

export { DEFAULT_DB };

export type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses a command's arguments; unknown options or missing values are ERR_USAGE naming the command. */
export function parse(
  command: string,
  argv: string[],
  options: Options,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: {
        ...options,
        db: { type: 'string' },
        'database-url': { type: 'string' },
        'db-schema': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    });
    return { values: values as Record<string, string | boolean | undefined>, positionals };
  } catch (err) {
    throw new PcfError('ERR_USAGE', `${command}: ${(err as Error).message} (see --help)`);
  }
}

export function required(command: string, values: Record<string, unknown>, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '')
    throw new PcfError('ERR_USAGE', `${command}: --${name} is required (see --help)`);
  return v;
}

/** ISO date (2026-01-01) or date-time → ISO-8601 UTC string; anything else is ERR_USAGE. */
export function instant(command: string, name: string, text: string): string {
  const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);
  if (Number.isNaN(ms))
    throw new PcfError('ERR_USAGE', `${command}: --${name} '${text}' is not a date or ISO-8601 date-time`);
  return new Date(ms).toISOString();
}

export function oneOf<T extends string>(command: string, name: string, text: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(text))
    throw new PcfError('ERR_USAGE', `${command}: --${name} must be one of ${allowed.join(', ')} (got '${text}')`);
  return text as T;
}

export const HELP = {
  main: `usage: npm run cloud-sink -- <command> [options]

commands:
  import <kind> <file>   import reference data (CSV or JSON) as a new version; kinds: sites, lines, products, boms,
                         direct-emissions, factors, electricity, supply, supplier-pcfs, orders
  import-demo            load examples/demo-factory (reference data and the demo day's rollups)
  pcf                    compute a product's PCF for a period, store it with its audit record, print it
  results [--stale]      list stored results (--stale: those whose inputs changed since, with the differences)
  recompute --period <YYYY-MM>  compute, store and publish every product made in the month; changes vs the last run
  recompute --stale      recompute stale results; republish those that changed by the threshold or more
  audit verify           replay every stored result from the inputs it used and check the hash chain
  audit show <id>        print a result's derivation as a tree
  consume                read a Kinesis stream (all shards) into the database, archiving every record
  replay --from <a>      rebuild the rollup store from a raw archive (folder or s3://bucket/prefix/)
  clients, grants        API clients (scopes, disable, PACT events endpoint) and the footprints shared with them
  gateways               gateway signing keys and the sites each gateway may report
  keys rotate            rotate the API's token-signing keys
  deliveries list        PACT events queued for delivery
  migrate                apply pending schema migrations (PostgreSQL needs this before any other command)
  serve                  the PACT API and dashboard (see serve --help)

store (every command): SQLite --db <file> (default ${DEFAULT_DB}), or PostgreSQL: env PCF_EDGE_DATABASE_URL
  (postgres://user:password@host:port/db; or --database-url without the password, which then comes from PGPASSWORD),
  schema --db-schema <name> or env PCF_EDGE_DATABASE_SCHEMA (default public). A URL holding a password is refused
  in argv: the process list would show it.
raw archive (consume, import): --archive <folder|s3://bucket/prefix/>, else env PCF_EDGE_ARCHIVE, else env
  PCF_EDGE_ARCHIVE_BUCKET (S3), else archive/ beside the SQLite file (.pcf-edge/archive for PostgreSQL);
  --s3-endpoint <url> for an S3-compatible server. Objects: <kind>/<sha256[0..2]>/<sha256>.gz, gzip of the bytes.
common options: --help
exit codes: 0 ok · 1 failed (invalid data, missing factor, audit mismatch, store error) · 2 usage error`,
  migrate: `usage: npm run cloud-sink -- migrate [--db <file> | --database-url <url>] [--db-schema <name>]

Applies every pending schema migration in order, each recorded in schema_migrations; running it again changes
nothing. PostgreSQL: one transaction under an advisory lock (several processes may run it at once), and every other
command refuses a schema that is not current. SQLite files are also migrated when a command opens them.`,
  import: `usage: npm run cloud-sink -- import <kind> <file> [--db <file>]

Imports <file> (.csv, else JSON: an array, {"data": [...]}, or one object) as a new version of <kind>.
All-or-nothing: any bad row rejects the whole file and every bad row is listed with its column and reason.
The file is archived verbatim under its SHA-256 (the version's sha256) before the version is stored:
  --archive <folder|s3://bucket/prefix/>  (default: see --help of the main command)  --s3-endpoint <url>
kinds: sites, lines, products, boms, direct-emissions, factors, electricity, supplier-pcfs (PACT v2 JSON), orders
Every column, unit and rule, with an example file per kind: docs/reference-data.md; the example files are
cloud-sink/templates/reference/<kind>.csv (supplier-pcfs.json). Units may be written as symbols (kg, gal, MMBtu)
or names (kilogram, US gallon); they are stored as symbols.`,
  'import-demo': `usage: npm run cloud-sink -- import-demo [--no-rollups] [--db <file>]

Imports cloud-sink/examples/demo-factory in dependency order and (unless --no-rollups) the synthetic rollups of
the demo day 2026-11-02 06:00–10:00 UTC. Then try:
  npm run cloud-sink -- pcf --product widget --from 2026-11-02T06:00:00Z --to 2026-11-02T10:00:00Z --gwp AR5`,
  pcf: `usage: npm run cloud-sink -- pcf --product <id> --from <date|date-time> --to <date|date-time> [options]

  --method location|market          electricity result used in the total (default location; both are reported)
  --gwp AR4|AR5|AR6                 GWP set (default AR6)
  --share-key units|mass|economicValue|machineTime     sharing of a window between orders (default units)
  --overhead-key units|mass|economicValue|machineTime  spreading of idle energy and baseload (default units)
  --window <15m|1m|…>               rollup window length (default: the shortest present per line)
  --dry-run                         compute and print only (no stored result, no audit record)
  --json                            print the result document as JSON`,
  results: `usage: npm run cloud-sink -- results [--stale [--json]] [--db <file>]

Lists stored results: id, product, period, method, GWP set, PCF per declared unit.
  --stale   only the results that stand (not replaced by a recomputation) whose inputs changed since they were computed
            (a rollup they used has a newer revision, or a window of their period arrived), each recomputed over the
            current rollups (not stored) with the difference in kWh and in kgCO2e per declared unit
  --json    print the stale list as JSON`,
  recompute: `usage: npm run cloud-sink -- recompute --period <YYYY-MM> [--method location|market] [--gwp AR4|AR5|AR6]
                   [--share-key <key>] [--overhead-key <key>] [--config <api config>] [--json] [--db <file>]
       npm run cloud-sink -- recompute --stale [--threshold-percent <p>] [--config <api config>] [--json] [--db <file>]

--period <YYYY-MM>: the month (UTC, e.g. 2026-11 = 2026-11-01T00:00Z to 2026-12-01T00:00Z). Computes every product
with a production order on any line in the month, compares each result with the last stored result of that product
for the same month and options (the last run), stores it with its audit record where it differs, and publishes the
stored results as PACT footprints. Prints a summary versus the last run, one line per product:
  new        no earlier result for the month and options: stored
  unchanged  the same result document as the last run: nothing stored, nothing published (so a second run over the
             same data changes nothing)
  changed    stored; the PCF before → after in kgCO2e per declared unit, the difference and its percentage
  failed     nothing stored for it: the error code and why (e.g. a missing factor); the others go on, exit code 1
and a count line. Progress goes to stderr: a bar on a terminal, else a line "recompute 2026-11: 120/480 products" at
every tenth. The scheduled recomputation on AWS runs the same code for the previous month.
  --method, --gwp, --share-key, --overhead-key  as for pcf (defaults location, AR6, units, units)

--stale: recomputes every stale result (see results --stale) at its recorded reference version and options over the
current rollups. A relative change of the PCF per declared unit of at least <p> % (default 0.1) stores a successor
result with its audit record (which names the result it supersedes) and publishes it as PACT: a new footprint id
listing the old one in precedingPfIds, the old one Deprecated and still readable, and a ProductFootprint.Published
event queued for delivery. Below the threshold the result is recorded as current again with a note, and nothing is
published.

--stale and --period exclude each other.
  --config <file>  the API config whose pact section names the publishing company (default: the built-in defaults)
  --json           print the report as JSON (--period: period, periodStart, periodEnd, options, products[] with
                   status, resultId, previousResultId, pcf, previousPcf, deltaKgPerDeclaredUnit, changePercent, code,
                   message; counts; published[]; events)`,
  audit: `usage: npm run cloud-sink -- audit verify [--db <file>]
       npm run cloud-sink -- audit show <result id> [--db <file>]

verify: checks the hash chain, every stored result against its record, every input (reference entity, rollup
revision and its document as received) against its recorded hash, and replays every result from exactly the
revisions it used, whatever arrived later; checks that the current rollups are the highest kept revisions, and the
hash chains over every published footprint version and every recomputation (an edited, deleted or reordered row
fails, named; so does one that disagrees with the audited results: a missing result, a successor whose audit record
says otherwise). Exit 1
if anything does not match (tampering). A result whose inputs have newer revisions is stale, not failed: see
results --stale.`,
  consume: `usage: npm run cloud-sink -- consume --stream <name> [--endpoint <url>] [--region <r>] [--until-idle] [--shards <ids>] [--db <file>]

Reads every shard (or those of --shards) in parallel from its checkpoint (TRIM_HORIZON when none), keeps every rollup revision
(the current view: the highest),
dead-letters invalid records, and commits each shard's checkpoint with its upserts. Runs until SIGINT/SIGTERM, or
with --until-idle until every shard is caught up.
  --poll-interval-ms <n>  wait after an empty read at the tip (default 1000)
  --archive <a>           where every record's bytes are archived before its batch is stored (default: archive/
                          beside the SQLite file; see the main --help); --s3-endpoint <url> for an S3-compatible server
  --shards <id,id,…>      read only these shards (several consumers share a store by taking a shard each; should two
                          read one shard, nothing is stored twice and its checkpoint never moves back)`,
  replay: `usage: npm run cloud-sink -- replay --from <folder|s3://bucket/prefix/> [--s3-endpoint <url>] [--db <file>]
       npm run cloud-sink -- replay --digest [--db <file>]

--from: rebuilds the rollup store from the raw archive alone: every archived batch decoded and ingested as the
consumer does (every revision kept, the current view the highest; invalid records dead-lettered again). The store
must hold no rollups. Prints the counts and the digest of the current view (count and SHA-256 of every rollup's
stored values, by id).
--digest: prints the current view's digest of the store only, to compare a replay with the live store.`,
} as const;
