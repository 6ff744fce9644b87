// bench.js — page-load figures in the system Chromium (not a test):
//   node bench.js PAGE.html... [--runs N]
// For each page, N cold loads (a fresh tab each): DOMContentLoaded, load, and
// when the page script is done (tables wired, the runs table's first rows
// drawn: the page is interactive), as medians in ms; then, on the loaded
// page, how long a sort of the runs table by its first metric and a filter
// take; also the page's bytes (and its rows file's) and DOM nodes.
"use strict";
const fs = require("fs");
const { launch, url } = require("./lib");

(async () => {
	const args = process.argv.slice(2);
	let runs = 5;
	const pages = [];
	for (let i = 0; i < args.length; i++) if (args[i] === "--runs") runs = Number(args[++i]); else pages.push(args[i]);
	const browser = await launch();
	const med = (a) => a.slice().sort((x, y) => x - y)[Math.floor(a.length / 2)];
	for (const f of pages) {
		const dcl = [], load = [], ready = [], sort = [], filter = [];
		let nodes = 0;
		for (let r = 0; r < runs; r++) {
			const page = await browser.newPage();
			await page.setViewport({ width: 1440, height: 900 });
			await page.setCacheEnabled(false);
			await page.goto(url(f), { waitUntil: "load", timeout: 120000 });
			const t = await page.evaluate(() => {
				const n = performance.getEntriesByType("navigation")[0];
				return { dcl: n.domContentLoadedEventEnd, load: n.loadEventEnd || performance.now(),
					ready: (window.runsite && window.runsite.ready) || n.domContentLoadedEventEnd,
					nodes: document.getElementsByTagName("*").length };
			});
			dcl.push(t.dcl); load.push(t.load); ready.push(t.ready); nodes = t.nodes;
			const u = await page.evaluate(() => {
				const th = document.querySelector("#runs-table th[data-metric]"), q = document.querySelector("input[data-filter]");
				if (!th || !q) return null;
				let t0 = performance.now();
				th.click();
				const s = performance.now() - t0;
				t0 = performance.now();
				q.value = "status=finished";
				q.dispatchEvent(new Event("input"));
				return { sort: s, filter: performance.now() - t0 };
			});
			if (u) { sort.push(u.sort); filter.push(u.filter); }
			await page.close();
		}
		const rowsFile = f.replace(/\.html$/, ".rows.js");
		const rows = fs.existsSync(rowsFile) ? ` (+ ${fs.statSync(rowsFile).size} bytes of rows data)` : "";
		console.log(`${f}: ${fs.statSync(f).size} bytes${rows}, ${nodes} elements; median of ${runs}: ` +
			`DOMContentLoaded ${med(dcl).toFixed(0)} ms, script done (interactive) ${med(ready).toFixed(0)} ms, load ${med(load).toFixed(0)} ms` +
			(sort.length ? `; sort ${med(sort).toFixed(0)} ms, filter ${med(filter).toFixed(0)} ms` : ""));
	}
	await browser.close();
})().catch((e) => { console.error(e); process.exit(1); });
