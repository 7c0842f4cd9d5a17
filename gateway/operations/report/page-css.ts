/** The look both transparency reports' pages share: a readable column, plain tables, charts, and print. */
export const PAGE_CSS = `body{font:15px/1.5 Georgia,serif;max-width:820px;margin:2rem auto;padding:0 1rem;color:#1b1f24}
h1{font-size:1.7rem}h2{font-size:1.25rem;border-bottom:1px solid #ccc;margin-top:2rem}h3{font-size:1.05rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem;font:13px/1.4 system-ui,sans-serif}th,td{border-bottom:1px solid #ddd;padding:.25rem .4rem;text-align:left;vertical-align:top}
figure{margin:1rem 0}figcaption{font:12px system-ui,sans-serif;color:#555}svg text{fill:#1b1f24}.none{color:#777}
@media print{body{margin:0;max-width:none}h2{break-after:avoid}figure,table{break-inside:avoid}}`;
