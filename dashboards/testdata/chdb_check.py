"""Runs codepace's expanded dashboard SQL on current ClickHouse (chdb).

Usage: python3 chdb_check.py MIGRATIONS_DIR EXPORT_DIR SQL_DIR

Creates the schema of MIGRATIONS_DIR in an embedded chdb session, loads
EXPORT_DIR/<table>.native (the derived tables of a database the dashboards'
ClickHouse test filled), runs every SQL_DIR/*.sql (the expanded queries
that test wrote, CODEPACE_DASHBOARDS_SQL_OUT) and fails when one fails;
queries without rows are listed. current-clickhouse.sh does all of it."""
import glob, os, re, sys
from chdb import session

migrations, export, sqldir = sys.argv[1:4]
s = session.Session()
s.query("CREATE DATABASE IF NOT EXISTS codepace")
s.query("USE codepace")
for f in sorted(glob.glob(os.path.join(migrations, "*.sql"))):
    raw = open(f).read()
    # A rebuild migration's tables exist: store/rebuild.go copies their
    # rows into the new shape; the schema here has no rows yet.
    rebuild = "\n-- codepace: rebuild\n" in "\n" + raw
    text = re.sub(r"--[^\n]*", "", raw)
    for stmt in text.split(";"):
        if stmt.strip():
            if rebuild:
                s.query("DROP TABLE " + re.match(r"\s*CREATE TABLE (\w+)", stmt).group(1))
            s.query(stmt)
for f in sorted(glob.glob(os.path.join(export, "*.native"))):
    table = os.path.basename(f)[:-len(".native")]
    s.query(f"INSERT INTO {table} SELECT * FROM file('{os.path.abspath(f)}', Native)")
print("version", s.query("SELECT version()", "CSV"))
failed = empty = 0
files = sorted(glob.glob(os.path.join(sqldir, "*.sql")))
for f in files:
    text = open(f).read()
    name = text.splitlines()[0]
    try:
        r = s.query(text, "TSVWithNames")
        rows = len(str(r).strip().splitlines()) - 1
        if rows <= 0:
            empty += 1
            print("EMPTY", name)
    except Exception as e:
        failed += 1
        print("FAIL", name, str(e)[:400])
print(f"{len(files)} queries, {failed} failed, {empty} empty")
sys.exit(1 if failed else 0)
