"""Writes the Flask takeover fixtures in this folder (run by hand, not by the tests).

Usage: python3 gen_flask_fixtures.py DIR     (needs SQLAlchemy + Flask-SQLAlchemy)
       python3 gen_flask_fixtures.py hashes  (needs Werkzeug >= 3, for scrypt)
DIR holds one folder per generation (3b446cd, e51fe89, a3d2a86), each with that
commit's models.py (and the extension.py it imports, reduced to `db = SQLAlchemy()`),
taken from the public repository IzpoChatTeam/izpoChatBackend. The schema files are
the DDL SQLAlchemy's create_all() emits for those models on each dialect (captured
with a mock engine: exactly what create_all sends); the password hashes are made by
Werkzeug's generate_password_hash, as the generations' /register routes made them.
Werkzeug 3 (pinned by F1/F2) defaults to scrypt; pbkdf2:sha256 hashes come from the
Werkzeug 2 years (260000 rounds) and from Werkzeug 3.0's method="pbkdf2:sha256" (600000).
"""
import sys

GENERATIONS = {"3b446cd": "f1", "e51fe89": "f2", "a3d2a86": "f3"}


def schema(gen_dir, dialect_url):
    from sqlalchemy import create_mock_engine
    sys.path.insert(0, gen_dir)
    for mod in ("models", "extension"):
        sys.modules.pop(mod, None)
    import models
    sys.path.pop(0)
    out = []
    engine = create_mock_engine(dialect_url, lambda sql, *a, **k: out.append(str(sql.compile(dialect=engine.dialect)).strip()))
    models.db.metadata.create_all(engine, checkfirst=False)
    return out


def hashes():
    from werkzeug.security import generate_password_hash
    with open("flask_hashes.txt", "w") as f:
        f.write(generate_password_hash("ana-old-pass", method="pbkdf2:sha256:600000") + "\n")
        f.write(generate_password_hash("beto-old-pass") + "\n")
        f.write(generate_password_hash("caro-old-pass", method="pbkdf2:sha256:260000") + "\n")
        f.write(generate_password_hash("dani-old-pass") + "\n")


def main(src):
    for commit, name in GENERATIONS.items():
        for dialect, url in (("postgres", "postgresql://"), ("sqlite", "sqlite://")):
            with open(f"flask_{name}_schema_{dialect}.sql", "w") as f:
                f.write(f"-- IzpoChatTeam/izpoChatBackend@{commit} models.py: what db.create_all() creates on {dialect}.\n")
                f.write("-- Written by gen_flask_fixtures.py (SQLAlchemy create_all through a mock engine); do not edit.\n")
                for stmt in schema(f"{src}/{commit}", url):
                    f.write(stmt + ";\n")


if __name__ == "__main__":
    hashes() if sys.argv[1] == "hashes" else main(sys.argv[1])
