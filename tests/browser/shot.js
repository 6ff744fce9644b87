// shot.js — screenshots a page in the system Chromium: node shot.js FILE.html OUT.png [WIDTH] [dark]
// (SEL=css scrolls to an element first; HASH=#... opens it in that state; FULL=1 takes the whole page)
"use strict";
const puppeteer = require("puppeteer-core");
const path = require("path");
(async () => {
	const [file, out, width, scheme] = process.argv.slice(2);
	const browser = await puppeteer.launch({
		executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
		args: ["--no-sandbox", "--allow-file-access-from-files"],
	});
	const page = await browser.newPage();
	await page.setViewport({ width: Number(width) || 1440, height: 900 });
	if (scheme) await page.emulateMediaFeatures([{ name: "prefers-color-scheme", value: scheme }]);
	// HASH=#q=lr%3C0.01&sort=... opens the page in that state
	await page.goto("file://" + path.resolve(file) + (process.env.HASH || ""), { waitUntil: "load" });
	if (process.env.SEL) await page.evaluate((s) => document.querySelector(s).scrollIntoView(), process.env.SEL);
	// live charts load their points as they near the screen: wait for those in view
	await page.waitForFunction(() => [...document.querySelectorAll("figure.chart[data-points]")]
		.filter((f) => { const r = f.getBoundingClientRect(); return r.bottom > 0 && r.top < innerHeight; })
		.every((f) => f.classList.contains("live")), { timeout: 5000 }).catch(() => {});
	await page.screenshot({ path: out, fullPage: process.env.FULL === "1" });
	await browser.close();
})().catch((e) => { console.error(e); process.exit(1); });
