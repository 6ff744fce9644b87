/* runsite — enhancements only; every page is complete without this script.
 * Runs tables: click a heading to sort (metrics first in their goal's
 * direction), filter with words or comparisons (lr<0.01 status=FAILED),
 * choose columns and the metric value shown, download the table as shown
 * (CSV, JSON); sort, filter and columns live in the URL's #fragment, so a
 * link or a reload (file:// too) keeps them. Charts: see charts.js. */
(function () {
	"use strict";

	/* ---- cells and their values ---- */

	function cellKey(cell) {
		if (!cell) return { missing: true };
		var v = cell.getAttribute("data-value");
		if (v !== null) {
			if (v === "") return { missing: true };
			var n = Number(v);
			if (v === "NaN") return { num: NaN };
			if (!isNaN(n) || v === "Infinity" || v === "-Infinity") return { num: n };
			return { text: v.toLowerCase() };
		}
		var t = cell.textContent.trim();
		if (t === "—" || t === "") return { missing: true };
		var tn = Number(t);
		if (t !== "" && !isNaN(tn)) return { num: tn, text: t.toLowerCase() };
		return { text: t.toLowerCase() };
	}

	/* Missing values and NaN stay last whichever way a column is sorted. */
	function atEnd(k) { return k.missing || ("num" in k && isNaN(k.num)); }

	function compare(a, b) {
		if (a.missing || b.missing) return (a.missing ? 1 : 0) - (b.missing ? 1 : 0);
		if ("num" in a && "num" in b) {
			var an = isNaN(a.num), bn = isNaN(b.num);
			if (an || bn) return (an ? 1 : 0) - (bn ? 1 : 0);
			return a.num < b.num ? -1 : a.num > b.num ? 1 : 0;
		}
		var x = "text" in a ? a.text : String(a.num), y = "text" in b ? b.text : String(b.num);
		return x.localeCompare(y, undefined, { numeric: true });
	}

	/* A column's name for filters, the URL and downloads: the metric or param
	 * key, else the heading's first word ("started"). */
	function colKey(th) {
		var m = th.getAttribute("data-metric");
		if (m) return m;
		var first = th.firstChild ? th.firstChild.textContent : th.textContent;
		if (th.classList.contains("param")) return th.textContent.trim();
		return (first || "").trim().split(/[\s(]/)[0].toLowerCase();
	}

	/* The text of a cell as shown, for filters and downloads. */
	function cellText(cell) {
		return cell ? cell.textContent.trim() : "";
	}

	/* ---- filter expressions ----
	 * The selection language of report blocks and --select (src/select.c),
	 * on the table's columns: terms a run must all pass, commas between
	 * alternatives, and "top N by METRIC". A term is a column comparison
	 * (lr<0.01, optimizer=adam*, status=FAILED|KILLED, param:lr>=0.001,
	 * metric:val/f1>0.4, experiment=puppy*, name=mlp16-*, id=ID), or a word:
	 * a glob (mlp16-*) matches the run's name, a plain word finds runs that
	 * show it anywhere in their row. Case does not matter; = compares
	 * numbers as numbers and text as a glob; <, <=, >, >= take numbers; a
	 * run without the value (or NaN) passes only !=. The table's own extra:
	 * ~ for "contains". Metric columns compare the value they show. */

	function globRe(g) {
		var re = "", i = 0;
		while (i < g.length) {
			var ch = g[i++];
			if (ch === "*") re += ".*";
			else if (ch === "?") re += ".";
			else if (ch === "[" && g.indexOf("]", i + 1) > 0) {
				var j = g.indexOf("]", i + 1), cls = g.slice(i, j);
				re += "[" + (cls[0] === "!" ? "^" + cls.slice(1) : cls).replace(/\\/g, "\\\\") + "]";
				i = j + 1;
			} else re += ch.replace(/[.+^${}()|\\\]\[]/g, "\\$&");
		}
		return new RegExp("^" + re + "$", "i");
	}
	function isGlob(w) { return /[*?[]/.test(w); }
	function unquote(w) { return w.replace(/"/g, ""); }

	/* Text split at unquoted separators sep (a regexp of one character). */
	function splitOutside(text, sep) {
		var out = [], cur = "", q = false;
		for (var i = 0; i < text.length; i++) {
			var ch = text[i];
			if (ch === '"') q = !q;
			if (!q && sep.test(ch)) { if (cur.trim()) out.push(cur.trim()); cur = ""; continue; }
			cur += ch;
		}
		if (cur.trim()) out.push(cur.trim());
		return out;
	}

	var OP = /^(<=|>=|!=|==|=|<|>|~)/;

	/* Parses a filter into alternatives of terms and a top; a term naming
	 * no column is an error the filter box shows. cols: the columns' keys;
	 * metric[i]: column i is a metric's (its goal), param[i]: a param's. */
	function parseFilter(q, cols, metric, param) {
		var alts = [], errors = [], top = null;
		var find = function (name, kind) {
			name = name.toLowerCase();
			if (kind === "param" || kind === "metric") name = name.replace(/^(param|metric):/, "");
			if (name === "name") name = cols[0].toLowerCase();
			if (name === "exp") name = "experiment";
			var ok = function (i) { return !kind || (kind === "metric" ? !!metric[i] : kind === "param" ? !!param[i] : true); };
			for (var i = 0; i < cols.length; i++) if (ok(i) && cols[i].toLowerCase() === name) return i;
			for (i = 0; i < cols.length; i++) if (ok(i) && cols[i].toLowerCase().split("/").pop() === name) return i;
			return -1;
		};
		splitOutside(q, /,/).forEach(function (alt) {
			/* tokens, an operator joined to its neighbours ("lr", "<", "0.01") */
			var toks = [];
			splitOutside(alt, /\s/).forEach(function (w) {
				var starts = OP.test(w);
				if (toks.length && (starts || /[<>=!~]$/.test(toks[toks.length - 1]))) toks[toks.length - 1] += w;
				else toks.push(w);
			});
			var terms = [];
			for (var ti = 0; ti < toks.length; ti++) {
				var w = toks[ti];
				if (w.toLowerCase() === "top") {
					var n = Number(toks[ti + 1]), by = null;
					if (!(n >= 1 && n === Math.floor(n))) { errors.push("'top' takes a whole number of runs: top 5 by METRIC"); break; }
					ti++;
					if ((toks[ti + 1] || "").toLowerCase() === "by") {
						if (ti + 2 >= toks.length) { errors.push("'top " + n + " by' names no metric"); break; }
						by = unquote(toks[ti + 2]);
						ti += 2;
					}
					var col = by === null ? metric.findIndex(function (g) { return !!g; }) : find(by, "metric");
					if (col < 0) { errors.push(by === null ? "'top " + n + "' without 'by METRIC', and no metric column" : "no metric column " + by); break; }
					top = { n: n, col: col, goal: metric[col] };
					continue;
				}
				var qu = false, at = -1;
				for (var k = 0; k < w.length && at < 0; k++) {
					if (w[k] === '"') qu = !qu;
					else if (!qu && OP.test(w.slice(k)) && (w[k] !== "!" || w[k + 1] === "=")) at = k;
				}
				if (at < 0) {
					var word = unquote(w).toLowerCase();
					terms.push(isGlob(word) ? { glob: globRe(word) } : { word: word });
					continue;
				}
				var key = unquote(w.slice(0, at)), op = OP.exec(w.slice(at))[1], value = unquote(w.slice(at + op.length));
				if (op === "==") op = "=";
				if (/^tag:/i.test(key)) { errors.push(w + ": the table has no tags (a report's runs: line selects by tag)"); continue; }
				if (key.toLowerCase() === "id") { terms.push({ id: value, op: op }); continue; }
				var kind = /^metric:/i.test(key) ? "metric" : /^param:/i.test(key) ? "param" : null;
				var ci = find(key, kind);
				if (ci < 0) { errors.push("no " + (kind ? kind + " " : "") + "column " + key.replace(/^(param|metric):/i, "")); continue; }
				var t = { col: ci, op: op, value: value, num: Number(value), isNum: value.trim() !== "" && !isNaN(Number(value)) };
				if (/^[<>]/.test(op) && !t.isNum) { errors.push("'" + w + "': " + op + " compares numbers, and '" + value + "' is not one"); continue; }
				if (op === "=" || op === "!=")
					t.res = (cols[ci].toLowerCase() === "status" ? value.split("|") : [value]).map(globRe);
				terms.push(t);
			}
			alts.push(terms);
		});
		return { alts: alts, top: top, errors: errors };
	}

	/* Whether term t holds for a row, read through acc: key(col) its sort
	 * key, text(col) its shown text, id its run id, name its run's name,
	 * hay() all its text (lower case). */
	function termHolds(t, acc) {
		if (t.word !== undefined) return acc.hay().indexOf(t.word) >= 0;
		if (t.glob) return t.glob.test(acc.name) || t.glob.test(acc.id || "");
		if (t.id !== undefined) return (acc.id === t.id) === (t.op !== "!=");
		var k = acc.key(t.col), text = acc.text(t.col);
		if (t.op === "~") return text.toLowerCase().indexOf(t.value.toLowerCase()) >= 0;
		if (k.missing || ("num" in k && isNaN(k.num))) return t.op === "!=";
		if (t.op === "=" || t.op === "!=") {
			var eq = t.isNum && "num" in k ? k.num === t.num
				: t.res.some(function (re) { return re.test(text); });
			return eq === (t.op === "=");
		}
		if (!("num" in k)) return false;
		switch (t.op) {
		case "<": return k.num < t.num;
		case ">": return k.num > t.num;
		case "<=": return k.num <= t.num;
		case ">=": return k.num >= t.num;
		}
		return true;
	}

	function filterHolds(f, acc) {
		return !f.alts.length || f.alts.some(function (terms) {
			return terms.every(function (t) { return termHolds(t, acc); });
		});
	}

	/* "top N by METRIC": of the indexes given, the N with the best values
	 * of column top.col in its goal's direction (higher without one), those
	 * without a value left out, as a set. */
	function topSet(top, idx, keyOf) {
		var ranked = idx.map(function (i) { return { i: i, k: keyOf(i) }; })
			.filter(function (x) { return "num" in x.k && !isNaN(x.k.num); });
		var down = top.goal !== "min";
		ranked.sort(function (a, b) { return (down ? b.k.num - a.k.num : a.k.num - b.k.num) || 0; });
		var set = {};
		ranked.slice(0, top.n).forEach(function (x) { set[x.i] = true; });
		return set;
	}

	/* ---- the URL's #fragment: state, when it holds '=' ---- */

	function readState() {
		var h = location.hash.slice(1);
		if (h.indexOf("=") < 0) return {};
		var st = {};
		h.split("&").forEach(function (kv) {
			var i = kv.indexOf("=");
			if (i > 0) st[decodeURIComponent(kv.slice(0, i))] = decodeURIComponent(kv.slice(i + 1));
		});
		return st;
	}

	function writeState(st) {
		var parts = [];
		Object.keys(st).forEach(function (k) {
			if (st[k]) parts.push(encodeURIComponent(k) + "=" + encodeURIComponent(st[k]).replace(/%2F/g, "/"));
		});
		var url = location.href.replace(/#.*$/, "") + (parts.length ? "#" + parts.join("&") : "");
		try { history.replaceState(null, "", url); } catch (e) { /* some file:// setups refuse */ }
	}

	/* ---- a table ---- */

	function Table(table, stateful) {
		this.table = table;
		this.body = table.tBodies[0];
		this.heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
		this.cols = this.heads.map(colKey);
		this.rows = Array.prototype.slice.call(this.body.rows);
		this.stateful = stateful;
		this.sort = null; /* {col, dir} */
		this.query = "";
		this.hidden = {};
		this.mode = "";
	}

	Table.prototype.state = function () {
		var hidden = Object.keys(this.hidden).filter(function (k) { return this.hidden[k]; }, this);
		return {
			sort: this.sort ? this.cols[this.sort.col] + ":" + this.sort.dir : "",
			q: this.query,
			hide: hidden.join(","),
			value: this.mode,
		};
	};

	Table.prototype.save = function () {
		if (this.stateful) writeState(this.state());
	};

	/* The first click sorts a metric the way its goal prefers (highest first
	 * for accuracy), everything else ascending; the next reverses. Marks aria-sort. */
	function sortDirection(heads, col, dir) {
		var th = heads[col];
		if (!dir) {
			var cur = th.getAttribute("aria-sort");
			var first = th.getAttribute("data-goal") === "max" ? "desc" : "asc";
			dir = cur === "ascending" ? "desc" : cur === "descending" ? "asc" : first;
		}
		heads.forEach(function (h) { if (h.hasAttribute("data-sortable")) h.setAttribute("aria-sort", "none"); });
		th.setAttribute("aria-sort", dir === "asc" ? "ascending" : "descending");
		return dir;
	}

	/* The indexes of keys in sorted order (stable; missing and NaN last). */
	function sortedOrder(keys, dir) {
		var keyed = keys.map(function (k, i) { return { key: k, i: i }; });
		keyed.sort(function (a, b) {
			var c = compare(a.key, b.key);
			if (!(atEnd(a.key) || atEnd(b.key)) && dir === "desc") c = -c;
			return c || a.i - b.i;
		});
		return keyed.map(function (k) { return k.i; });
	}

	Table.prototype.sortBy = function (col, dir) {
		dir = sortDirection(this.heads, col, dir);
		this.sort = { col: col, dir: dir };
		var rows = this.rows;
		this.rows = sortedOrder(rows.map(function (r) { return cellKey(r.cells[col]); }), dir)
			.map(function (i) { return rows[i]; });
		var frag = document.createDocumentFragment();
		this.rows.forEach(function (r) { frag.appendChild(r); });
		this.body.appendChild(frag);
	};

	/* What a filter needs to know of the columns: which are metrics (their
	 * goals) and which params. */
	Table.prototype.parse = function (q) {
		return parseFilter(q, this.cols,
			this.heads.map(function (th) { return th.hasAttribute("data-goal") ? th.getAttribute("data-goal") : ""; }),
			this.heads.map(function (th) { return th.classList.contains("param"); }));
	};

	Table.prototype.filter = function (q) {
		this.query = q;
		var f = this.parse(q), rows = this.rows, shown = [];
		rows.forEach(function (row, i) {
			var name = row.cells[0] ? cellText(row.cells[0]) : "";
			row.hidden = !filterHolds(f, {
				key: function (c) { return cellKey(row.cells[c]); },
				text: function (c) { return cellText(row.cells[c]); },
				id: row.getAttribute("data-run-id"), name: name,
				hay: function () { return row.textContent.toLowerCase(); },
			});
			if (!row.hidden) shown.push(i);
		});
		if (f.top) {
			var keep = topSet(f.top, shown, function (i) { return cellKey(rows[i].cells[f.top.col]); });
			shown.forEach(function (i) { if (!keep[i]) rows[i].hidden = true; });
		}
		return f.errors;
	};

	Table.prototype.setHidden = function (key, hide) {
		this.hidden[key] = hide;
		var col = this.cols.indexOf(key);
		if (col < 0) return;
		this.heads[col].hidden = hide;
		this.rows.forEach(function (r) { if (r.cells[col]) r.cells[col].hidden = hide; });
	};

	/* A metric cell's title: its exact value and the point it is
	 * ("0.5222 (best, step 390)"), as the pages write it. */
	function valueTitle(exactText, mode, step) {
		return exactText + (step === null || step === undefined || step === "" ? "" : " (" + mode + ", step " + step + ")");
	}

	/* The step of mode m among a metric's steps [last, min, max] (goal g). */
	function modeStep(steps, m, g) {
		if (m === "best") m = g === "min" ? "min" : g === "max" ? "max" : "";
		var i = { last: 0, min: 1, max: 2 }[m];
		return i === undefined ? null : steps[i];
	}

	/* Metric columns show last, best, min or max: every cell carries all four
	 * (data-last, data-last-text, ...) and the steps of the last, min and max
	 * (data-steps); the heading says which is shown. The column's own mode
	 * shows the cell as the page wrote it. */
	Table.prototype.setMode = function (mode) {
		this.mode = mode;
		var rows = this.rows;
		this.heads.forEach(function (th, i) {
			var goal = th.getAttribute("data-goal");
			if (!goal) return;
			if (!th.hasAttribute("data-default-mode")) th.setAttribute("data-default-mode", th.getAttribute("data-mode"));
			var def = th.getAttribute("data-default-mode"), m = mode || def;
			th.setAttribute("data-mode", m);
			var sub = th.querySelector(".sub");
			if (sub) sub.textContent = m + (goal === "min" ? " ↓" : goal === "max" ? " ↑" : "");
			rows.forEach(function (row) {
				var c = row.cells[i];
				if (!c || !c.hasAttribute("data-" + m + "-text")) return;
				if (!c.hasAttribute("data-page")) c.setAttribute("data-page", JSON.stringify([c.textContent, c.getAttribute("data-value"), c.title]));
				if (m === def) {
					var was = JSON.parse(c.getAttribute("data-page"));
					c.textContent = was[0];
					c.setAttribute("data-value", was[1]);
					c.title = was[2];
					return;
				}
				var v = c.getAttribute("data-" + m) || "";
				c.textContent = c.getAttribute("data-" + m + "-text");
				c.setAttribute("data-value", v);
				c.title = v ? valueTitle(v, m, modeStep((c.getAttribute("data-steps") || "").split(" "), m, goal)) : "";
			});
		});
	};

	/* The table as shown: visible columns (not the trend pictures) and rows,
	 * metric values exact. */
	Table.prototype.shown = function () {
		var self = this, cols = [];
		this.heads.forEach(function (th, i) {
			if (th.hidden || th.classList.contains("spark")) return;
			var name = self.cols[i];
			if (th.hasAttribute("data-goal")) name += " (" + th.getAttribute("data-mode") + ")";
			cols.push({ i: i, name: name, metric: th.hasAttribute("data-goal") });
		});
		var rows = this.rows.filter(function (r) { return !r.hidden; }).map(function (r) {
			return cols.map(function (c) {
				var cell = r.cells[c.i];
				if (c.metric) {
					var v = cell ? cell.getAttribute("data-value") : "";
					return v === "" || v === null ? null : Number(v);
				}
				var t = cellText(cell);
				return t === "—" ? null : t;
			});
		});
		return { cols: cols.map(function (c) { return c.name; }), rows: rows };
	};

	function csvField(v) {
		if (v === null || v === undefined) return "";
		var s = String(v);
		return /[",\n\r]/.test(s) || /^[=+\-@]/.test(s) && isNaN(Number(s)) ? '"' + s.replace(/"/g, '""') + '"' : s;
	}

	Table.prototype.csv = function () {
		var t = this.shown();
		return [t.cols].concat(t.rows).map(function (r) { return r.map(csvField).join(","); }).join("\n") + "\n";
	};

	Table.prototype.json = function () {
		var t = this.shown();
		return JSON.stringify(t.rows.map(function (r) {
			var o = {};
			t.cols.forEach(function (c, i) { o[c] = typeof r[i] === "number" && !isFinite(r[i]) ? String(r[i]) : r[i]; });
			return o;
		}), null, 1) + "\n";
	};

	function download(name, type, text) {
		var a = document.createElement("a");
		a.href = URL.createObjectURL(new Blob([text], { type: type }));
		a.download = name;
		document.body.appendChild(a);
		a.click();
		setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
	}

	/* ---- a runs table drawn from its rows as data ----
	 * The page holds the first rows as HTML (complete without this script);
	 * every row is in <page>.rows.js (window.runsiteRows), one array a run.
	 * Sorting, filters, columns, the value shown and downloads work on the
	 * data; rows are drawn as the table scrolls, a window at a time. */

	var SI = ["", "k", "M", "G", "T"];

	function trimZeros(s) {
		return s.indexOf(".") < 0 ? s : s.replace(/0+$/, "").replace(/\.$/, "");
	}

	/* A number as the axes and the pages show it (chart_format_number). */
	function fmtNum(v) {
		if (isNaN(v)) return "NaN";
		if (!isFinite(v)) return v > 0 ? "Inf" : "-Inf";
		if (v === 0) return "0";
		var a = Math.abs(v);
		if (a < 1e-3 || a >= 1e15) {
			var p = v.toExponential(2).split("e");
			return trimZeros(p[0]) + "e" + Number(p[1]);
		}
		var g = v.toPrecision(4);
		if (a < 1e4 && g.indexOf("e") < 0) return trimZeros(g);
		var k = Math.max(1, Math.floor(Math.log10(a) / 3));
		var m = Number((v / Math.pow(1000, k)).toPrecision(3));
		if (Math.abs(m) >= 1000 && k < 4) { k++; m = Number((v / Math.pow(1000, k)).toPrecision(3)); }
		return String(m) + SI[k];
	}

	/* The exact text of a value, as the pages write it (fmt_double): NaN,
	 * Infinity, whole numbers plainly, else the shortest digits in plain
	 * notation unless the exponent form (1e-05) is shorter. */
	function exact(v) {
		if (isNaN(v)) return "NaN";
		if (!isFinite(v)) return v > 0 ? "Infinity" : "-Infinity";
		if (v === Math.floor(v) && Math.abs(v) < 1e15) return v.toFixed(0);
		var p = v.toExponential().split("e"), x = Number(p[1]);
		var e = p[0] + "e" + (x < 0 ? "-" : "+") + (Math.abs(x) < 10 ? "0" : "") + Math.abs(x);
		var neg = v < 0 ? "-" : "", digits = p[0].replace(/^-/, "").replace(".", ""), plain;
		if (x < 0) plain = neg + "0." + new Array(-x).join("0") + digits;
		else {
			while (digits.length <= x) digits += "0";
			plain = neg + digits.slice(0, x + 1) + (digits.length > x + 1 ? "." + digits.slice(x + 1) : "");
		}
		return plain.length <= e.length ? plain : e;
	}

	function fmtDuration(ms) {
		if (ms === null || ms < 0) return "—";
		var s = Math.floor(ms / 1000), two = function (n) { return (n < 10 ? "0" : "") + n; };
		if (s < 1) return ms + " ms";
		/* printf rounds an exact tie (x.25 s) to even, toFixed up */
		if (s < 60) return (ms % 1000 === 250 ? (Math.floor(ms / 100) / 10).toFixed(1) : (ms / 1000).toFixed(1)) + " s";
		if (s < 3600) return Math.floor(s / 60) + "m " + two(s % 60) + "s";
		if (s < 86400) return Math.floor(s / 3600) + "h " + two(Math.floor(s % 3600 / 60)) + "m";
		return Math.floor(s / 86400) + "d " + two(Math.floor(s % 86400 / 3600)) + "h";
	}

	function statusClass(st) {
		var s = String(st || "").toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 16).replace(/-+$/, "");
		return "status-" + (s || "unknown");
	}

	function num(v) { return v === null || v === undefined ? null : typeof v === "number" ? v : Number(v); }

	/* Row fields: see rows.c. */
	var R_ID = 0, R_NAME = 1, R_SLUG = 2, R_COLOR = 3, R_EXP = 4, R_STATUS = 5, R_START = 6,
		R_DUR = 7, R_SPARK = 8, R_PARAMS = 9, R_METRICS = 10;
	var WINDOW = 200; /* rows drawn at a time */

	function DataTable(table, data) {
		Table.call(this, table, true);
		var self = this, np = 0, nm = 0;
		this.data = data;
		this.rows = [];
		this.all = data.rows;
		this.kind = this.heads.map(function (th, i) {
			if (i === 0) return { k: "name" };
			if (th.hasAttribute("data-metric") && th.hasAttribute("data-goal")) {
				var m = data.metrics[nm++] || {};
				return { k: "metric", i: nm - 1, goal: m.goal, def: m.mode, key: m.key };
			}
			if (th.classList.contains("spark")) return { k: "spark" };
			if (th.classList.contains("param")) return { k: "param", i: np++ };
			return { k: self.cols[i] };
		});
		this.order = this.all.map(function (r, i) { return i; });
		this.match = this.order;
		this.drawn = 0;
		this.hay = null;
		this.wrap = table.closest(".runs-wrap") || table.parentNode;
		var more = document.querySelector(".more-runs");
		if (more) more.hidden = true;
		this.count = el("output", { class: "row-count", "aria-live": "polite" });
		this.wrap.insertAdjacentElement("afterend", this.count);
		var onScroll = function () { self.fill(); };
		this.wrap.addEventListener("scroll", onScroll, { passive: true });
		window.addEventListener("scroll", onScroll, { passive: true });
		window.addEventListener("resize", onScroll);
		this.draw();
	}
	DataTable.prototype = Object.create(Table.prototype);

	DataTable.prototype.modeOf = function (c) { return this.mode || c.def; };

	/* The point metric column c of row r shows in its mode: the mode, or
	 * for the column's own mode the point the page wrote ("last" where a
	 * best was asked for and the run has none). */
	DataTable.prototype.pointOf = function (r, c) {
		var v = r[R_METRICS][c.i], m = this.modeOf(c);
		return v && m === c.def && v[6] ? v[6] : m;
	};

	/* The value of metric column c of row r in its mode (a number), or null. */
	DataTable.prototype.metric = function (r, c) {
		var v = r[R_METRICS][c.i];
		if (!v) return null;
		var m = this.pointOf(r, c);
		var x = m === "last" ? v[0] : m === "min" ? v[1] : m === "max" ? v[2]
			: m === "best" ? (c.goal === "min" ? v[1] : c.goal === "max" ? v[2] : null) : null;
		return num(x);
	};

	/* The text a cell of column col shows for row r ("—" when none). */
	DataTable.prototype.text = function (r, col) {
		var c = this.kind[col], v;
		switch (c.k) {
		case "name": return r[R_NAME];
		case "metric": v = this.metric(r, c); return v === null ? "—" : fmtNum(v);
		case "param": v = r[R_PARAMS][c.i]; return v === null || v === undefined ? "—" : v;
		case "experiment": v = this.data.exps[r[R_EXP]]; return v ? v[0] : "—";
		case "status": return r[R_STATUS] || "";
		case "started":
			return r[R_START] === null ? "—" : new Date(r[R_START]).toISOString().slice(0, 16).replace("T", " ");
		case "duration": return fmtDuration(r[R_DUR]);
		}
		return "";
	};

	/* The sort and filter key of a cell, as cellKey reads one from the page. */
	DataTable.prototype.key = function (r, col) {
		var c = this.kind[col], v;
		if (c.k === "metric") { v = this.metric(r, c); return v === null ? { missing: true } : { num: v }; }
		if (c.k === "started" || c.k === "duration") {
			v = c.k === "started" ? r[R_START] : r[R_DUR];
			return v === null || v < 0 ? { missing: true } : { num: v };
		}
		var t = this.text(r, col);
		if (t === "—" || t === "") return { missing: true };
		var n = Number(t);
		if (!isNaN(n)) return { num: n, text: t.toLowerCase() };
		return { text: t.toLowerCase() };
	};

	DataTable.prototype.sortBy = function (col, dir) {
		var self = this;
		dir = sortDirection(this.heads, col, dir);
		this.sort = { col: col, dir: dir };
		this.order = sortedOrder(this.all.map(function (r) { return self.key(r, col); }), dir);
		this.refilter();
	};

	DataTable.prototype.filter = function (q) {
		this.query = q;
		this.terms = this.parse(q);
		this.refilter();
		return this.terms.errors;
	};

	DataTable.prototype.matches = function (i) {
		var self = this, r = this.all[i];
		return filterHolds(this.terms, {
			key: function (c) { return self.key(r, c); },
			text: function (c) { return self.text(r, c); },
			id: r[R_ID], name: r[R_NAME],
			hay: function () {
				if (!self.hay) self.hay = [];
				if (self.hay[i] === undefined)
					self.hay[i] = self.heads.map(function (h, col) { return self.text(r, col); }).join(" ").toLowerCase();
				return self.hay[i];
			},
		});
	};

	DataTable.prototype.refilter = function () {
		var self = this, f = this.terms;
		this.match = f && (f.alts.length || f.top) ? this.order.filter(function (i) { return self.matches(i); }) : this.order;
		if (f && f.top) {
			var keep = topSet(f.top, this.match, function (i) { return self.key(self.all[i], f.top.col); });
			this.match = this.match.filter(function (i) { return keep[i]; });
		}
		this.draw();
	};

	DataTable.prototype.setHidden = function (key, hide) {
		this.hidden[key] = hide;
		var col = this.cols.indexOf(key);
		if (col < 0) return;
		this.heads[col].hidden = hide;
		this.draw();
	};

	DataTable.prototype.setMode = function (mode) {
		this.mode = mode;
		this.hay = null;
		var self = this;
		this.heads.forEach(function (th, i) {
			var c = self.kind[i];
			if (c.k !== "metric") return;
			var m = self.modeOf(c);
			th.setAttribute("data-mode", m);
			var sub = th.querySelector(".sub");
			if (sub) sub.textContent = m + (c.goal === "min" ? " ↓" : c.goal === "max" ? " ↑" : "");
		});
		this.refilter();
	};

	/* One row as table cells, in the order of the heads. */
	DataTable.prototype.row = function (r) {
		var self = this, tr = document.createElement("tr"), up = this.data.up || "";
		tr.setAttribute("data-run-id", r[R_ID]);
		this.kind.forEach(function (c, col) {
			var td = document.createElement("td"), t, v;
			if (self.heads[col].hidden) td.hidden = true;
			switch (c.k) {
			case "name":
				td.className = "name";
				td.appendChild(el("span", { class: "swatch", style: "background:" + r[R_COLOR] }));
				td.appendChild(el("a", { href: up + "runs/" + r[R_SLUG] + ".html" }, r[R_NAME]));
				break;
			case "metric":
				td.className = "num";
				td.setAttribute("data-metric", c.key);
				v = self.metric(r, c);
				td.setAttribute("data-value", v === null ? "" : exact(v));
				if (v !== null) {
					var at = self.pointOf(r, c);
					td.title = valueTitle(exact(v), at, modeStep(r[R_METRICS][c.i].slice(3, 6), at, c.goal));
				}
				td.textContent = v === null ? "—" : fmtNum(v);
				break;
			case "spark":
				td.className = "spark";
				var sp = r[R_SPARK];
				if (sp) {
					var NS = "http://www.w3.org/2000/svg", svg = document.createElementNS(NS, "svg");
					[["width", 96], ["height", 24], ["viewBox", "0 0 96 24"], ["role", "img"], ["aria-label", self.data.spark + " over steps"]]
						.forEach(function (a) { svg.setAttribute(a[0], a[1]); });
					var path = document.createElementNS(NS, "path");
					[["d", sp[0]], ["fill", "none"], ["stroke", r[R_COLOR]], ["stroke-width", "1.25"], ["stroke-linejoin", "round"]]
						.forEach(function (a) { path.setAttribute(a[0], a[1]); });
					var dot = document.createElementNS(NS, "circle");
					[["cx", sp[1]], ["cy", sp[2]], ["r", "1.75"], ["fill", r[R_COLOR]]].forEach(function (a) { dot.setAttribute(a[0], a[1]); });
					svg.appendChild(path);
					svg.appendChild(dot);
					td.appendChild(svg);
				}
				break;
			case "param":
				td.className = "param";
				t = self.text(r, col);
				if (t !== "—") td.title = t;
				td.textContent = t;
				break;
			case "experiment":
				v = self.data.exps[r[R_EXP]];
				if (v) td.appendChild(el("a", { href: up + "experiments/" + v[1] + ".html" }, v[0]));
				break;
			case "status":
				td.appendChild(el("span", { class: "badge " + statusClass(r[R_STATUS]) }, r[R_STATUS]));
				break;
			case "started":
				td.className = "num";
				if (r[R_START] === null) { td.title = "—"; td.setAttribute("data-value", ""); }
				else { td.title = new Date(r[R_START]).toISOString().slice(0, 19) + "Z"; td.setAttribute("data-value", r[R_START]); }
				td.textContent = self.text(r, col);
				break;
			case "duration":
				td.className = "num";
				td.setAttribute("data-value", r[R_DUR] === null ? "" : r[R_DUR]);
				td.textContent = self.text(r, col);
				break;
			default:
				td.textContent = self.text(r, col);
			}
			tr.appendChild(td);
		});
		return tr;
	};

	/* Draws the matching rows from the first, one window. */
	DataTable.prototype.draw = function () {
		this.body.textContent = "";
		this.drawn = 0;
		this.fill(true);
		var n = this.match.length, all = this.all.length;
		this.count.textContent = (n === all ? "" : n + " of ") + all + (all === 1 ? " run" : " runs") +
			(this.drawn < n ? ", drawn as you scroll" : "");
	};

	/* Draws the next window of rows when the table's end nears the screen. */
	DataTable.prototype.fill = function (force) {
		var n = this.match.length;
		if (this.drawn >= n) return;
		if (!force) {
			var w = this.wrap, near = w.scrollHeight - w.scrollTop - w.clientHeight < 1200;
			var rect = this.table.getBoundingClientRect();
			if (!near && rect.bottom > window.innerHeight + 1200) return;
			if (!near && w.scrollHeight > w.clientHeight + 4) return;
		}
		var frag = document.createDocumentFragment(), end = Math.min(n, this.drawn + WINDOW);
		for (var i = this.drawn; i < end; i++) frag.appendChild(this.row(this.all[this.match[i]]));
		this.body.appendChild(frag);
		this.drawn = end;
		this.rows = Array.prototype.slice.call(this.body.rows);
		if (this.count && end >= n) this.count.textContent = this.count.textContent.replace(/, drawn as you scroll$/, "");
	};

	/* The table as shown: visible columns (not the trend pictures), every
	 * matching row (drawn or not), metric values exact. */
	DataTable.prototype.shown = function () {
		var self = this, cols = [];
		this.heads.forEach(function (th, i) {
			if (th.hidden || th.classList.contains("spark")) return;
			var name = self.cols[i], c = self.kind[i];
			if (c.k === "metric") name += " (" + self.modeOf(c) + ")";
			cols.push({ i: i, name: name, metric: c.k === "metric" });
		});
		var rows = this.match.map(function (ri) {
			var r = self.all[ri];
			return cols.map(function (c) {
				if (c.metric) return self.metric(r, self.kind[c.i]);
				var t = self.text(r, c.i);
				return t === "—" ? null : t;
			});
		});
		return { cols: cols.map(function (c) { return c.name; }), rows: rows };
	};

	/* ---- wiring ---- */

	function el(tag, attrs, text) {
		var e = document.createElement(tag);
		Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
		if (text) e.textContent = text;
		return e;
	}

	function wire(table) {
		if (!table.tHead || !table.tHead.rows.length || !table.tBodies[0]) return;
		var stateful = table.id === "runs-table";
		var data = stateful && window.runsiteRows && window.runsiteRows[table.id];
		var t = data && data.rows ? new DataTable(table, data) : new Table(table, stateful);
		t.heads.forEach(function (th, col) {
			if (th.classList.contains("spark")) return;
			th.setAttribute("data-sortable", "");
			th.setAttribute("aria-sort", "none");
			th.setAttribute("tabindex", "0");
			th.title = (th.title ? th.title + " · " : "") + "sort by this column";
			var go = function () { t.sortBy(col); t.save(); };
			th.addEventListener("click", go);
			th.addEventListener("keydown", function (e) {
				if (e.key === "Enter" || e.key === " ") { e.preventDefault(); go(); }
			});
		});
		if (!table.id) return t;

		var input = document.querySelector('input[data-filter="' + table.id + '"]');
		var note = null;
		if (input) {
			input.hidden = false;
			note = el("output", { class: "filter-note", "aria-live": "polite" });
			input.insertAdjacentElement("afterend", note);
			input.addEventListener("input", function () {
				var errs = t.filter(input.value);
				note.textContent = errs.join("; ");
				t.save();
			});
		}
		var sel = document.querySelector('select[data-mode-for="' + table.id + '"]');
		if (sel) {
			if (sel.parentNode) sel.parentNode.hidden = false;
			sel.addEventListener("change", function () { t.setMode(sel.value); t.save(); });
		}
		var tools = input ? input.parentNode : null;
		if (stateful && tools) {
			/* The column chooser: one checkbox per column but the run's name. */
			var det = el("details", { class: "columns" });
			det.appendChild(el("summary", {}, "Columns"));
			var list = el("div", { class: "column-list" });
			t.cols.forEach(function (key, i) {
				if (i === 0) return;
				var label = el("label"), box = el("input", { type: "checkbox", "data-col": key });
				box.checked = true;
				box.addEventListener("change", function () { t.setHidden(key, !box.checked); t.save(); });
				label.appendChild(box);
				label.appendChild(document.createTextNode(" " + key + (t.heads[i].classList.contains("spark") ? " (trend)" : "")));
				list.appendChild(label);
			});
			det.appendChild(list);
			tools.appendChild(det);
			var csv = el("button", { type: "button", class: "download", "data-download": "csv" }, "CSV");
			var json = el("button", { type: "button", class: "download", "data-download": "json" }, "JSON");
			csv.title = "Download the table as shown (visible rows and columns) as CSV";
			json.title = "Download the table as shown (visible rows and columns) as JSON";
			csv.addEventListener("click", function () { download("runs.csv", "text/csv", t.csv()); });
			json.addEventListener("click", function () { download("runs.json", "application/json", t.json()); });
			tools.appendChild(csv);
			tools.appendChild(json);

			/* The state in the URL; whole (what it does not say back to
			 * the default) when the URL changes under an open page. */
			var apply = function (whole) {
				var st = readState();
				if (whole && !Object.keys(st).length) return; /* an anchor (#runs), not a state */
				if ((st.value !== undefined || whole) && sel) { sel.value = st.value || ""; t.setMode(st.value || ""); }
				var hide = (st.hide || "").split(",").filter(Boolean);
				t.cols.forEach(function (k, i) {
					var h = hide.indexOf(k) >= 0;
					if (i === 0 || !!t.hidden[k] === h) return;
					t.setHidden(k, h);
					var b = det.querySelector('input[data-col="' + (window.CSS && CSS.escape ? CSS.escape(k) : k) + '"]');
					if (b) b.checked = !h;
				});
				if (st.sort) {
					var i = st.sort.lastIndexOf(":");
					var col = t.cols.indexOf(i > 0 ? st.sort.slice(0, i) : st.sort);
					if (col >= 0) t.sortBy(col, i > 0 ? st.sort.slice(i + 1) : undefined);
				}
				if ((st.q !== undefined || whole) && input) { input.value = st.q || ""; note.textContent = t.filter(st.q || "").join("; "); }
			};
			apply(false);
			/* a link to another state of this page (the script's own
			 * replaceState fires no hashchange) */
			window.addEventListener("hashchange", function () { apply(true); });
		}
		return t;
	}

	var tables = [];
	document.querySelectorAll("table.sortable").forEach(function (table) {
		var t = wire(table);
		if (t) tables.push(t);
	});
	window.runsite = window.runsite || {};
	window.runsite.tables = tables;
})();

/* Charts: where a chart's drawn points sit beside its picture
 * (data-points: a script calling runsiteChartData), the picture is replaced by a live chart of the same points: hover for every
 * shown run's value at that x, click a legend entry to hide or show a run,
 * drag across to zoom x (double-click or Reset to undo), a smoothing slider
 * and a log/linear switch. Without this script the picture stays. */
(function () {
	"use strict";
	var NS = "http://www.w3.org/2000/svg";
	var SMOOTH_MIN_POINTS = 50; /* as the pictures: shorter series are never smoothed */
	var DASHES = ["", "6 3", "1.5 3", "7 3 1.5 3"];

	function svgEl(tag, attrs, parent) {
		var e = document.createElementNS(NS, tag);
		Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
		if (parent) parent.appendChild(e);
		return e;
	}
	function htmlEl(tag, attrs, text, parent) {
		var e = document.createElement(tag);
		Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
		if (text !== undefined && text !== null) e.textContent = text;
		if (parent) parent.appendChild(e);
		return e;
	}

	function fmt(v) {
		if (v === null || !isFinite(v)) return String(v);
		var a = Math.abs(v);
		if (a !== 0 && (a >= 1e6 || a < 1e-4)) return v.toExponential(3).replace(/\.?0+e/, "e");
		return String(Number(v.toPrecision(5)));
	}

	/* About n round ticks over [lo, hi]. */
	function ticks(lo, hi, n) {
		var span = hi - lo;
		if (!(span > 0)) return [lo];
		var step = Math.pow(10, Math.floor(Math.log10(span / n))), err = span / n / step;
		step *= err >= 7.5 ? 10 : err >= 3.5 ? 5 : err >= 1.5 ? 2 : 1;
		var out = [];
		for (var v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
		return out;
	}

	/* TensorBoard's debiased exponential moving average, gaps kept. */
	function smooth(ys, w) {
		var out = new Array(ys.length), last = 0, k = 0;
		for (var i = 0; i < ys.length; i++) {
			if (ys[i] === null) { out[i] = null; continue; }
			k++;
			last = last * w + (1 - w) * ys[i];
			out[i] = last / (1 - Math.pow(w, k));
		}
		return out;
	}

	function num(v) { return typeof v === "number" ? v : null; }

	function Chart(fig, data) {
		var self = this;
		this.fig = fig;
		this.data = data;
		this.series = data.s.map(function (s, i) {
			var xs = [], ys = [];
			for (var j = 0; j + 1 < s.p.length; j += 2) { xs.push(s.p[j]); ys.push(num(s.p[j + 1])); }
			/* the band: [x, lo, hi] triples, a null triple between stretches */
			var band = null;
			if (s.b && s.b.length) {
				band = [];
				for (j = 0; j + 2 < s.b.length; j += 3)
					band.push(s.b[j] === null ? null : { x: s.b[j], lo: num(s.b[j + 1]), hi: num(s.b[j + 2]) });
			}
			return { name: s.n, own: s.k || s.n, color: s.c, dash: s.d || 0, faint: !!s.f, xs: xs, ys: ys, band: band, shown: true, i: i };
		});
		this.log = !!data.log;
		this.w = data.smoothing || 0;
		var all = [];
		this.series.forEach(function (s) { all = all.concat(s.xs); });
		this.full = [Math.min.apply(null, all), Math.max.apply(null, all)];
		if (!(this.full[1] > this.full[0])) this.full = [this.full[0] - 1, this.full[0] + 1];
		this.dom = this.full.slice();

		fig.classList.add("live");
		var link = fig.querySelector("a");
		this.box = htmlEl("div", { class: "ichart" });
		fig.insertBefore(this.box, link ? link.nextSibling : fig.firstChild);
		if (link) { link.hidden = true; }
		/* the page's legend list gives way to the clickable one below */
		var keys = fig.querySelector("ul.chart-keys");
		if (keys) keys.hidden = true;

		var tools = htmlEl("div", { class: "chart-tools" }, null, this.box);
		var sl = htmlEl("label", {}, "Smoothing ", tools);
		this.slider = htmlEl("input", { type: "range", min: "0", max: "0.99", step: "0.01", value: String(this.w), class: "smoothing" }, null, sl);
		this.slider.addEventListener("input", function () { self.w = Number(self.slider.value); self.draw(); });
		var ll = htmlEl("label", {}, null, tools);
		this.logBox = htmlEl("input", { type: "checkbox", class: "log" }, null, ll);
		ll.appendChild(document.createTextNode(" log y"));
		this.logBox.checked = this.log;
		this.logBox.addEventListener("change", function () { self.log = self.logBox.checked; self.draw(); });
		this.reset = htmlEl("button", { type: "button", class: "reset", hidden: "" }, "Reset zoom", tools);
		this.reset.addEventListener("click", function () { self.zoom(self.full); });
		if (link) {
			var open = htmlEl("a", { href: link.getAttribute("href"), class: "picture" }, "picture", tools);
			open.title = "The chart as a picture";
		}

		this.svg = svgEl("svg", { class: "plot", role: "img" }, this.box);
		this.svg.setAttribute("aria-label", (fig.querySelector("img") || {}).alt || "chart");
		this.tip = htmlEl("div", { class: "readout", hidden: "" }, null, this.box);
		this.legend = htmlEl("ul", { class: "legend" }, null, this.box);
		/* a legend for overlays (which have one as a list), not for a run's own chart */
		if (this.series.length > 1 || keys)
			this.series.forEach(function (s) {
				var li = htmlEl("li", {}, null, self.legend);
				var b = htmlEl("button", { type: "button", "aria-pressed": "true", "data-series": String(s.i) }, null, li);
				/* the key: the line's colour and dash pattern (1.5× for a
				 * 2 px line), over its band's fill when it has one */
				var sw = svgEl("svg", { class: s.band ? "key band" : "key", width: 22, height: 10, viewBox: "0 0 22 10", "aria-hidden": "true" }, b);
				if (s.band) svgEl("rect", { x: 0, y: 1, width: 22, height: 8, fill: s.color, "fill-opacity": s.faint ? 0.22 : 0.18 }, sw);
				var dash = (DASHES[s.dash] || "").split(" ").filter(Boolean).map(function (v) { return Number(v) * 1.5; }).join(" ");
				var kl = svgEl("line", { x1: 0, y1: 5, x2: 22, y2: 5, stroke: s.color, "stroke-width": 2 }, sw);
				if (dash) kl.setAttribute("stroke-dasharray", dash);
				/* the run's own part of the name; the shared part is in the caption */
				b.appendChild(document.createTextNode(s.own));
				b.title = "Hide or show " + s.name;
				b.addEventListener("click", function () {
					s.shown = !s.shown;
					b.setAttribute("aria-pressed", String(s.shown));
					self.draw();
				});
			});
		this.wire();
		this.draw();
		var lastW = 0;
		window.addEventListener("resize", function () {
			if (self.box.clientWidth !== lastW) { lastW = self.box.clientWidth; self.draw(); }
		});
	}

	Chart.prototype.ty = function (y) {
		if (y === null) return null;
		if (this.log) return y > 0 ? Math.log10(y) : null;
		return y;
	};

	Chart.prototype.zoom = function (dom) {
		this.dom = dom.slice();
		this.reset.hidden = dom[0] === this.full[0] && dom[1] === this.full[1];
		this.draw();
	};

	Chart.prototype.draw = function () {
		var self = this, svg = this.svg;
		while (svg.firstChild) svg.removeChild(svg.firstChild);
		var W = Math.max(this.box.clientWidth, 280), H = Math.round(Math.max(220, Math.min(420, W * 0.55)));
		svg.setAttribute("width", W);
		svg.setAttribute("height", H);
		svg.setAttribute("viewBox", "0 0 " + W + " " + H);
		var L = 58, R = 14, T = 10, B = 34, pw = W - L - R, ph = H - T - B;
		var lo = this.dom[0], hi = this.dom[1];
		/* y range: the shown series' values inside the x range */
		var ylo = Infinity, yhi = -Infinity;
		this.series.forEach(function (s) {
			if (!s.shown) return;
			s.ay = s.ys.map(function (y) { return self.ty(y); });
			s.sm = self.w > 0 && s.ys.length >= SMOOTH_MIN_POINTS && !s.faint ? smooth(s.ay, self.w) : null;
			for (var i = 0; i < s.xs.length; i++)
				if (s.xs[i] >= lo && s.xs[i] <= hi && s.ay[i] !== null && isFinite(s.ay[i])) {
					ylo = Math.min(ylo, s.ay[i]); yhi = Math.max(yhi, s.ay[i]);
				}
			/* the band, on the axis (log: where positive), counts too */
			s.aband = s.band ? s.band.map(function (p) {
				if (!p) return null;
				var a = self.ty(p.lo), b = self.ty(p.hi);
				return a === null || b === null || !isFinite(a) || !isFinite(b) ? null : { x: p.x, lo: a, hi: b };
			}) : null;
			(s.aband || []).forEach(function (p) {
				if (p && p.x >= lo && p.x <= hi) { ylo = Math.min(ylo, p.lo); yhi = Math.max(yhi, p.hi); }
			});
		});
		if (!(yhi >= ylo)) { ylo = 0; yhi = 1; }
		if (yhi === ylo) { ylo -= 0.5; yhi += 0.5; }
		var pad = (yhi - ylo) * 0.06;
		ylo -= pad; yhi += pad;
		var X = function (x) { return L + (x - lo) / (hi - lo) * pw; };
		var Y = function (y) { return T + ph - (y - ylo) / (yhi - ylo) * ph; };
		this.geo = { L: L, T: T, pw: pw, ph: ph, lo: lo, hi: hi };
		svg.setAttribute("data-plot", [L, T, pw, ph].join(" "));
		svg.setAttribute("data-x", lo + " " + hi);
		svg.setAttribute("data-y", ylo + " " + yhi);

		var grid = svgEl("g", { class: "grid" }, svg);
		var axis = svgEl("g", { class: "axis" }, svg);
		var yt = this.log ? ticks(Math.floor(ylo), Math.ceil(yhi), 5).filter(function (v) { return v === Math.round(v) && v >= ylo && v <= yhi; })
			: ticks(ylo, yhi, 5);
		if (this.log && yt.length < 2) yt = ticks(ylo, yhi, 4);
		yt.forEach(function (v) {
			svgEl("line", { x1: L, x2: L + pw, y1: Y(v), y2: Y(v) }, grid);
			var t = svgEl("text", { x: L - 6, y: Y(v), "text-anchor": "end", "dominant-baseline": "middle" }, axis);
			t.textContent = self.log ? fmt(Math.pow(10, v)) : fmt(v);
		});
		ticks(lo, hi, Math.max(2, Math.floor(pw / 90))).forEach(function (v) {
			svgEl("line", { x1: X(v), x2: X(v), y1: T, y2: T + ph }, grid);
			var t = svgEl("text", { x: X(v), y: T + ph + 16, "text-anchor": "middle" }, axis);
			t.textContent = fmt(v);
		});
		var xl = svgEl("text", { x: L + pw, y: H - 2, "text-anchor": "end", class: "xlabel" }, axis);
		xl.textContent = this.data.x === "step" ? "step" : this.data.x === "time" ? "time (s)" : "seconds since start";
		svgEl("rect", { x: L, y: T, width: pw, height: ph, class: "frame" }, svg);

		var clipId = "clip-" + (this.fig.id || Math.random().toString(36).slice(2));
		var cp = svgEl("clipPath", { id: clipId }, svgEl("defs", {}, svg));
		svgEl("rect", { x: L - 1, y: T - 1, width: pw + 2, height: ph + 2 }, cp);
		var lines = svgEl("g", { "clip-path": "url(" + "#" + clipId + ")" }, svg);
		var marks = svgEl("g", { class: "marks" }, svg);
		var path = function (xs, ys) {
			var d = "", pen = false;
			for (var i = 0; i < xs.length; i++) {
				if (ys[i] === null || !isFinite(ys[i])) { pen = false; continue; }
				d += (pen ? "L" : "M") + X(xs[i]).toFixed(1) + " " + Y(ys[i]).toFixed(1);
				pen = true;
			}
			return d;
		};
		/* A band as one path of polygons, one a stretch: along the tops,
		 * back along the bottoms. */
		var bandPath = function (pts) {
			var d = "", run = [];
			var close = function () {
				if (run.length > 1) {
					d += run.map(function (p, k) { return (k ? "L" : "M") + X(p.x).toFixed(1) + " " + Y(p.hi).toFixed(1); }).join("");
					for (var k = run.length - 1; k >= 0; k--) d += "L" + X(run[k].x).toFixed(1) + " " + Y(run[k].lo).toFixed(1);
					d += "Z";
				}
				run = [];
			};
			pts.forEach(function (p) { if (p) run.push(p); else close(); });
			close();
			return d;
		};
		/* the faint rest of a sweep first, beneath the runs */
		this.series.filter(function (s) { return s.faint; }).concat(this.series.filter(function (s) { return !s.faint; })).forEach(function (s) {
			if (!s.shown) return;
			if (s.aband) svgEl("path", { d: bandPath(s.aband), fill: s.color, "fill-opacity": s.faint ? 0.22 : 0.18,
				stroke: "none", class: "band", "data-series": s.i }, lines);
			var raw = svgEl("path", { d: path(s.xs, s.ay), stroke: s.color, class: "line raw", "data-series": s.i,
				"stroke-dasharray": DASHES[s.dash] || "", "stroke-opacity": s.sm ? 0.3 : s.faint ? 0.6 : 1 }, lines);
			if (s.sm) svgEl("path", { d: path(s.xs, s.sm), stroke: s.color, class: "line smooth", "data-series": s.i,
				"stroke-dasharray": DASHES[s.dash] || "" }, lines);
			/* the best point, on the raw line, outside the clip so it is never cut */
			var goal = self.data.goal, bi = -1;
			if ((goal === "min" || goal === "max") && !s.faint)
				for (var i = 0; i < s.xs.length; i++) {
					var y = s.ys[i];
					if (y === null || !isFinite(y) || s.xs[i] < lo || s.xs[i] > hi || s.ay[i] === null) continue;
					if (bi < 0 || (goal === "min" ? y < s.ys[bi] : y > s.ys[bi])) bi = i;
				}
			if (bi >= 0) svgEl("circle", { cx: X(s.xs[bi]), cy: Y(s.ay[bi]), r: 3.5, stroke: s.color, class: "best", "data-series": s.i }, marks);
			raw.setAttribute("fill", "none");
		});
		this.cross = svgEl("line", { class: "cross", y1: T, y2: T + ph, visibility: "hidden" }, svg);
		this.dots = svgEl("g", { class: "dots" }, svg);
		this.sel = svgEl("rect", { class: "selection", y: T, height: ph, visibility: "hidden" }, svg);
		this.X = X; this.Y = Y;
	};

	/* Each shown series' point nearest data x, for the series whose x range
	 * reaches x (within a pixel column or so). */
	Chart.prototype.at = function (x) {
		var out = [], tol = (this.dom[1] - this.dom[0]) / 150;
		this.series.forEach(function (s) {
			var n = s.xs.length;
			if (!s.shown || !n || x < s.xs[0] - tol || x > s.xs[n - 1] + tol) return;
			var a = 0, b = n - 1;
			while (b - a > 1) { var m = (a + b) >> 1; if (s.xs[m] <= x) a = m; else b = m; }
			var i = Math.abs(s.xs[a] - x) <= Math.abs(s.xs[b] - x) ? a : b;
			out.push({ s: s, i: i, x: s.xs[i], y: s.ys[i] });
		});
		return out;
	};

	Chart.prototype.wire = function () {
		var self = this, svg = this.svg, start = null;
		var dataX = function (ev) {
			var r = svg.getBoundingClientRect(), g = self.geo;
			var px = Math.max(g.L, Math.min(g.L + g.pw, ev.clientX - r.left));
			return { px: px, x: g.lo + (px - g.L) / g.pw * (g.hi - g.lo) };
		};
		svg.addEventListener("pointermove", function (ev) {
			var p = dataX(ev), g = self.geo;
			self.cross.setAttribute("x1", p.px);
			self.cross.setAttribute("x2", p.px);
			self.cross.setAttribute("visibility", "visible");
			while (self.dots.firstChild) self.dots.removeChild(self.dots.firstChild);
			var hits = self.at(p.x);
			self.tip.textContent = "";
			htmlEl("div", { class: "at" }, (self.data.x === "step" ? "step ≈ " : "x ≈ ") + fmt(p.x), self.tip);
			var tbl = htmlEl("table", {}, null, self.tip);
			hits.forEach(function (h) {
				var ay = self.ty(h.y);
				if (ay !== null && isFinite(ay))
					svgEl("circle", { cx: self.X(h.x), cy: self.Y(ay), r: 3, fill: h.s.color }, self.dots);
				var tr = htmlEl("tr", { "data-series": String(h.s.i), "data-x": String(h.x), "data-y": String(h.y) }, null, tbl);
				var name = htmlEl("td", {}, null, tr);
				htmlEl("span", { class: "key" }, null, name).style.borderTopColor = h.s.color;
				name.appendChild(document.createTextNode(h.s.name));
				htmlEl("td", { class: "num" }, h.y === null ? "—" : fmt(h.y), tr);
				htmlEl("td", { class: "num step" }, "at " + fmt(h.x), tr);
			});
			self.tip.hidden = false;
			var r = svg.getBoundingClientRect();
			var left = ev.clientX - r.left + 14;
			if (left + self.tip.offsetWidth > r.width) left = Math.max(0, ev.clientX - r.left - 14 - self.tip.offsetWidth);
			self.tip.style.left = left + "px";
			self.tip.style.top = (g.T + 4) + "px";
			if (start) {
				self.sel.setAttribute("x", Math.min(start.px, p.px));
				self.sel.setAttribute("width", Math.abs(p.px - start.px));
				self.sel.setAttribute("visibility", "visible");
			}
		});
		svg.addEventListener("pointerleave", function () {
			self.cross.setAttribute("visibility", "hidden");
			while (self.dots.firstChild) self.dots.removeChild(self.dots.firstChild);
			self.tip.hidden = true;
		});
		svg.addEventListener("pointerdown", function (ev) {
			start = dataX(ev);
			try { svg.setPointerCapture(ev.pointerId); } catch (e) { /* synthetic events */ }
		});
		svg.addEventListener("pointerup", function (ev) {
			if (!start) return;
			var end = dataX(ev), a = start;
			start = null;
			self.sel.setAttribute("visibility", "hidden");
			if (Math.abs(end.px - a.px) >= 6) self.zoom([Math.min(a.x, end.x), Math.max(a.x, end.x)]);
		});
		svg.addEventListener("dblclick", function () { self.zoom(self.full); });
	};

	/* A chart's points come in a small script beside its picture
	 * (data-points), loaded when the chart nears the screen: a script file,
	 * unlike fetch(), loads from file:// too. */
	var charts = [];
	window.runsiteChartData = function (id, data) {
		var fig = document.getElementById(id);
		if (!fig || fig.classList.contains("live") || !data || !data.s || !data.s.length) return;
		try {
			charts.push(new Chart(fig, data));
		} catch (e) {
			if (window.console) console.warn("runsite: chart " + id + " not drawn: " + e);
		}
	};
	function load(fig) {
		if (fig.hasAttribute("data-loading")) return;
		fig.setAttribute("data-loading", "");
		var js = document.createElement("script");
		js.src = fig.getAttribute("data-points");
		document.body.appendChild(js);
	}
	var figs = document.querySelectorAll("figure.chart[data-points]");
	if ("IntersectionObserver" in window) {
		var io = new IntersectionObserver(function (entries) {
			entries.forEach(function (e) {
				if (e.isIntersecting) { io.unobserve(e.target); load(e.target); }
			});
		}, { rootMargin: "600px 0px" });
		figs.forEach(function (f) { io.observe(f); });
	} else {
		figs.forEach(load);
	}
	window.runsite = window.runsite || {};
	window.runsite.charts = charts;
	/* for bench/browser.sh: when the page is wired */
	window.runsite.ready = performance.now();
})();
