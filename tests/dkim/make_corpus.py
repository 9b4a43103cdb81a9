#!/usr/bin/python3
"""tests/dkim/make_corpus.py - write the DKIM verification corpus.

usage: make_corpus.py DIR

Writes the messages as DIR/NN-name.eml, CRLF line ends (as on the wire and
as a milter hands them over), the same bytes on every run (the attachment
bytes come from a fixed seed). The cases: plain text, multipart, attachments,
8-bit bodies and headers, folded and duplicate header fields, long lines,
empty bodies, dot lines, trailing blank lines, whitespace runs, header names
in odd case, the list and feedback fields the signer covers. Prints the
number of messages written.
"""
import base64
import os
import random
import sys

rng = random.Random(13)

BASE = [
    ("From", " Alice <alice@example.com>"),
    ("To", " Bob <bob@example.org>"),
    ("Subject", " corpus message"),
    ("Date", " Tue, 14 Nov 2023 22:13:20 +0000"),
    ("Message-ID", " <corpus-{n}@example.com>"),
]


def hdr(name, value):
    return name + ":" + value


def message(fields, body):
    """fields: (name, value) with folds written as "\\n"; body: text with
    "\\n" line ends; both turned to CRLF."""
    head = "".join(hdr(n, v) + "\n" for n, v in fields)
    text = head + "\n" + body
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


def base(n, **over):
    out = []
    for name, value in BASE:
        if name in over:
            value = over.pop(name)
            if value is None:
                continue
        out.append((name, value.replace("{n}", str(n))))
    return out


def blob(size):
    return bytes(rng.getrandbits(8) for _ in range(size))


def b64lines(data):
    s = base64.b64encode(data).decode()
    return "\n".join(s[i:i + 76] for i in range(0, len(s), 76)) + "\n"


def cases():
    c = []
    add = c.append
    add(("plain", [], "Hello Bob,\n\nA plain message.\n\n-- \nAlice\n"))
    add(("empty-body", [], ""))
    add(("empty-line-body", [], "\n"))
    add(("blank-lines-only", [], "\n\n\n\n"))
    add(("trailing-blank-lines", [], "text\n\n\n\n"))
    add(("no-final-newline", [], "last line without end"))
    add(("dot-lines", [], ".\n..\n.leading dot\n. \nmiddle\n.\n"))
    add(("dot-only", [], ".\n"))
    add(("whitespace-runs", [],
         "a  b\t\tc \t d\n   indented\nend with blanks   \n\t\n  \n"))
    add(("trailing-ws-lines", [], "x \ny\t\n \n"))
    add(("long-line", [], "L" * 998 + "\n" + "word " * 400 + "\n"))
    add(("long-header", [("X-Long", " " + "v" * 900),
                         ("Subject", " " + "long subject " * 60)], "body\n"))
    add(("folded-subject", [("Subject",
                             " a subject folded\n over three\n\tlines")],
         "folded\n"))
    add(("folded-from", [("From",
                          " \"Alice Example\"\n <alice@example.com>")],
         "from folded\n"))
    add(("folded-ws-runs", [("Subject",
                             "   lots  \t of   space  \n \t  here   ")],
         "x\n"))
    add(("duplicate-to", [("To", " Carol <carol@example.org>")],
         "two To fields\n"))
    add(("duplicate-subject", [("Subject", " second subject")],
         "two Subject fields\n"))
    add(("duplicate-received", [("Received", " from a by b; Tue, 14 Nov 2023"),
                                ("Received", " from c by d; Tue, 14 Nov 2023")],
         "unsigned duplicates\n"))
    add(("cc-reply-to", [("Cc", " Dan <dan@example.net>, Eve <eve@example.net>"),
                         ("Reply-To", " Alice <reply@example.com>"),
                         ("In-Reply-To", " <parent@example.org>"),
                         ("References", " <root@example.org>\n <parent@example.org>")],
         "a reply\n"))
    add(("list-headers", [("List-Id", " Corpus list <corpus.example.com>"),
                          ("List-Unsubscribe",
                           " <https://example.com/u/1>, <mailto:u@example.com>"),
                          ("List-Unsubscribe-Post", " List-Unsubscribe=One-Click"),
                          ("Feedback-ID", " 1:corpus:example")],
         "a list message\n"))
    add(("odd-case-names", [("SUBJECT", " shouting"), ("message-id",
                                                     " <lower@example.com>")],
         "names in odd case\n"))
    add(("8bit-body", [("MIME-Version", " 1.0"),
                       ("Content-Type", " text/plain; charset=utf-8"),
                       ("Content-Transfer-Encoding", " 8bit")],
         "Grüße aus Köln, façade, naïve, 日本語のテキスト.\n"))
    add(("8bit-header", [("Subject", " Grüße, ünïcödé"),
                         ("MIME-Version", " 1.0"),
                         ("Content-Type", " text/plain; charset=utf-8")],
         "8-bit header\n"))
    add(("latin1-body", [("MIME-Version", " 1.0"),
                         ("Content-Type", " text/plain; charset=iso-8859-1"),
                         ("Content-Transfer-Encoding", " 8bit")],
         None))  # bytes set below
    add(("qp-body", [("MIME-Version", " 1.0"),
                     ("Content-Type", " text/plain; charset=utf-8"),
                     ("Content-Transfer-Encoding", " quoted-printable")],
         "Gr=C3=BC=C3=9Fe, a soft break=\n here.\n"))
    add(("multipart-alt", [("MIME-Version", " 1.0"),
                           ("Content-Type",
                            " multipart/alternative;\n\tboundary=\"b1\"")],
         "This is a multi-part message.\n\n--b1\n"
         "Content-Type: text/plain; charset=utf-8\n\nplain part\n\n"
         "--b1\nContent-Type: text/html; charset=utf-8\n\n"
         "<p>html part</p>\n\n--b1--\n"))
    att = b64lines(blob(3000))
    add(("attachment", [("MIME-Version", " 1.0"),
                        ("Content-Type", " multipart/mixed; boundary=\"m1\"")],
         "--m1\nContent-Type: text/plain\n\nsee attached\n\n--m1\n"
         "Content-Type: application/octet-stream\n"
         "Content-Disposition: attachment; filename=\"data.bin\"\n"
         "Content-Transfer-Encoding: base64\n\n" + att + "\n--m1--\n"))
    big = b64lines(blob(60000))
    add(("big-attachment", [("MIME-Version", " 1.0"),
                            ("Content-Type", " multipart/mixed; boundary=\"m2\"")],
         "--m2\nContent-Type: text/plain\n\nbig one\n\n--m2\n"
         "Content-Type: image/png; name=\"x.png\"\n"
         "Content-Transfer-Encoding: base64\n\n" + big + "\n--m2--\n"))
    add(("nested-multipart", [("MIME-Version", " 1.0"),
                              ("Content-Type", " multipart/mixed; boundary=\"o\"")],
         "--o\nContent-Type: multipart/alternative; boundary=\"i\"\n\n"
         "--i\nContent-Type: text/plain\n\ninner plain\n--i\n"
         "Content-Type: text/html\n\n<b>inner</b>\n--i--\n\n--o\n"
         "Content-Type: text/plain; name=\"n.txt\"\n"
         "Content-Disposition: attachment\n\n.dot in attachment\n\n\n--o--\n"))
    add(("no-message-id", [("Message-ID", None)], "no Message-ID\n"))
    add(("no-subject-date", [("Subject", None), ("Date", None)],
         "minimal headers\n"))
    add(("empty-subject", [("Subject", "")], "empty Subject value\n"))
    add(("tab-after-colon", [("Subject", "\tafter a tab")], "tab\n"))
    add(("no-space-after-colon", [("Subject", "tight")], "tight\n"))
    add(("unsigned-extras", [("X-Mailer", " corpus 1.0"),
                             ("Received", " from x by y; Tue, 14 Nov 2023")],
         "fields not in the list\n"))
    add(("many-lines", [], "".join("line %d\n" % i for i in range(2000))))
    add(("crlf-in-mid", [], "a\n\nb\n\n\nc\n"))
    return c


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: make_corpus.py DIR\n")
        return 2
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    n = 0
    for i, (name, extra, body) in enumerate(cases(), 1):
        fields = base(i)
        for k, v in extra:
            # a listed name replaces the base field, twice or new adds one
            names = [f[0] for f in fields]
            if v is None:
                fields = [f for f in fields if f[0] != k]
            elif k in names and name not in ("duplicate-to",
                                             "duplicate-subject"):
                fields[names.index(k)] = (k, v)
            else:
                fields.append((k, v))
        if body is None:
            data = message(fields, "")
            data += "Gr\xfc\xdfe, fa\xe7ade, na\xefve.\r\n".encode("latin-1")
        else:
            data = message(fields, body)
        if name == "no-final-newline":
            assert not data.endswith(b"\r\n")
        with open(os.path.join(out, "%02d-%s.eml" % (i, name)), "wb") as f:
            f.write(data)
        n += 1
    print(n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
