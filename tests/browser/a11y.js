// a11y.js — every page loads without console errors, axe-core finds no
// violations, and the Nu HTML checker (vnu) finds no errors.
"use strict";
const fs = require("fs");
const path = require("path");
const { execFileSync } = require("child_process");
const { ok, skip, fail, htmlFiles, openPage } = require("./lib");

const AXE = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

async function axePages(browser, files, label) {
	let violations = 0, pages = 0;
	const page = await openPage(browser, null);
	for (const f of files) {
		page.errors.length = 0;
		await page.goto("file://" + path.resolve(f), { waitUntil: "load" });
		ok(page.errors.length === 0, `${label}: ${path.basename(f)} loads without console errors`, page.errors.join("\n"));
		await page.evaluate(AXE);
		const res = await page.evaluate(async () => {
			const r = await window.axe.run(document, { resultTypes: ["violations"] });
			return r.violations.map((v) => ({ id: v.id, n: v.nodes.length, help: v.help,
				where: v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | ") }));
		});
		pages++;
		violations += res.length;
		ok(res.length === 0, `${label}: axe finds no violations in ${path.relative(process.cwd(), f)}`,
			res.map((v) => `${v.id} (${v.n}): ${v.help} — ${v.where}`).join("\n"));
	}
	await page.close();
	console.log(`axe ${label}: ${violations} violations on ${pages} pages`);
}

function vnu(files, label) {
	const jar = path.join(path.dirname(require.resolve("vnu-jar/package.json")), "build/dist/vnu.jar");
	let out = "";
	try {
		execFileSync("java", ["-Xss2m", "-jar", jar, "--errors-only", "--format", "json", ...files],
			{ stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20 });
	} catch (e) {
		out = String(e.stderr || "");
		if (!out.trim().startsWith("{")) { fail(`${label}: vnu ran`, out || e.message); return; }
	}
	const msgs = out ? JSON.parse(out).messages.filter((m) => m.type === "error") : [];
	console.log(`vnu ${label}: ${msgs.length} errors on ${files.length} pages`);
	ok(msgs.length === 0, `${label}: vnu finds no errors`,
		msgs.slice(0, 20).map((m) => `${path.basename(m.url || "")}:${m.lastLine}: ${m.message}`).join("\n"));
}

// A site's pages: all of them, or with quick, the index, experiment and
// compare pages and the first run page of the lot.
function sitePages(dir, quick) {
	const all = htmlFiles(dir);
	if (!quick) return all;
	const runs = all.filter((f) => f.includes(path.sep + "runs" + path.sep));
	return all.filter((f) => !runs.includes(f)).concat(runs.slice(0, 3));
}

module.exports = async function (browser, ctx) {
	for (const [label, dir, quick] of [["demo", ctx.demo, false], ["corpus", ctx.corpus, !ctx.full]]) {
		if (!dir) { skip(`${label}: no site given`); continue; }
		const files = sitePages(dir, quick);
		await axePages(browser, files, label);
		if (ctx.java) vnu(files, label);
		else skip(`${label}: vnu needs java (Debian default-jre-headless)`);
	}
};
