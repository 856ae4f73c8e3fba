#!/usr/bin/env python3
"""Checks that the cluster rendering of the schema parses on current ClickHouse.

Runs every statement of the golden files beside this script (what
sql.RenderForCluster produces for every migration and for package store)
through chdb, ClickHouse embedded in Python:

- EXPLAIN AST must accept it (a parse, nothing is executed: chdb has no
  cluster, no ZooKeeper and no {shard}/{replica} macros);
- formatQuery() must give it back with its ON CLUSTER clause, its Replicated
  or Distributed engine and its arguments (the ZooKeeper path, '{replica}',
  the version column, the sharding key), so that nothing was parsed away.

It also checks, for real, one behaviour the rendering relies on: current
ClickHouse lets a table that a plain view reads be dropped and created again
(the Distributed table of an ALTER ... ADD COLUMN).

Usage: pip install chdb; python3 sql/testdata/cluster/parse_check.py
Exit status 0 when every statement passes.
"""

import glob
import os
import re
import sys

import chdb

HERE = os.path.dirname(os.path.abspath(__file__))


def statements(path):
    """The statements of a golden file: comment lines dropped, split on ';' at a line end."""
    body = "\n".join(l for l in open(path, encoding="utf-8").read().split("\n") if not l.lstrip().startswith("--"))
    return [s.strip() for s in re.split(r";[ \t]*\n", body) if s.strip()]


def query(sql, fmt="TabSeparatedRaw"):
    return chdb.query(sql, fmt).bytes().decode()


def quote(s):
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


def normal(s):
    return re.sub(r"\s+", "", s)


def expectations(stmt):
    """Pieces that formatQuery's output must keep, whitespace removed."""
    want = []
    m = re.search(r"ON CLUSTER (`[^`]+`|\w+)", stmt)
    if m:
        want.append("ONCLUSTER" + m.group(1).strip("`"))
    m = re.search(r"ENGINE = (\w+\((?:[^()]|\([^()]*\))*\))", stmt)
    if m:  # the whole engine call: name, ZooKeeper path, '{replica}', version column or sharding key
        want.append(normal(m.group(1)))
    return want


def main():
    version = query("SELECT version()").strip()
    files = sorted(glob.glob(os.path.join(HERE, "*.sql")))
    if not files:
        print("no golden files beside", __file__)
        return 1
    failures = total = 0
    for path in files:
        for stmt in statements(path):
            total += 1
            name = os.path.basename(path) + ": " + " ".join(stmt.split())[:90]
            try:
                ast = query("EXPLAIN AST " + stmt)
                if not ast.strip():
                    raise RuntimeError("EXPLAIN AST printed nothing")
                formatted = query("SELECT formatQuery(" + quote(stmt) + ")")
                got = normal(formatted.replace("\\n", " ").replace("\\'", "'"))
                missing = [w for w in expectations(stmt) if w.replace("`", "") not in got.replace("`", "")]
                if missing:
                    raise RuntimeError("formatQuery lost %s: %s" % (missing, formatted.strip()))
            except Exception as e:  # chdb raises its own error types
                failures += 1
                print("FAIL", name, "\n    ", str(e).strip().split("\n")[0])
                continue
            print("ok  ", name)

    # The Distributed table of an ALTER is dropped and created again while
    # views read it: current ClickHouse must allow that.
    total += 1
    try:
        from chdb import session

        s = session.Session()
        s.query("CREATE DATABASE IF NOT EXISTS chk")
        s.query("CREATE TABLE chk.t (a UInt8) ENGINE = MergeTree ORDER BY a")
        s.query("CREATE VIEW chk.v AS SELECT a FROM chk.t")
        s.query("DROP TABLE chk.t")
        s.query("CREATE TABLE chk.t (a UInt8, b UInt8) ENGINE = MergeTree ORDER BY a")
        s.query("INSERT INTO chk.t VALUES (1, 2)")
        got = s.query("SELECT a FROM chk.v", "TabSeparatedRaw").bytes().decode().strip()
        if got != "1":
            raise RuntimeError("view read %r after the table was created again" % got)
        print("ok   a table read by a view can be dropped and created again")
    except Exception as e:
        failures += 1
        print("FAIL a table read by a view can be dropped and created again:", str(e).strip().split("\n")[0])

    print("%d passed, %d failed" % (total - failures, failures))
    print("(chdb %s, ClickHouse %s)" % (chdb.__version__, version))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
