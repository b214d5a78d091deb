#!/usr/bin/env python3
"""Dependencies between the extension's SQL files point one way, and src/lib.rs says so.

For every hand-written file in sql/ and every `auth_sync.<name>` it mentions in code (comments
and the text of COMMENT ON and of errors, hints and notices are skipped), the file that
defines <name> with a top-level CREATE (or the Rust function of that name) must be among the
file's `requires` in src/lib.rs, directly or through another file's. Postgres binds plpgsql late,
so a call to a function loaded later works until someone reorders the files; this check makes
such an edge, and a circle between two files, an error. Code that auth_sync generates at run time
(CREATE inside a string: _regenerate(), register_linked_table()) is found by name, late, and is
not an edge.

Usage: python3 scripts/check_sql_deps.py [REPO_ROOT]   (exit status 1 on a violation)
"""
import os
import re
import sys

ROOT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")

MACRO = re.compile(r'extension_sql_file!\(\s*"\.\./sql/(?P<file>[\w/]+)\.sql"(?P<args>.*?)\);', re.S)
NAME = re.compile(r'name\s*=\s*"(\w+)"')
REQUIRES = re.compile(r'requires\s*=\s*\[(.*?)\]', re.S)
DEFINES = re.compile(
    r'^CREATE\s+(?:OR\s+REPLACE\s+)?(?:UNLOGGED\s+|TEMP\s+)?'
    r'(?:FUNCTION|PROCEDURE|TABLE|VIEW|MATERIALIZED\s+VIEW|TYPE|SEQUENCE|DOMAIN|AGGREGATE)\s+'
    r'(?:IF\s+NOT\s+EXISTS\s+)?auth_sync\.(\w+)', re.I | re.M)
MENTION = re.compile(r'\bauth_sync\.(\w+)')
PG_EXTERN = re.compile(r'#\[pg_extern[^\]]*\]\s*(?:pub(?:\(crate\))?\s+)?(?:unsafe\s+)?fn\s+(\w+)')


COMMENT_ON = re.compile(r"COMMENT\s+ON\s.*?\sIS\s+'(?:[^']|'')*'\s*;", re.S | re.I)
# the text of an error, hint or notice names functions for people
MESSAGE = re.compile(r"(?:\b(?:HINT|DETAIL|MESSAGE)\s*=\s*|\bRAISE\s+\w+\s+)'(?:[^']|'')*'", re.I)


def code_of(sql):
    """The SQL without its -- comments (a -- inside a string literal is rare enough here) and
    without COMMENT ON statements (their text names functions for people, not for Postgres)."""
    sql = "\n".join(line.split("--", 1)[0] for line in sql.splitlines())
    return MESSAGE.sub("", COMMENT_ON.sub("", sql))


def main():
    lib = open(os.path.join(ROOT, "src", "lib.rs")).read()
    files = {}      # file -> (name, [required names])
    by_name = {}    # name -> file
    for m in MACRO.finditer(lib):
        f, args = m.group("file"), m.group("args")
        name = NAME.search(args)
        name = name.group(1) if name else ("finalize" if "finalize" in args else f)
        req = REQUIRES.search(args)
        items = [i.strip() for i in req.group(1).split(",")] if req else []
        files[f] = (name, [i.strip('"').split("::")[-1] for i in items if i])
        by_name[name] = f

    rust_fns = set()
    for dirpath, _, names in os.walk(os.path.join(ROOT, "src")):
        for n in names:
            if n.endswith(".rs"):
                rust_fns.update(PG_EXTERN.findall(open(os.path.join(dirpath, n)).read()))

    defined = {}    # object -> file
    code = {}
    for f in files:
        text = code_of(open(os.path.join(ROOT, "sql", f + ".sql")).read())
        code[f] = text
        for obj in DEFINES.findall(text):
            defined.setdefault(obj, f)

    def closure(f):
        seen, todo = set(), [f]
        while todo:
            for r in files[todo.pop()][1]:
                if r in seen:
                    continue
                seen.add(r)
                if r in by_name:
                    todo.append(by_name[r])
        return seen

    problems = []
    for f, (name, _) in files.items():
        if name == "finalize":
            continue  # runs last, after everything
        needs = closure(f)
        for obj in sorted(set(MENTION.findall(code[f]))):
            if obj in defined and defined[obj] != f:
                g = defined[obj]
                if files[g][0] not in needs:
                    problems.append(f"sql/{f}.sql uses auth_sync.{obj} from sql/{g}.sql, "
                                    f"which its requires in src/lib.rs do not name")
            elif obj not in defined and obj in rust_fns and obj not in needs:
                problems.append(f"sql/{f}.sql uses the Rust function auth_sync.{obj}, "
                                f"which its requires in src/lib.rs do not name")
    for p in problems:
        print(p)
    print(f"{len(files)} SQL files, {len(defined)} objects defined in them, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
