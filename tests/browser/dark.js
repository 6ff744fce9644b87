// dark.js — chart pictures follow a dark page without script: on a page in
// prefers-color-scheme: dark with JavaScript off, a chart <img> (an SVG)
// shows on a dark background with light text; in light mode on a light one
// with dark text. The same for a hand-off export's inline charts. Pixels read
// from a screenshot of the picture.
"use strict";
const fs = require("fs");
const path = require("path");
const { ok, skip, openPage } = require("./lib");

// Luminance counts of the screenshot png (base64), decoded by the browser.
async function pixels(browser, png) {
	const page = await browser.newPage();
	const res = await page.evaluate(async (src) => {
		const img = new Image();
		img.src = "data:image/png;base64," + src;
		await img.decode();
		const c = document.createElement("canvas");
		c.width = img.width; c.height = img.height;
		const g = c.getContext("2d");
		g.drawImage(img, 0, 0);
		const d = g.getImageData(0, 0, c.width, c.height).data;
		const hist = new Array(256).fill(0), lum = [];
		for (let i = 0; i < d.length; i += 4) {
			const y = Math.round(0.2126 * d[i] + 0.7152 * d[i + 1] + 0.0722 * d[i + 2]);
			hist[y]++;
			// greys only: text, rules and background, not the coloured lines
			lum.push(Math.max(d[i], d[i + 1], d[i + 2]) - Math.min(d[i], d[i + 1], d[i + 2]) < 24 ? y : -1);
		}
		let bg = 0;
		for (let y = 1; y < 256; y++) if (hist[y] > hist[bg]) bg = y;
		// text: the greys farthest from the background (anti-aliased edges aside)
		const far = lum.filter((y) => y >= 0 && Math.abs(y - bg) > 50);
		return { background: bg, brightest: Math.max(-1, ...far), darkest: Math.min(256, ...far), text: far.length };
	}, png);
	await page.close();
	return res;
}

async function shoot(browser, file, scheme, selector = "figure.chart img[src$='.svg']") {
	const page = await openPage(browser, null);
	await page.setJavaScriptEnabled(false);
	await page.emulateMediaFeatures([{ name: "prefers-color-scheme", value: scheme }]);
	await page.goto("file://" + path.resolve(file), { waitUntil: "load" });
	const img = await page.$(selector);
	if (!img) { await page.close(); return null; }
	await img.scrollIntoView();
	await page.evaluate(() => Promise.all([...document.images].map((i) => i.decode().catch(() => {}))));
	const shot = await img.screenshot({ encoding: "base64" });
	await page.close();
	return pixels(browser, shot);
}

module.exports = async function (browser, ctx) {
	if (!ctx.demo) { skip("dark: no demo site"); return; }
	const runs = path.join(ctx.demo, "runs");
	const expDir = path.join(ctx.demo, "experiments");
	const pages = [
		fs.readdirSync(expDir).filter((f) => f.endsWith(".html")).map((f) => path.join(expDir, f))[0],
		fs.readdirSync(runs).filter((f) => f.endsWith(".html")).map((f) => path.join(runs, f))[0],
	];
	const shots = pages.map((file) => ({ file, name: path.relative(ctx.demo, file) }));
	if (ctx.export) shots.push({ file: ctx.export, name: "the export", selector: "figure.export-chart svg" });
	for (const { file, name, selector } of shots) {
		const dark = await shoot(browser, file, "dark", selector);
		const light = await shoot(browser, file, "light", selector);
		if (!ok(dark && light, `dark: ${name} shows an SVG chart picture`)) continue;
		ok(dark.background < 40, `dark: ${name}'s chart picture has a dark background without script`, `background luminance ${dark.background}`);
		ok(dark.text > 100 && dark.brightest > 150, `dark: ${name}'s chart text is light on the dark page`, JSON.stringify(dark));
		ok(light.background > 230, `dark: in light mode ${name}'s chart has a light background`, `background luminance ${light.background}`);
		ok(light.text > 100 && light.darkest < 130, `dark: in light mode ${name}'s chart text is dark`, JSON.stringify(light));
	}
};
