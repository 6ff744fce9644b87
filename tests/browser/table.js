// table.js — the runs table of the demo site's index: metrics first, sorting
// in the goal's direction, filter expressions, the column chooser, state in
// the URL (reloaded from file://), and the CSV and JSON downloads matching the
// table as shown — all on the rows the page script draws from the page's
// rows data (index.rows.js), which must show what the HTML rows show. With
// --many SITE (a site of more runs than a page shows): the first page as
// HTML with links to every run, rows drawn as the table scrolls, and sort,
// filter and downloads over every row, drawn or not.
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const { execFileSync } = require("child_process");
const { ok, skip, openPage, url } = require("./lib");

// The table as the page shows it, read from the DOM alone.
function readTable(page) {
	return page.evaluate(() => {
		const t = document.getElementById("runs-table");
		const heads = [...t.tHead.rows[0].cells].map((th) => ({
			text: th.textContent.trim(), metric: th.getAttribute("data-metric"),
			param: th.classList.contains("param"), goal: th.getAttribute("data-goal"),
			hidden: th.hidden || getComputedStyle(th).display === "none",
		}));
		const rows = [...t.tBodies[0].rows].filter((r) => !r.hidden && getComputedStyle(r).display !== "none")
			.map((r) => [...r.cells].map((c) => ({ text: c.textContent.trim(), value: c.getAttribute("data-value"),
				hidden: c.hidden || getComputedStyle(c).display === "none" })));
		return { heads, rows, all: t.tBodies[0].rows.length };
	});
}

function colOf(tbl, pred) { return tbl.heads.findIndex(pred); }

// Numbers in order (dir 1 ascending, -1 descending), any NaN after them all.
function sortedNaNLast(vals, dir) {
	const firstNaN = vals.findIndex((v) => isNaN(v));
	const nums = firstNaN < 0 ? vals : vals.slice(0, firstNaN);
	return nums.every((v, i) => i === 0 || dir * (v - nums[i - 1]) >= 0) &&
		(firstNaN < 0 || vals.slice(firstNaN).every((v) => isNaN(v)));
}

async function downloaded(page, dir, selector) {
	for (const f of fs.readdirSync(dir)) fs.unlinkSync(path.join(dir, f));
	await page.click(selector);
	// Chromium may show the final name (empty) before the .crdownload file
	// is renamed over it: done when no .crdownload is left and the file has
	// bytes. A loaded machine can take seconds.
	for (let i = 0; i < 400; i++) {
		const names = fs.readdirSync(dir);
		const f = names.filter((n) => !n.endsWith(".crdownload"));
		if (f.length && !names.some((n) => n.endsWith(".crdownload"))) {
			const text = fs.readFileSync(path.join(dir, f[0]), "utf8");
			if (text.length) return text;
		}
		await new Promise((r) => setTimeout(r, 50));
	}
	return null;
}

// A CSV line split into fields (quotes as the RFC says).
function csvFields(line) {
	const out = [];
	let i = 0;
	while (i <= line.length) {
		if (line[i] === '"') {
			let s = "", j = i + 1;
			for (;;) {
				if (line[j] === '"' && line[j + 1] === '"') { s += '"'; j += 2; }
				else if (line[j] === '"') { j++; break; }
				else s += line[j++];
			}
			out.push(s); i = j + 1;
		} else {
			let j = line.indexOf(",", i); if (j < 0) j = line.length;
			out.push(line.slice(i, j)); i = j + 1;
		}
	}
	return out;
}

// Every cell of the runs table as the page shows it: class, text, exact
// value, title, link and sparkline; with or without the page script.
async function cells(browser, file, js) {
	const page = await browser.newPage();
	await page.setJavaScriptEnabled(js);
	await page.goto(url(file), { waitUntil: "load" });
	const out = await page.evaluate(() => [...document.getElementById("runs-table").tBodies[0].rows].map((tr) =>
		[tr.getAttribute("data-run-id")].concat([...tr.cells].map((c) => {
			const a = c.querySelector("a"), p = c.querySelector("path");
			return [c.className, c.textContent, c.getAttribute("data-value"), c.title, a && a.getAttribute("href"),
				p && p.getAttribute("d"), p && p.getAttribute("stroke")].join("|");
		}))));
	await page.close();
	return out;
}

// The rows the script draws from data equal the page's HTML rows.
async function sameRows(browser, file, what) {
	const html = await cells(browser, file, false), drawn = await cells(browser, file, true);
	let diff = null;
	html.forEach((r, i) => r.forEach((c, j) => { if (!diff && (!drawn[i] || drawn[i][j] !== c)) diff = `row ${i} cell ${j}: ${c} vs ${drawn[i] && drawn[i][j]}`; }));
	ok(html.length > 0 && drawn.length >= html.length && !diff,
		`${what}: the rows drawn from the data show what the HTML rows show`, diff || `${html.length} HTML rows, ${drawn.length} drawn`);
}

async function manyRuns(browser, site) {
	const index = path.join(site, "index.html");
	const data = JSON.parse(fs.readFileSync(path.join(site, "index.rows.js"), "utf8").split('["runs-table"] = ')[1].replace(/;\s*$/, ""));
	const total = data.rows.length;
	// Without the script: the first page, a note, and lists linking every run.
	const plain = await browser.newPage();
	await plain.setJavaScriptEnabled(false);
	await plain.goto(url(index), { waitUntil: "load" });
	const first = await plain.evaluate(() => ({ rows: document.getElementById("runs-table").tBodies[0].rows.length,
		note: (document.querySelector(".more-runs") || {}).textContent || "",
		below: !!document.querySelector(".more-runs") && document.getElementById("runs-table").closest("section").contains(document.querySelector(".more-runs")),
		lists: [...document.querySelectorAll(".more-runs a")].map((a) => a.getAttribute("href")) }));
	await plain.close();
	ok(first.below, "many runs: the note about more runs is in the runs table's section");
	ok(total > 200 && first.rows === 100 && new RegExp(`first 100 of ${total} runs`).test(first.note),
		"many runs: without the script the index shows the first 100 rows and says how many more", `${first.rows} rows; ${first.note}`);
	const linked = new Set();
	for (const href of first.lists) {
		const html = fs.readFileSync(path.join(site, href), "utf8");
		for (const m of html.matchAll(/href="(runs\/[^"]+\.html)"/g)) linked.add(m[1]);
	}
	const pages = fs.readdirSync(path.join(site, "runs")).filter((f) => f.endsWith(".html"));
	ok(first.lists.length > 0 && linked.size === pages.length && pages.every((f) => linked.has("runs/" + f)),
		"many runs: the plain lists the note links to reach every run page", `${linked.size} linked, ${pages.length} run pages`);

	const page = await openPage(browser, index);
	const drawn = () => page.$eval("#runs-table tbody", (b) => b.rows.length);
	const n0 = await drawn();
	ok(n0 > 0 && n0 < total, "many runs: the script draws a window of rows, not all of them", `${n0} of ${total}`);
	const note = await page.$eval(".more-runs", (p) => p.hidden);
	ok(note, "many runs: the no-script note is hidden when the script draws the rows");
	for (let i = 0; i < 40 && (await drawn()) < total; i++) {
		await page.$eval(".runs-wrap", (w) => { w.scrollTop = w.scrollHeight; w.dispatchEvent(new Event("scroll")); });
		await new Promise((r) => setTimeout(r, 50));
	}
	ok((await drawn()) === total, "many runs: scrolling to the end draws every row", `${await drawn()} of ${total}`);

	// Sort by val/acc (higher is better): over all rows, highest first.
	const heads = await page.$$eval("#runs-table thead th", (ths) => ths.map((th) => th.getAttribute("data-metric")));
	const acc = heads.indexOf("val/acc"), mi = data.metrics.findIndex((m) => m.key === "val/acc");
	await page.click(`#runs-table thead th:nth-child(${acc + 1})`);
	// Each row's metric holds [last, min, max, step]; the column shows its mode (the --at point).
	const m = data.metrics[mi], mode = m.mode === "best" ? (m.goal === "max" ? "max" : "min") : m.mode;
	const vi = { last: 0, min: 1, max: 2 }[mode];
	const want = data.rows.map((r) => r[10][mi] ? Number(r[10][mi][vi]) : null).filter((v) => v !== null && !isNaN(v)).sort((a, b) => b - a);
	const got = await page.$$eval(`#runs-table tbody tr td:nth-child(${acc + 1})`, (tds) => tds.map((td) => td.getAttribute("data-value")));
	ok(got.length < total && Number(got[0]) === want[0] && Number(got[1]) === want[1],
		"many runs: the first click on val/acc puts the highest of all runs first", `${got.slice(0, 2)} vs ${want.slice(0, 2)}`);

	// A filter over every row, and the CSV of every matching row (drawn or not).
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rs-dl-"));
	const cdp = await page.createCDPSession();
	await cdp.send("Browser.setDownloadBehavior", { behavior: "allow", downloadPath: dir });
	let csv = await downloaded(page, dir, 'button[data-download="csv"]');
	const rowsNow = await drawn();
	ok(csv && csv.trim().split("\n").length === total + 1 && rowsNow < total,
		"many runs: the CSV holds every row, not only the drawn ones", `${csv && csv.trim().split("\n").length - 1} rows, ${rowsNow} drawn`);
	const lrIdx = data.params.indexOf("lr");
	const wantLr = data.rows.filter((r) => Number(r[9][lrIdx]) < 0.01 && r[9][lrIdx] !== null).length;
	await page.type("input[data-filter]", "lr<0.01");
	csv = await downloaded(page, dir, 'button[data-download="csv"]');
	const count = await page.$eval(".row-count", (o) => o.textContent);
	ok(wantLr > 0 && csv && csv.trim().split("\n").length === wantLr + 1 && new RegExp(`^${wantLr} of ${total} runs`).test(count),
		"many runs: lr<0.01 keeps exactly the matching runs of all rows, in the count and the CSV", `${csv && csv.trim().split("\n").length - 1} rows, ${wantLr} expected; ${count}`);
	const hash = await page.evaluate(() => location.hash);
	const order = await page.$$eval("#runs-table tbody tr", (trs) => trs.slice(0, 20).map((tr) => tr.getAttribute("data-run-id")));
	const again = await openPage(browser, index, { hash });
	const order2 = await again.$$eval("#runs-table tbody tr", (trs) => trs.slice(0, 20).map((tr) => tr.getAttribute("data-run-id")));
	ok(/sort=val\/acc/.test(hash) && JSON.stringify(order) === JSON.stringify(order2),
		"many runs: the URL keeps sort and filter over the data", hash);
	ok(page.errors.length === 0 && again.errors.length === 0, "many runs: no console errors", page.errors.concat(again.errors).join("\n"));
	fs.rmSync(dir, { recursive: true, force: true });
	await again.close();
	await page.close();
}

// Each experiment page of a site of many experiments (the corpus): its runs
// table leads with the experiment's own primary metric, the one its best run
// is named by, and the trend column draws that metric, in the HTML rows and
// in the rows the script draws alike.
async function ownPrimary(browser, site) {
	const dir = path.join(site, "experiments");
	let pages = 0, bad = [];
	for (const f of fs.readdirSync(dir).filter((f) => f.endsWith(".html"))) {
		for (const js of [false, true]) {
			const page = await browser.newPage();
			await page.setJavaScriptEnabled(js);
			await page.goto(url(path.join(dir, f)), { waitUntil: "load" });
			const got = await page.evaluate(() => {
				const best = document.querySelector(".best-line span");
				const t = document.getElementById("runs-table");
				const spark = t && t.querySelector("thead th.spark span");
				const metric = t && t.querySelector("thead th[data-metric]");
				const count = document.querySelector(".row-count");
				return { best: best && best.textContent, spark: spark && spark.textContent, count: count && count.textContent,
					rows: t ? t.tBodies[0].rows.length : 0,
					first: metric && metric.getAttribute("data-metric"),
					labels: t ? [...t.querySelectorAll("tbody td.spark svg")].map((s) => s.getAttribute("aria-label")) : [] };
			});
			await page.close();
			if (js && got.count !== null && got.count !== `${got.rows} run${got.rows === 1 ? "" : "s"}`)
				bad.push(`${f}: the count under the table says "${got.count}" of ${got.rows} rows`);
			if (!got.best) continue;
			pages += !js;
			if (got.spark !== got.best || got.first !== got.best || !got.labels.every((l) => l === got.best + " over steps"))
				bad.push(`${f}${js ? " (script)" : ""}: best by ${got.best}, trend ${got.spark}, first column ${got.first}, sparklines ${[...new Set(got.labels)]}`);
		}
	}
	ok(pages > 5 && bad.length === 0, "experiment pages: the runs table leads with and its trend column draws the experiment's own primary metric; the count under it reads right (1 run, 2 runs)",
		bad.slice(0, 8).join("\n") || `${pages} pages`);
}

// After the value switch (last, best, min, max), every metric cell's title
// still says the point and its step ("0.52 (best, step 390)"), the step the
// run page gives for that run's best and last; back at the column's own mode
// the cells are the page's again. noData: the page without its rows data
// (the script then works on the HTML rows).
async function modeTitles(browser, file, noData) {
	const what = noData ? "runs table without its rows data" : "runs table";
	const page = await browser.newPage();
	if (noData) await page.evaluateOnNewDocument(() => Object.defineProperty(window, "runsiteRows", { get() { return undefined; }, set() {} }));
	await page.goto(url(file), { waitUntil: "load" });
	const usesData = await page.evaluate(() => window.runsite.tables.some((t) => t.data));
	ok(usesData === !noData, `${what}: the script ${noData ? "works on the HTML rows" : "draws from the rows data"}`);
	const cellsNow = () => page.evaluate(() => {
		const t = document.getElementById("runs-table");
		const cols = [...t.tHead.rows[0].cells].map((th, i) => th.hasAttribute("data-goal") ? i : -1).filter((i) => i >= 0);
		return [...t.tBodies[0].rows].map((tr) => ({ href: tr.cells[0].querySelector("a").getAttribute("href"),
			cells: cols.map((i) => ({ metric: t.tHead.rows[0].cells[i].getAttribute("data-metric"), value: tr.cells[i].getAttribute("data-value"),
				title: tr.cells[i].title, text: tr.cells[i].textContent })) }));
	});
	const original = await cellsNow();
	// The oracle: the run page's metrics summary (last and best, each at its step).
	const first = original[0], runHtml = fs.readFileSync(path.join(path.dirname(file), first.href), "utf8");
	const summary = {};
	for (const m of runHtml.matchAll(/<tr><td><a[^>]*>([^<]+)<\/a>.*?<\/td><td class="num"[^>]*>[^<]*<\/td><td class="num step"[^>]*>(\d*)<\/td><td class="num best"[^>]*>[^<]*<\/td><td class="num step"[^>]*>(\d*)<\/td>/g))
		summary[m[1]] = { last: m[2], best: m[3] };
	for (const mode of ["best", "last", "min", "max"]) {
		await page.select('select[data-mode-for="runs-table"]', mode);
		const rows = await cellsNow();
		const bad = [];
		rows.forEach((r) => r.cells.forEach((c) => {
			const want = c.value ? new RegExp(`^${c.value.replace(/[.+]/g, "\\$&")} \\(${mode}, step -?\\d+\\)$`) : /^$/;
			if (!want.test(c.title) && !(mode === "best" && !c.value)) bad.push(`${r.href} ${c.metric}: "${c.title}" (value ${c.value})`);
		}));
		ok(rows.length > 0 && bad.length === 0, `${what}: after switching to ${mode}, every metric cell's title says ${mode} and its step`, bad.slice(0, 5).join("\n"));
		if (mode === "best" || mode === "last") {
			const wrong = rows[0].cells.filter((c) => c.value && summary[c.metric] && !c.title.endsWith(`step ${summary[c.metric][mode]})`));
			ok(Object.keys(summary).length > 0 && wrong.length === 0, `${what}: the ${mode} steps in the titles are the run page's`,
				wrong.map((c) => `${c.metric}: ${c.title}, run page ${summary[c.metric][mode]}`).join("\n"));
		}
	}
	await page.select('select[data-mode-for="runs-table"]', "");
	const back = await cellsNow();
	ok(JSON.stringify(back) === JSON.stringify(original), `${what}: back at the default, the cells are the page's own`);
	await page.close();
}

// The filter speaks the selection language of the report pages and
// --select (src/select.c): for each expression, the runs the filter keeps
// on the demo's index are the runs `runsite build --select` puts in a site,
// with the page's rows data and without it (the HTML rows).
const SELECTIONS = ["lr<0.01", "status=FAILED", "status=finished|running", "metric:val/f1>0.4",
	"mlp16-* metric:val/f1>=0.3, logreg-*", "top 3 by val/f1", "experiment=puppy-couch-bites pos_weight!=4",
	"param:epochs >= 30 status=FINISHED top 5 by val/loss", "name=mlp16-posw4-s?", "top 4", "lr=0.01, hidden_units=16"];

async function selectionLanguage(browser, ctx, index) {
	if (!ctx.runsite || !ctx.store) { skip("filter: the selection language needs --runsite and --store"); return; }
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rs-select-"));
	const rowsOf = (site) => JSON.parse(fs.readFileSync(path.join(site, "index.rows.js"), "utf8").split('["runs-table"] = ')[1].replace(/;\s*$/, ""));
	for (const noData of [false, true]) {
		const page = await browser.newPage();
		if (noData) await page.evaluateOnNewDocument(() => Object.defineProperty(window, "runsiteRows", { get() { return undefined; }, set() {} }));
		await page.goto(url(index), { waitUntil: "load" });
		const bad = [];
		for (const [i, expr] of SELECTIONS.entries()) {
			let want;
			if (!noData) {
				const site = path.join(dir, "s" + i);
				execFileSync(ctx.runsite, ["build", ctx.store, "-o", site, "--primary", "val/f1", "--select", expr, "-q"], { stdio: "ignore" });
				want = rowsOf(site).rows.map((r) => r[0]).sort();
				fs.writeFileSync(path.join(dir, "want" + i), JSON.stringify(want));
			} else want = JSON.parse(fs.readFileSync(path.join(dir, "want" + i), "utf8"));
			const got = await page.evaluate((q) => {
				const input = document.querySelector("input[data-filter]");
				input.value = q;
				input.dispatchEvent(new Event("input"));
				const t = window.runsite.tables.find((x) => x.table.id === "runs-table");
				const ids = t.data ? t.match.map((k) => t.all[k][0])
					: [...t.table.tBodies[0].rows].filter((r) => !r.hidden).map((r) => r.getAttribute("data-run-id"));
				return { ids: ids.sort(), note: document.querySelector(".filter-note").textContent };
			}, expr);
			if (JSON.stringify(got.ids) !== JSON.stringify(want) || got.note)
				bad.push(`"${expr}": the filter keeps ${got.ids.length} runs${got.note ? " (" + got.note + ")" : ""}, --select ${want.length}`);
			if (!want.length) bad.push(`"${expr}" selects no run: not a test`);
		}
		ok(bad.length === 0, `filter${noData ? " (HTML rows)" : ""}: ${SELECTIONS.length} expressions of the selection language keep the runs --select selects`, bad.join("\n"));
		await page.close();
	}
	fs.rmSync(dir, { recursive: true, force: true });
}

// A link to another state of the open page (the fragment changes, the page
// does not reload) shows that state; an anchor link (#runs) keeps the state.
async function stateLink(browser, index) {
	const page = await openPage(browser, index);
	const view = () => page.evaluate(() => {
		const t = document.getElementById("runs-table");
		return { q: document.querySelector("input[data-filter]").value,
			rows: [...t.tBodies[0].rows].map((r) => r.getAttribute("data-run-id")).join(" "),
			hidden: [...t.tHead.rows[0].cells].filter((th) => th.hidden).map((th) => th.textContent).join(" "),
			mode: document.querySelector('select[data-mode-for="runs-table"]').value };
	});
	await page.evaluate(() => { location.hash = "#q=status%3DFAILED&hide=duration&value=best"; });
	await page.waitForFunction(() => document.querySelector("input[data-filter]").value !== "", { timeout: 3000 }).catch(() => {});
	const a = await view();
	ok(a.q === "status=FAILED" && a.rows.split(" ").length === 1 && /Duration/.test(a.hidden) && a.mode === "best",
		"runs table: a link to another state of the open page shows it", JSON.stringify(a));
	await page.evaluate(() => { location.hash = "#runs"; });
	await new Promise((r) => setTimeout(r, 100));
	ok(JSON.stringify(await view()) === JSON.stringify(a), "runs table: an anchor link (#runs) keeps the state");
	await page.evaluate(() => { location.hash = "#sort=val/f1:desc"; });
	await page.waitForFunction(() => document.querySelector("input[data-filter]").value === "", { timeout: 3000 }).catch(() => {});
	const b = await view();
	ok(b.q === "" && b.rows.split(" ").length > 1 && b.hidden === "" && b.mode === "",
		"runs table: a state link without a filter, columns or value shows all rows and columns at the default", JSON.stringify(b));
	ok(page.errors.length === 0, "runs table: no console errors after state links", page.errors.join("\n"));
	await page.close();
}

module.exports = async function (browser, ctx) {
	if (ctx.corpus) await ownPrimary(browser, ctx.corpus);
	else skip("table: no corpus site");
	if (ctx.many) await manyRuns(browser, ctx.many);
	else skip("table: no --many site");
	if (!ctx.demo) { skip("table: no demo site"); return; }
	const index = path.join(ctx.demo, "index.html");
	await sameRows(browser, index, "index");
	for (const f of fs.readdirSync(path.join(ctx.demo, "experiments")).filter((f) => f.endsWith(".html")))
		await sameRows(browser, path.join(ctx.demo, "experiments", f), "experiments/" + f);
	await selectionLanguage(browser, ctx, index);
	await stateLink(browser, index);
	await modeTitles(browser, index, false);
	await modeTitles(browser, index, true);
	const page = await openPage(browser, index);
	const fromData = await page.evaluate(() => !!(window.runsiteRows && window.runsiteRows["runs-table"] &&
		window.runsite.tables.some((t) => t.data)));
	ok(fromData, "runs table: the script draws the rows from the page's rows data (index.rows.js)");
	let t = await readTable(page);

	const firstMetric = colOf(t, (h) => h.metric), firstParam = colOf(t, (h) => h.param);
	ok(firstMetric === 1, "runs table: the first column after the run is a metric", JSON.stringify(t.heads.map((h) => h.text)));
	ok(firstParam < 0 || firstMetric < firstParam, "runs table: metrics come before params");
	ok(t.heads[firstMetric].metric === "val/f1", "runs table: the primary metric (val/f1) leads", t.heads[firstMetric].metric);
	const sticky = await page.evaluate(() => {
		const t = document.getElementById("runs-table");
		return [getComputedStyle(t.tHead.rows[0].cells[0]).position, getComputedStyle(t.tBodies[0].rows[0].cells[0]).position];
	});
	ok(sticky[0] === "sticky" && sticky[1] === "sticky", "runs table: the heading and the run column stick", sticky.join(","));

	// First click on a higher-is-better metric: highest first.
	const f1 = firstMetric;
	await page.click(`#runs-table thead th:nth-child(${f1 + 1})`);
	t = await readTable(page);
	const vals = t.rows.map((r) => r[f1].value).filter((v) => v !== "" && v !== null).map(Number);
	ok(vals.length > 2 && sortedNaNLast(vals, -1),
		"runs table: the first click sorts val/f1 (higher is better) highest first", vals.join(" "));
	const lossCol = colOf(t, (h) => h.goal === "min");
	await page.click(`#runs-table thead th:nth-child(${lossCol + 1})`);
	t = await readTable(page);
	const lv = t.rows.map((r) => r[lossCol].value).filter((v) => v !== "" && v !== null).map(Number);
	ok(lv.length > 2 && sortedNaNLast(lv, 1),
		`runs table: the first click sorts ${t.heads[lossCol].metric} (lower is better) lowest first`, lv.join(" "));

	// Filters: a comparison on a param, on the status, an unknown column.
	const lrCol = colOf(t, (h) => h.param && h.text === "lr");
	const statusCol = colOf(t, (h) => h.text === "Status");
	const all = (await readTable(page)).rows;
	const wantLr = all.filter((r) => r[lrCol].text !== "—" && Number(r[lrCol].text) < 0.01).length;
	await page.type("input[data-filter]", "lr<0.01");
	t = await readTable(page);
	ok(wantLr > 0 && t.rows.length === wantLr && t.rows.every((r) => Number(r[lrCol].text) < 0.01),
		"runs table: the filter lr<0.01 keeps exactly the runs with lr below 0.01", `${t.rows.length} shown, ${wantLr} expected`);
	await page.$eval("input[data-filter]", (i) => { i.value = ""; });
	await page.type("input[data-filter]", "status=finished epochs>=30");
	t = await readTable(page);
	const epochsCol = colOf(t, (h) => h.param && h.text === "epochs");
	const wantFin = all.filter((r) => r[statusCol].text === "FINISHED" && Number(r[epochsCol].text) >= 30).length;
	ok(wantFin > 0 && t.rows.length === wantFin, "runs table: status=finished epochs>=30 keeps the finished runs of 30 epochs or more",
		`${t.rows.length} shown, ${wantFin} expected`);
	await page.$eval("input[data-filter]", (i) => { i.value = ""; });
	await page.type("input[data-filter]", "nosuchcol>1");
	const note = await page.$eval(".filter-note", (o) => o.textContent);
	ok(/no column nosuchcol/.test(note), "runs table: a filter on an unknown column says so", note);

	// Column chooser, then the state in the URL survives a reload.
	await page.$eval("input[data-filter]", (i) => { i.value = ""; });
	await page.type("input[data-filter]", "lr<0.01");
	await page.click("details.columns summary");
	await page.click('details.columns input[data-col="duration"]');
	t = await readTable(page);
	const durCol = colOf(t, (h) => h.text === "Duration");
	ok(t.heads[durCol].hidden && t.rows.every((r) => r[durCol].hidden), "runs table: unticking Duration hides its column");
	const hash = await page.evaluate(() => location.hash);
	ok(/sort=/.test(hash) && /q=lr/.test(hash) && /hide=duration/.test(hash), "runs table: sort, filter and columns are in the URL", hash);
	const before = (await readTable(page)).rows.map((r) => r[0].text);
	const again = await openPage(browser, index, { hash });
	const t2 = await readTable(again);
	ok(JSON.stringify(t2.rows.map((r) => r[0].text)) === JSON.stringify(before) && t2.heads[durCol].hidden,
		"runs table: opening the URL (file://) shows the same rows, order and columns", `${JSON.stringify(before)} vs ${JSON.stringify(t2.rows.map((r) => r[0].text))}`);
	ok(again.errors.length === 0, "runs table: no console errors", again.errors.join("\n"));
	await again.close();

	// Downloads: the table as shown.
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rs-dl-"));
	const cdp = await page.createCDPSession();
	await cdp.send("Browser.setDownloadBehavior", { behavior: "allow", downloadPath: dir });
	await page.$eval("input[data-filter]", (i) => { i.value = ""; });
	await page.type("input[data-filter]", "status=finished");
	t = await readTable(page);
	// The column's heading says the point its values are at (--at: last or best).
	const f1Name = `val/f1 (${/\bbest\b/.test(t.heads[1].text) ? "best" : "last"})`;
	const csv = await downloaded(page, dir, 'button[data-download="csv"]');
	ok(csv !== null, "runs table: the CSV button downloads a file");
	if (csv) {
		const lines = csv.trim().split("\n").map(csvFields);
		const visible = t.heads.map((h, i) => i).filter((i) => !t.heads[i].hidden && !/trend/.test(t.heads[i].text));
		ok(lines.length === t.rows.length + 1, "CSV: one line per row shown, and the header", `${lines.length - 1} rows, ${t.rows.length} shown`);
		ok(lines[0].length === visible.length && !lines[0].includes("duration"), "CSV: the columns shown (not the hidden Duration)", lines[0].join(","));
		ok(lines[0][1] === f1Name, "CSV: a metric column names the value it holds", `${lines[0][1]}, want ${f1Name}`);
		let same = true;
		t.rows.forEach((r, i) => {
			visible.forEach((c, j) => {
				const want = t.heads[c].metric ? (r[c].value || "") : (r[c].text === "—" ? "" : r[c].text);
				if (lines[i + 1][j] !== want) { same = false; console.log(`    CSV row ${i} col ${j}: ${lines[i + 1][j]} != ${want}`); }
			});
		});
		ok(same, "CSV: every field equals the table's cell (metrics exact)");
	}
	const json = await downloaded(page, dir, 'button[data-download="json"]');
	let parsed = null;
	try { parsed = JSON.parse(json); } catch (e) { /* reported below */ }
	ok(Array.isArray(parsed) && parsed.length === t.rows.length && parsed.every((o) => typeof o.run === "string"),
		"JSON: one object per row shown, keyed by column", json && json.slice(0, 200));
	if (parsed && parsed.length)
		ok(parsed[0][f1Name] === (t.rows[0][1].value ? Number(t.rows[0][1].value) : null), "JSON: metric values are numbers, exact");
	ok(page.errors.length === 0, "runs table: no console errors", page.errors.join("\n"));
	fs.rmSync(dir, { recursive: true, force: true });
	// Printed, the table keeps its rows and drops its controls.
	await page.emulateMediaType("print");
	const printed = await page.evaluate(() => ({
		controls: [...document.querySelectorAll("input[data-filter], select[data-mode-for], button.download, details.columns")]
			.filter((e) => e.getBoundingClientRect().height > 0).length,
		rows: [...document.getElementById("runs-table").tBodies[0].rows].filter((r) => r.getBoundingClientRect().height > 0).length }));
	ok(printed.controls === 0 && printed.rows > 0, "runs table: printed, without its filter, value switch, columns and download controls", JSON.stringify(printed));
	await page.close();
};
