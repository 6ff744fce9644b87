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

function vnu(sites) {
	const jar = path.join(path.dirname(require.resolve("vnu-jar/package.json")), "build/dist/vnu.jar");
	const files = sites.flatMap((s) => s.files);
	let out = "";
	// One run over every page of every site: the Java start costs more than the pages.
	try {
		execFileSync("java", ["-Xss2m", "-jar", jar, "--errors-only", "--format", "json", ...files],
			{ stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20 });
	} catch (e) {
		out = String(e.stderr || "");
		if (!out.trim().startsWith("{")) { fail("vnu ran", out || e.message); return; }
	}
	const msgs = out ? JSON.parse(out).messages.filter((m) => m.type === "error") : [];
	for (const s of sites) {
		const dir = "file:" + path.resolve(s.dir) + path.sep;
		const mine = msgs.filter((m) => (m.url || "").startsWith(dir));
		console.log(`vnu ${s.label}: ${mine.length} errors on ${s.files.length} pages (every page)`);
		ok(mine.length === 0, `${s.label}: vnu finds no errors on any of its ${s.files.length} pages`,
			mine.slice(0, 20).map((m) => `${path.basename(m.url || "")}:${m.lastLine}: ${m.message}`).join("\n"));
	}
}

// A site's pages: all of them, or with quick every page but the run pages,
// and of those one per store format (what differs between run pages is
// what each reader finds: notes, artifacts, tags, charts).
function sitePages(dir, quick) {
	const all = htmlFiles(dir);
	if (!quick) return all;
	const sep = path.sep + "runs" + path.sep, seen = new Set();
	return all.filter((f) => {
		if (!f.includes(sep)) return true;
		const m = /<dt>Store<\/dt><dd><code>([^:<]+):/.exec(fs.readFileSync(f, "utf8"));
		const format = m ? m[1] : "";
		if (seen.has(format)) return false;
		seen.add(format);
		return true;
	});
}

// axe on every demo page and, in make check, on every corpus page but the
// run pages beyond one per store format (--full: every page; bench/a11y.sh);
// vnu on every page of both.
module.exports = async function (browser, ctx) {
	const sites = [];
	for (const [label, dir, quick] of [["demo", ctx.demo, false], ["corpus", ctx.corpus, !ctx.full]]) {
		if (!dir) { skip(`${label}: no site given`); continue; }
		const all = htmlFiles(dir), files = sitePages(dir, quick);
		const t0 = Date.now();
		await axePages(browser, files, label);
		console.log(`axe ${label}: ${files.length} of ${all.length} pages in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
		sites.push({ label, dir, files: all });
	}
	if (!sites.length) return;
	if (ctx.java) vnu(sites);
	else skip("vnu needs java (Debian default-jre-headless)");
};
