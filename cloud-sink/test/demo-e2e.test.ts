import { Dec, gwp } from '@pcf-edge/pcf-engine';
import { PcfService } from '../src/service/pcf-service';
import { DEMO_MORNING, loadDemo, tempDb, type TempDb } from './helpers';

const d = (v: number | string) => new Dec(v);
/** Compare at 12 decimals: the engine's shares are exact remainders, the hand computation divides in another order. */
const at12 = (v: Dec | string) => new Dec(v).toDecimalPlaces(12).toString();

describe('demo factory end to end: rollups → PCF per order and per product', () => {
  let t: TempDb;
  const options = DEMO_MORNING;
  beforeAll(async () => {
    t = tempDb();
    await loadDemo(t.repo);
  });
  afterAll(async () => {
    await t.cleanup();
  });

  // ---- the hand computation (AR5; DESNZ 2023 factors) ----
  const ELEC = d('0.207074289'); // kgCO2e/kWh, CO2 0.204950289 + CH4 0.0000115×28 + N2O 0.0000068×265
  const GAS = d('0.182928926'); // kgCO2e/kWh gross, CO2 0.182516426 + CH4 0.00001×28 + N2O 0.0000005×265
  const MARKET = d('0.05');
  // line-1 (10 kWh + 5 kWh gas per 15 min): o-101 06:00–07:30 takes 6 windows; o-102 08:00–09:10 takes 4 windows + 10/15
  // of the 09:00 window; idle = 07:30–08:00 (2 windows) + 5/15 of 09:00 + 09:15–10:00 (3 windows) = 16/3 windows.
  const o101 = { elec: d(60), gas: d(30) };
  const o102 = { elec: d(40).plus(d(10).times(10).div(15)), gas: d(20).plus(d(5).times(10).div(15)) };
  const idle1 = { elec: d(10).times(16).div(3), gas: d(5).times(16).div(3) };
  // Overhead key mass (good units × kg/unit): o-101 300 × 1, o-102 100 × 2.5 ⇒ line-1 idle shares 300/550, 250/550.
  // line-2 (8 kWh per window): o-201 06:00–08:05, o-202 08:05–10:00; the 08:00 window is shared by units:
  // o-201 50 units/125 min × 5 min = 2, o-202 45/115 × 10 = 90/23 ⇒ o-201 gets 8 × 2/(2 + 90/23) = 46/17 kWh.
  const shared201 = d(8)
    .times(2)
    .div(d(2).plus(d(90).div(23)));
  const o201 = { elec: d(64).plus(shared201) };
  const o202 = { elec: d(56).plus(d(8).minus(shared201)) };
  // Site baseload 2 kWh × 16 windows = 32 kWh over all four orders by mass: 300, 250, 50×3.2 = 160, 45×3.2 = 144 (Σ 854).
  const base = (mass: number) => d(32).times(mass).div(854);
  const oh101 = { elec: idle1.elec.times(300).div(550).plus(base(300)), gas: idle1.gas.times(300).div(550) };
  const oh102 = { elec: idle1.elec.times(250).div(550).plus(base(250)), gas: idle1.gas.times(250).div(550) };
  // Direct: line-1 solvent CH4 0.01 kg/h × 28 ⇒ o-101 1.5 h, o-102 70 min.
  const direct101 = d('0.01').times(28).times('1.5');
  const direct102 = d('0.01').times(28).times(70).div(60);
  // Materials per declared unit: steel-sheet 1.05 kg coil × (1.9 + 0.002×28 + 0.0001×265 = 1.9825).
  const matSheet = d('1.05').times('1.9825');
  const energyKg = (e: { elec: Dec; gas?: Dec }) => e.elec.times(ELEC).plus((e.gas ?? d(0)).times(GAS));
  const sheetTotal = matSheet.times(300).plus(energyKg(o101)).plus(energyKg(oh101)).plus(direct101);
  const sheetPcf = sheetTotal.div(300);
  const matHousing = d(2).times(sheetPcf).plus(d('0.1').times('3.2')); // 2 kg sheet + 0.1 kg paint
  const housingTotal = matHousing.times(102).plus(energyKg(o102)).plus(energyKg(oh102)).plus(direct102); // 100 good + 2 scrap
  const housingPcf = housingTotal.div(100);
  const matWidget = housingPcf.plus(d('1.2').times('6.5')).plus(d('0.0004').times(800)); // housing + 1.2 kg motor (PACT) + 400 g board
  const oh201 = { elec: base(160) },
    oh202 = { elec: base(144) };
  const o201Total = matWidget.times(51).plus(energyKg(o201)).plus(energyKg(oh201));
  const o202Total = matWidget.times(45).plus(energyKg(o202)).plus(energyKg(oh202));
  const widgetPcf = o201Total.plus(o202Total).div(95);

  it('conserves every line: allocated + overhead + unallocated = metered', async () => {
    const { doc } = await new PcfService(t.repo).calculateProduct('widget', options);
    const l1 = doc.balances.find((b) => b.line === 'line-1')!;
    expect(l1).toMatchObject({ metered: '240', residual: '0', unallocated: '0' });
    expect(at12(l1.overhead)).toBe(at12(idle1.elec.plus(idle1.gas)));
    expect(doc.balances.find((b) => b.line === 'line-2')).toMatchObject({
      metered: '128',
      allocated: '128',
      overhead: '0',
      residual: '0',
    });
    expect(doc.balances.find((b) => b.line === 'site:plant-1 baseload')).toMatchObject({
      metered: '32',
      overhead: '32',
    });
  });

  it('steel-sheet and housing per declared unit equal the hand computation', async () => {
    expect(at12((await new PcfService(t.repo).calculateProduct('steel-sheet', options)).doc.pcfPerDeclaredUnit)).toBe(
      at12(sheetPcf),
    );
    const housing = (await new PcfService(t.repo).calculateProduct('housing', options)).doc;
    expect(at12(housing.pcfPerDeclaredUnit)).toBe(at12(housingPcf));
    expect(housing.orders[0]).toMatchObject({ id: 'o-102', goodUnits: '100', scrapUnits: '2' });
    expect(at12(housing.breakdownKg.direct!)).toBe(at12(direct102));
  });

  it('widget per order and per product equal the hand computation', async () => {
    const { doc } = await new PcfService(t.repo).calculateProduct('widget', options);
    const [a, b] = doc.orders;
    expect(at12(a!.totalKg)).toBe(at12(o201Total));
    expect(at12(a!.perUnitKg!)).toBe(at12(o201Total.div(50)));
    expect(at12(a!.breakdownKg.electricityLocation!)).toBe(at12(o201.elec.times(ELEC)));
    expect(at12(b!.totalKg)).toBe(at12(o202Total));
    expect(at12(doc.pcfPerDeclaredUnit)).toBe(at12(widgetPcf));
    expect(doc.pcfPerDeclaredUnitDisplay).toBe(widgetPcf.toDecimalPlaces(6).toString());
    expect(doc.warnings).toEqual([]);
  });

  it('reports market-based electricity too, and uses it when asked', async () => {
    const loc = (await new PcfService(t.repo).calculateProduct('widget', options)).doc;
    const mkt = (await new PcfService(t.repo).calculateProduct('widget', { ...options, method: 'market' })).doc;
    expect(at12(loc.breakdownKg.electricityMarket!)).toBe(at12(o201.elec.plus(o202.elec).times(MARKET)));
    expect(mkt.breakdownKg.electricityMarket).toBe(loc.breakdownKg.electricityMarket);
    // Only the electricity term changes: location − market = Σ allocated + overhead kWh (own lines and sub-products' lines) × (0.207074289 − 0.05).
    expect(at12(d(loc.breakdownKg.electricityLocation!).minus(loc.breakdownKg.electricityMarket!))).toBe(
      at12(o201.elec.plus(o202.elec).times(ELEC.minus(MARKET))),
    );
    expect(d(loc.totalKg).gt(mkt.totalKg)).toBe(true);
  });

  it('reports kWh per order and every gas before GWP (Σ mass × GWP = kgCO2e)', async () => {
    const { doc } = await new PcfService(t.repo).calculateProduct('widget', options);
    const [a, b] = doc.orders;
    expect(at12(a!.energyKWh.electricity!)).toBe(at12(o201.elec));
    expect(at12(a!.energyKWh.overheadElectricity!)).toBe(at12(oh201.elec));
    expect(a!.energyKWh.gas).toBe('0');
    expect(at12(b!.energyKWh.electricity!)).toBe(at12(o202.elec));
    const co2e = (ghg: Record<string, string>) =>
      Object.entries(ghg).reduce((sum, [g, kg]) => sum.plus(d(kg).times(gwp('AR5', g))), d(0));
    expect(Object.keys(doc.ghgKg)).toEqual(['CO2', 'CH4', 'N2O', 'CO2e']); // CO2e: the supplier's PACT footprint
    expect(at12(co2e(doc.ghgKg))).toBe(at12(doc.totalKg));
    expect(at12(co2e(doc.ghgKgPerDeclaredUnit))).toBe(at12(doc.pcfPerDeclaredUnit));
    for (const o of doc.orders) expect(at12(co2e(o.ghgKg))).toBe(at12(o.totalKg));
    // housing's order o-102 carries line-1's solvent CH4: 0.01 kg/h × 70 min
    const housing = (await new PcfService(t.repo).calculateProduct('housing', options)).doc;
    expect(d(housing.orders[0]!.ghgKg.CH4!).gt(d('0.01').times(70).div(60))).toBe(true);
  });
});
