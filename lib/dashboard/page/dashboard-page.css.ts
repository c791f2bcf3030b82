/** The dashboard's stylesheet: light, system fonts, no external asset. */
export const DASHBOARD_CSS = `
:root {
  --bg: #f6f7f9; --card: #fff; --text: #1f2328; --muted: #656d76; --line: #d8dee4;
  --accent: #0969da; --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; --wait: #8250df;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  font-size: 14px; color: var(--text); background: var(--bg);
}
* { box-sizing: border-box; }
body { margin: 0; }
header { display: flex; align-items: center; gap: 16px; padding: 14px 24px; background: var(--card); border-bottom: 1px solid var(--line); }
header h1 { font-size: 18px; margin: 0; font-weight: 600; }
header .spacer { flex: 1; }
header .meta { color: var(--muted); font-size: 13px; }
main { max-width: 1200px; margin: 0 auto; padding: 20px 24px 40px; display: grid; gap: 20px; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 16px 18px; }
section h2 { font-size: 15px; margin: 0 0 12px; font-weight: 600; display: flex; align-items: center; gap: 10px; }
section h2 .hint { font-weight: 400; color: var(--muted); font-size: 13px; }
.totals { display: grid; grid-template-columns: repeat(4, 1fr); gap: 12px; }
.total { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; }
.total .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.total .value { font-size: 26px; font-weight: 600; margin-top: 4px; font-variant-numeric: tabular-nums; }
.total.failed .value { color: var(--bad); }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; padding: 7px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 500; font-size: 12px; text-transform: uppercase; letter-spacing: .03em; }
td.when, td.request { white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.zero { color: #aab1b9; }
td.bad { color: var(--bad); font-weight: 600; }
tr:last-child td { border-bottom: none; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
.error { color: var(--bad); max-width: 360px; overflow-wrap: anywhere; }
.empty { color: var(--muted); padding: 8px 0; }
button { font: inherit; font-size: 13px; padding: 4px 10px; border-radius: 6px; border: 1px solid var(--line); background: #f6f8fa; color: var(--text); cursor: pointer; }
button:hover { background: #eef1f4; }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
button.danger { color: var(--bad); }
button.more { margin-top: 10px; }
button:disabled { opacity: .5; cursor: default; }
.actions { white-space: nowrap; display: flex; gap: 6px; }
a.cid { color: var(--accent); text-decoration: none; cursor: pointer; }
a.cid:hover { text-decoration: underline; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; border: 1px solid var(--line); background: #f6f8fa; }
.badge.completed { color: var(--ok); border-color: #a7d8b4; background: #eefbf1; }
.badge.failed { color: var(--bad); border-color: #f2b8bd; background: #fff0f1; }
.badge.running, .badge.queued, .badge.retrying { color: var(--warn); border-color: #eed49f; background: #fff8e6; }
.chart svg { width: 100%; height: auto; display: block; }
.legend { display: flex; gap: 16px; color: var(--muted); font-size: 12.5px; margin-top: 6px; }
.legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 5px; vertical-align: -1px; }
.legend .c { background: var(--ok); } .legend .f { background: var(--bad); } .legend .w { background: var(--wait); }
form.search { display: flex; gap: 8px; margin-bottom: 12px; }
form.search input { flex: 1; max-width: 420px; font: inherit; padding: 5px 9px; border: 1px solid var(--line); border-radius: 6px; }
.record { display: flex; gap: 24px; flex-wrap: wrap; margin-bottom: 10px; color: var(--muted); }
.record b { color: var(--text); font-weight: 500; }
ol.timeline { list-style: none; margin: 0; padding: 0 0 0 4px; }
ol.timeline li { position: relative; padding: 4px 0 10px 20px; border-left: 2px solid var(--line); }
ol.timeline li::before { content: ""; position: absolute; left: -6px; top: 8px; width: 10px; height: 10px; border-radius: 50%; background: var(--accent); }
ol.timeline li.bad::before { background: var(--bad); }
ol.timeline li.good::before { background: var(--ok); }
ol.timeline .when { color: var(--muted); font-size: 12.5px; margin-right: 8px; }
#notice { position: fixed; right: 20px; bottom: 20px; background: #1f2328; color: #fff; padding: 8px 14px; border-radius: 6px; font-size: 13px; display: none; }
#notice.show { display: block; }
select { font: inherit; font-weight: 400; font-size: 13px; padding: 3px 6px; border: 1px solid var(--line); border-radius: 6px; background: #fff; }
`;
