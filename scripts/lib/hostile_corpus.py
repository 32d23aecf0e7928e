"""The hostile-file corpus (issue 16): files built to break a spreadsheet importer, each with
what the importer must make of it. `scripts/hostile-files` drops every one into the running
local stack and checks the outcome; `python hostile_corpus.py DIR` only writes them.

Every file is generated here from a recipe (no binary blobs): CSV traps, XLSX and ODS zip
containers written part by part (with sizes and counts that lie where the case says so), and
XLS files as a compound file around BIFF8 records. Large files are written in chunks, so the
generator itself stays small in memory.
"""

import codecs
import random
import struct
import sys
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

HEADER = ["Login", "First Name", "Last Name", "Email"]
MB = 1024 * 1024


@dataclass
class Case:
    """A file and what its job must end as.

    status: the job statuses accepted; error: words the job's error must contain (failed jobs);
    created/failed: exact counts where they are known; report: words the error report must hold.
    """
    name: str
    write: object
    why: str
    status: tuple = ("failed",)
    error: str = ""
    created: int = None
    failed: int = None
    report: list = field(default_factory=list)


def row(login, first="Ann", last="Lee"):
    return f"{login},{first},{last},{login}@example.com\n"


def csv_text(lines, header=HEADER):
    return ",".join(header) + "\n" + "".join(lines)


def write_bytes(data):
    def write(path):
        path.write_bytes(data)
    return write


def write_csv(text, encoding="utf-8", bom=b""):
    return write_bytes(bom + text.encode(encoding))


def write_chunks(chunks):
    def write(path):
        with open(path, "wb") as f:
            for chunk in chunks():
                f.write(chunk)
    return write


# ---- XLSX -------------------------------------------------------------------------------

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    "{overrides}</Types>"
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def cell_ref(r, c):
    letters = ""
    c += 1
    while c:
        c, rem = divmod(c - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{r + 1}"


def sheet_xml(rows, dimension=None):
    """A worksheet of inline strings; rows are lists of cell texts (None = no cell)."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>'
           '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">']
    if dimension:
        out.append(f'<dimension ref="{dimension}"/>')
    out.append("<sheetData>")
    for r, cells in rows:
        out.append(f'<row r="{r + 1}">')
        for c, text in cells:
            out.append(f'<c r="{cell_ref(r, c)}" t="inlineStr"><is><t>{text}</t></is></c>')
        out.append("</row>")
    out.append("</sheetData></worksheet>")
    return "".join(out)


def table_rows(lines):
    return [(r, list(enumerate(cells))) for r, cells in enumerate(lines)]


def good_rows(prefix, n=1):
    return [HEADER] + [[f"{prefix}{i}", "Ann", "Lee", f"{prefix}{i}@example.com"] for i in range(n)]


def write_xlsx(sheets, extra_parts=(), shared_strings=None):
    """sheets: worksheet XML texts (the first one is imported); extra_parts: (name, chunks)."""
    def write(path):
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i + 1}.xml" ContentType="{SHEET_TYPE}"/>'
            for i in range(len(sheets)))
        workbook = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="{REL}"><sheets>'
            + "".join(f'<sheet name="Sheet{i + 1}" sheetId="{i + 1}" r:id="rId{i + 1}"/>' for i in range(len(sheets)))
            + "</sheets></workbook>")
        rels = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            + "".join(f'<Relationship Id="rId{i + 1}" Type="{REL}/worksheet" Target="worksheets/sheet{i + 1}.xml"/>'
                      for i in range(len(sheets)))
            + (f'<Relationship Id="rIdS" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
               if shared_strings else "")
            + "</Relationships>")
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("[Content_Types].xml", CONTENT_TYPES.format(overrides=overrides))
            z.writestr("_rels/.rels", ROOT_RELS)
            z.writestr("xl/workbook.xml", workbook)
            z.writestr("xl/_rels/workbook.xml.rels", rels)
            for i, sheet in enumerate(sheets):
                z.writestr(f"xl/worksheets/sheet{i + 1}.xml", sheet)
            if shared_strings:
                with z.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
                    for chunk in shared_strings():
                        part.write(chunk)
            for name, chunks in extra_parts:
                with z.open(name, "w", force_zip64=True) as part:
                    for chunk in chunks():
                        part.write(chunk)
    return write


def sst_sheet():
    """A sheet whose header cells point into the shared strings (indexes 0-3)."""
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            '<row r="1">' + "".join(f'<c r="{cell_ref(0, c)}" t="s"><v>{c}</v></c>' for c in range(4))
            + "</row></sheetData></worksheet>")


def lying_sizes(inner):
    """Rewrites every entry's recorded unpacked size to 100 bytes (local header and directory)."""
    def write(path):
        inner(path)
        data = bytearray(path.read_bytes())
        at = 0
        while (at := data.find(b"PK\x03\x04", at)) >= 0:
            struct.pack_into("<I", data, at + 22, 100)
            at += 4
        at = 0
        while (at := data.find(b"PK\x01\x02", at)) >= 0:
            struct.pack_into("<I", data, at + 24, 100)
            at += 4
        path.write_bytes(bytes(data))
    return write


def zip_bomb(path):
    """An XLSX whose sheet honestly unpacks to 3 GB of spaces (a few MB packed)."""
    def spaces():
        block = b" " * MB
        for _ in range(3 * 1024):
            yield block
    write_xlsx([sheet_xml(table_rows(good_rows("bomb")))], extra_parts=[("xl/media/padding.xml", spaces)])(path)


# ---- ODS --------------------------------------------------------------------------------

ODS_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')


def ods_cell(text, repeat=1):
    attr = f' table:number-columns-repeated="{repeat}"' if repeat > 1 else ""
    return f'<table:table-cell office:value-type="string"{attr}><text:p>{text}</text:p></table:table-cell>'


def write_ods(body_chunks):
    def write(path):
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet",
                       compress_type=zipfile.ZIP_STORED)
            z.writestr("META-INF/manifest.xml",
                       '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                       'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
                       '<manifest:file-entry manifest:full-path="/" '
                       'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
                       '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                       "</manifest:manifest>")
            with z.open("content.xml", "w", force_zip64=True) as part:
                part.write(f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODS_NS}>'
                           '<office:body><office:spreadsheet><table:table table:name="Users">'.encode())
                for chunk in body_chunks():
                    part.write(chunk.encode())
                part.write(b"</table:table></office:spreadsheet></office:body></office:document-content>")
    return write


def ods_header_and(rows_after):
    def chunks():
        yield "<table:table-row>" + "".join(ods_cell(h) for h in HEADER) + "</table:table-row>"
        yield from rows_after()
    return chunks


# ---- XLS (compound file + BIFF8) ----------------------------------------------------------

def record(kind, data=b""):
    return struct.pack("<HH", kind, len(data)) + data


def bof(substream):
    return record(0x0809, struct.pack("<HHHHII", 0x0600, substream, 0x0DBB, 0x07CC, 0, 0x06))


def xls_sheet(cells, dimensions=None):
    """A worksheet substream of NUMBER cells at (row, column); DIMENSIONS as given or true."""
    if dimensions is None:
        rows = [r for r, _ in cells]
        cols = [c for _, c in cells]
        dimensions = (min(rows), max(rows) + 1, min(cols), max(cols) + 1)
    out = bof(0x0010) + record(0x0200, struct.pack("<IIHHH", *dimensions, 0))
    for r, c in cells:
        out += record(0x0203, struct.pack("<HHHd", r, c, 0, 1.0))
    return out + record(0x000A)


def xls_workbook(sheets, offset_shift=0):
    """The Workbook stream: globals with one BoundSheet8 per sheet, then the sheets."""
    def bound(offset, i):
        name = f"Sheet{i + 1}".encode()
        return record(0x0085, struct.pack("<IBB", offset + offset_shift, 0, 0) + bytes([len(name), 0]) + name)

    globals_len = len(bof(0x0005)) + sum(len(bound(0, i)) for i in range(len(sheets))) + len(record(0x000A))
    offsets, at = [], globals_len
    for sheet in sheets:
        offsets.append(at)
        at += len(sheet)
    stream = bof(0x0005) + b"".join(bound(o, i) for i, o in enumerate(offsets)) + record(0x000A)
    return stream + b"".join(sheets)


def compound_file(stream):
    """An MS-CFB (version 3) file holding one stream named Workbook."""
    # Streams under 4 KB would live in the mini stream: pad past the last EOF record instead
    # (nothing reads beyond it), and record the padded size.
    stream = stream.ljust(max(4096, -(-len(stream) // 512) * 512), b"\0")
    size = len(stream)
    n = len(stream) // 512
    fat_sectors = 1
    while fat_sectors * 128 < n + 1 + fat_sectors:
        fat_sectors += 1
    if fat_sectors > 109:
        raise ValueError("stream too large for a header-only DIFAT")
    end, free, fatsect, nostream = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
    fat = [i + 1 for i in range(n - 1)] + [end, end] + [fatsect] * fat_sectors
    fat += [free] * (fat_sectors * 128 - len(fat))
    difat = [n + 1 + i for i in range(fat_sectors)] + [free] * (109 - fat_sectors)
    header = (b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1" + b"\0" * 16
              + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\0" * 6
              + struct.pack("<IIIIIIIII", 0, fat_sectors, n, 0, 4096, end, 0, end, 0)
              + struct.pack("<109I", *difat))

    def entry(name, kind, child, start, length):
        encoded = (name + "\0").encode("utf-16-le") if name else b""
        return (encoded.ljust(64, b"\0") + struct.pack("<HBB", len(encoded), kind, 1)
                + struct.pack("<III", nostream, nostream, child) + b"\0" * 16 + b"\0" * 4 + b"\0" * 16
                + struct.pack("<IQ", start, length))

    directory = (entry("Root Entry", 5, 1, end, 0) + entry("Workbook", 2, nostream, 0, size)
                 + entry("", 0, nostream, 0, 0) * 2)
    return header + stream + directory + struct.pack(f"<{len(fat)}I", *fat)


def write_xls(sheets, **kwargs):
    return write_bytes(compound_file(xls_workbook(sheets, **kwargs)))


# ---- the corpus ----------------------------------------------------------------------------

def corpus():
    rng = random.Random(16)
    garbage = bytes(rng.randrange(256) for _ in range(64 * 1024))
    names = ["Zoë", "Łukasz", "Renée", "Ñandú"]

    def million_and_one():
        yield ",".join(HEADER).encode() + b"\n"
        for start in range(0, 1_000_001, 10_000):
            yield "".join(row(f"u{i}") for i in range(start, min(start + 10_000, 1_000_001))).encode()

    def huge_field():
        yield (",".join(HEADER) + "\nbig1,").encode()
        for _ in range(100):
            yield b"x" * MB
        yield b",Lee,big1@example.com\n" + row("fine1").encode()

    def delimiters_line():
        yield (",".join(HEADER) + "\n").encode()
        for _ in range(5):
            yield b"," * MB
        yield b"\n" + row("fine2").encode()

    def unclosed_quote():
        yield (",".join(HEADER) + '\n' + row("fine3") + 'open1,"Ann').encode()
        for _ in range(20):
            yield b"y" * MB

    def long_line():
        yield (",".join(HEADER) + "\n").encode()
        for _ in range(50):
            yield b"z" * MB
        yield b"\n"

    def shared_strings_500mb():
        yield b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        for h in HEADER:
            yield f"<si><t>{h}</t></si>".encode()
        item = b"<si><t>" + b"s" * 1000 + b"</t></si>"
        block = item * 1000
        for _ in range(500 * MB // len(block)):
            yield block
        yield b"</sst>"

    def forged_count():
        yield (b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="4" '
               b'uniqueCount="100000000000000000">')
        for h in HEADER:
            yield f"<si><t>{h}</t></si>".encode()
        yield b"</sst>"

    def forged_count_billion():
        yield b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" uniqueCount="1000000000">'
        for h in HEADER:
            yield f"<si><t>{h}</t></si>".encode()
        yield b"</sst>"

    def entity_expansion():
        entities = '<!ENTITY a0 "aaaaaaaaaa">' + "".join(
            f'<!ENTITY a{i} "' + f"&a{i - 1};" * 10 + '">' for i in range(1, 10))
        yield (f'<?xml version="1.0"?><!DOCTYPE sst [{entities}]>'
               '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
               + "".join(f"<si><t>{h}</t></si>" for h in HEADER[:3]) + "<si><t>&a9;</t></si></sst>").encode()

    def columns_repeated():
        for _ in range(1_000):
            yield "<table:table-row>" + ods_cell("x", 16_384) + "</table:table-row>"

    def rows_repeated():
        yield ('<table:table-row table:number-rows-repeated="1048575">'
               + ods_cell("x", 8) + "</table:table-row>")

    def libreoffice_tail():
        yield "<table:table-row>" + "".join(ods_cell(c) for c in good_rows("ods")[1]) + "</table:table-row>"
        yield ('<table:table-row table:number-rows-repeated="1048574">'
               '<table:table-cell table:number-columns-repeated="16384"/></table:table-row>')

    def deep_nesting():
        yield ('<?xml version="1.0" encoding="UTF-8"?><worksheet '
               'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>').encode()
        yield b"<row>" * 1_000_000
        yield b"</sheetData></worksheet>"

    wide_header = HEADER + [f"extra{i}" for i in range(100_000 - len(HEADER))]
    long_headers = HEADER + ["H" * 10_000, "é" * 10_000, "=" + "A1+" * 3_000]
    formula_cells = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+cmd|'/c calc'!A0", "-2+3", "@SUM(A1)"]

    return [
        # CSV: emptiness, garbage, size and shape
        Case("empty.csv", write_bytes(b""), "no bytes at all", error="empty"),
        Case("header-only.csv", write_csv(csv_text([])), "a header and nothing else", error="no rows"),
        Case("binary-garbage.csv", write_bytes(garbage), "64 KB of random bytes named .csv", error="not text"),
        Case("nul-bytes.csv", write_bytes(b"Login\0,First\0Name\n\0\0\0\n"), "NUL bytes in the header and rows",
             error="not text"),
        Case("one-million-and-one-rows.csv", write_chunks(million_and_one), "1,000,001 data rows (36 MB)",
             error="more than 1000000 data rows"),
        Case("hundred-mb-field.csv", write_chunks(huge_field), "a 100 MB first name, then a good row",
             status=("completed_with_errors",), created=1, failed=1, report=["big1"]),
        Case("five-million-delimiters.csv", write_chunks(delimiters_line),
             "a 5 MB line of commas (a blank row), then a good row", status=("completed",), created=1),
        Case("fifty-mb-line.csv", write_chunks(long_line), "a 50 MB line without a delimiter under a good header",
             status=("failed", "completed_with_errors"), created=0),
        Case("unclosed-quote.csv", write_chunks(unclosed_quote), "a quote opened and never closed for 20 MB",
             status=("completed_with_errors", "failed"), created=None),
        Case("hundred-thousand-columns.csv", write_csv(csv_text([row("wide1")], wide_header)),
             "100,000 columns: 4 real, the rest stray", status=("completed",), created=1),
        Case("ten-thousand-character-headers.csv", write_csv(csv_text([row("longhead1")], long_headers)),
             "headers of 10,000 characters beside the real ones", status=("completed",), created=1),
        Case("missing-columns.csv", write_csv("Login,Email\nann,ann@example.com\n"), "no name columns",
             error="no first_name, last_name columns"),
        # CSV: encodings
        Case("utf-8-bom.csv", write_csv(csv_text([row("bom8", names[0])]), bom=codecs.BOM_UTF8),
             "UTF-8 with a byte-order mark", status=("completed",), created=1),
        Case("utf-16le.csv", write_csv(csv_text([row("u16le", names[1])]), "utf-16-le", codecs.BOM_UTF16_LE),
             "UTF-16 little-endian (Excel's 'Unicode text')", status=("completed",), created=1),
        Case("utf-16be.csv", write_csv(csv_text([row("u16be", names[2])]), "utf-16-be", codecs.BOM_UTF16_BE),
             "UTF-16 big-endian", status=("completed",), created=1),
        Case("windows-1252.csv", write_csv(csv_text([row("cp1252", names[2])]), "cp1252"),
             "Windows-1252 accents (no BOM)", status=("completed",), created=1),
        Case("invalid-utf-8.csv", write_bytes(csv_text([row("badutf")]).encode() + b"bad\xff\xfe,\xc3(,x,y@example.com\n"),
             "valid UTF-8 with one row of broken sequences", status=("completed", "completed_with_errors")),
        Case("bidi-and-zero-width.csv",
             write_csv(csv_text(["rtl1,\u202eeciláM,Lee,rtl1@example.com\n", "zw\u200b1,Ann,Lee,zw1@example.com\n"])),
             "right-to-left override and zero-width characters", status=("completed", "completed_with_errors")),
        Case("cr-line-endings.csv", write_csv(csv_text([row("cr1"), row("cr2")]).replace("\n", "\r")),
             "old Mac line endings (CR only)", status=("completed",), created=2),
        Case("formulas.csv",
             write_csv(csv_text([f"f{i},{cell},Lee,not-an-address\n" for i, cell in enumerate(formula_cells)])),
             "formula cells (=, +, -, @) in rows that fail", status=("completed_with_errors",), created=0,
             failed=4, report=["'=HYPERLINK", "'+cmd", "'-2+3", "'@SUM"]),
        # XLSX
        Case("garbage.xlsx", write_bytes(garbage), "random bytes named .xlsx", error="not a readable spreadsheet"),
        Case("encrypted.xlsx", write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600)),
             "a compound file (how Excel stores password-protected XLSX)", error="password-protected"),
        Case("unique-count-1e17.xlsx", write_xlsx([sst_sheet()], shared_strings=forged_count),
             'sharedStrings <sst uniqueCount="100000000000000000">', error="declares 100000000000000000 texts"),
        Case("unique-count-1e9.xlsx", write_xlsx([sst_sheet()], shared_strings=forged_count_billion),
             'sharedStrings <sst uniqueCount="1000000000"> (24 GB reserved up front)', error="declares 1000000000 texts"),
        Case("shared-strings-500mb.xlsx", write_xlsx([sst_sheet()], shared_strings=shared_strings_500mb),
             "a sharedStrings part of 500 MB unpacked", error="more than an import reads (256 MB"),
        Case("sizes-lie.xlsx", lying_sizes(write_xlsx([sheet_xml(table_rows(good_rows("lie", 20_000)))])),
             "every zip entry records 100 bytes unpacked; the sheet is 2 MB", error="damaged"),
        Case("zip-bomb.xlsx", zip_bomb, "a part that honestly unpacks to 3 GB", error="would unpack"),
        Case("thousand-sheets.xlsx",
             write_xlsx([sheet_xml(table_rows(good_rows("sheets")))] + [sheet_xml(table_rows(good_rows("other")))] * 999),
             "1,000 sheets; the first holds the users", status=("completed",), created=1),
        Case("far-cells.xlsx",
             write_xlsx([sheet_xml(table_rows(good_rows("far"))
                                   + [(1_048_575, [(16_383, "far away")])], dimension="A1:XFD1048576")]),
             "a dimension of the whole grid and a cell in its last corner", status=("completed",), created=1),
        Case("entity-expansion.xlsx", write_xlsx([sst_sheet()], shared_strings=entity_expansion),
             "nested XML entities (a billion laughs) in the shared strings", error="not a readable spreadsheet"),
        Case("deep-nesting.xlsx", write_xlsx([b"".join(deep_nesting()).decode()]),
             "a sheet of a million nested, unclosed rows", status=("failed",)),
        # ODS
        Case("columns-repeated.ods", write_ods(ods_header_and(columns_repeated)),
             "1,000 rows of a cell repeated across all 16,384 columns", error="more than an ODS import reads"),
        Case("rows-repeated.ods", write_ods(ods_header_and(rows_repeated)),
             "a row of values repeated 1,048,575 times", error="more than an ODS import reads"),
        Case("libreoffice-tail.ods", write_ods(ods_header_and(libreoffice_tail)),
             "a good row, then the empty repeats LibreOffice writes to the sheet's end",
             status=("completed",), created=1),
        # XLS
        Case("forged-dimensions.xls", write_xls([xls_sheet([(0, 0)], dimensions=(0, 0xFFFF_FFFF, 0, 0x00FF))]),
             "a DIMENSIONS record declaring 4 billion rows", error="span"),
        Case("far-apart-cells.xls", write_xls([xls_sheet([(0, 0), (65_535, 255)])]),
             "two cells at opposite corners of the grid", error="span"),
        Case("many-sheets.xls", write_xls([xls_sheet([(0, 0), (7_999, 124)]) for _ in range(40)]),
             "40 sheets of 1M cells each (each under the limit, together 40M)", error="together"),
        Case("sheet-offset-past-end.xls", write_xls([xls_sheet([(0, 0)])], offset_shift=10_000_000),
             "a sheet whose offset lies past the stream", error="not a readable spreadsheet"),
        Case("truncated.xls", write_bytes(compound_file(xls_workbook([xls_sheet([(0, 0)])]))[:700]),
             "a compound file cut short", error="not a readable spreadsheet"),
    ]


def main():
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ".roster/hostile/files")
    out.mkdir(parents=True, exist_ok=True)
    for case in corpus():
        case.write(out / case.name)
        print(f"{case.name:40} {(out / case.name).stat().st_size:>12,}  {case.why}")


if __name__ == "__main__":
    main()
