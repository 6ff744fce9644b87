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

	/* ---- filter expressions ---- */

	/* Parses "lr<0.01 status=FAILED adam" into terms; a term naming no column
	 * is an error the filter box shows. */
	function parseFilter(q, cols) {
		var terms = [], errors = [];
		(q.match(/"[^"]*"|\S+/g) || []).forEach(function (w) {
			var m = /^([^<>=!~]+?)\s*(<=|>=|!=|=|<|>|~)(.*)$/.exec(w);
			if (!m) {
				terms.push({ word: w.replace(/^"|"$/g, "").toLowerCase() });
				return;
			}
			var name = m[1].toLowerCase(), col = -1;
			for (var i = 0; i < cols.length; i++)
				if (cols[i].toLowerCase() === name) { col = i; break; }
			if (col < 0)
				for (i = 0; i < cols.length; i++)
					if (cols[i].toLowerCase().split("/").pop() === name) { col = i; break; }
			if (col < 0) { errors.push("no column " + m[1]); return; }
			terms.push({ col: col, op: m[2], value: m[3].replace(/^"|"$/g, "") });
		});
		return { terms: terms, errors: errors };
	}

	function termMatches(t, row) {
		if (t.word !== undefined) return row.textContent.toLowerCase().indexOf(t.word) >= 0;
		var cell = row.cells[t.col], k = cellKey(cell), want = Number(t.value);
		var text = cellText(cell).toLowerCase(), v = t.value.toLowerCase();
		if (t.op === "~") return text.indexOf(v) >= 0;
		if (k.missing) return t.op === "!=" ? v !== "" : t.op === "=" && (v === "" || v === "—");
		var numeric = t.value.trim() !== "" && !isNaN(want) && "num" in k;
		var c = numeric ? (k.num < want ? -1 : k.num > want ? 1 : 0)
			: text.localeCompare(v, undefined, { numeric: true });
		switch (t.op) {
		case "=": return numeric ? c === 0 : text === v;
		case "!=": return numeric ? c !== 0 : text !== v;
		case "<": return c < 0;
		case ">": return c > 0;
		case "<=": return c <= 0;
		case ">=": return c >= 0;
		}
		return true;
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
	 * for accuracy), everything else ascending; the next reverses. */
	Table.prototype.sortBy = function (col, dir) {
		var th = this.heads[col];
		if (!dir) {
			var cur = th.getAttribute("aria-sort");
			var first = th.getAttribute("data-goal") === "max" ? "desc" : "asc";
			dir = cur === "ascending" ? "desc" : cur === "descending" ? "asc" : first;
		}
		this.heads.forEach(function (h) { if (h.hasAttribute("data-sortable")) h.setAttribute("aria-sort", "none"); });
		th.setAttribute("aria-sort", dir === "asc" ? "ascending" : "descending");
		this.sort = { col: col, dir: dir };
		var keyed = this.rows.map(function (r, i) { return { row: r, key: cellKey(r.cells[col]), i: i }; });
		keyed.sort(function (a, b) {
			var c = compare(a.key, b.key);
			/* Missing values stay last either way. */
			if (!(a.key.missing || b.key.missing) && dir === "desc") c = -c;
			return c || a.i - b.i;
		});
		this.rows = keyed.map(function (k) { return k.row; });
		var frag = document.createDocumentFragment();
		this.rows.forEach(function (r) { frag.appendChild(r); });
		this.body.appendChild(frag);
	};

	Table.prototype.filter = function (q) {
		this.query = q;
		var f = parseFilter(q, this.cols);
		this.rows.forEach(function (row) {
			row.hidden = !f.terms.every(function (t) { return termMatches(t, row); });
		});
		return f.errors;
	};

	Table.prototype.setHidden = function (key, hide) {
		this.hidden[key] = hide;
		var col = this.cols.indexOf(key);
		if (col < 0) return;
		this.heads[col].hidden = hide;
		this.rows.forEach(function (r) { if (r.cells[col]) r.cells[col].hidden = hide; });
	};

	/* Metric columns show last, best, min or max: every cell carries all four
	 * (data-last, data-last-text, ...); the heading says which is shown. */
	Table.prototype.setMode = function (mode) {
		this.mode = mode;
		var rows = this.rows;
		this.heads.forEach(function (th, i) {
			var goal = th.getAttribute("data-goal");
			if (!goal) return;
			if (!th.hasAttribute("data-default-mode")) th.setAttribute("data-default-mode", th.getAttribute("data-mode"));
			var m = mode || th.getAttribute("data-default-mode");
			th.setAttribute("data-mode", m);
			var sub = th.querySelector(".sub");
			if (sub) sub.textContent = m + (goal === "min" ? " ↓" : goal === "max" ? " ↑" : "");
			rows.forEach(function (row) {
				var c = row.cells[i];
				if (!c || !c.hasAttribute("data-" + m + "-text")) return;
				c.textContent = c.getAttribute("data-" + m + "-text");
				c.setAttribute("data-value", c.getAttribute("data-" + m));
				c.title = c.getAttribute("data-" + m) || "";
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
		var t = new Table(table, stateful);
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

			var apply = function () {
				var st = readState();
				if (st.value !== undefined && sel) { sel.value = st.value; t.setMode(st.value); }
				(st.hide || "").split(",").filter(Boolean).forEach(function (k) {
					t.setHidden(k, true);
					var b = det.querySelector('input[data-col="' + (window.CSS && CSS.escape ? CSS.escape(k) : k) + '"]');
					if (b) b.checked = false;
				});
				if (st.sort) {
					var i = st.sort.lastIndexOf(":");
					var col = t.cols.indexOf(i > 0 ? st.sort.slice(0, i) : st.sort);
					if (col >= 0) t.sortBy(col, i > 0 ? st.sort.slice(i + 1) : undefined);
				}
				if (st.q !== undefined && input) { input.value = st.q; note.textContent = t.filter(st.q).join("; "); }
			};
			apply();
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
