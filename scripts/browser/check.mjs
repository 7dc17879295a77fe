// Loads book pages in headless Chromium (Debian's /usr/bin/chromium) over a loopback HTTP server
// and fails on console errors, page errors, failed requests, figures that do not render, or
// MathML that lays out to nothing. Saves a full-page screenshot of each page.
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
for (const page of pages) {
  const tab = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems = [];
  tab.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
  tab.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  tab.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  tab.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
  await tab.goto(base + page, { waitUntil: 'load' });
  const report = await tab.evaluate(() => {
    const imgs = [...document.querySelectorAll('main img')].map((i) => ({
      src: i.getAttribute('src'), ok: i.complete && i.naturalWidth > 0, width: i.getBoundingClientRect().width }));
    const maths = [...document.querySelectorAll('math')].map((m) => m.getBoundingClientRect());
    return { imgs, maths: maths.length, flatMaths: maths.filter((r) => r.width === 0 || r.height === 0).length,
      title: document.title };
  });
  for (const img of report.imgs) if (!img.ok || img.width < 100) problems.push(`figure did not render: ${img.src}`);
  if (report.flatMaths > 0) problems.push(`${report.flatMaths} of ${report.maths} equations have no size`);
  const shot = path.join(outDir, page.replace(/[\/]/g, '_').replace(/\.html$/, '.png'));
  await tab.screenshot({ path: shot, fullPage: true });
  console.log(`${page}: ${report.imgs.length} figures, ${report.maths} equations, ${problems.length} problems; screenshot ${shot}`);
  for (const p of problems) console.log(`  ${p}`);
  failures += problems.length;
  await tab.close();
}
await browser.close();
server.close();
if (failures > 0) { console.error(`browser check failed: ${failures} problems`); process.exit(1); }
console.log('browser check passed');
