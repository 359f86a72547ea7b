#!/usr/bin/python3
"""make bench: writes an .xlsx of ROWS properties (default 10,000) to PATH, laid
out as Excel and LibreOffice write one (every text in the shared strings, cells
with their references), with only the standard library.

    make-xlsx.py PATH [ROWS]"""
import sys
import zipfile
from xml.sax.saxutils import escape

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
HEADER = ["Name", "Referenz-ID", "Straße", "PLZ", "Ort", "Land", "Notizen"]
CITIES = ["Leipzig", "Köln", "München", "Hamburg", "Dresden"]


def rows(n):
    yield HEADER
    for i in range(1, n + 1):
        yield [f"Import {i:05d}", f"X-{i}", f"Lindenallee {i}", f"{i % 99999:05d}",
               CITIES[i % len(CITIES)], "Deutschland", f"Zeile {i}"]


def column(i):
    return "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[i]


def main():
    path = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    strings, index, sheet = [], {}, []
    for r, row in enumerate(rows(n), start=1):
        cells = []
        for c, text in enumerate(row):
            if text not in index:
                index[text] = len(strings)
                strings.append(text)
            cells.append(f'<c r="{column(c)}{r}" t="s"><v>{index[text]}</v></c>')
        sheet.append(f'<row r="{r}">{"".join(cells)}</row>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml",
                   '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.'
                   'openxmlformats.org/package/2006/content-types"><Default Extension="rels" '
                   'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                   '<Default Extension="xml" ContentType="application/xml"/></Types>')
        z.writestr("_rels/.rels",
                   f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG}">'
                   f'<Relationship Id="rId1" Type="{REL}/officeDocument" '
                   'Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/workbook.xml",
                   f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" '
                   f'xmlns:r="{REL}"><sheets><sheet name="Tabelle1" sheetId="1" r:id="rId1"/>'
                   '</sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels",
                   f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG}">'
                   f'<Relationship Id="rId1" Type="{REL}/worksheet" '
                   'Target="worksheets/sheet1.xml"/>'
                   f'<Relationship Id="rId2" Type="{REL}/sharedStrings" '
                   'Target="sharedStrings.xml"/></Relationships>')
        z.writestr("xl/worksheets/sheet1.xml",
                   f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">'
                   f'<sheetData>{"".join(sheet)}</sheetData></worksheet>')
        z.writestr("xl/sharedStrings.xml",
                   f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}" '
                   f'count="{len(sheet) * len(HEADER)}" uniqueCount="{len(strings)}">'
                   + "".join(f"<si><t>{escape(s)}</t></si>" for s in strings) + "</sst>")


main()
