/* pcf-edge dashboard: the sustainability expert's workflows (issue 22). Loaded before app.js, whose helpers ($, api,
 * cell, linkCell, viewError, renderNode, showAudit, download, fmt) these functions call once the page runs.
 * - the month picker: every view of the period reads `?month=YYYY-MM`;
 * - reference upload: a validate-only preview (added, changed, unchanged, kept; every error by row and column), then
 *   apply (the import);
 * - an ad-hoc calculation of a product for the month, its audit tree, and publishing it (storing it makes a PACT
 *   footprint, whose id and version are shown);
 * - results with their stale marks and footprints; CSV exports; grants of footprints to partners (admin). */
'use strict';

/** The chosen month, `YYYY-MM` (UTC calendar month). */
function selectedMonth() {
  return $('month').value;
}

/** [start, end) of the chosen month as ISO instants. */
function monthPeriod(month) {
  const [y, m] = month.split('-').map(Number);
  return {
    periodStart: new Date(Date.UTC(y, m - 1, 1)).toISOString(),
    periodEnd: new Date(Date.UTC(y, m, 1)).toISOString(),
  };
}

/** The month of the latest production order (where there is data to see), else this month. */
function defaultMonth(orders) {
  const last = orders
    .map((o) => o.start)
    .sort()
    .pop();
  return (last || new Date().toISOString()).slice(0, 7);
}

function table(id, head, rows) {
  const t = $(id);
  t.tHead.replaceChildren();
  const h = t.tHead.insertRow();
  for (const c of head) {
    const th = document.createElement('th');
    th.textContent = c;
    h.appendChild(th);
  }
  t.tBodies[0].replaceChildren();
  for (const r of rows) {
    const tr = t.tBodies[0].insertRow();
    if (r.cls) tr.className = r.cls;
    for (const c of r.cells) cell(tr, c);
  }
  t.hidden = rows.length === 0;
}

/** Every `{row, column, reason}` of a refused or previewed file, in a table. */
function renderFileErrors(errors) {
  table(
    'upload-errors',
    ['row', 'column', 'reason'],
    errors.map((e) => ({ cells: [String(e.row), e.column || '–', e.reason], cls: 'error-row' })),
  );
}

const show = (v) => (v === undefined ? '–' : typeof v === 'string' ? v : JSON.stringify(v));

function renderPreview(p) {
  const summary = `${p.kind} against reference version ${p.currentVersion}: ${p.added.length} added, ${p.changed.length} changed, ${p.unchanged.length} unchanged, ${p.kept.length} kept (stored, not in the file: an import keeps them)`;
  $('preview-summary').textContent = p.valid
    ? `${summary}. The file is valid: apply it to store it.`
    : `${summary}. ${p.errors.length} error(s): nothing can be applied until they are fixed.`;
  $('preview-summary').className = p.valid ? 'ok' : 'error';
  const rows = [
    ...p.added.map((a) => ({ cells: ['added', a.id, a.rows.join(', '), ''], cls: 'added' })),
    ...p.changed.map((c) => ({
      cells: [
        'changed',
        c.id,
        c.rows.join(', '),
        c.fields.map((f) => `${f.column}: ${show(f.before)} → ${show(f.after)}`).join('; '),
      ],
      cls: 'changed',
    })),
    ...p.unchanged.map((u) => ({ cells: ['unchanged', u.id, u.rows.join(', '), ''] })),
    ...p.kept.map((k) => ({ cells: ['kept', k.id, '', 'not in the file; stays as stored'] })),
  ];
  table('preview-changes', ['change', 'id', 'rows', 'what changes'], rows);
  renderFileErrors(p.errors);
  $('preview').hidden = false;
}

async function chosenFile() {
  const file = $('upload-file').files[0];
  if (!file) throw new Error('choose a file first');
  return { type: file.name.endsWith('.csv') ? 'text/csv' : 'application/json', text: await file.text() };
}

async function previewUpload() {
  viewError('upload-error');
  $('upload-result').textContent = '';
  try {
    const f = await chosenFile();
    const kind = encodeURIComponent($('upload-kind').value);
    renderPreview(
      await api(`/api/reference/${kind}/preview`, {
        method: 'POST',
        headers: { 'content-type': f.type },
        body: f.text,
      }),
    );
  } catch (err) {
    $('preview').hidden = true;
    viewError('upload-error', err);
  }
}

/** Apply: the import itself. A refused file shows every error as the preview does. */
async function applyUpload() {
  viewError('upload-error');
  $('upload-result').textContent = '';
  try {
    const f = await chosenFile();
    const kind = encodeURIComponent($('upload-kind').value);
    const body = await api(`/api/reference/${kind}`, {
      method: 'POST',
      headers: { 'content-type': f.type },
      body: f.text,
    });
    $('preview').hidden = true;
    renderFileErrors([]);
    $('upload-result').textContent = `stored as reference version ${body.version} (${body.entities} ${body.kind})`;
    await reloadPeriod();
  } catch (err) {
    viewError('upload-error', err);
    const errors = err.body && err.body.details && err.body.details.errors;
    if (errors) {
      renderFileErrors(errors);
      $('preview').hidden = false;
      $('preview-summary').textContent = 'not applied: the file has errors';
      $('preview-summary').className = 'error';
      table('preview-changes', [], []);
    }
  }
}

function renderProductChoices(products) {
  const select = $('calc-product');
  const was = select.value;
  select.replaceChildren(
    ...products.map((p) => {
      const o = document.createElement('option');
      o.value = p.id;
      o.textContent = p.name ? `${p.id} (${p.name})` : p.id;
      return o;
    }),
  );
  if (products.some((p) => p.id === was)) select.value = was;
}

let lastCalculation;

function calcRequest(store) {
  return {
    product: $('calc-product').value,
    ...monthPeriod(selectedMonth()),
    method: $('calc-method').value,
    gwpSet: $('calc-gwp').value,
    shareKey: $('calc-share-key').value,
    overheadKey: $('calc-overhead-key').value,
    store,
  };
}

function renderCalculation(req, answer) {
  const r = answer.result;
  $('calc-summary').textContent =
    `${r.product} · ${selectedMonth()} · ${r.method}-based · ${r.gwpSet}: ${r.pcfPerDeclaredUnitDisplay} kgCO2e per ${r.declaredUnit} (${fmt(r.goodUnits, 3)} good ${r.declaredUnit} made)`;
  const per = r.breakdownKgPerDeclaredUnit || {};
  table(
    'calc-breakdown',
    ['part', 'kgCO2e per declared unit', 'full precision'],
    Object.entries(per).map(([k, v]) => ({ cells: [k, fmt(v, 6), v] })),
  );
  $('calc-warnings').textContent = r.warnings.length ? `warnings: ${r.warnings.join('; ')}` : '';
  const ul = document.createElement('ul');
  ul.appendChild(renderNode(answer.audit.derivation));
  $('calc-tree').replaceChildren(ul);
  $('calc-output').hidden = false;
  lastCalculation = req;
  $('calc-publish').disabled = false;
}

async function calculate(e) {
  e.preventDefault();
  viewError('calc-error');
  $('publish-result').textContent = '';
  $('calc-publish').disabled = true;
  try {
    const req = calcRequest(false);
    renderCalculation(req, await api('/api/pcf', jsonBody('POST', req)));
  } catch (err) {
    $('calc-output').hidden = true;
    viewError('calc-error', err);
  }
}

/** Publish: the same calculation stored; the publisher turns it into a PACT footprint at once. */
async function publishCalculation() {
  viewError('calc-error');
  try {
    const a = await api('/api/pcf', jsonBody('POST', { ...lastCalculation, store: true }));
    const out = $('publish-result');
    if (a.footprint) {
      out.textContent = `published as PACT footprint ${a.footprint.id}, version ${a.footprint.version} (result ${a.resultId})`;
      out.dataset.footprintId = a.footprint.id;
    } else out.textContent = `stored as result ${a.resultId}; not published: ${a.notPublished}`;
    $('calc-publish').disabled = true;
    await reloadPeriod();
  } catch (err) {
    viewError('calc-error', err);
  }
}

const jsonBody = (method, body) => ({
  method,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/** "stale: +0.01 kgCO2e/piece (+0.3 %), +8 kWh; revised …" from a `GET /api/results/stale` entry. */
function staleText(s) {
  const sign = (v) => (Number(v) > 0 ? `+${v}` : String(v));
  const pct = (Number(s.relativeChange) * 100).toPrecision(3);
  const what = [...s.revised.map((r) => `revised ${r}`), ...s.added.map((a) => `new window ${a}`)];
  return `stale: ${sign(Number(s.deltaKgPerDeclaredUnit).toPrecision(6))} kgCO2e/${s.declaredUnit} (${pct} %), ${sign(s.deltaKWh)} kWh; now ${fmt(s.currentPcf, 6)}; ${what.length} input(s) changed`;
}

function renderResults(results, stale) {
  const byId = new Map(stale.map((s) => [s.resultId, s]));
  const tbody = $('results').tBodies[0];
  tbody.replaceChildren();
  for (const r of [...results].reverse()) {
    const tr = tbody.insertRow();
    tr.dataset.resultId = r.id;
    cell(tr, r.product);
    cell(tr, periodText(r.periodStart, r.periodEnd));
    cell(tr, `${r.method}, ${r.gwpSet}`);
    linkCell(tr, fmt(r.pcfPerDeclaredUnitDisplay, 6), () => showAudit(r.id), `result-${r.id}`);
    const s = byId.get(r.id);
    cell(tr, s ? staleText(s) : 'current', s ? 'stale' : '');
    cell(tr, r.footprint ? `${r.footprint.id} v${r.footprint.version} (${r.footprint.statusNow})` : 'not published');
    cell(tr, r.createdAt.slice(0, 19).replace('T', ' '));
  }
}

async function loadGrants() {
  const { grants } = await api('/api/admin/grants');
  const tbody = $('grants').tBodies[0];
  tbody.replaceChildren();
  for (const g of grants) {
    const tr = tbody.insertRow();
    cell(tr, g.clientId);
    cell(tr, g.kind);
    cell(tr, g.value);
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = 'revoke';
    b.dataset.testid = `revoke-${g.clientId}-${g.value}`;
    b.addEventListener('click', () => {
      changeGrant('DELETE', { clientId: g.clientId, kind: g.kind, value: g.value });
    });
    tr.insertCell().appendChild(b);
  }
  $('grants').hidden = false;
  $('grant-form').hidden = false;
}

/** Adds or revokes a grant, then shows the list as it now is and says what changed (in that order). */
async function changeGrant(method, grant) {
  viewError('grants-error');
  $('grant-result').textContent = '';
  try {
    const a = await api('/api/admin/grants', jsonBody(method, grant));
    await loadGrants();
    $('grant-result').textContent =
      method === 'DELETE'
        ? `revoked: ${grant.clientId} no longer sees ${grant.kind} ${grant.value}`
        : `${a.added ? 'granted' : 'already granted'}: ${grant.clientId} sees ${grant.kind} ${grant.value}`;
  } catch (err) {
    viewError('grants-error', err);
  }
}

function exportCsv(kind) {
  const month = selectedMonth();
  const [path, name] =
    kind === 'results'
      ? [`/api/export/results.csv?month=${month}`, `pcf-results-${month}.csv`]
      : [`/api/export/energy.csv?month=${month}`, `line-energy-${month}.csv`];
  download(path, name).catch((err) => showError(err.message));
}

function wireWorkflows() {
  $('upload-preview').addEventListener('click', () => void previewUpload());
  $('calc').addEventListener('submit', (e) => void calculate(e));
  $('calc-publish').addEventListener('click', () => void publishCalculation());
  $('month').addEventListener('change', () => {
    if (selectedMonth()) reloadPeriod().catch((err) => viewError('ops-error', err));
  });
  $('export-results').addEventListener('click', () => exportCsv('results'));
  $('export-energy').addEventListener('click', () => exportCsv('energy'));
  $('grants-load').addEventListener('click', () => {
    viewError('grants-error');
    loadGrants().catch((err) => viewError('grants-error', err));
  });
  $('grant-form').addEventListener('submit', (e) => {
    e.preventDefault();
    void changeGrant('POST', {
      clientId: $('grant-client').value,
      kind: $('grant-kind').value,
      value: $('grant-value').value,
    });
  });
}
