// The status page: a static shell that polls /status.json. Rendered with textContent only (never
// innerHTML), so a device id or policy title cannot inject markup; no inline script (the CSP forbids it).

export const STATUS_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>veilgate status</title><link rel="stylesheet" href="/status.css"></head>
<body>
<header><h1>veilgate <span id="gw"></span></h1><p id="clock"></p></header>
<ul id="warnings" aria-label="warnings"></ul>
<section><h2>Policy in force</h2><p id="policy">loading…</p><ol id="policy-history"></ol></section>
<section><h2>Devices</h2><table id="devices"><thead><tr><th>device</th><th>kind</th><th>zone</th><th>state</th><th>fps</th><th>latency p50 / max</th><th>frames / dropped</th></tr></thead><tbody></tbody></table></section>
<section><h2>Redacted preview</h2><p id="preview-note"></p><div id="previews"></div></section>
<section><h2>Uplink and outbox</h2><dl id="uplink"></dl></section>
<section><h2>Latest decisions</h2><table id="recent"><thead><tr><th>time</th><th>device</th><th>record</th><th>decision</th><th>rule or reason</th></tr></thead><tbody></tbody></table></section>
<footer>audit chain head <code id="head"></code></footer>
<script src="/status.js"></script>
</body></html>
`;

export const STATUS_CSS = `
body{font:15px/1.4 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:1rem;color:#1b1f24;background:#fff}
h1{font-size:1.4rem;margin:0}h2{font-size:1.1rem;margin:1.2rem 0 .4rem;border-bottom:1px solid #ddd}
header{display:flex;justify-content:space-between;align-items:baseline}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.25rem .5rem;border-bottom:1px solid #eee}
.online{color:#0a6b2b;font-weight:600}.offline{color:#9a1c1c;font-weight:600}
.forward{color:#0a6b2b}.withhold{color:#6b4d0a}
#warnings{list-style:none;padding:0}#warnings li{background:#fff4d6;border-left:4px solid #c98a00;padding:.4rem .6rem;margin:.3rem 0}
#previews{display:flex;flex-wrap:wrap;gap:1rem}figure{margin:0}figure img{max-width:320px;border:1px solid #ccc;display:block}
dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}dt{color:#555}dd{margin:0}
code{font-size:.85em;word-break:break-all}
`;

export const STATUS_JS = `
'use strict';
const $ = (id) => document.getElementById(id);
function el(tag, text, cls) { const e = document.createElement(tag); if (text !== undefined) e.textContent = String(text); if (cls) e.className = cls; return e; }
function row(cells, cls) { const tr = el('tr'); for (const c of cells) tr.append(c instanceof Node ? c : el('td', c)); if (cls) tr.className = cls; return tr; }
function td(text, cls) { return el('td', text, cls); }
const previews = new Map();
function render(s) {
  $('gw').textContent = s.gateway.id + ' ' + s.gateway.version;
  $('clock').textContent = 'as of ' + new Date(s.gateway.now).toLocaleString();
  $('warnings').replaceChildren(...s.warnings.map((w) => el('li', w)));
  $('policy').textContent = s.policy ? s.policy.title + ' (' + s.policy.id + ' v' + s.policy.version + ', sha256 ' + s.policy.sha256.slice(0, 12) + '…)' : 'none: nothing is forwarded';
  $('policy-history').replaceChildren(...s.policyHistory.map((h) => el('li', new Date(h.at).toLocaleString() + ': ' + h.outcome + ' ' + h.policy + ' (' + h.trigger + ')' + (h.detail ? ': ' + h.detail : ''))));
  $('devices').tBodies[0].replaceChildren(...s.devices.map((d) => row([
    d.id, d.kind, d.zone || '-', td(d.online ? 'online' : 'offline', d.online ? 'online' : 'offline'),
    d.camera ? d.camera.fps : '-', d.camera && d.camera.latencyMs ? d.camera.latencyMs.p50 + ' / ' + d.camera.latencyMs.max + ' ms' : '-',
    d.camera ? d.camera.processed + ' / ' + d.camera.dropped : '-'], 'device')));
  const cams = s.devices.filter((d) => d.kind.indexOf('camera') === 0);
  $('preview-note').textContent = !s.policy || !s.policy.localPreview ? 'The policy in force does not allow previews on this page.' : 'Redacted frames only; refreshed every few seconds while this page is open.';
  const shown = [];
  if (s.policy && s.policy.localPreview) for (const d of cams) {
    let f = previews.get(d.id);
    if (!f) { f = el('figure'); const img = el('img'); img.alt = 'redacted view of ' + d.id; f.append(img, el('figcaption', d.id)); previews.set(d.id, f); }
    if (d.preview) f.querySelector('img').src = '/preview/' + encodeURIComponent(d.id) + '.jpg?t=' + Date.now();
    shown.push(f);
  }
  $('previews').replaceChildren(...shown);
  const o = s.outbox, u = s.uplink;
  const pairs = [['upstream', u.connected ? 'connected' : 'disconnected'], ['delivered', u.delivered], ['retried', u.retried], ['reconnects', u.reconnects],
    ['waiting in outbox', o.depth + ' records, ' + Math.round(o.bytes / 1024) + ' KiB'], ['oldest waiting', Math.round(o.oldestAgeSeconds) + ' s'],
    ['dropped', Object.entries(o.dropped).map(([k, v]) => k + ' ' + v).join(', ') || 'none'], ['decisions', s.decisions.forward + ' forwarded, ' + s.decisions.withhold + ' withheld']];
  $('uplink').replaceChildren(...pairs.flatMap(([k, v]) => [el('dt', k), el('dd', v)]));
  $('recent').tBodies[0].replaceChildren(...s.recent.map((r) => row([new Date(r.at).toLocaleTimeString(), r.deviceId, r.recordType, td(r.action, r.action), r.reason || r.rules.join(', ')])));
  $('head').textContent = '#' + s.audit.seq + ' ' + s.audit.hash;
  document.body.dataset.loaded = 'true';
}
async function poll() {
  try { const r = await fetch('/status.json', { cache: 'no-store' }); if (r.ok) render(await r.json()); } catch (e) { $('clock').textContent = 'gateway unreachable'; }
  setTimeout(poll, 2000);
}
poll();
`;
