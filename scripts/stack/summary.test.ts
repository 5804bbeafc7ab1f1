import { renderSummary } from './summary';

const base = {
  simNow: new Date('2026-11-02T07:00:00Z'),
  factor: 60,
  dashboard: 'http://127.0.0.1:8080/',
  lagSimMs: 120_000,
  lines: [
    { line: 'line-1', electricityKWh: 12.5, gasKWh: 3, unitsGood: 100, kWhPerUnit: 0.155, coverage: 1, estimated: 0 },
  ],
};

describe('the terminal summary of npm start', () => {
  it('lists the PCFs computed so far and names the products not produced yet', () => {
    const text = renderSummary({
      ...base,
      products: [{ product: 'steel-sheet', declaredUnit: 'kg', perUnit: '2.1', method: 'location', goodUnits: '300' }],
      notYetProduced: ['housing'],
    });
    expect(text).toContain('steel-sheet');
    expect(text).toContain('(not produced yet in the simulated day: housing)');
    expect(text).toContain('export lag: 2.0 simulated min (2.0 s real)');
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(78);
  });

  it('waits for the first windows before any PCF and does not list products as not produced then', () => {
    const text = renderSummary({ ...base, products: [], notYetProduced: ['housing'] });
    expect(text).toContain('(waiting for the first complete windows to reach the cloud)');
    expect(text).not.toContain('not produced yet');
  });
});
