// lib.js — what the browser tests share: the system Chromium, counters in the
// summary-line format tests/run.sh adds up, and the pages of a site.
"use strict";
const fs = require("fs");
const path = require("path");
const puppeteer = require("puppeteer-core");

let passed = 0, failed = 0, skipped = 0;

function ok(cond, desc, detail) {
	if (cond) { passed++; return true; }
	failed++;
	console.log("not ok: " + desc + (detail !== undefined ? "\n    " + String(detail).split("\n").join("\n    ") : ""));
	return false;
}
function skip(desc) { skipped++; console.log("skipped: " + desc); }
function fail(desc, detail) { return ok(false, desc, detail); }
function summary(name) {
	console.log(`${name}: ${passed} passed, ${failed} failed, ${skipped} skipped`);
	return failed === 0;
}

async function launch() {
	return puppeteer.launch({
		executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
		// --no-sandbox: test containers often run as root, where the sandbox cannot start.
		args: ["--no-sandbox", "--disable-gpu", "--allow-file-access-from-files"],
		headless: true,
	});
}

// Every .html file below dir, sorted.
function htmlFiles(dir) {
	const out = [];
	(function walk(d) {
		for (const e of fs.readdirSync(d, { withFileTypes: true })) {
			const p = path.join(d, e.name);
			if (e.isDirectory()) walk(p);
			else if (e.name.endsWith(".html")) out.push(p);
		}
	})(dir);
	return out.sort();
}

function url(file) { return "file://" + path.resolve(file); }

// A new page that records console errors and uncaught exceptions in page.errors.
async function openPage(browser, file, opts = {}) {
	const page = await browser.newPage();
	page.errors = [];
	page.on("console", (m) => { if (m.type() === "error") page.errors.push(m.text()); });
	page.on("pageerror", (e) => page.errors.push(String(e)));
	await page.setViewport({ width: opts.width || 1440, height: opts.height || 900 });
	if (file) await page.goto(url(file) + (opts.hash || ""), { waitUntil: "load" });
	return page;
}

module.exports = { ok, skip, fail, summary, launch, htmlFiles, url, openPage };
