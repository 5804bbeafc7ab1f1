/** CloudEvents (structured JSON) types accepted on POST /2/events, PACT v2 names with and without the prefix. */
const PREFIX = 'org.wbcsd.pathfinder.';
export const EVENT_TYPES = [
  'ProductFootprint.Published.v1',
  'ProductFootprintRequest.Created.v1',
  'ProductFootprintRequest.Fulfilled.v1',
  'ProductFootprintRequest.Rejected.v1',
];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const nonEmpty = (v: unknown) => typeof v === 'string' && v.length > 0 && v.length <= 1000;
const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** Returns what is wrong with a CloudEvent, or undefined when it is acceptable. */
export function validateEvent(body: unknown): string | undefined {
  if (!isObject(body)) return 'the body must be a JSON object (CloudEvents structured mode)';
  if (body.specversion !== '1.0') return "specversion must be '1.0'";
  if (!nonEmpty(body.id)) return 'id must be a non-empty string';
  if (!nonEmpty(body.source)) return 'source must be a non-empty string';
  if (body.time !== undefined && (typeof body.time !== 'string' || Number.isNaN(Date.parse(body.time))))
    return 'time must be an RFC 3339 date-time';
  const type =
    typeof body.type === 'string' && body.type.startsWith(PREFIX) ? body.type.slice(PREFIX.length) : body.type;
  if (typeof type !== 'string' || !EVENT_TYPES.includes(type))
    return `type must be one of ${EVENT_TYPES.map((t) => PREFIX + t).join(', ')}`;
  const data = body.data;
  if (!isObject(data)) return 'data must be an object';
  switch (type) {
    case 'ProductFootprint.Published.v1':
      return Array.isArray(data.pfIds) &&
        data.pfIds.length > 0 &&
        data.pfIds.every((x) => typeof x === 'string' && UUID.test(x))
        ? undefined
        : 'data.pfIds must be a non-empty array of footprint ids (UUIDs)';
    case 'ProductFootprintRequest.Created.v1':
      return isObject(data.pf) && (data.comment === undefined || typeof data.comment === 'string')
        ? undefined
        : 'data.pf must be an object (and data.comment a string)';
    default:
      return Array.isArray(data.pfs) || nonEmpty(data.requestEventId) ? undefined : 'data.requestEventId is required';
  }
}

const V3_PREFIX = 'org.wbcsd.pact.ProductFootprint.';
const V3_TYPES = ['RequestCreatedEvent.3', 'RequestFulfilledEvent.3', 'RequestRejectedEvent.3', 'PublishedEvent.3'];

/** Returns what is wrong with a PACT v3.0 CloudEvent (Action Events, /3/events), or undefined when it is acceptable. */
export function validateEventV3(body: unknown): string | undefined {
  if (!isObject(body)) return 'the body must be a JSON object (CloudEvents structured mode)';
  if (body.specversion !== '1.0') return "specversion must be '1.0'";
  if (!nonEmpty(body.id)) return 'id must be a non-empty string';
  if (!nonEmpty(body.source)) return 'source must be a non-empty string';
  if (typeof body.time !== 'string' || Number.isNaN(Date.parse(body.time))) return 'time must be an RFC 3339 date-time';
  const type =
    typeof body.type === 'string' && body.type.startsWith(V3_PREFIX) ? body.type.slice(V3_PREFIX.length) : '';
  if (!V3_TYPES.includes(type)) return `type must be one of ${V3_TYPES.map((t) => V3_PREFIX + t).join(', ')}`;
  const data = body.data;
  if (!isObject(data)) return 'data must be an object';
  switch (type) {
    case 'PublishedEvent.3':
      return Array.isArray(data.pfIds) &&
        data.pfIds.length > 0 &&
        data.pfIds.every((x) => typeof x === 'string' && UUID.test(x))
        ? undefined
        : 'data.pfIds must be a non-empty array of footprint ids (UUIDs)';
    case 'RequestCreatedEvent.3':
      return data.comment === undefined || typeof data.comment === 'string'
        ? undefined
        : 'data.comment must be a string';
    case 'RequestFulfilledEvent.3':
      return nonEmpty(data.requestEventId) && Array.isArray(data.pfs) && data.pfs.length > 0
        ? undefined
        : 'data.requestEventId and a non-empty data.pfs are required';
    default:
      return nonEmpty(data.requestEventId) && isObject(data.error)
        ? undefined
        : 'data.requestEventId and data.error are required';
  }
}
