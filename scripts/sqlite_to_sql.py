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


def copy_field(lit):
    """A COPY text-format field from an SQL literal made by literal()."""
    if lit == "NULL":
        return "\\N"
    if lit.startswith("'"):
        lit = lit[1:-1].replace("''", "'")
    return lit.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def copy_formatter(width, typ):
    """A function from a SQLite value to its COPY text field, for one column."""
    def text(v):
        if v is None:
            return "\\N"
        if isinstance(v, bytes):
            v = v.decode("utf-8", "replace")
        v = str(v)
        if width is not None and len(v) > width:
            v = v[:width]
        return v.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    if typ.startswith("BOOL"):
        return lambda v: "\\N" if v is None else ("t" if int(v) else "f")
    if typ in ("FLOAT", "DOUBLE"):
        return lambda v: "\\N" if v is None else repr(float(v))
    if typ in ("BIGINT", "INTEGER", "BIGSERIAL", "SERIAL"):
        return lambda v: "\\N" if v is None else (str(v) if isinstance(v, int) else text(v))
    return text


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dialect", choices=("postgresql", "mysql"), required=True)
    ap.add_argument("--schema", required=True, help="the target DDL file (MLflow's schema)")
    ap.add_argument("--copy", action="store_true",
                    help="postgresql: rows as COPY FROM STDIN blocks (psql loads them much faster)")
    ap.add_argument("db", help="the MLflow SQLite file")
    a = ap.parse_args()
    ddl = open(a.schema, encoding="utf-8").read()
    target = ddl_tables(ddl)
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
    out.write("COMMIT;\n")


if __name__ == "__main__":
    main()
