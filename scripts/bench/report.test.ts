import { anchorFor, parseBenchLines, renderReport, verdict } from './report';

describe('bench report', () => {
  const out = [
    '| some table | 1 |',
    'BENCH store.readingsPerSec=512000 readings/s',
    'BENCH store.ratioStoreToBare=0.42 ratio target >= 0.5',
    '  BENCH api.GET_2_footprints_id.p95Ms=12.5 ms target <= 50  ',
    'BENCH collect.modbus.rssMB=1.5e2 MB target <= 150',
    'BENCH broken=abc ms',
  ].join('\n');

  it('parses BENCH lines with and without targets and ignores everything else', () => {
    expect(parseBenchLines(out)).toEqual([
      { name: 'store.readingsPerSec', value: 512000, unit: 'readings/s' },
      { name: 'store.ratioStoreToBare', value: 0.42, unit: 'ratio', op: '>=', target: 0.5 },
      { name: 'api.GET_2_footprints_id.p95Ms', value: 12.5, unit: 'ms', op: '<=', target: 50 },
      { name: 'collect.modbus.rssMB', value: 150, unit: 'MB', op: '<=', target: 150 },
    ]);
  });

  it('marks met / missed against the stated target and finds the anchor by prefix', () => {
    const [a, b, c, d] = parseBenchLines(out);
    expect([verdict(a!), verdict(b!), verdict(c!), verdict(d!)]).toEqual(['—', 'missed', 'met', 'met']);
    expect(anchorFor('collect.modbus.rssMB')).toMatch(/199 MB/);
    expect(anchorFor('store.readingsPerSec')).toMatch(/several hundred thousand/);
    expect(anchorFor('pcf.recomputeAllSec')).toBe('');
  });

  it('renders a row per figure, lists misses, and flags a script without BENCH lines', () => {
    const md = renderReport(
      [
        { script: 'bench:store', args: [], code: 0, seconds: 3, output: out, figures: parseBenchLines(out) },
        { script: 'bench:none', args: ['--quick'], code: 1, seconds: 1, output: '', figures: [] },
      ],
      true,
    );
    expect(md).toContain('| bench:store | store.ratioStoreToBare | 0.42 ratio | >= 0.5 | **missed** |');
    expect(md).toContain('| bench:none | (no BENCH lines; exit 1) | | | missed | |');
    expect(md).toMatch(/## Missed targets\n\n- bench:store store.ratioStoreToBare/);
  });
});
