#!/usr/bin/env python3
"""Extracts the facts of DrChrono's official OpenAPI schema from a TypeScript client generated
from it, untouched (desmondmorris/node-drchrono at commit 665ed444b33b, folders
generated/models and generated/services), into a JSON document of our own shape:

    {"source": {...}, "models": {Name: {field: {"type": T, "required": bool, "read_only": bool}}},
     "operations": [{"method", "path", "query": [names], "returns": T}]}

where a type T is "string" | "number" | "boolean" | "any" | {"enum": [...]} |
{"array": T} | {"object": {field: {...}}} | {"ref": Name} | {"union": [T...]}.

Usage: extract_drchrono.py <node-drchrono git dir> [commit] > drchrono-official.json
Only names, types, optionality and enum codes are kept: no descriptions, no code.
"""

import json
import re
import subprocess
import sys

COMMIT_DEFAULT = "665ed444b33b"


def git(repo, *args):
    return subprocess.run(["git", "-C", repo, *args], check=True, capture_output=True,
                          text=True).stdout


def strip_comments(text):
    return re.sub(r"/\*.*?\*/", "", text, flags=re.S)


class Parser:
    def __init__(self, text):
        self.s = text
        self.i = 0

    def ws(self):
        while self.i < len(self.s) and self.s[self.i] in " \t\r\n":
            self.i += 1

    def peek(self, token):
        self.ws()
        return self.s.startswith(token, self.i)

    def eat(self, token):
        self.ws()
        if not self.s.startswith(token, self.i):
            raise ValueError(f"expected {token!r} at {self.s[self.i:self.i + 60]!r}")
        self.i += len(token)

    def ident(self):
        self.ws()
        m = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*").match(self.s, self.i)
        if not m:
            raise ValueError(f"expected a name at {self.s[self.i:self.i + 60]!r}")
        self.i = m.end()
        return m.group(0)

    def string(self):
        self.ws()
        quote = self.s[self.i]
        assert quote in "'\"`"
        j = self.i + 1
        out = []
        while self.s[j] != quote:
            if self.s[j] == "\\" and self.s[j + 1] == quote:
                out.append(quote)
                j += 2
                continue
            out.append(self.s[j])
            j += 1
        self.i = j + 1
        return "".join(out)

    def type_(self):
        arms = [self.primary()]
        while self.peek("|"):
            self.eat("|")
            arms.append(self.primary())
        if all(isinstance(a, dict) and "literal" in a for a in arms):
            return {"enum": [a["literal"] for a in arms]}
        if len(arms) == 1:
            return arms[0]
        return {"union": arms}

    def primary(self):
        self.ws()
        c = self.s[self.i]
        if c in "'\"":
            return {"literal": self.string()}
        if c == "{":
            return {"object": self.members("}")}
        if c == "(":
            self.eat("(")
            t = self.type_()
            self.eat(")")
            return self.suffix(t)
        name = self.ident()
        if name == "Array":
            self.eat("<")
            t = self.type_()
            self.eat(">")
            return self.suffix({"array": t})
        if name == "Record":
            self.eat("<")
            self.type_()
            self.eat(",")
            v = self.type_()
            self.eat(">")
            return {"map": v}
        if name in ("string", "number", "boolean", "any", "null", "void", "Blob"):
            return self.suffix(name)
        if re.fullmatch(r"-?\d+(\.\d+)?", name):
            return {"literal": name}
        return self.suffix({"ref": name})

    def suffix(self, t):
        while self.peek("[]"):
            self.eat("[]")
            t = {"array": t}
        return t

    def members(self, close):
        self.eat("{")
        fields = {}
        while not self.peek(close):
            read_only = False
            if self.peek("readonly "):
                self.eat("readonly")
                read_only = True
            self.ws()
            if self.s[self.i] in "'\"":
                name = self.string()
            else:
                name = self.ident()
            optional = False
            if self.peek("?"):
                self.eat("?")
                optional = True
            self.eat(":")
            t = self.type_()
            self.ws()
            if self.s[self.i] in ";,":
                self.i += 1
            fields[name] = {"type": t, "required": not optional, "read_only": read_only}
        self.eat(close)
        return fields


def models(repo, commit):
    out = {}
    names = git(repo, "ls-tree", "--name-only", commit, "generated/models/").split()
    for path in sorted(names):
        text = strip_comments(git(repo, "show", f"{commit}:{path}"))
        m = re.search(r"export type (\w+) =", text)
        p = Parser(text)
        p.i = m.end()
        t = p.type_()
        out[m.group(1)] = t["object"] if "object" in t else t
    return out


def operations(repo, commit):
    ops = []
    names = git(repo, "ls-tree", "--name-only", commit, "generated/services/").split()
    for path in sorted(names):
        text = strip_comments(git(repo, "show", f"{commit}:{path}"))
        for m in re.finditer(r"public (\w+)\(\{.*?\}: (\{.*?\})\): CancelablePromise<", text, re.S):
            start = m.end()
            p = Parser(text)
            p.i = start
            returns = p.type_()
            body_start = text.index("this.httpRequest.request({", p.i)
            body_end = text.index("});", body_start)
            body = text[body_start:body_end]
            method = re.search(r"method: '(\w+)'", body).group(1)
            url = re.search(r"url: '([^']+)'", body).group(1)
            query = re.search(r"query: \{(.*?)\}", body, re.S)
            params = re.findall(r"'([^']+)':", query.group(1)) if query else []
            args = Parser(m.group(2)).members("}")
            query_types = {}
            for q in params:
                camel = re.sub(r"_(\w)", lambda x: x.group(1).upper(), q)
                for key in (q, camel):
                    if key in args:
                        query_types[q] = args[key]["type"]
            ops.append({
                "name": m.group(1),
                "service": path.rsplit("/", 1)[-1].removesuffix(".ts"),
                "method": method,
                "path": url,
                "query": {q: query_types.get(q, "any") for q in params},
                "returns": returns,
            })
    ops.sort(key=lambda o: (o["path"], o["method"]))
    return ops


def main():
    repo = sys.argv[1]
    commit = sys.argv[2] if len(sys.argv) > 2 else COMMIT_DEFAULT
    full = git(repo, "rev-parse", commit).strip()
    doc = {
        "source": {
            "what": "DrChrono's official OpenAPI schema (https://drchrono.com/openapi-schema), as "
                    "generated untouched into TypeScript by openapi-typescript-codegen",
            "repository": "desmondmorris/node-drchrono",
            "commit": full,
            "extracted_by": "specs/conformance/extract_drchrono.py",
        },
        "models": models(repo, commit),
        "operations": operations(repo, commit),
    }
    json.dump(doc, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
