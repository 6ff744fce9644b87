// bench.js — page-load figures in the system Chromium (not a test):
//   node bench.js PAGE.html... [--runs N]
// For each page, N cold loads (a fresh tab each): DOMContentLoaded, load, and
// when the page script is done (tables and charts wired), as medians in ms;
// also the page's bytes and DOM nodes.
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
		const dcl = [], load = [], ready = [];
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
			await page.close();
		}
		console.log(`${f}: ${fs.statSync(f).size} bytes, ${nodes} elements; median of ${runs}: ` +
			`DOMContentLoaded ${med(dcl).toFixed(0)} ms, script done ${med(ready).toFixed(0)} ms, load ${med(load).toFixed(0)} ms`);
	}
	await browser.close();
})().catch((e) => { console.error(e); process.exit(1); });
