// Loads book pages in headless Chromium (Debian's /usr/bin/chromium) over a loopback HTTP server
// and fails on console errors, page errors, failed requests, figures that do not render or have
// no axis labels, MathML that lays out to nothing or without the shipped math font, and the
// rendering defects a reader trips on: doubled words or units ("nats nats"), raw `$` LaTeX,
// unexpanded `{{directives}}`, SCREAMING_CASE identifiers in prose, tables wider than the page
// at 1280 px, anything wider than a 420 px phone screen, and tables cut off in print. Saves a
// full-page screenshot of each page at 1280 px and at 420 px.
//
//   node check.mjs BOOK_DIR OUT_DIR page.html [page.html ...]
import { chromium } from 'playwright-core';
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';

const [bookDir, outDir, ...pages] = process.argv.slice(2);
if (!bookDir || !outDir || pages.length === 0) {
  console.error('usage: node check.mjs BOOK_DIR OUT_DIR page.html [page.html ...]');
  process.exit(2);
}
const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml',
  '.png': 'image/png', '.woff2': 'font/woff2', '.woff': 'font/woff', '.ttf': 'font/ttf', '.json': 'application/json' };
const server = http.createServer((req, res) => {
  const url = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  let file = path.join(bookDir, url);
  if (!file.startsWith(path.resolve(bookDir))) { res.writeHead(403); res.end(); return; }
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
  fs.readFile(file, (err, data) => {
    if (err) { res.writeHead(404); res.end('not found'); return; }
    res.writeHead(200, { 'content-type': types[path.extname(file)] || 'application/octet-stream' });
    res.end(data);
  });
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const base = `http://127.0.0.1:${server.address().port}/`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
fs.mkdirSync(outDir, { recursive: true });
let failures = 0;
// Text a reader sees, outside code, math and scripts: the defects below are looked for in it.
const proseText = () => {
  const out = [];
  const walker = document.createTreeWalker(document.querySelector('main'), NodeFilter.SHOW_TEXT, {
    acceptNode: (n) => (n.parentElement.closest('code, pre, math, script, style, .math-display')
      ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT),
  });
  while (walker.nextNode()) out.push(walker.currentNode.textContent);
  return out;
};

async function checkPage(page, width, problems, shotDir) {
  const tab = await browser.newPage({ viewport: { width, height: 900 } });
  tab.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
  tab.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  tab.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  tab.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
  await tab.goto(base + page, { waitUntil: 'load' });
  await tab.evaluate(() => document.fonts.ready);
  const report = await tab.evaluate(async (proseSrc) => {
    const nodes = eval(proseSrc)();
    const prose = nodes.join(' ');
    const imgs = await Promise.all([...document.querySelectorAll('main img')].map(async (i) => {
      const src = i.getAttribute('src');
      let texts = 0;
      if (src.endsWith('.svg')) {
        const svg = await (await fetch(i.src)).text();
        texts = (svg.match(/<text/g) || []).length;
      }
      return { src, ok: i.complete && i.naturalWidth > 0, width: i.getBoundingClientRect().width, texts };
    }));
    const maths = [...document.querySelectorAll('math')].map((m) => m.getBoundingClientRect());
    const mathFont = document.fonts.check('16px "STIX Two Math"');
    const main = document.querySelector('main').getBoundingClientRect();
    const wide = [...document.querySelectorAll('main table')]
      .filter((t) => t.scrollWidth > t.clientWidth + 1 || t.getBoundingClientRect().right > main.right + 1)
      .map((t) => (t.querySelector('th') || t).textContent.trim().slice(0, 40));
    const pageWide = document.documentElement.scrollWidth > window.innerWidth + 1;
    return { imgs, maths: maths.length, flatMaths: maths.filter((r) => r.width === 0 || r.height === 0).length,
      mathFont, prose, nodes, wide, pageWide, title: document.title };
  }, proseText.toString());
  for (const img of report.imgs) {
    if (!img.ok || img.width < 100) problems.push(`figure did not render: ${img.src}`);
    // Title, two axis descriptions and tick labels: a figure with fewer texts lost its labels.
    if (img.src.endsWith('.svg') && img.texts < 5) problems.push(`figure without axis labels: ${img.src}`);
  }
  if (report.flatMaths > 0) problems.push(`${report.flatMaths} of ${report.maths} equations have no size`);
  if (report.maths > 0 && !report.mathFont) problems.push('the shipped math font (STIX Two Math) did not load');
  // Within one text node (a word next to a table cell or an equation is not a double); a path
  // like "owner/moabb moabb/file.py" is not one either.
  const doubled = report.nodes.flatMap((t) => [...t.matchAll(/(?<![\/\w])([A-Za-z]{2,})\s+\1(?![\/\w]|\.\w)/g)])
    .map((m) => m[0]);
  if (doubled.length) problems.push(`doubled words or units: ${[...new Set(doubled)].join(', ')}`);
  const latex = report.prose.match(/\$[^\s$]|\\[a-zA-Z]{2,}/g);
  if (latex) problems.push(`raw LaTeX left in the text: ${[...new Set(latex)].join(', ')}`);
  if (report.prose.includes('{{')) problems.push('an unexpanded {{directive}} in the text');
  const screaming = report.prose.match(/\b[A-Z]{2,}[A-Z0-9]*(?:_[A-Z]{2,}[A-Z0-9]*)+\b/g);
  if (screaming) problems.push(`code identifiers in prose: ${[...new Set(screaming)].join(', ')}`);
  if (width >= 1280 && report.wide.length) problems.push(`tables wider than the page at ${width} px: ${report.wide.join(' | ')}`);
  if (report.pageWide) problems.push(`the page is wider than a ${width} px screen`);
  const shot = path.join(shotDir, page.replace(/[\/]/g, '_').replace(/\.html$/, `-${width}.png`));
  await tab.screenshot({ path: shot, fullPage: true });
  if (width >= 1280) {
    // Print: every table fits the printed page.
    await tab.emulateMedia({ media: 'print' });
    const cut = await tab.evaluate(() => {
      const main = document.querySelector('main').getBoundingClientRect();
      return [...document.querySelectorAll('main table')]
        .filter((t) => t.getBoundingClientRect().right > main.right + 1).length;
    });
    if (cut) problems.push(`${cut} tables cut off in print`);
  }
  await tab.close();
  return report;
}

for (const page of pages) {
  const problems = [];
  const report = await checkPage(page, 1280, problems, outDir);
  await checkPage(page, 420, problems, outDir);
  console.log(`${page}: ${report.imgs.length} figures, ${report.maths} equations, ${problems.length} problems`);
  for (const p of problems) console.log(`  ${p}`);
  failures += problems.length;
}
await browser.close();
server.close();
if (failures > 0) { console.error(`browser check failed: ${failures} problems`); process.exit(1); }
console.log('browser check passed');
