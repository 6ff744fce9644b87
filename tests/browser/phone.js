// phone.js — the pages on a 390 px wide phone: the page's nav is on screen,
// and a compare page's differences (Δ cells) are in view without scrolling
// sideways, each value line naming its run in full.
"use strict";
const fs = require("fs");
const path = require("path");
const { ok, skip, openPage } = require("./lib");

const W = 390;

async function navShown(page) {
	return page.evaluate((w) => {
		const links = [...document.querySelectorAll(".topnav a")];
		return links.length > 0 && links.every((a) => {
			const r = a.getBoundingClientRect();
			return r.width > 0 && r.height > 0 && r.left >= 0 && r.right <= w && getComputedStyle(a).visibility !== "hidden";
		});
	}, W);
}

module.exports = async function (browser, ctx) {
	if (!ctx.demo) { skip("phone: no demo site"); return; }
	const dir = (d) => fs.existsSync(path.join(ctx.demo, d)) ? fs.readdirSync(path.join(ctx.demo, d))
		.filter((f) => f.endsWith(".html")).map((f) => path.join(ctx.demo, d, f)) : [];
	const cmps = dir("compare");
	const pages = [path.join(ctx.demo, "index.html"), dir("experiments")[0], dir("runs")[0], cmps[0]].filter(Boolean);
	for (const f of pages) {
		const page = await openPage(browser, f, { width: W, height: 844 });
		ok(await navShown(page), `phone: ${path.relative(ctx.demo, f)}: every nav link is on screen at ${W} px`);
		await page.close();
	}
	// The index's experiment descriptions read as lines, not a column one word wide.
	{
		const page = await openPage(browser, path.join(ctx.demo, "index.html"), { width: W, height: 844 });
		const d = await page.evaluate(() => {
			const wrap = document.querySelector("#experiments .table-wrap");
			const cells = [...document.querySelectorAll("#experiments tbody td:last-child")].filter((c) => c.textContent.trim());
			const narrow = cells.map((c) => c.getBoundingClientRect().width).filter((w) => w < wrap.clientWidth / 2);
			return { n: cells.length, narrow, sideways: wrap.scrollWidth > wrap.clientWidth };
		});
		ok(d.n > 0 && d.narrow.length === 0 && !d.sideways, `phone: index.html: each experiment description spans the table's width, with no sideways scroll`, JSON.stringify(d));
		await page.close();
	}
	// A live chart's readout on a phone: under the plot, not over it.
	const exp = dir("experiments").find((f) => /data-points=/.test(fs.readFileSync(f, "utf8")));
	if (exp) {
		const page = await openPage(browser, exp, { width: W, height: 844 });
		await page.waitForSelector("figure.chart.live svg.plot", { timeout: 8000 }).catch(() => {});
		const fig = await page.$eval("figure.chart.live", (f) => { f.scrollIntoView(); return f.id; }).catch(() => null);
		if (ok(fig, "phone: an experiment page has a live chart")) {
			const g = await page.$eval(`#${fig} svg.plot`, (s) => { const r = s.getBoundingClientRect(); const [L, T, Wd, H] = s.getAttribute("data-plot").split(" ").map(Number); return { x: r.left + L + Wd / 2, y: r.top + T + H / 2, top: r.top + T, bottom: r.top + T + H }; });
			await page.mouse.move(g.x, g.y);
			const tip = await page.$eval(`#${fig} .readout`, (t) => { const r = t.getBoundingClientRect(); return { shown: !t.hidden && r.height > 0, top: r.top, bottom: r.bottom }; });
			ok(tip.shown && (tip.top >= g.bottom - 0.5 || tip.bottom <= g.top + 0.5), `phone: ${path.basename(exp)}: the hover readout is shown beside the plot, not over it`,
				JSON.stringify({ tip, plot: [g.top, g.bottom] }));
		}
		await page.close();
	}
	if (!ok(cmps.length > 0, "phone: the demo site has a compare page")) return;
	for (const f of cmps) {
		const page = await openPage(browser, f, { width: W, height: 844 });
		const res = await page.evaluate(() => {
			const cells = [...document.querySelectorAll("table.compare-metrics td")];
			const w = document.documentElement.clientWidth;
			const out = cells.map((c) => { const r = c.getBoundingClientRect(); return { text: c.textContent.trim(), left: r.left, right: r.right }; })
				.filter((r) => r.left < 0 || r.right > w + 0.5);
			return { n: cells.filter((c) => c.matches("td.delta")).length, out, w, page: document.documentElement.scrollWidth };
		});
		ok(res.n > 0 && res.out.length === 0, `phone: ${path.basename(f)}: every value and Δ cell of the metrics table is inside the ${W} px viewport`,
			`${res.n} Δ cells; outside: ${JSON.stringify(res.out.slice(0, 4))}`);
		ok(res.page <= res.w, `phone: ${path.basename(f)}: the page does not scroll sideways`, `${res.page} px wide`);
		// Each line names its run in full (mlp16-posw4-s1, -s2, -s3 differ at the end).
		const names = await page.evaluate(() => [...document.querySelectorAll("table.compare-metrics td[data-run-id]")].map((td) => {
			const l = td.querySelector(".run-label"), r = l && l.getBoundingClientRect();
			return { want: td.getAttribute("data-label"), text: l ? l.textContent : null,
				whole: !!l && r.width > 0 && l.scrollWidth <= l.clientWidth + 1 && r.right <= document.documentElement.clientWidth + 0.5 };
		}));
		const cut = names.filter((n) => n.text !== n.want || !n.whole);
		ok(names.length > 0 && cut.length === 0, `phone: ${path.basename(f)}: every value line names its run in full`,
			`${cut.length} of ${names.length}: ${JSON.stringify(cut.slice(0, 3))}`);
		await page.close();
	}
};
