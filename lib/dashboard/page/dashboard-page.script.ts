/**
 * The dashboard's script, run in the browser: reads the JSON API, draws the tables, the chart
 * (inline SVG) and a request's timeline with DOM text nodes (never HTML built from data), and
 * sends the actions as POSTs carrying the page's anti-forgery token. Plain ES2017, no library.
 */
export const DASHBOARD_SCRIPT = `
(function () {
  'use strict';
  var base = document.body.getAttribute('data-base');
  var token = document.querySelector('meta[name="request-queue-csrf"]').getAttribute('content');
  var STATES = ['waiting', 'delayed', 'running', 'failed'];
  var last = null;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) for (var k in attrs) if (attrs[k] !== undefined && attrs[k] !== null) node.setAttribute(k, attrs[k]);
    (children || []).forEach(function (c) {
      node.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
    });
    return node;
  }
  function svg(tag, attrs, children) {
    var node = document.createElementNS('http://www.w3.org/2000/svg', tag);
    for (var k in attrs) node.setAttribute(k, attrs[k]);
    (children || []).forEach(function (c) {
      node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return node;
  }
  function replace(id, node) {
    var target = document.getElementById(id);
    target.textContent = '';
    if (node) target.appendChild(node);
  }
  function pad(n) { return n < 10 ? '0' + n : String(n); }
  function clock(ms) { var d = new Date(ms); return pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds()); }
  function stamp(ms) { var d = new Date(ms); return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' + clock(ms); }
  function ago(ms) {
    var s = Math.max(0, Math.round((Date.now() - ms) / 1000));
    if (s < 60) return s + ' s ago';
    if (s < 3600) return Math.round(s / 60) + ' min ago';
    if (s < 86400) return Math.round(s / 3600) + ' h ago';
    return Math.round(s / 86400) + ' d ago';
  }
  function duration(ms) {
    if (ms < 1000) return Math.round(ms) + ' ms';
    if (ms < 60000) return (ms / 1000).toFixed(ms < 10000 ? 1 : 0) + ' s';
    return (ms / 60000).toFixed(1) + ' min';
  }
  function notice(text) {
    var n = document.getElementById('notice');
    n.textContent = text;
    n.className = 'show';
    clearTimeout(notice.timer);
    notice.timer = setTimeout(function () { n.className = ''; }, 4000);
  }

  function api(method, route, params) {
    var query = params ? '?' + new URLSearchParams(params).toString() : '';
    var init = { method: method, credentials: 'same-origin', headers: { accept: 'application/json' } };
    if (method === 'POST') init.headers['x-request-queue-csrf'] = token;
    return fetch(base + route + query, init).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (body) {
        if (!res.ok) throw new Error(body && body.message ? body.message : 'HTTP ' + res.status);
        return body;
      });
    });
  }

  function renderTotals(queues) {
    var sums = { waiting: 0, delayed: 0, running: 0, failed: 0 };
    queues.forEach(function (q) { STATES.forEach(function (s) { sums[s] += q[s]; }); });
    var box = el('div', { class: 'totals' }, STATES.map(function (s) {
      return el('div', { class: 'total ' + s }, [
        el('div', { class: 'label' }, [s]),
        el('div', { class: 'value', 'data-total': s }, [sums[s]]),
      ]);
    }));
    var target = document.getElementById('totals');
    target.replaceWith(box);
    box.id = 'totals';
  }

  function renderQueues(queues) {
    if (queues.length === 0) return replace('queues', el('div', { class: 'empty' }, ['No jobs in any queue.']));
    var head = el('tr', null, [el('th', null, ['queue'])].concat(STATES.map(function (s) {
      return el('th', { class: 'num' }, [s]);
    }), [el('th', null, [''])]));
    var rows = queues.map(function (q) {
      var cells = [el('td', null, [el('code', null, [q.queue])])];
      STATES.forEach(function (s) {
        var cls = 'num' + (q[s] === 0 ? ' zero' : s === 'failed' ? ' bad' : '');
        cells.push(el('td', { class: cls, 'data-queue': q.queue, 'data-state': s }, [q[s]]));
      });
      var action = el('td', null, []);
      if (q.failed > 0) {
        var b = el('button', { 'data-action': 'retry-all', 'data-queue': q.queue }, ['Retry ' + q.failed + ' failed']);
        b.addEventListener('click', function () {
          if (!confirm('Retry every failed job of ' + q.queue + '?')) return;
          act(b, '/api/queues/retry-all', { queue: q.queue }, function (r) { return 'Retried ' + r.retried + ' job(s) of ' + q.queue; });
        });
        action.appendChild(b);
      }
      cells.push(action);
      return el('tr', { 'data-queue-row': q.queue }, cells);
    });
    replace('queues', el('table', null, [el('thead', null, [head]), el('tbody', null, rows)]));
  }

  function renderChartOptions(queues) {
    var select = document.getElementById('chart-queue');
    var names = {};
    queues.forEach(function (q) { names[q.queue] = true; });
    (last && last.throughput || []).forEach(function (p) { names[p.queue] = true; });
    var current = select.value;
    while (select.options.length > 1) select.remove(1);
    Object.keys(names).sort().forEach(function (name) { select.appendChild(el('option', { value: name }, [name])); });
    select.value = names[current] ? current : '';
  }

  function niceMax(v) {
    if (v <= 0) return 1;
    var p = Math.pow(10, Math.floor(Math.log(v) / Math.LN10));
    var steps = [1, 2, 2.5, 5, 10];
    for (var i = 0; i < steps.length; i++) if (steps[i] * p >= v) return steps[i] * p;
    return 10 * p;
  }

  function countStep(v) {
    if (v <= 1) return 1;
    var p = Math.pow(10, Math.floor(Math.log(v) / Math.LN10));
    var steps = [1, 2, 5, 10];
    for (var i = 0; i < steps.length; i++) if (steps[i] * p >= v) return steps[i] * p;
    return 10 * p;
  }

  function renderChart(data) {
    var only = document.getElementById('chart-queue').value;
    var MIN = 60000, W = 1100, H = 240, L = 44, R = 64, T = 10, B = 26;
    var end = Math.floor(data.now / MIN) * MIN, start = end - 59 * MIN;
    var slots = [];
    for (var i = 0; i < 60; i++) slots.push({ at: start + i * MIN, completed: 0, failed: 0, waitMs: 0, waited: 0 });
    data.throughput.forEach(function (p) {
      if (only && p.queue !== only) return;
      var k = Math.round((p.at - start) / MIN);
      if (k < 0 || k >= 60) return;
      slots[k].completed += p.completed; slots[k].failed += p.failed;
      slots[k].waitMs += p.waitMs; slots[k].waited += p.waited;
    });
    var maxCount = 4 * countStep(Math.max.apply(null, slots.map(function (s) { return s.completed + s.failed; })) / 4);
    var maxWait = niceMax(Math.max.apply(null, slots.map(function (s) { return s.waited ? s.waitMs / s.waited : 0; })));
    var pw = W - L - R, ph = H - T - B, bw = pw / 60;
    var root = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': 'finished jobs per minute over the last hour', 'data-chart': 'throughput' });
    for (var g = 0; g <= 4; g++) {
      var y = T + ph - (ph * g) / 4;
      root.appendChild(svg('line', { x1: L, x2: W - R, y1: y, y2: y, stroke: '#e6e9ec' }));
      root.appendChild(svg('text', { x: L - 6, y: y + 4, 'text-anchor': 'end', 'font-size': 12, fill: '#656d76' }, [String((maxCount * g) / 4)]));
      root.appendChild(svg('text', { x: W - R + 6, y: y + 4, 'font-size': 12, fill: '#8250df' }, [duration((maxWait * g) / 4)]));
    }
    var points = [];
    slots.forEach(function (s, k) {
      var x = L + k * bw;
      var hc = (ph * s.completed) / maxCount, hf = (ph * s.failed) / maxCount;
      var tip = clock(s.at).slice(0, 5) + ': ' + s.completed + ' completed, ' + s.failed + ' failed' +
        (s.waited ? ', average wait ' + duration(s.waitMs / s.waited) : '');
      var group = svg('g', { 'data-minute': String(s.at), 'data-completed': String(s.completed), 'data-failed': String(s.failed) }, [svg('title', {}, [tip])]);
      group.appendChild(svg('rect', { x: x + 1, y: T, width: Math.max(1, bw - 2), height: ph, fill: 'transparent' }));
      if (s.completed) group.appendChild(svg('rect', { x: x + 1, y: T + ph - hc, width: Math.max(1, bw - 2), height: hc, fill: '#1a7f37', rx: 1 }));
      if (s.failed) group.appendChild(svg('rect', { x: x + 1, y: T + ph - hc - hf, width: Math.max(1, bw - 2), height: hf, fill: '#cf222e', rx: 1 }));
      root.appendChild(group);
      if (s.waited) points.push((x + bw / 2).toFixed(1) + ',' + (T + ph - (ph * (s.waitMs / s.waited)) / maxWait).toFixed(1));
    });
    if (points.length > 1) root.appendChild(svg('polyline', { points: points.join(' '), fill: 'none', stroke: '#8250df', 'stroke-width': 2 }));
    points.forEach(function (pt) {
      var xy = pt.split(',');
      root.appendChild(svg('circle', { cx: xy[0], cy: xy[1], r: 2.5, fill: '#8250df' }));
    });
    for (var m = 0; m < 60; m += 10) {
      root.appendChild(svg('text', { x: L + m * bw + bw / 2, y: H - 8, 'text-anchor': 'middle', 'font-size': 12, fill: '#656d76' }, [clock(start + m * MIN).slice(0, 5)]));
    }
    root.appendChild(svg('text', { x: W - R, y: H - 8, 'text-anchor': 'end', 'font-size': 12, fill: '#656d76' }, ['now']));
    replace('chart', root);
  }

  var PAGE = 20;
  var failedShown = PAGE;
  var lastFailed = null;

  function renderFailed(data) {
    lastFailed = data;
    var shown = Math.min(failedShown, data.jobs.length);
    document.getElementById('failed-count').textContent = data.total === 0 ? '' :
      shown < data.total ? shown + ' newest of ' + data.total : String(data.total);
    if (data.jobs.length === 0) return replace('failed', el('div', { class: 'empty' }, ['No failed jobs.']));
    var head = el('tr', null, ['failed', 'queue', 'stage', 'request', 'correlation id', 'tries', 'error', ''].map(function (h) {
      return el('th', null, [h]);
    }));
    var rows = data.jobs.slice(0, shown).map(function (j) {
      var link = el('a', { class: 'cid mono', href: '#', 'data-cid': j.correlationId }, [j.correlationId]);
      link.addEventListener('click', function (e) {
        e.preventDefault();
        showRequest(j.correlationId);
        document.getElementById('request').scrollIntoView({ behavior: 'smooth', block: 'nearest' });
      });
      var retry = el('button', { 'data-action': 'retry' }, ['Retry']);
      var forget = el('button', { class: 'danger', 'data-action': 'forget' }, ['Forget']);
      retry.addEventListener('click', function () {
        act(retry, '/api/failed/retry', { id: j.id }, function () { return 'Job ' + j.id + ' is back on ' + j.queue; });
      });
      forget.addEventListener('click', function () {
        if (!confirm('Forget failed job ' + j.id + ' (' + j.method + ' ' + j.path + ')?')) return;
        act(forget, '/api/failed/forget', { id: j.id }, function () { return 'Forgot job ' + j.id; });
      });
      return el('tr', { 'data-job-id': j.id }, [
        el('td', { class: 'when', title: stamp(j.failedAt) }, [ago(j.failedAt)]),
        el('td', null, [el('code', null, [j.queue])]),
        el('td', null, [j.stage]),
        el('td', { class: 'mono request' }, [j.method + ' ' + j.path]),
        el('td', null, [link]),
        el('td', { class: 'num' }, [j.attempts]),
        el('td', { class: 'error' }, [j.error]),
        el('td', null, [el('div', { class: 'actions' }, [retry, forget])]),
      ]);
    });
    var box = el('div', null, [el('table', null, [el('thead', null, [head]), el('tbody', null, rows)])]);
    if (shown < data.jobs.length) {
      var more = el('button', { class: 'more', 'data-action': 'more' }, ['Show ' + Math.min(PAGE, data.jobs.length - shown) + ' more']);
      more.addEventListener('click', function () { failedShown += PAGE; renderFailed(lastFailed); });
      box.appendChild(more);
    }
    replace('failed', box);
  }

  function act(button, route, params, done) {
    button.disabled = true;
    api('POST', route, params).then(function (r) { notice(done(r)); return refresh(); })
      .catch(function (e) { notice(e.message); button.disabled = false; });
  }

  function timelineText(e) {
    if (e.kind === 'queued') return 'queued';
    var what = e.kind === 'attempt' ? 'replay attempt ' : 'callback delivery ';
    var parts = [what + (e.attempt || '')];
    if (e.status !== undefined) parts.push('answered ' + e.status);
    if (e.durationMs !== undefined) parts.push('in ' + duration(e.durationMs));
    // The error often only repeats the status ("replay answered 503"): then it adds nothing.
    if (e.error && !(e.status !== undefined && e.error.slice(-(' answered ' + e.status).length) === ' answered ' + e.status)) {
      parts.push('(' + e.error + ')');
    }
    return parts.join(' ');
  }

  function showRequest(cid) {
    document.getElementById('cid').value = cid;
    replace('timeline', el('div', { class: 'empty' }, ['loading…']));
    api('GET', '/api/request', { id: cid }).then(function (r) {
      var record = el('div', { class: 'record', 'data-request': r.correlationId }, [
        el('span', null, ['state ', el('span', { class: 'badge ' + r.state, 'data-state': r.state }, [r.state])]),
        el('span', null, ['queue ', el('b', null, [r.queue])]),
        el('span', null, ['replay attempts ', el('b', null, [String(r.attempts)])]),
        el('span', null, ['queued ', el('b', { title: stamp(r.queuedAt) }, [ago(r.queuedAt)])]),
        el('span', null, ['updated ', el('b', { title: stamp(r.updatedAt) }, [ago(r.updatedAt)])]),
      ].concat(r.nextAttemptAt ? [el('span', null, ['next attempt ', el('b', null, [stamp(r.nextAttemptAt)])])] : []));
      var list;
      if (r.timeline.length === 0) {
        list = el('div', { class: 'empty' }, ['No steps recorded for this request.']);
      } else {
        list = el('ol', { class: 'timeline' }, r.timeline.map(function (e) {
          var bad = e.error || (e.status !== undefined && e.status >= 400);
          var cls = bad ? 'bad' : e.kind === 'queued' ? '' : 'good';
          return el('li', { class: cls, 'data-kind': e.kind }, [el('span', { class: 'when' }, [stamp(e.at)]), timelineText(e)]);
        }));
      }
      var box = el('div', null, [record, list]);
      replace('timeline', box);
    }).catch(function (e) { replace('timeline', el('div', { class: 'empty' }, [e.message])); });
  }

  function refresh() {
    return Promise.all([api('GET', '/api/overview'), api('GET', '/api/failed')]).then(function (r) {
      last = r[0];
      renderTotals(r[0].queues);
      renderQueues(r[0].queues);
      renderChartOptions(r[0].queues);
      renderChart(r[0]);
      renderFailed(r[1]);
      var updated = document.getElementById('updated');
      updated.textContent = 'updated ' + clock(Date.now());
      updated.setAttribute('data-loaded', String(Date.now()));
    }).catch(function (e) { document.getElementById('updated').textContent = 'could not load: ' + e.message; });
  }

  document.getElementById('refresh').addEventListener('click', function () { refresh(); });
  document.getElementById('chart-queue').addEventListener('change', function () { if (last) renderChart(last); });
  document.getElementById('search').addEventListener('submit', function (e) {
    e.preventDefault();
    var cid = document.getElementById('cid').value.trim();
    if (cid) showRequest(cid);
  });
  setInterval(function () { if (document.getElementById('auto').checked) refresh(); }, 5000);
  refresh();
})();
`;
