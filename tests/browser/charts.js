// charts.js — the live charts of the demo's experiment page, checked against
// the drawn points written beside each picture: the hover readout holds each
// shown run's point nearest the cursor, a legend click hides and shows a run,
// dragging zooms x and Reset undoes it, short series are not smoothed, the
// log switch changes the axis, text is at least 11 CSS px.
"use strict";
const fs = require("fs");
const path = require("path");
const { ok, skip, openPage } = require("./lib");

// The page's chart data, read here from the files the page names, not by the page.
function chartData(file) {
	const html = fs.readFileSync(file, "utf8"), out = {};
	const re = /<figure class="chart" id="([^"]+)" data-points="([^"]+)"/g;
	let m;
	while ((m = re.exec(html))) {
		const js = fs.readFileSync(path.join(path.dirname(file), m[2]), "utf8");
		const call = /^runsiteChartData\(("[^"]*"),([\s\S]*)\);\s*$/.exec(js);
		if (call && JSON.parse(call[1]) === m[1]) out[m[1]] = JSON.parse(call[2]);
	}
	return out;
}

function points(s) {
	const pts = [];
	for (let j = 0; j + 1 < s.p.length; j += 2) pts.push([s.p[j], typeof s.p[j + 1] === "number" ? s.p[j + 1] : null]);
	return pts;
}

// The point of pts nearest x (the lower one on a tie).
function nearest(pts, x) {
	let best = 0;
	for (let i = 1; i < pts.length; i++) if (Math.abs(pts[i][0] - x) < Math.abs(pts[best][0] - x)) best = i;
	return pts[best];
}

async function geometry(page, id) {
	return page.$eval(`#${id} svg.plot`, (svg) => {
		const r = svg.getBoundingClientRect();
		const [L, T, W, H] = svg.getAttribute("data-plot").split(" ").map(Number);
		const [lo, hi] = svg.getAttribute("data-x").split(" ").map(Number);
		return { left: r.left, top: r.top, L, T, W, H, lo, hi };
	});
}

async function readout(page, id) {
	return page.$$eval(`#${id} .readout tr`, (rows) => rows.map((r) => ({
		series: Number(r.getAttribute("data-series")), x: Number(r.getAttribute("data-x")),
		y: r.getAttribute("data-y") === "null" ? null : Number(r.getAttribute("data-y")),
		text: r.textContent })));
}

module.exports = async function (browser, ctx) {
	if (!ctx.demo) { skip("charts: no demo site"); return; }
	const expDir = path.join(ctx.demo, "experiments");
	// The experiment page whose charts hold the most runs.
	const most = (f) => Math.max(0, ...Object.values(chartData(f)).map((d) => d.s.length));
	const file = fs.readdirSync(expDir).filter((f) => f.endsWith(".html")).map((f) => path.join(expDir, f))
		.sort((a, b) => most(b) - most(a))[0];
	const data = chartData(file);
	const ids = Object.keys(data);
	ok(ids.length > 0, "charts: the experiment page embeds its charts' drawn points");
	// A chart with several runs, some long enough to smooth and some not when there is one.
	const several = ids.filter((k) => data[k].s.length > 2);
	const id = several.find((k) => data[k].s.some((s) => s.p.length / 2 >= 50) && data[k].s.some((s) => s.p.length / 2 < 50)) || several[0];
	if (!ok(id, "charts: the demo has an overlay of several runs")) return;
	const d = data[id];
	const page = await openPage(browser, file);
	for (const k of ids) {
		await page.$eval(`#${k}`, (f) => f.scrollIntoView());
		await page.waitForSelector(`#${k}.live svg.plot`, { timeout: 5000 }).catch(() => {});
	}
	await page.$eval(`#${id}`, (f) => f.scrollIntoView());
	const live = await page.$$eval("figure.chart.live svg.plot", (s) => s.length);
	ok(live === ids.length, "charts: every chart with data is live", `${live} of ${ids.length}`);

	// Hover at a few x positions: every shown run's nearest point.
	let g = await geometry(page, id), allSame = true, checked = 0;
	for (const frac of [0.1, 0.37, 0.5, 0.83]) {
		const px = g.L + frac * g.W;
		await page.mouse.move(g.left + px, g.top + g.T + g.H / 2);
		const x = g.lo + (px - g.L) / g.W * (g.hi - g.lo);
		const rows = await readout(page, id);
		// The runs whose x range reaches the cursor (give or take a pixel column).
		const tol = (g.hi - g.lo) / 150;
		const reach = d.s.map((s, i) => [points(s), i]).filter(([p]) => x >= p[0][0] - tol && x <= p[p.length - 1][0] + tol).map(([, i]) => i);
		if (JSON.stringify(rows.map((r) => r.series)) !== JSON.stringify(reach)) { allSame = false; console.log(`    rows for ${rows.map((r) => r.series)}, runs reaching x ${reach}`); }
		for (const r of rows) {
			const want = nearest(points(d.s[r.series]), x);
			checked++;
			if (want[0] !== r.x || want[1] !== r.y) { allSame = false; console.log(`    series ${r.series} at x ${x}: shows (${r.x}, ${r.y}), data has (${want[0]}, ${want[1]})`); }
		}
	}
	ok(allSame && checked > 0, "charts: the hover readout shows every run's drawn value nearest the cursor", `${checked} values`);

	// Legend: hide run 0, then show it again.
	await page.click(`#${id} .legend button[data-series="0"]`);
	let paths = await page.$$eval(`#${id} path.line[data-series="0"]`, (p) => p.length);
	await page.mouse.move(g.left + g.L + g.W / 2, g.top + g.T + g.H / 2);
	let rows = await readout(page, id);
	ok(paths === 0 && rows.length > 0 && rows.every((r) => r.series !== 0),
		"charts: a legend click hides the run's line and its readout", `${paths} paths, ${rows.length} rows`);
	await page.click(`#${id} .legend button[data-series="0"]`);
	paths = await page.$$eval(`#${id} path.line[data-series="0"]`, (p) => p.length);
	ok(paths >= 1, "charts: a second click shows it again");

	// Zoom: drag over the middle half; Reset restores.
	g = await geometry(page, id);
	const y = g.top + g.T + g.H / 2;
	await page.mouse.move(g.left + g.L + g.W * 0.25, y);
	await page.mouse.down();
	await page.mouse.move(g.left + g.L + g.W * 0.5, y, { steps: 4 });
	await page.mouse.move(g.left + g.L + g.W * 0.75, y, { steps: 4 });
	await page.mouse.up();
	const z = await geometry(page, id);
	const span = g.hi - g.lo, px1 = span / g.W;
	ok(Math.abs(z.lo - (g.lo + 0.25 * span)) <= 2 * px1 && Math.abs(z.hi - (g.lo + 0.75 * span)) <= 2 * px1,
		"charts: dragging across zooms x to the dragged range", `[${z.lo}, ${z.hi}] from [${g.lo}, ${g.hi}]`);
	const resetShown = await page.$eval(`#${id} button.reset`, (b) => !b.hidden);
	ok(resetShown, "charts: Reset zoom is offered when zoomed");
	await page.click(`#${id} button.reset`);
	const r = await geometry(page, id);
	ok(r.lo === g.lo && r.hi === g.hi, "charts: Reset zoom shows the whole x range again", `[${r.lo}, ${r.hi}]`);

	// Smoothing: only series of 50 points or more; the slider at 0 turns it off.
	const smoothed = await page.$$eval(`#${id} path.smooth`, (p) => p.map((e) => Number(e.getAttribute("data-series"))));
	const long = d.s.map((s, i) => [s, i]).filter(([s]) => s.p.length / 2 >= 50 && !s.f).map(([, i]) => i);
	ok(JSON.stringify(smoothed) === JSON.stringify(long), "charts: smoothed lines only for series of 50 points or more",
		`smoothed ${smoothed}, long ${long}`);
	await page.$eval(`#${id} input.smoothing`, (s) => { s.value = "0"; s.dispatchEvent(new Event("input")); });
	ok((await page.$$eval(`#${id} path.smooth`, (p) => p.length)) === 0, "charts: the smoothing slider at 0 draws raw lines only");

	// Log switch: the y labels change.
	const labels = () => page.$$eval(`#${id} .axis text[text-anchor="end"]`, (t) => t.map((e) => e.textContent).join(" "));
	const before = await labels();
	await page.click(`#${id} input.log`);
	const after = await labels();
	ok(before !== after, "charts: the log/linear switch changes the y axis", `${before} | ${after}`);

	// Text sizes at the default width.
	const sizes = await page.$eval(`#${id}`, (f) => [...f.querySelectorAll(".axis text, .legend button")]
		.map((e) => parseFloat(getComputedStyle(e).fontSize) * (e.ownerSVGElement ? e.ownerSVGElement.getBoundingClientRect().width / e.ownerSVGElement.viewBox.baseVal.width : 1)));
	ok(sizes.length > 0 && Math.min(...sizes) >= 11, "charts: tick and legend text at least 11 CSS px", Math.min(...sizes));
	ok(page.errors.length === 0, "charts: no console errors", page.errors.join("\n"));
	await page.close();

	await runPage(browser, ctx);
	await legends(browser, ctx);
	await bands(browser, ctx);
	await keyStyles(browser, ctx);
	await sweepText(browser, ctx);
};

// A sweep's pictures (parallel coordinates, scatters; 11 px text in their
// 720 px) are shown at their own size or larger, so their text is at least
// 11 CSS px, at 1440 px and on a 390 px phone (scrolled sideways inside their
// frame there, the page itself not).
async function sweepText(browser, ctx) {
	const dir = path.join(ctx.demo, "experiments");
	const file = fs.readdirSync(dir).filter((f) => f.endsWith(".html")).map((f) => path.join(dir, f))
		.find((f) => /id="sweep"/.test(fs.readFileSync(f, "utf8")));
	if (!ok(file, "sweep pictures: the demo has an experiment with a sweep section")) return;
	for (const width of [1440, 390]) {
		const page = await openPage(browser, null, { width, height: 900 });
		await page.setJavaScriptEnabled(false);
		await page.goto("file://" + path.resolve(file), { waitUntil: "load" });
		const imgs = await page.$$eval("#sweep figure img", (is) => is.map((i) => ({ src: i.getAttribute("src"), shown: i.getBoundingClientRect().width, own: Number(i.getAttribute("width")) })));
		const page_w = await page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth);
		const small = imgs.filter((i) => i.shown < i.own - 0.5);
		ok(imgs.length > 0 && small.length === 0 && page_w, `sweep pictures: at ${width} px each is shown at its own size or larger (text 11 CSS px or more), the page not scrolling sideways`,
			small.map((i) => `${i.src}: ${i.shown.toFixed(0)} of ${i.own} px`).join("\n") + (page_w ? "" : " (the page scrolls sideways)"));
		await page.close();
	}
}

// Every run of an overlay has its own colour and line style, and its legend
// key shows them: the key's colour and dash pattern are the line's, so no two
// keys of a chart look alike (a dash and a dash-dot were both "dashed"), in
// the list without the script and in the live legend.
async function keyStyles(browser, ctx) {
	const DASH = ["", "6 3", "1.5 3", "7 3 1.5 3"];
	const norm = (d) => (d || "").trim().split(/[\s,]+/).filter(Boolean).map(Number);
	const ratio = (d) => { const v = norm(d); return v.length ? v.map((x) => +(x / v[0]).toFixed(3)).join(" ") : ""; };
	for (const site of [ctx.demo, ctx.many].filter(Boolean)) {
		const dir = path.join(site, "experiments"), bad = [];
		let charts = 0;
		for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".html")).map((f) => path.join(dir, f))) {
			const data = chartData(file);
			for (const js of [false, true]) {
				const page = await openPage(browser, null);
				await page.setJavaScriptEnabled(js);
				await page.goto("file://" + path.resolve(file), { waitUntil: "load" });
				for (const [id, d] of Object.entries(data)) {
					if (d.s.length < 2) continue;
					if (js) {
						await page.$eval(`#${id}`, (f) => f.scrollIntoView());
						await page.waitForSelector(`#${id}.live svg.plot`, { timeout: 5000 }).catch(() => {});
					}
					const keys = await page.$eval(`#${id}`, (f, live) => [...f.querySelectorAll(live ? ".legend button" : "ul.chart-keys li")].map((k) => {
						const line = k.querySelector(".key line");
						return line ? { color: line.getAttribute("stroke"), dash: line.getAttribute("stroke-dasharray") || "" } : null;
					}), js);
					charts += !js;
					const seen = new Set();
					d.s.forEach((s, i) => {
						const k = keys[i];
						if (!k) { bad.push(`${id}${js ? " (live)" : ""} ${s.n}: no line in its key`); return; }
						if (k.color !== s.c || ratio(k.dash) !== ratio(DASH[s.d || 0]))
							bad.push(`${id}${js ? " (live)" : ""} ${s.n}: key ${k.color} "${k.dash}", line ${s.c} "${DASH[s.d || 0]}"`);
						const look = k.color + "|" + ratio(k.dash);
						if (seen.has(look)) bad.push(`${id}${js ? " (live)" : ""} ${s.n}: its key looks like another's (${look})`);
						seen.add(look);
					});
				}
				await page.close();
			}
		}
		ok(charts > 0 && bad.length === 0, `legends: ${path.basename(site)}: each key shows its line's colour and dash pattern, no two alike`,
			bad.slice(0, 6).join("\n"));
	}
}

// Bands, as the pictures draw them: a seed group's ±1 std (the demo) and
// the grey median and range of a sweep's runs beyond the best 10 (a site of
// many runs). The live chart fills each series' band from its data, top to
// bottom where the data says, beneath the lines, with an entry in its legend.
async function bands(browser, ctx) {
	for (const [label, site] of [["seed groups", ctx.demo], ["the other runs", ctx.many]]) {
		if (!site) { skip(`bands: no site for ${label}`); continue; }
		const dir = path.join(site, "experiments");
		let drawn = 0, faint = 0;
		const bad = [];
		for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".html")).map((f) => path.join(dir, f))) {
			const data = chartData(file);
			const ids = Object.keys(data).filter((k) => data[k].s.some((s) => s.b));
			if (!ids.length) continue;
			const page = await openPage(browser, file);
			for (const id of ids) {
				await page.$eval(`#${id}`, (f) => f.scrollIntoView());
				await page.waitForSelector(`#${id}.live svg.plot`, { timeout: 5000 }).catch(() => {});
				const live = await page.$eval(`#${id}`, (f) => {
					const svg = f.querySelector("svg.plot");
					if (!svg) return null;
					const [L, T, W, H] = svg.getAttribute("data-plot").split(" ").map(Number);
					const [ylo, yhi] = svg.getAttribute("data-y").split(" ").map(Number);
					const paths = [...svg.querySelectorAll("path")];
					return { T, H, ylo, yhi, log: f.querySelector("input.log").checked,
						bands: [...svg.querySelectorAll("path.band")].map((p) => { const b = p.getBBox(); return { series: Number(p.getAttribute("data-series")), top: b.y, bottom: b.y + b.height, order: paths.indexOf(p) }; }),
						lines: [...svg.querySelectorAll("path.line")].map((p) => ({ series: Number(p.getAttribute("data-series")), order: paths.indexOf(p) })),
						legend: [...f.querySelectorAll(".legend button")].map((b) => ({ text: b.textContent.trim(), band: !!b.querySelector(".key.band") })) };
				});
				if (!live) { bad.push(`${id}: not live`); continue; }
				data[id].s.forEach((s, i) => {
					if (!s.b) return;
					const his = [], los = [];
					for (let j = 0; j + 2 < s.b.length; j += 3) if (s.b[j] !== null) { los.push(s.b[j + 1]); his.push(s.b[j + 2]); }
					const Y = (y) => live.T + live.H - ((live.log ? Math.log10(y) : y) - live.ylo) / (live.yhi - live.ylo) * live.H;
					const band = live.bands.find((b) => b.series === i), line = live.lines.find((l) => l.series === i);
					if (!band) { bad.push(`${id} ${s.n}: no band drawn`); return; }
					drawn++;
					if (s.f) faint++;
					if (Math.abs(band.top - Y(Math.max(...his))) > 1 || Math.abs(band.bottom - Y(Math.min(...los))) > 1)
						bad.push(`${id} ${s.n}: band ${band.top.toFixed(1)}..${band.bottom.toFixed(1)} px, data ${Y(Math.max(...his)).toFixed(1)}..${Y(Math.min(...los)).toFixed(1)}`);
					if (!line || band.order > line.order) bad.push(`${id} ${s.n}: band not beneath its line`);
					const entry = live.legend[i];
					if (!entry || entry.text !== (s.k || s.n) || !entry.band) bad.push(`${id} ${s.n}: legend entry ${JSON.stringify(entry)}`);
				});
			}
			if (page.errors.length) bad.push(page.errors.join("\n"));
			await page.close();
		}
		ok(drawn > 0 && bad.length === 0 && (label === "seed groups" || faint > 0),
			`bands: the live charts draw ${label} as a band from the data, beneath the line, with a band key in the legend`, bad.slice(0, 6).join("\n") || `${drawn} bands`);
	}
}

// Overlay legends: a list beside each picture (read here with the script
// off) naming each run by its own part of the name, the full name in its
// title, the shared part said once in the caption; the live legend the same.
async function legends(browser, ctx) {
	const files = ["experiments", "compare"].filter((d) => fs.existsSync(path.join(ctx.demo, d)))
		.flatMap((d) => fs.readdirSync(path.join(ctx.demo, d)).filter((f) => f.endsWith(".html")).map((f) => path.join(ctx.demo, d, f)));
	let charts = 0, shortened = 0, bad = [];
	for (const file of files) {
		const data = chartData(file);
		const page = await openPage(browser, null);
		await page.setJavaScriptEnabled(false);
		await page.goto("file://" + path.resolve(file), { waitUntil: "load" });
		for (const [id, d] of Object.entries(data)) {
			charts++;
			const got = await page.$eval(`#${id}`, (f) => ({
				keys: [...f.querySelectorAll("ul.chart-keys li")].map((li) => ({ text: li.textContent.trim(), title: li.title })),
				caption: f.querySelector("figcaption").textContent,
			})).catch(() => ({ keys: [], caption: "" }));
			const want = d.s.map((s) => ({ text: s.k || s.n, title: s.n }));
			if (JSON.stringify(got.keys) !== JSON.stringify(want)) bad.push(`${path.basename(file)} ${id}: legend ${JSON.stringify(got.keys)}, want ${JSON.stringify(want)}`);
			if (d.common) {
				shortened++;
				const pre = d.common.split("…")[0], suf = d.common.split("…")[1] || "";
				if (!got.caption.includes(d.common)) bad.push(`${id}: caption "${got.caption}" lacks ${d.common}`);
				if (!d.s.every((s) => s.k && s.k.length < s.n.length && s.n === pre + s.k + suf)) bad.push(`${id}: own parts ${d.s.map((s) => s.k)} of ${d.s.map((s) => s.n)}`);
				if (new Set(d.s.map((s) => s.k)).size !== d.s.length) bad.push(`${id}: own parts not distinct`);
			}
		}
		await page.close();
	}
	ok(charts > 0 && bad.length === 0, "legends: every overlay has a legend list without the script: each run's own part of its name, the full name in its title",
		bad.slice(0, 5).join("\n"));
	ok(shortened > 0, "legends: runs sharing a part of their names (mlp16-posw4-s1, -s2, -s3) are named by their own part, the shared part in the caption");
	// A note "Showing the best 10 of 34" counts what the chart could hold:
	// the chart holds the 10 (or all, when fewer have the metric).
	let notes = 0;
	const wrong = [];
	for (const dir of [ctx.demo, ctx.corpus].filter(Boolean)) {
		const exp = path.join(dir, "experiments");
		for (const f of fs.readdirSync(exp).filter((x) => x.endsWith(".html"))) {
			const html = fs.readFileSync(path.join(exp, f), "utf8");
			for (const fig of html.match(/<figure class="chart"[\s\S]*?<\/figure>/g) || []) {
				const m = /Showing the (?:best|first) (\d+) of (\d+)/.exec(fig);
				if (!m) continue;
				notes++;
				const held = (fig.match(/<li title=/g) || []).length;
				if (held < Number(m[1]) || Number(m[2]) <= Number(m[1])) wrong.push(`${f}: "${m[0]}" on a chart of ${held}`);
				// the others drawn grey, counted: M less the runs in colour
				const rest = /<li title="the other (\d+) \(median, middle 80%\)"/.exec(fig);
				if (!rest || Number(rest[1]) !== Number(m[2]) - (held - 1)) wrong.push(`${f}: "${m[0]}": the others ${rest ? rest[1] : "not drawn"}, ${held - 1} in colour`);
			}
		}
	}
	ok(wrong.length === 0, `legends: every "best N of M" note (${notes}) is on a chart holding N runs or groups in colour and the other M − N grey`, wrong.slice(0, 5).join("\n"));
	// The live legend says the same.
	const cmp = files.find((f) => Object.values(chartData(f)).some((d) => d.common));
	if (!cmp) return;
	const [id, d] = Object.entries(chartData(cmp)).find(([, x]) => x.common);
	const page = await openPage(browser, cmp);
	await page.$eval(`#${id}`, (f) => f.scrollIntoView());
	await page.waitForSelector(`#${id}.live svg.plot`, { timeout: 5000 }).catch(() => {});
	const live = await page.$$eval(`#${id} .legend button`, (b) => b.map((e) => ({ text: e.textContent.trim(), title: e.title })));
	const hidden = await page.$eval(`#${id} ul.chart-keys`, (u) => u.hidden || getComputedStyle(u).display === "none");
	ok(live.length === d.s.length && live.every((b, i) => b.text === d.s[i].k && b.title.includes(d.s[i].n)) && hidden,
		"legends: the live legend names runs by their own part (full name in the title) and replaces the list", JSON.stringify(live));
	await page.close();
}

// A run page's charts are live too: the readout shows the run's drawn
// values, and the zoom and switches are there.
async function runPage(browser, ctx) {
	const runDir = path.join(ctx.demo, "runs");
	const file = fs.readdirSync(runDir).filter((f) => f.endsWith(".html")).map((f) => path.join(runDir, f))
		.find((f) => Object.keys(chartData(f)).length > 0);
	if (!ok(file, "run page: a run page embeds its charts' drawn points")) return;
	const data = chartData(file);
	const ids = Object.keys(data);
	const page = await openPage(browser, file);
	const id = ids.find((k) => data[k].s[0].p.length / 2 >= 10) || ids[0];
	await page.$eval(`#${id}`, (f) => f.scrollIntoView());
	await page.waitForSelector(`#${id}.live svg.plot`, { timeout: 5000 }).catch(() => {});
	const tools = await page.$$eval(`#${id} .chart-tools input.smoothing, #${id} .chart-tools input.log, #${id} button.reset`, (e) => e.length);
	ok(tools === 3, "run page: the chart is live, with smoothing, log/linear and reset zoom", `${tools} controls`);
	const g = await geometry(page, id).catch(() => null);
	if (!ok(g, "run page: the live chart has a plot")) { await page.close(); return; }
	const pts = points(data[id].s[0]);
	let same = true, checked = 0;
	for (const frac of [0.05, 0.3, 0.62, 0.95]) {
		const px = g.L + frac * g.W;
		await page.mouse.move(g.left + px, g.top + g.T + g.H / 2);
		const x = g.lo + (px - g.L) / g.W * (g.hi - g.lo);
		const rows = await readout(page, id);
		const want = nearest(pts, x);
		checked++;
		if (rows.length !== 1 || rows[0].x !== want[0] || rows[0].y !== want[1]) {
			same = false;
			console.log(`    at x ${x}: shows ${JSON.stringify(rows.map((r) => [r.x, r.y]))}, data has (${want[0]}, ${want[1]})`);
		}
	}
	ok(same && checked === 4, "run page: the hover readout shows the run's drawn value nearest the cursor");
	ok(page.errors.length === 0, "run page: no console errors", page.errors.join("\n"));
	await page.close();
}
