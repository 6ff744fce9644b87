// run.js — runsite's pages in the system Chromium (see README.md here).
//   node run.js --demo SITE [--corpus SITE] [--sweep SITE] [--full] [--only NAME]
"use strict";
const { execFileSync } = require("child_process");
const { launch, summary, fail } = require("./lib");

const SUITES = { table: require("./table"), charts: require("./charts"), dark: require("./dark"), phone: require("./phone"), a11y: require("./a11y") };

(async () => {
	const args = process.argv.slice(2), ctx = { full: false, only: null };
	for (let i = 0; i < args.length; i++) {
		const a = args[i];
		if (a === "--full") ctx.full = true;
		else if (a.startsWith("--")) ctx[a.slice(2)] = args[++i];
	}
	try { execFileSync("java", ["-version"], { stdio: "ignore" }); ctx.java = true; } catch (e) { ctx.java = false; }
	const browser = await launch();
	try {
		for (const [name, suite] of Object.entries(SUITES)) {
			if (ctx.only && ctx.only !== name) continue;
			try { await suite(browser, ctx); } catch (e) { fail(`${name}: ran to the end`, e.stack); }
		}
	} finally {
		await browser.close();
	}
	process.exit(summary("browser") ? 0 : 1);
})().catch((e) => { console.error(e); process.exit(1); });
