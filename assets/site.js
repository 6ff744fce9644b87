/* runsite — small enhancements only; every page is complete without this
 * script. Click a table heading to sort by it; type in a filter box to hide
 * rows that do not match; choose which value metric columns show. */
(function () {
	"use strict";

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
		return { text: cell.textContent.trim().toLowerCase() };
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

	function sortBy(table, th, col) {
		var body = table.tBodies[0];
		if (!body) return;
		var asc = th.getAttribute("aria-sort") !== "ascending";
		var heads = table.tHead.rows[0].cells;
		for (var i = 0; i < heads.length; i++) heads[i].removeAttribute("aria-sort");
		th.setAttribute("aria-sort", asc ? "ascending" : "descending");
		var rows = Array.prototype.slice.call(body.rows).map(function (r, i) {
			return { row: r, key: cellKey(r.cells[col]), i: i };
		});
		rows.sort(function (a, b) {
			var c = compare(a.key, b.key);
			/* Missing values stay last either way. */
			if (!(a.key.missing || b.key.missing) && !asc) c = -c;
			return c || a.i - b.i;
		});
		rows.forEach(function (r) { body.appendChild(r.row); });
	}

	document.querySelectorAll("table.sortable").forEach(function (table) {
		if (!table.tHead || !table.tHead.rows.length) return;
		var heads = table.tHead.rows[0].cells;
		for (var i = 0; i < heads.length; i++) {
			(function (th, col) {
				th.setAttribute("data-sortable", "");
				th.setAttribute("tabindex", "0");
				th.title = "Sort by this column";
				th.addEventListener("click", function () { sortBy(table, th, col); });
				th.addEventListener("keydown", function (e) {
					if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sortBy(table, th, col); }
				});
			})(heads[i], i);
		}
	});

	/* Metric columns show last, best, min or max: every cell carries all four
	 * (data-last, data-last-text, ...); the heading says which is shown. */
	document.querySelectorAll("select[data-mode-for]").forEach(function (sel) {
		var table = document.getElementById(sel.getAttribute("data-mode-for"));
		if (!table || !table.tHead || !table.tBodies[0]) return;
		if (sel.parentNode) sel.parentNode.hidden = false;
		sel.addEventListener("change", function () {
			var heads = table.tHead.rows[0].cells;
			for (var i = 0; i < heads.length; i++) {
				var th = heads[i], goal = th.getAttribute("data-goal");
				if (!goal) continue;
				if (!th.hasAttribute("data-default-mode")) th.setAttribute("data-default-mode", th.getAttribute("data-mode"));
				var mode = sel.value || th.getAttribute("data-default-mode");
				th.setAttribute("data-mode", mode);
				var sub = th.querySelector(".sub");
				if (sub) sub.textContent = mode + (goal === "min" ? " ↓" : goal === "max" ? " ↑" : "");
				Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
					var c = row.cells[i];
					if (!c || !c.hasAttribute("data-" + mode + "-text")) return;
					c.textContent = c.getAttribute("data-" + mode + "-text");
					c.setAttribute("data-value", c.getAttribute("data-" + mode));
					c.title = c.getAttribute("data-" + mode) || "";
				});
			}
		});
	});

	document.querySelectorAll("input[data-filter]").forEach(function (input) {
		var table = document.getElementById(input.getAttribute("data-filter"));
		if (!table || !table.tBodies[0]) return;
		input.hidden = false;
		input.addEventListener("input", function () {
			var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
			Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
				var text = row.textContent.toLowerCase();
				row.hidden = !words.every(function (w) { return text.indexOf(w) >= 0; });
			});
		});
	});
})();
