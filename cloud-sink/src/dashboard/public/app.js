/* pcf-edge dashboard: signs in (auth.js: a person through the OpenID Connect issuer, a service user with client
 * credentials) and shows what the token's scopes allow: operations (ops:read), reference upload (ops:write) and API
 * clients (admin); a view the token may not see shows the API's 403 in its place. */
'use strict';

const $ = (id) => document.getElementById(id);
const charts = {};
const fmt = (v, d = 3) =>
  v === null || v === undefined || v === '' ? '–' : Number(v).toLocaleString('en-GB', { maximumFractionDigits: d });
const perUnit = (kg, units) => (Number(units) > 0 ? Number(kg) / Number(units) : null);

function showError(message) {
  $('error').textContent = message;
  $('error').hidden = !message;
}

/** An API call with the bearer token. 403 (the token lacks the scope) is an error of that view only; an expired or
 * no longer accepted token (401, or 400 with a Bearer challenge) signs out. */
async function api(path, options = {}) {
  const res = await fetch(path, {
    ...options,
    headers: { ...(options.headers || {}), authorization: `Bearer ${currentToken()}` },
  });
  const body = res.status === 204 ? null : await res.json();
  if (res.status === 401 || (res.status === 400 && res.headers.get('www-authenticate'))) {
    signOut(`signed out: ${body.message}`);
    throw new Error(`${body.code}: ${body.message}`);
  }
  if (!res.ok) throw Object.assign(new Error(`${res.status} ${body.code}: ${body.message}`), { body });
  return body;
}

function signOut(message) {
  if (typeof message !== 'string' && endSession()) return;
  dropToken();
  $('content').hidden = true;
  $('login').hidden = false;
  $('logout').hidden = true;
  $('status').textContent = 'signed out';
  delete document.body.dataset.loaded;
  showError(typeof message === 'string' ? message : '');
}

/** Shows a view's own error (e.g. 403 for a person whose groups do not allow it) without signing out. */
function viewError(id, err) {
  $(id).textContent = err ? err.message : '';
  $(id).hidden = !err;
}

function cell(row, text, cls) {
  const td = row.insertCell();
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}

function linkCell(row, text, onClick, testId) {
  const td = row.insertCell();
  const a = document.createElement('a');
  a.className = 'num';
  a.textContent = text;
  a.tabIndex = 0;
  if (testId) a.dataset.testid = testId;
  a.addEventListener('click', onClick);
  a.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') onClick();
  });
  td.appendChild(a);
  return td;
}

function chart(id, config) {
  if (charts[id]) charts[id].destroy();
  charts[id] = new Chart($(id), {
    ...config,
    options: { responsive: true, maintainAspectRatio: false, animation: false, ...config.options },
  });
}

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

function renderEnergy(energy) {
  $('energy-period').textContent = `${energy.from} – ${energy.to}`;
  const labels = [...new Set(energy.lines.flatMap((l) => l.windows.map((w) => w.start)))].sort();
  const series = (l, key) =>
    labels.map((t) => {
      const w = l.windows.find((x) => x.start === t);
      return w ? w[key] : null;
    });
  const oneDay = labels.length > 0 && labels[0].slice(0, 10) === labels[labels.length - 1].slice(0, 10);
  const short = labels.map((t) => (oneDay ? t.slice(11, 16) : `${t.slice(5, 10)} ${t.slice(11, 16)}`));
  chart('chart-energy', {
    type: 'line',
    data: {
      labels: short,
      datasets: energy.lines.flatMap((l, i) => [
        {
          label: `${l.line} electricity`,
          data: series(l, 'electricityKWh'),
          borderColor: COLORS[(i * 2) % 8],
          backgroundColor: COLORS[(i * 2) % 8],
        },
        {
          label: `${l.line} gas`,
          data: series(l, 'gasKWh'),
          borderColor: COLORS[(i * 2 + 1) % 8],
          backgroundColor: COLORS[(i * 2 + 1) % 8],
          borderDash: [4, 3],
        },
      ]),
    },
    options: { scales: { y: { title: { display: true, text: 'kWh' } } } },
  });
  chart('chart-units', {
    data: {
      labels: short,
      datasets: energy.lines.flatMap((l, i) => [
        {
          type: 'bar',
          label: `${l.line} units`,
          data: series(l, 'unitsGood'),
          backgroundColor: `${COLORS[(i * 2) % 8]}88`,
          yAxisID: 'units',
        },
        {
          type: 'line',
          label: `${l.line} kWh/unit`,
          data: series(l, 'kWhPerUnit'),
          borderColor: COLORS[(i * 2 + 1) % 8],
          yAxisID: 'kwh',
        },
      ]),
    },
    options: {
      scales: {
        units: { position: 'left', title: { display: true, text: 'units' } },
        kwh: { position: 'right', title: { display: true, text: 'kWh / unit' }, grid: { drawOnChartArea: false } },
      },
    },
  });
  const tbody = $('lines').tBodies[0];
  tbody.replaceChildren();
  for (const l of energy.lines) {
    const r = tbody.insertRow();
    const t = l.totals;
    if (t.estimatedWindows > 0) r.className = 'estimated';
    cell(r, `${l.line} (${l.name})`);
    cell(r, fmt(t.electricityKWh));
    cell(r, fmt(t.gasKWh));
    cell(r, fmt(t.gasM3));
    cell(r, fmt(t.unitsGood, 0));
    cell(r, fmt(t.kWhPerUnit, 4));
    cell(
      r,
      t.coverage === null ? 'no data' : `${fmt(t.coverage * 100, 1)} %`,
      t.coverage !== null && t.coverage < 0.95 ? 'low-coverage' : '',
    );
    cell(r, String(t.estimatedWindows));
  }
}

/** Per-unit breakdown of a result: materials, electricity, gas, overhead, direct (kgCO2e per declared unit). */
function breakdown(res) {
  // per declared unit as computed (results recorded before it existed: the period's kg ÷ good units)
  const per = res.breakdownKgPerDeclaredUnit,
    b = per || res.breakdownKg,
    m = res.method === 'market';
  const parts = {
    materials: b.materials,
    electricity: m ? b.electricityMarket : b.electricityLocation,
    gas: b.gas,
    overhead: Number(m ? b.overheadElectricityMarket : b.overheadElectricityLocation) + Number(b.overheadGas),
    direct: b.direct,
  };
  return Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, per ? Number(v) : perUnit(v, res.goodUnits)]));
}

/** `2026-11-02T06:00 – 10:00`, or `2026-11-01T00:00 – 2026-12-01T00:00` across days. */
function periodText(start, end) {
  return `${start.slice(0, 16)} – ${start.slice(0, 10) === end.slice(0, 10) ? end.slice(11, 16) : end.slice(0, 16)}`;
}

function latestByProduct(results) {
  const out = new Map();
  for (const r of results) {
    const key = `${r.product}|${r.periodStart}|${r.periodEnd}`;
    const e = out.get(key) || { product: r.product, periodStart: r.periodStart, periodEnd: r.periodEnd };
    e[r.method] = r; // results come oldest first: the newest per method wins
    out.set(key, e);
  }
  return [...out.values()];
}

function renderProducts(results) {
  const rows = latestByProduct(results);
  const tbody = $('products').tBodies[0];
  tbody.replaceChildren();
  for (const p of rows) {
    const loc = p.location,
      mkt = p.market,
      ref = loc || mkt;
    const r = tbody.insertRow();
    cell(r, `${p.product} (per ${ref.declaredUnit})`);
    cell(r, periodText(p.periodStart, p.periodEnd));
    cell(r, ref.gwpSet);
    for (const res of [loc, mkt]) {
      if (res)
        linkCell(r, fmt(res.pcfPerDeclaredUnitDisplay, 6), () => showAudit(res.id), `pcf-${p.product}-${res.method}`);
      else cell(r, '–');
    }
    const bd = breakdown(ref);
    for (const k of ['materials', 'electricity', 'gas', 'overhead', 'direct'])
      linkCell(r, fmt(bd[k], 6), () => showAudit(ref.id, k));
    cell(r, `${ref.primaryDataShare} %`);
    cell(r, ref.warnings.length ? ref.warnings.join('; ') : '–', ref.warnings.length ? 'estimated' : '');
  }
  const keys = ['materials', 'electricity', 'gas', 'overhead', 'direct'];
  const bars = rows.flatMap((p) =>
    [
      ['L', p.location],
      ['M', p.market],
    ]
      .filter(([, r]) => r)
      .map(([tag, r]) => ({ label: `${p.product} ${tag}`, bd: breakdown(r) })),
  );
  chart('chart-pcf', {
    type: 'bar',
    data: {
      labels: bars.map((b) => b.label),
      datasets: keys.map((k, i) => ({ label: k, data: bars.map((b) => b.bd[k]), backgroundColor: COLORS[i] })),
    },
    options: {
      scales: {
        x: { stacked: true },
        y: { stacked: true, title: { display: true, text: 'kgCO2e per declared unit' } },
      },
    },
  });
  return rows;
}

function renderOrders(orders, rows) {
  const tbody = $('orders').tBodies[0];
  tbody.replaceChildren();
  for (const o of orders) {
    const r = tbody.insertRow();
    cell(r, o.id);
    cell(r, o.line);
    cell(r, o.product);
    cell(r, o.start.slice(0, 16));
    cell(r, o.end.slice(0, 16));
    cell(r, fmt(o.goodQuantity, 0));
    cell(r, fmt(o.scrapQuantity, 0));
    const res = rows.map((p) => p.location || p.market).find((x) => x && x.orders.some((y) => y.id === o.id));
    const line = res && res.orders.find((y) => y.id === o.id);
    if (line) {
      linkCell(r, fmt(line.totalKg, 3), () => showAudit(res.id, `order ${o.id}`), `order-${o.id}`);
      linkCell(r, fmt(line.perUnitKg, 6), () => showAudit(res.id, `order ${o.id}`));
    } else {
      cell(r, '–');
      cell(r, '–');
    }
  }
}

function renderNode(node, highlight) {
  const li = document.createElement('li');
  const name = document.createElement('span');
  name.className = 'node-name';
  name.textContent = `${node.name} = ${fmt(node.value, 6)} ${node.unit}`;
  li.appendChild(name);
  if (highlight && node.name.toLowerCase().includes(highlight.toLowerCase())) li.classList.add('highlight');
  if (node.formula) {
    const f = document.createElement('div');
    f.className = 'formula';
    f.textContent = node.formula;
    li.appendChild(f);
  }
  if (node.children && node.children.length) {
    const ul = document.createElement('ul');
    for (const c of node.children) ul.appendChild(renderNode(c, highlight));
    li.appendChild(ul);
  }
  return li;
}

async function showAudit(resultId, highlight) {
  try {
    const a = await api(`/api/results/${encodeURIComponent(resultId)}/audit`);
    $('audit-head').textContent =
      `result ${a.resultId} · ${a.result.product} · ${a.result.method}-based · ${a.result.gwpSet} · audit record #${a.auditId} · hash ${a.hash.slice(0, 16)}…`;
    const ul = document.createElement('ul');
    ul.appendChild(renderNode(a.derivation, highlight));
    $('audit-tree').replaceChildren(ul);
    $('audit-inputs').textContent = JSON.stringify(a.inputs, null, 2);
    $('audit').hidden = false;
    $('audit').scrollIntoView();
  } catch (err) {
    showError(err.message);
  }
}

/** Saves what `path` answers as `fileName` (a link cannot carry the bearer token, so the body is fetched first). */
async function download(path, fileName) {
  const res = await fetch(path, { headers: { authorization: `Bearer ${currentToken()}` } });
  if (!res.ok) throw new Error(`download of ${fileName} failed: HTTP ${res.status}`);
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function renderFormats(formats) {
  const tbody = $('reference-formats').tBodies[0];
  tbody.replaceChildren();
  for (const f of formats.kinds) {
    const r = tbody.insertRow();
    cell(r, f.kind);
    const save = (path, name) => () => download(path, name).catch((err) => showError(err.message));
    linkCell(r, f.templateFile, save(f.template, f.templateFile), `template-${f.kind}`);
    linkCell(r, `${f.kind}.schema.json`, save(f.schema, `${f.kind}.schema.json`), `schema-${f.kind}`);
  }
}

/** The views of the chosen month (the month of the latest order at first): energy, footprints, results, orders. */
async function loadOperations() {
  const [orders, formats, products] = await Promise.all([
    api('/api/orders'),
    api('/api/reference'),
    api('/api/products'),
  ]);
  if (!selectedMonth()) $('month').value = defaultMonth(orders.orders);
  const month = encodeURIComponent(selectedMonth());
  const [energy, results, stale] = await Promise.all([
    api(`/api/energy?month=${month}`),
    api(`/api/results?month=${month}`),
    api('/api/results/stale').catch((err) => {
      viewError('results-error', err);
      return { stale: [] };
    }),
  ]);
  $('ops-data').hidden = false;
  renderEnergy(energy);
  const rows = renderProducts(results.results);
  const { periodStart, periodEnd } = monthPeriod(selectedMonth());
  renderOrders(
    orders.orders.filter((o) => o.start < periodEnd && o.end > periodStart),
    rows,
  );
  renderResults(results.results, stale.stale);
  renderFormats(formats);
  renderProductChoices(products.products);
  return results.results.length;
}

/** Reloads the period's views (after a month change, an upload or a publication). */
async function reloadPeriod() {
  viewError('ops-error');
  const n = await loadOperations();
  const who = tokenSubject(currentToken() || '');
  $('status').textContent = `signed in${who ? ` as ${who}` : ''} · ${n} results`;
}

async function loadClients() {
  const { clients } = await api('/api/admin/clients');
  const tbody = $('clients').tBodies[0];
  tbody.replaceChildren();
  for (const c of clients) {
    const r = tbody.insertRow();
    cell(r, c.clientId);
    cell(r, c.scopes.join(' '));
    cell(r, c.disabled ? 'disabled' : 'active');
  }
  $('clients').hidden = false;
}

/** Loads the operational views (the upload and admin views act on demand); a refused view shows its 403 in place. */
async function load() {
  showError('');
  const token = currentToken();
  $('content').hidden = false;
  $('login').hidden = true;
  $('logout').hidden = false;
  watchExpiry(() => signOut('your session has expired: sign in again'));
  const who = tokenSubject(token);
  const [ops] = await Promise.allSettled([loadOperations()]);
  viewError('ops-error', ops.status === 'rejected' ? ops.reason : undefined);
  if (!currentToken()) return; // signed out meanwhile (token refused)
  $('status').textContent =
    `signed in${who ? ` as ${who}` : ''}` + (ops.status === 'fulfilled' ? ` · ${ops.value} results` : '');
  document.body.dataset.loaded = 'true';
}

async function start() {
  $('login').addEventListener('submit', (e) => {
    e.preventDefault();
    clientCredentialsSignIn($('client-id').value, $('client-secret').value)
      .then(load)
      .catch((err) => showError(err.message));
  });
  $('oidc-signin').addEventListener('click', () => {
    oidcSignIn().catch((err) => showError(err.message));
  });
  $('logout').addEventListener('click', () => signOut());
  $('clients-load').addEventListener('click', () => {
    viewError('admin-error');
    loadClients().catch((err) => viewError('admin-error', err));
  });
  $('upload').addEventListener('submit', (e) => {
    e.preventDefault();
    void applyUpload();
  });
  wireWorkflows();
  $('audit-close').addEventListener('click', () => {
    $('audit').hidden = true;
  });
  const oidc = await loadOidcConfig().catch((err) => {
    showError(`people cannot sign in now: ${err.message}`);
    return null;
  });
  $('oidc-signin').hidden = !oidc;
  if (oidc) await completeOidcSignIn();
  const hash = new URLSearchParams(location.hash.slice(1));
  if (hash.get('client_id') && hash.get('client_secret')) {
    history.replaceState(null, '', location.pathname);
    await clientCredentialsSignIn(hash.get('client_id'), hash.get('client_secret'));
  }
  if (currentToken()) await load();
  else if (sessionStorage.getItem(TOKEN)) signOut('your session has expired: sign in again');
}

start().catch((err) => showError(err.message));
