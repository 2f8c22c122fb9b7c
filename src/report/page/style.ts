// The one stylesheet of the standalone HTML report and the web UI (served as /ui/style.css, inlined
// in the standalone page). Goals, from issue 13: the answer above the fold, evidence and fixes that
// look different (evidence grey on a slate rule, fixes green, commands dark), and no horizontal
// scrolling at 1280 px whatever a log line holds: long words and paths wrap anywhere.
// It is joined into one line so the standalone page's head stays on one line (its answer is within
// the first lines of the source too).
export const STYLESHEET = [
  ':root{--ink:#1d2433;--muted:#5b6476;--line:#d8dde6;--bg:#fff;--soft:#f4f6f9;--ev:#64748b;--fix:#15803d;--fixbg:#ecfdf3;--cmd:#111827}',
  '*{box-sizing:border-box}',
  'html{-webkit-text-size-adjust:100%}',
  'body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg);overflow-wrap:anywhere}',
  'main{max-width:76rem;margin:0 auto;padding:1rem 1.25rem 3rem}',
  'header.bar{background:#1d2433;color:#fff;padding:.45rem 1.25rem;display:flex;gap:1.25rem;align-items:baseline;flex-wrap:wrap}',
  'header.bar a{color:#fff;text-decoration:none}header.bar .brand{font-weight:700}header.bar .role{color:#b8c0cc;font-size:.85rem}',
  'h1{font-size:1.35rem;margin:.5rem 0 .75rem}h2{font-size:1.15rem;margin:1.5rem 0 .5rem}h3{font-size:1rem;margin:1rem 0 .4rem}',
  'a{color:#1d4ed8}code,pre,kbd{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em}',
  'pre{white-space:pre-wrap;overflow-wrap:anywhere;margin:.3rem 0;padding:.5rem .65rem;border-radius:4px}',
  // The answer: what an on-call engineer reads first.
  '.answer{border:1px solid var(--line);border-left:8px solid #64748b;border-radius:6px;padding:.75rem 1rem;margin:.5rem 0 1rem;background:#fff}',
  '.answer.d-confirmed{border-left-color:#b42318}.answer.d-likely{border-left-color:#c2410c}.answer.d-undecided{border-left-color:#a16207}',
  '.answer .verdict{font-size:1.45rem;font-weight:700;margin:0 0 .2rem}.answer .subject{margin:0 0 .35rem;color:var(--muted)}',
  '.answer .summary{margin:.35rem 0}',
  '.where{display:flex;flex-wrap:wrap;gap:.25rem 1.25rem;color:var(--muted);font-size:.9rem;margin:.35rem 0}',
  // Verdict badges.
  '.badge{display:inline-block;padding:.05rem .45rem;border-radius:999px;font-size:.8rem;font-weight:600;background:#e5e7eb;color:#374151;white-space:nowrap}',
  '.verdict .badge{font-size:1rem;vertical-align:.15em}',
  '.v-confirmed{background:#fee4e2;color:#912018}.v-likely{background:#ffedd5;color:#9a3412}.v-possible,.v-undecided{background:#fef9c3;color:#854d0e}',
  '.v-unlikely{background:#f1f5f9;color:#475569}.v-ruled-out{background:#f1f5f9;color:#64748b}',
  // Evidence and fixes: visibly different kinds of block, each labelled.
  '.evidence{border-left:4px solid var(--ev);background:var(--soft);padding:.35rem .65rem;margin:.45rem 0;border-radius:0 4px 4px 0}',
  '.fix{border-left:4px solid var(--fix);background:var(--fixbg);padding:.35rem .65rem;margin:.45rem 0;border-radius:0 4px 4px 0}',
  '.decide{border-left:4px solid #a16207;background:#fefce8;padding:.35rem .65rem;margin:.45rem 0;border-radius:0 4px 4px 0}',
  '.label{font-size:.75rem;font-weight:700;letter-spacing:.06em;text-transform:uppercase;color:var(--muted);margin:0 0 .15rem}',
  '.fix .label{color:var(--fix)}.evidence pre{background:transparent;padding:.1rem 0;margin:0;color:#334155}',
  '.cmd{position:relative}.cmd pre{background:var(--cmd);color:#f9fafb;padding:.5rem 4.5rem .5rem .65rem}',
  '.cmd button.copy{position:absolute;top:.3rem;right:.3rem;font:600 .75rem system-ui,sans-serif;padding:.15rem .5rem;border:1px solid #4b5563;border-radius:4px;background:#374151;color:#fff;cursor:pointer}',
  '.cmd button.copy.done{background:var(--fix);border-color:var(--fix)}',
  // Causes.
  '.cause{border:1px solid var(--line);border-radius:6px;padding:.5rem .85rem;margin:.6rem 0}',
  '.cause h3{margin:.1rem 0 .3rem;display:flex;gap:.5rem;align-items:baseline;flex-wrap:wrap}',
  '.cause ul{margin:.2rem 0;padding-left:1.2rem}.cause.c-ruled-out,.cause.c-unlikely{background:#fafbfc;color:#475569}.cause.c-confirmed{border-color:#f3b8b2}.cause.c-likely{border-color:#f6c99f}',
  'details{margin:.5rem 0}details>summary{cursor:pointer;font-weight:600;padding:.2rem 0}',
  // Facts, tables, forms.
  'dl.facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(14rem,1fr));gap:.4rem 1.5rem;margin:.4rem 0}dl.facts dt{color:var(--muted);font-size:.75rem;text-transform:uppercase;letter-spacing:.04em}dl.facts dd{margin:0}',
  'table{border-collapse:collapse;width:100%;margin:.4rem 0}th,td{border-bottom:1px solid var(--line);padding:.35rem .5rem;text-align:left;vertical-align:top}',
  'th{font-size:.8rem;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);font-weight:600}td.t,td.num,th{white-space:nowrap;overflow-wrap:normal}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}',
  'form.filters{display:flex;flex-wrap:wrap;gap:.5rem .75rem;align-items:flex-end;background:var(--soft);padding:.65rem .8rem;border-radius:6px}',
  'form.filters label{display:flex;flex-direction:column;font-size:.8rem;color:var(--muted);gap:.15rem}',
  'form.filters input,form.filters select{font:inherit;font-size:.9rem;padding:.25rem .4rem;border:1px solid #c3cad6;border-radius:4px;width:11rem;max-width:100%}',
  'form.filters button,a.button{font:inherit;font-size:.9rem;padding:.3rem .9rem;border-radius:4px;border:1px solid #1d4ed8;background:#1d4ed8;color:#fff;cursor:pointer;text-decoration:none}',
  'a.reset{font-size:.9rem}.muted{color:var(--muted)}.pager{margin:.75rem 0}',
  // Charts and meters.
  '.chart{margin:.5rem 0 1rem}.chart>svg{width:100%;height:auto;display:block}.chart .axis{fill:#5b6476;font-size:11px}',
  '.legend{display:flex;flex-wrap:wrap;gap:.2rem 1rem;font-size:.85rem;margin:.3rem 0;padding:0;list-style:none}.legend svg{vertical-align:-1px}',
  'meter{width:9rem;height:.9rem}.grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(22rem,1fr));gap:0 2rem}',
  // The incident table's columns do not depend on what a row holds: a hostile or very long value
  // wraps inside its column instead of squeezing the others.
  'table.incidents{table-layout:fixed}.w-time{width:10.5rem}.w-cluster{width:7%}.w-node{width:9%}.w-ns{width:9%}.w-wl{width:11%}.w-ctr{width:8%}.w-verdict{width:6.5rem}.w-cause{width:15%}',
  '.warnings li{color:#9a3412}.offscreen{position:fixed;top:0;left:-9999px}',
  '@media print{header.bar,.cmd button.copy{display:none}}',
].join('');
