#!/usr/bin/env python3
"""Copies an MLflow SQLite store (mlflow.db) into SQL for PostgreSQL or MySQL.

    sqlite_to_sql.py --dialect postgresql|mysql --schema DDL.sql mlflow.db > load.sql

The output is the DDL file itself (MLflow's schema for that server, e.g.
tests/servers/mlflow-current.postgresql.sql) followed by INSERTs of every row
of the SQLite tables the DDL also has, in the DDL's column set: columns the
target lacks are left out, text longer than a VARCHAR(n) is cut to n (an older
schema's limits), MLflow's is_nan flag becomes the value NaN where the target
has no is_nan column (PostgreSQL; MySQL cannot keep NaN, so the row is left
out), and a value a MySQL FLOAT (single precision, before 181f10493468) cannot
hold is left out too. The rows go in SQLite's rowid order, in one transaction.

Floats are written with the shortest repr that reads back to the same double,
with an exponent so MySQL reads them as doubles rather than decimals.
"""
import argparse
import math
import re
import sqlite3
import sys

ROWS_PER_INSERT = 2000


def ddl_tables(ddl):
    """{table: [(column, varchar_len or None, type word)]} in DDL order."""
    tables = {}
    for m in re.finditer(r"CREATE TABLE\s+[`\"]?(\w+)[`\"]?\s*\((.*?)\n\);", ddl, re.S):
        cols = []
        for line in m.group(2).split("\n"):
            line = line.strip()
            if not line or line.startswith("--"):
                continue
            raw = line.split()[0]
            word = raw.strip('`"')
            if raw.upper() in ("CONSTRAINT", "PRIMARY", "FOREIGN", "UNIQUE", "CHECK"):
                continue
            rest = line.split(None, 1)[1] if len(line.split()) > 1 else ""
            vm = re.match(r"VARCHAR\((\d+)\)", rest, re.I)
            cols.append((word, int(vm.group(1)) if vm else None, rest.split()[0].upper() if rest else ""))
        tables[m.group(1)] = cols
    return tables


# Tables big enough that their keys and indexes are built after their rows
# (--fast): one sort instead of one index update per row.
BIG_TABLES = ("metrics",)


def defer_keys(ddl, dialect):
    """The DDL without the keys and indexes of BIG_TABLES, and the statements
    that add them back once the rows are in."""
    after = []

    def table(m):
        name = m.group(1)
        if name not in BIG_TABLES:
            return m.group(0)
        keep = []
        for line in m.group(2).split("\n"):
            word = line.strip().split(" ", 1)[0].upper()
            key = word in ("PRIMARY", "FOREIGN", "UNIQUE") or (
                word == "CONSTRAINT" and re.search(r"\b(PRIMARY|FOREIGN|UNIQUE)\b", line, re.I))
            if key:
                after.append("ALTER TABLE %s ADD %s;" % (quote_ident(name, dialect), line.strip().rstrip(",")))
            else:
                keep.append(line)
        body = "\n".join(keep).rstrip().rstrip(",")
        return m.group(0)[:m.start(2) - m.start(0)] + body + "\n);"

    ddl = re.sub(r"CREATE TABLE\s+[`\"]?(\w+)[`\"]?\s*\((.*?)\n\);", table, ddl, flags=re.S)

    def index(m):
        after.append(m.group(0))
        return ""

    ddl = re.sub(r"^CREATE (?:UNIQUE )?INDEX \S+ ON [`\"]?(?:%s)[`\"]? [^;]*;\n?" % "|".join(BIG_TABLES),
                 index, ddl, flags=re.M)
    # The primary key first (InnoDB rebuilds the table for it), then the
    # indexes, then the foreign keys, which then use them.
    rank = lambda s: 0 if "PRIMARY" in s.upper() else 1 if s.startswith("CREATE") else 2
    after = [s.strip() for s in sorted(after, key=rank)]
    if dialect == "mysql":
        # The rows come from a consistent store: no check of each one again.
        after = ["SET foreign_key_checks = 0;"] + after + ["SET foreign_key_checks = 1;"]
    else:
        # Room to sort the keys in memory rather than on disk.
        after = ["SET maintenance_work_mem = '1GB';"] + after
    return ddl, after


def quote_ident(name, dialect):
    return f"`{name}`" if dialect == "mysql" else f'"{name}"'


def literal(v, typ, dialect):
    if v is None:
        return "NULL"
    if typ.startswith("BOOL"):
        b = bool(int(v))
        if dialect == "postgresql":
            return "true" if b else "false"
        return "1" if b else "0"
    if isinstance(v, float) or typ in ("FLOAT", "DOUBLE") and isinstance(v, int):
        f = float(v)
        if math.isnan(f):
            return "'NaN'" if dialect == "postgresql" else "NULL"
        if math.isinf(f):
            return ("'Infinity'" if f > 0 else "'-Infinity'") if dialect == "postgresql" else "NULL"
        r = repr(f)
        return r if "e" in r else r + "e0"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, bytes):
        v = v.decode("utf-8", "replace")
    s = str(v).replace("'", "''")
    if dialect == "mysql":
        s = s.replace("\\", "\\\\")
    return f"'{s}'"


def copy_escape(s):
    """s as a COPY text-format field (backslash, tab and line ends escaped)."""
    return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def column_text(v, width):
    """A SQLite value as text, bytes read as UTF-8, cut to the column's width."""
    if isinstance(v, bytes):
        v = v.decode("utf-8", "replace")
    v = str(v)
    return v[:width] if width is not None and len(v) > width else v


def copy_field(lit):
    """A COPY text-format field from an SQL literal made by literal()."""
    if lit == "NULL":
        return "\\N"
    if lit.startswith("'"):
        lit = lit[1:-1].replace("''", "'")
    return copy_escape(lit)


def copy_formatter(width, typ):
    """A function from a SQLite value to its COPY text field, for one column."""
    def text(v):
        return "\\N" if v is None else copy_escape(column_text(v, width))
    if typ.startswith("BOOL"):
        return lambda v: "\\N" if v is None else ("t" if int(v) else "f")
    if typ in ("FLOAT", "DOUBLE"):
        return lambda v: "\\N" if v is None else repr(float(v))
    if typ in ("BIGINT", "INTEGER", "BIGSERIAL", "SERIAL"):
        return lambda v: "\\N" if v is None else (str(v) if isinstance(v, int) else text(v))
    return text


def literal_formatter(width, typ, dialect):
    """A function from a SQLite value to its SQL literal, for one column of a
    table whose values need none of literal()'s special cases (--fast)."""
    typ = typ.rstrip(",")
    def text(v):
        if v is None:
            return "NULL"
        v = column_text(v, width).replace("'", "''")
        if dialect == "mysql":
            v = v.replace("\\", "\\\\")
        return "'" + v + "'"

    def double(v):
        if v is None:
            return "NULL"
        f = float(v)
        if f != f or f in (float("inf"), float("-inf")):
            return literal(f, typ, dialect)
        r = repr(f)
        return r if "e" in r else r + "e0"
    if typ.startswith("BOOL"):
        t, f = ("true", "false") if dialect == "postgresql" else ("1", "0")
        return lambda v: "NULL" if v is None else (t if int(v) else f)
    if typ in ("FLOAT", "DOUBLE"):
        return double
    if typ in ("BIGINT", "INTEGER", "BIGSERIAL", "SERIAL", "INT"):
        return lambda v: "NULL" if v is None else (str(v) if isinstance(v, int) else text(v))
    return text


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dialect", choices=("postgresql", "mysql"), required=True)
    ap.add_argument("--schema", required=True, help="the target DDL file (MLflow's schema)")
    ap.add_argument("--copy", action="store_true",
                    help="postgresql: rows as COPY FROM STDIN blocks (psql loads them much faster)")
    ap.add_argument("--fast", action="store_true",
                    help="build the metrics table's keys and indexes after its rows "
                         "(a large store loads in minutes rather than half an hour)")
    ap.add_argument("db", help="the MLflow SQLite file")
    a = ap.parse_args()
    ddl = open(a.schema, encoding="utf-8").read()
    target = ddl_tables(ddl)
    after = []
    if a.fast:
        ddl, after = defer_keys(ddl, a.dialect)
    src = sqlite3.connect(f"file:{a.db}?mode=ro", uri=True)
    src.text_factory = lambda b: b.decode("utf-8", "replace")
    have = {r[0] for r in src.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    out = sys.stdout
    out.write(ddl)
    out.write("\n-- rows copied from %s by scripts/sqlite_to_sql.py\n" % a.db.split("/")[-1])
    if a.dialect == "mysql":
        # Experiment 0 into an AUTO_INCREMENT column stays 0 only so (MLflow's
        # SqlAlchemyStore sets the same mode to create it).
        out.write("SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_AUTO_VALUE_ON_ZERO');\n")
    out.write("BEGIN;\n" if a.dialect == "postgresql" else "START TRANSACTION;\n")
    for table, cols in target.items():
        if table not in have or table == "alembic_version":
            continue
        src_cols = {r[1] for r in src.execute(f'PRAGMA table_info("{table}")')}
        use = [c for c in cols if c[0] in src_cols]
        nan_to_value = table in ("metrics", "latest_metrics") and "is_nan" in src_cols and \
            not any(c[0] == "is_nan" for c in cols)
        sel = [c[0] for c in use] + (["is_nan"] if nan_to_value else [])
        names = ", ".join(quote_ident(c[0], a.dialect) for c in use)
        rows = src.execute("SELECT %s FROM \"%s\" ORDER BY rowid" %
                           (", ".join(f'"{c}"' for c in sel), table))
        if a.copy and a.dialect == "postgresql":
            out.write(f"COPY {table} ({names}) FROM STDIN;\n")
        batch = []
        special = nan_to_value or (a.dialect == "mysql" and any(c[2] == "FLOAT" for c in use))
        if a.copy and a.dialect == "postgresql" and not special:
            # The common case (every row of a current schema) without the checks per value.
            fmt = [copy_formatter(width, typ) for _, width, typ in use]
            pairs = list(enumerate(fmt))
            for row in rows:
                out.write("\t".join([f(row[i]) for i, f in pairs]) + "\n")
            rows = ()
        elif a.fast and not a.copy and not special:
            fmt = [literal_formatter(width, typ, a.dialect) for _, width, typ in use]
            pairs = list(enumerate(fmt))
            head = f"INSERT INTO {table} ({names}) VALUES\n"
            for row in rows:
                batch.append("(" + ", ".join([f(row[i]) for i, f in pairs]) + ")")
                if len(batch) == ROWS_PER_INSERT:
                    out.write(head + ",\n".join(batch) + ";\n")
                    batch = []
            rows = ()
        for row in rows:
            vals = []
            skip = False
            for (name, width, typ), v in zip(use, row):
                if nan_to_value and name == "value" and row[-1]:
                    if a.dialect == "mysql":
                        skip = True
                    v = float("nan")
                if a.dialect == "mysql" and typ == "FLOAT" and isinstance(v, float) and \
                        abs(v) > 3.4028234663852886e38:
                    skip = True  # MySQL's FLOAT is single precision: ±DBL_MAX (MLflow's ±inf) does not fit
                if width is not None and isinstance(v, str) and len(v) > width:
                    v = v[:width]
                vals.append(literal(v, typ, a.dialect))
            if skip:
                continue
            if a.copy and a.dialect == "postgresql":
                out.write("\t".join(copy_field(v) for v in vals) + "\n")
                continue
            batch.append("(" + ", ".join(vals) + ")")
            if len(batch) == ROWS_PER_INSERT:
                out.write(f"INSERT INTO {table} ({names}) VALUES\n" + ",\n".join(batch) + ";\n")
                batch = []
        if batch:
            out.write(f"INSERT INTO {table} ({names}) VALUES\n" + ",\n".join(batch) + ";\n")
        if a.copy and a.dialect == "postgresql":
            out.write("\\.\n")
    if a.dialect == "postgresql" and "experiments" in target:
        # The id sequence follows the copied ids, as MLflow's own inserts would leave it.
        out.write("SELECT setval(pg_get_serial_sequence('experiments', 'experiment_id'), "
                  "GREATEST((SELECT max(experiment_id) FROM experiments), 1));\n")
    for stmt in after:
        out.write(stmt + "\n")
    out.write("COMMIT;\n")


if __name__ == "__main__":
    main()
