import { DASHBOARD_CSS } from './dashboard-page.css.js';
import { DASHBOARD_SCRIPT } from './dashboard-page.script.js';

export interface DashboardPageParams {
  /** The dashboard's path: the page calls `<basePath>/api/*`. */
  basePath: string;
  /** The anti-forgery token the page sends on every POST. */
  csrfToken: string;
  /** The Content-Security-Policy nonce of the page's one style and one script. */
  scriptNonce: string;
}

const escapeAttr = (value: string) =>
  value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * The dashboard's page: a shell whose script reads the JSON API and draws everything
 * (tables, the chart as inline SVG, the timeline) with DOM text nodes, never HTML from data.
 * Everything ships inline: no build step, no CDN, no network fetch but the API.
 */
export function renderDashboardPage(p: DashboardPageParams): string {
  const nonce = escapeAttr(p.scriptNonce);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="request-queue-csrf" content="${escapeAttr(p.csrfToken)}">
<title>Request queue</title>
<style nonce="${nonce}">${DASHBOARD_CSS}</style>
</head>
<body data-base="${escapeAttr(p.basePath)}">
<header>
  <h1>Request queue</h1>
  <span class="spacer"></span>
  <span class="meta" id="updated">loading…</span>
  <label class="meta"><input type="checkbox" id="auto" checked> refresh every 5 s</label>
  <button id="refresh">Refresh</button>
</header>
<main>
  <div class="totals" id="totals"></div>
  <section>
    <h2>Queues <span class="hint">jobs per state</span></h2>
    <div id="queues"></div>
  </section>
  <section class="chart">
    <h2>Last hour <span class="hint">finished per minute, and average queue wait</span>
      <span class="spacer"></span><select id="chart-queue" aria-label="queue"><option value="">all queues</option></select></h2>
    <div id="chart"></div>
    <div class="legend"><span><i class="c"></i>completed</span><span><i class="f"></i>failed</span><span><i class="w"></i>average wait (right axis)</span></div>
  </section>
  <section id="request">
    <h2>Request timeline <span class="hint">search by correlation id</span></h2>
    <form class="search" id="search"><input id="cid" name="cid" placeholder="correlation id" autocomplete="off"><button class="primary" type="submit">Show</button></form>
    <div id="timeline"></div>
  </section>
  <section>
    <h2>Failed jobs <span class="hint" id="failed-count"></span></h2>
    <div id="failed"></div>
  </section>
</main>
<div id="notice" role="status"></div>
<script nonce="${nonce}">${DASHBOARD_SCRIPT}</script>
</body>
</html>
`;
}
