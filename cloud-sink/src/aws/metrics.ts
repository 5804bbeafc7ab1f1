/**
 * CloudWatch embedded metric format (EMF): one JSON log line per invocation that CloudWatch Logs turns into metrics,
 * so a Lambda reports counts without an API call. Dimension `Function` (the function's name) lets one namespace
 * hold every function of a deployment; the stack's alarms select it.
 */
export function emfLine(
  namespace: string,
  functionName: string,
  counts: Record<string, number>,
  timestampMs: number,
): string {
  return JSON.stringify({
    _aws: {
      Timestamp: timestampMs,
      CloudWatchMetrics: [
        {
          Namespace: namespace,
          Dimensions: [['Function']],
          Metrics: Object.keys(counts).map((Name) => ({ Name, Unit: 'Count' })),
        },
      ],
    },
    Function: functionName,
    ...counts,
  });
}

/** Metric names the consumer reports and the stack alarms on. */
export const CONSUMER_METRICS = {
  records: 'Records',
  failed: 'FailedRecords',
  deadLettered: 'DeadLetteredRecords',
} as const;
