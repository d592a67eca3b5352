// The page: one HTML document with its styles, uPlot, the map, the model and the browser code inlined (no network).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { BoardModel } from './model.js';

const require = createRequire(import.meta.url);
/** The browser code, compiled from src/board/client/ as global scripts, in the order they depend on each other. */
const clientFiles = ['format.js', 'charts.js', 'views.js', 'main.js'];

let assets: { uplotJs: string; uplotCss: string; client: string; map: string } | undefined;

/** uPlot from its package, the world map from data/, the browser code from the build: read once. */
function loadAssets(): NonNullable<typeof assets> {
  assets ??= {
    uplotJs: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    uplotCss: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
    client: clientFiles.map((f) => readFileSync(new URL(`./client/${f}`, import.meta.url), 'utf8')).join('\n'),
    map: readFileSync(new URL('../../../data/world.json', import.meta.url), 'utf8'),
  };
  return assets;
}

/** JSON that is safe inside a script element: no `</script>`, no HTML comment openers. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** Inline code must not close its script element early. */
function scriptText(code: string): string {
  return code.replace(/<\/script/gi, '<\\/script');
}

const styles = `
body { font: 15px/1.45 system-ui, sans-serif; margin: 0; color: #1b1b1b; background: #fafaf7; }
header { background: #1b5e20; color: #fff; padding: 12px 24px; }
header h1 { margin: 0; font-size: 22px; }
#status { font-size: 13px; opacity: .85; }
nav { display: flex; gap: 4px; padding: 0 24px; background: #e8f0e8; flex-wrap: wrap; }
nav a { padding: 8px 14px; text-decoration: none; color: #1b5e20; }
nav a[aria-current=page] { background: #fafaf7; font-weight: 600; }
main { padding: 8px 24px 40px; max-width: 1150px; }
.cards { display: flex; gap: 12px; flex-wrap: wrap; margin: 8px 0; }
.card { background: #fff; border: 1px solid #dde3dd; border-radius: 6px; padding: 8px 14px; min-width: 130px; }
.card .label { font-size: 12px; color: #555; } .card .value { font-size: 20px; font-weight: 600; }
table { border-collapse: collapse; margin: 10px 0; background: #fff; font-size: 13px; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
th, td { border: 1px solid #dde3dd; padding: 3px 8px; text-align: left; vertical-align: top; }
.chart { margin: 8px 0; } figcaption { font-size: 12px; color: #555; }
.provisional { color: #b26a00; font-weight: 600; }
.empty { padding: 12px; background: #fff3e0; border: 1px solid #ffcc80; }
.where { font-size: 12px; color: #666; }
.recommendation { font-size: 17px; color: #1b5e20; }
.map { width: 100%; max-width: 960px; background: #eef4f8; } .map path { stroke: #fff; stroke-width: .4; } .map path.here { stroke: #000; stroke-width: 1.5; }
.pickers { display: flex; gap: 16px; margin: 8px 0; }
`;

/** The whole page for `model`; `live` pages (the board) poll data.json, reports may not fetch anything. */
export function renderPage(model: BoardModel): string {
  const a = loadAssets();
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src ${model.live ? "'self'" : "'none'"}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Carbon footprint — codecarbon</title>
<style>${a.uplotCss}</style><style>${styles}</style>
</head><body>
<header><h1>Carbon footprint</h1><div id="status"></div></header>
<nav id="nav" aria-label="Views"></nav>
<main id="main"></main>
<script type="application/json" id="board-data">${scriptJson(model)}</script>
<script type="application/json" id="board-map">${a.map.trim().replace(/</g, '\\u003c')}</script>
<script>${scriptText(a.uplotJs)}</script>
<script>${scriptText(a.client)}</script>
</body></html>
`;
}
