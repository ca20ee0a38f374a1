"""Reading CSV and XLSX files for lead imports: detection, rows with the line numbers users see, refusals, memory."""

import codecs
import gzip
import json
import random
import subprocess
import sys
import tracemalloc
import zipfile
from pathlib import Path

import openpyxl
import pytest

from crm.importing.reading import FileRefused, Row, TableInfo, table_inspect, table_rows, table_sample, xlsx_rows

DATA = Path(__file__).resolve().parent.parent / "data"
ROOT = Path(__file__).resolve().parent.parent.parent
LIMIT = 500 * 1024 * 1024


def inspect(name: str) -> TableInfo:
    return table_inspect(DATA / name, max_bytes=LIMIT)


def inspect_path(path: Path) -> TableInfo:
    return table_inspect(path, max_bytes=LIMIT)


def rows_of(path: Path, **kwargs) -> list[Row]:
    info = table_inspect(path, max_bytes=LIMIT)
    return list(table_rows(path, info, **kwargs))


def write(tmp_path: Path, text: str | bytes, name: str = "upload.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def refusal(path: Path, max_bytes: int = LIMIT) -> str:
    with pytest.raises(FileRefused) as caught:
        table_inspect(path, max_bytes=max_bytes)
    return str(caught.value)


# The tools' exports


def test_it_reads_an_apollo_export_with_every_column_and_progress_in_bytes():
    path = DATA / "apollo_export.csv"
    info = inspect("apollo_export.csv")

    assert (info.format, info.encoding, info.delimiter, info.header_line) == ("csv", "utf-8", ",", 1)
    assert info.headers[:8] == [
        "First Name",
        "Last Name",
        "Title",
        "Company",
        "Company Name for Emails",
        "Email",
        "Email Status",
        "Primary Email Source",
    ]
    assert "Person Linkedin Url" in info.headers and info.duplicate_headers == []
    assert info.size == path.stat().st_size

    rows = list(table_rows(path, info))
    assert [row.line for row in rows] == list(range(2, 14))
    first = dict(zip(info.headers, rows[0].values, strict=True))
    assert first["First Name"] == "Maya"
    assert first["Company"] == "Acme Analytics, Inc."  # a quoted comma stays in its cell
    assert first["Email"] == "maya.okafor@acme-analytics.example"
    assert first["Person Linkedin Url"].startswith("http://www.linkedin.com/in/maya-okafor")
    assert all(len(row.values) == len(info.headers) and row.extra == [] for row in rows)
    positions = [row.position for row in rows]
    assert positions == sorted(positions) and positions[-1] == info.size


@pytest.mark.parametrize(
    ("name", "encoding", "delimiter", "first_headers", "count"),
    [
        ("sales_navigator.csv", "utf-8", ",", ["firstName", "lastName", "fullName", "title", "companyName"], 8),
        ("hubspot_contacts.csv", "utf-8", ",", ["Record ID", "First Name", "Last Name", "Email", "Phone Number"], 7),
        ("hunter_export.csv", "utf-8", ",", ["Email address", "First name", "Last name", "Position", "Company"], 7),
        ("phantombuster_profiles.csv", "utf-8", ",", ["profileUrl", "fullName", "firstName", "lastName"], 6),
        # Salesforce report footers ("Confidential Information…") come through as rows; they hold no lead.
        (
            "salesforce_leads.csv",
            "utf-8",
            ",",
            ["Lead ID", "First Name", "Last Name", "Title", "Company / Account"],
            10,
        ),
    ],
)
def test_it_reads_each_tools_export(name, encoding, delimiter, first_headers, count):
    info = inspect(name)
    rows = list(table_rows(DATA / name, info))

    assert (info.format, info.encoding, info.delimiter, info.header_line) == ("csv", encoding, delimiter, 1)
    assert info.headers[: len(first_headers)] == first_headers
    assert len(rows) == count
    assert rows[-1].position == info.size == (DATA / name).stat().st_size


def test_it_reads_a_salesforce_report_whose_description_spans_lines():
    info = inspect("salesforce_leads.csv")
    rows = list(table_rows(DATA / "salesforce_leads.csv", info))
    kathy = dict(zip(info.headers, rows[2].values, strict=True))

    assert kathy["First Name"] == "Kathy"
    assert kathy["Description"] == "Asked for pricing for 50 seats.\nFollow up after Q3 budget review."
    assert [row.line for row in rows[:4]] == [2, 3, 4, 6]  # Kathy's record takes lines 4 and 5
    assert rows[6].values[0] == "Confidential Information - Do Not Distribute" and rows[6].line == 10


def test_it_reads_a_hand_typed_windows_file_with_a_title_line_and_semicolons():
    path = DATA / "handtyped_semicolon_cp1252.csv"
    info = inspect("handtyped_semicolon_cp1252.csv")
    rows = list(table_rows(path, info))

    assert (info.encoding, info.delimiter, info.header_line) == ("cp1252", ";", 3)
    assert info.headers == ["Name", "Company", "E-mail Address", "Tel.", "Position", "City", "Country", "Notes"]
    assert [row.values[0] for row in rows] == [
        "Jürgen Müller",
        "José García",
        "Zoë Brontë",
        "François Lefèvre",
        "Åsa Lindström",
        "Malgorzata Nowak",
    ]
    assert [row.line for row in rows] == [4, 5, 6, 7, 9, 10]  # the blank line 8 is skipped, not counted away
    assert rows[0].values[7] == "Wants a demo in Q3 – call back"
    assert rows[2].values[7] == 'Loves the "pipeline" board'
    assert rows[4].values[7] == "Budget approved € 12.000"


def test_it_reads_an_excel_unicode_text_export():
    path = DATA / "utf16_tab.tsv"
    info = inspect("utf16_tab.tsv")
    rows = list(table_rows(path, info))

    assert (info.encoding, info.delimiter, info.header_line) == ("utf-16", "\t", 1)
    assert info.headers == ["First Name", "Last Name", "Email", "Company", "Phone", "Country"]
    assert [row.values[0] for row in rows] == ["Søren", "Ngozi", "Łukasz", "美咲", "Renée"]
    assert rows[3].values[3] == "Sakura Trading 株式会社"
    assert rows[-1].values[4] == ""
    assert rows[-1].position == info.size == path.stat().st_size


def test_it_counts_the_lines_inside_quoted_notes_so_later_rows_keep_their_line_numbers():
    path = DATA / "quoted_newlines.csv"
    info = inspect("quoted_newlines.csv")
    rows = list(table_rows(path, info))

    assert info.headers == ["Full Name", "Email", "Company", "Notes"]
    assert [row.line for row in rows] == [2, 5, 6, 8, 9]
    assert rows[0].values[3] == 'Called twice.\nSays: "send the deck first".\nFollow up Monday.'
    assert rows[2].values[3] == "Line one\r\nLine two, with a comma"
    assert rows[3].values == ["Martha Jones", "martha@royal-hope.example", "Royal Hope, Hospital", ""]
    assert rows[4].values[3] == 'Temp agency; "maybe" next year'


def test_it_reads_a_pipe_delimited_file_with_pipes_inside_quotes():
    info = inspect("quoted_pipe.csv")
    rows = list(table_rows(DATA / "quoted_pipe.csv", info))

    assert (info.delimiter, info.headers) == ("|", ["Full Name", "Email", "Company", "Notes"])
    assert [row.line for row in rows] == [2, 4, 5]
    assert rows[0].values[3] == "Pipe | inside\nand a newline"
    assert rows[2].values[2:] == ["Leadworth | Medical", 'She said "hi"']


def test_it_reads_a_messy_file_without_losing_or_inventing_anything():
    info = inspect("messy.csv")
    rows = list(table_rows(DATA / "messy.csv", info))
    by_name = {row.values[0]: row for row in rows}

    assert info.headers == ["Name", "Email", "Email (2)", "Phone", "Company", "Website", "Column 7", "Notes"]
    assert info.duplicate_headers == ["Email"]
    assert [row.line for row in rows] == [2, 3, 4, 6, 7, 8]  # line 5 holds only commas
    alice = by_name["Alice Example"]
    assert alice.values[2] == "alice.personal@mail.example"
    assert alice.values[3] == "4.47911E+11"  # kept as typed; making phones of it is not the reader's job
    assert alice.values[5] == '=HYPERLINK("https://acme.example","Acme")'  # text, never evaluated
    assert by_name["Bob Short"].values == ["Bob Short", "bob@globex.example", "", "", "", "", "", ""]
    carol = by_name["Carol Long"]
    assert carol.values[7] == "Too many cells" and carol.extra == ["extra one", "extra two"]
    assert by_name[""].values[4] == "Just A Company Ltd"  # no identity at all: the caller decides
    assert len(by_name["Dan Verbose"].values[7]) == 10_000
    assert by_name["Eve Spaces"].values[:4] == ["Eve Spaces", "eve@piedpiper.example", "", "+1 555 0100"]
    assert by_name["Eve Spaces"].values[7] == "trailing"


def test_it_reads_the_first_sheet_of_a_workbook_with_numbers_and_dates_as_text():
    path = DATA / "contacts.xlsx"
    info = inspect("contacts.xlsx")
    rows = list(table_rows(path, info))

    assert (info.format, info.encoding, info.delimiter) == ("xlsx", "", "")
    assert info.header_line == 3  # below a title row and a blank row
    assert info.headers == [
        "First Name",
        "Last Name",
        "Email",
        "Company",
        "Mobile Phone",
        "Deal Value",
        "Employees",
        "Met On",
        "Last Call",
        "Opted In",
    ]
    assert info.size == 8
    assert [row.line for row in rows] == [4, 5, 7, 8]
    assert rows[0].values[4:] == ["447911123456", "12.5", "40", "2024-05-01", "2024-05-03 14:30:00", "TRUE"]
    assert rows[1].values[4:6] == ["4930555012345", "2500000"]
    assert rows[2].values[3] == "Typewriter Bureau"
    assert rows[2].values[5] == "0.3"  # 0.30000000000000004 shown as Excel shows it
    assert rows[2].values[7] == "2024-04-30"
    assert rows[3].values == ["Mervyn", "Bunter", "", "Wimsey Estates", "", "", "", "", "", ""]
    assert [row.position for row in rows] == [4, 5, 7, 8]


def test_it_writes_big_and_tiny_xlsx_numbers_out_in_full(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.append(["Name", "Phone", "Revenue", "Ratio"])
    workbook.active.append(["Ann", 447911123456.0, 1e20, 1e-05])
    workbook.save(tmp_path / "numbers.xlsx")

    (row,) = rows_of(tmp_path / "numbers.xlsx")

    assert row.values == ["Ann", "447911123456", "100000000000000000000", "0.00001"]


def test_it_finds_xlsx_rows_past_wrong_dimensions(tmp_path):
    path = tmp_path / "undersized.xlsx"
    workbook = openpyxl.Workbook()
    for number in range(30):
        workbook.active.append([f"Person {number}", f"p{number}@acme.example"] if number else ["Name", "Email"])
    workbook.save(path)
    # Some writers declare a one-cell sheet whatever it holds.
    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    parts["xl/worksheets/sheet1.xml"] = sheet.replace('<dimension ref="A1:B30"/>', '<dimension ref="A1"/>').encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)

    info = table_inspect(path, max_bytes=LIMIT)
    rows = list(table_rows(path, info))

    assert info.size == 30 and len(rows) == 29 and rows[-1].values == ["Person 29", "p29@acme.example"]


# Header rows


def test_it_skips_an_export_title_and_blank_lines_above_the_header(tmp_path):
    path = write(
        tmp_path,
        "\n\nExported from Apollo on 2024-05-01\nFirst Name,Last Name,Email\nAda,Lovelace,ada@engine.example\n",
    )

    info = table_inspect(path, max_bytes=LIMIT)

    assert (info.header_line, info.headers) == (4, ["First Name", "Last Name", "Email"])
    assert [row.line for row in table_rows(path, info)] == [5]


def test_it_skips_rows_of_values_looking_for_the_header(tmp_path):
    path = write(tmp_path, "Report,2024-05-01\n1,2,3\nName,Email,Phone\nAda,ada@engine.example,+44 20 7946 0000\n")

    assert table_inspect(path, max_bytes=LIMIT).header_line == 3


def test_it_names_blank_headers_and_repeated_ones_without_clashing(tmp_path):
    path = write(tmp_path, "Email,,Email,Column 2,Email (2),Notes,,\nx,y,z,a,b,c\n")

    info = table_inspect(path, max_bytes=LIMIT)

    # Trailing blank headers are dropped; values under them would come back as `extra`.
    assert info.headers == ["Email", "Column 2 (2)", "Email (3)", "Column 2", "Email (2)", "Notes"]
    assert info.duplicate_headers == ["Email"]


def test_it_names_50000_repeated_headers_in_linear_time(tmp_path):
    # Numbering each copy by trying "Email (2)", "Email (3)"… from 2 again took minutes at this size (183 s for
    # 50,000 columns; 8 s for 10,000). Run in a process of its own with a deadline, so that a slow algorithm
    # fails this test instead of holding up the run.
    code = (
        "import json, sys\n"
        "from crm.importing.reading.detect import header_names\n"
        "cells = ['Email'] * 50_000 + ['', 'Email (7)', 'Column 50001'] + ['', 'Name'] * 5_000\n"
        "json.dump(header_names(cells), sys.stdout)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT, check=True
    )

    names, duplicates = json.loads(done.stdout)
    assert names[:3] == ["Email", "Email (2)", "Email (3)"]
    # "Email (7)" is a name in the file, so the copies skip it; the last copy is the 50,001st name given.
    assert names[5:7] == ["Email (6)", "Email (8)"] and names[49_999] == "Email (50001)"
    # A blank header's made-up name doesn't take one the file has either.
    assert names[50_000:50_003] == ["Column 50001 (2)", "Email (7)", "Column 50001"]
    assert names[50_003:50_006] == ["Column 50004", "Name", "Column 50006"]
    assert names[-1] == "Name (5000)"
    assert len(set(names)) == len(names) == 60_003
    assert duplicates == ["Email", "Name"]


def test_it_reads_a_one_column_list_of_emails(tmp_path):
    path = write(tmp_path, "Email\nada@engine.example\ngrace@navy.example\n")

    info = table_inspect(path, max_bytes=LIMIT)

    assert (info.delimiter, info.headers) == (",", ["Email"])
    assert [row.values for row in table_rows(path, info)] == [["ada@engine.example"], ["grace@navy.example"]]


def test_it_accepts_a_file_with_only_a_header_and_yields_no_rows():
    info = inspect("only_header.csv")

    assert info.headers == ["First Name", "Last Name", "Email", "Company"]
    assert list(table_rows(DATA / "only_header.csv", info)) == []


# Encodings and line endings


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (codecs.BOM_UTF8 + "Name,Stadt\nJürgen,Köln\n".encode(), "utf-8-sig"),
        ("Name,Stadt\nJürgen,Köln\n".encode(), "utf-8"),
        ("Name,Stadt\nJürgen,Köln\n".encode("latin-1"), "cp1252"),
        ("Name,Note\nZoë,“quoted” – €5\n".encode("cp1252"), "cp1252"),
        ("Name,Город\nИван,Москва\nМария,Санкт-Петербург\n".encode("cp1251"), "cp1251"),
        (codecs.BOM_UTF16_BE + "Name,Stadt\nJürgen,Köln\n".encode("utf-16-be"), "utf-16"),
        ("Name,Stadt\nJürgen,Köln\n".encode("utf-16-le"), "utf-16-le"),
    ],
)
def test_it_detects_the_encoding(tmp_path, data, encoding):
    path = write(tmp_path, data)

    info = table_inspect(path, max_bytes=LIMIT)
    row, *_others = rows = list(table_rows(path, info))

    assert info.encoding == encoding
    assert info.headers[0] == "Name"
    assert row.values[0] in {"Jürgen", "Zoë", "Иван"}
    assert rows[-1].position == path.stat().st_size


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_it_numbers_lines_the_same_whatever_the_line_endings(tmp_path, newline):
    text = newline.join(["Name,Notes", "Ada,one", '"Grace","two', 'lines"', "", "Alan,three", ""])
    path = write(tmp_path, text)

    rows = rows_of(path)

    assert [(row.line, row.values[0]) for row in rows] == [(2, "Ada"), (3, "Grace"), (6, "Alan")]
    assert rows[1].values[1] == f"two{newline}lines"


def test_it_reads_a_line_in_another_encoding_after_the_sample_without_losing_it(tmp_path):
    # The encoding comes from the first 256 KB; a Windows-1252 line further down (mixed encodings) is read as
    # Windows-1252, keeps its accents, and says so.
    body = "".join(f"Person {n},p{n}@acme.example\n" for n in range(12_000)).encode()
    path = write(tmp_path, b"Name,Email\n" + body + b"Ren\xe9,rene@acme.example\nZo\xc3\xab,zoe@acme.example\n")

    rows = rows_of(path)

    assert rows[-2].values == ["René", "rene@acme.example"] and rows[-2].line == 12_002
    assert rows[-2].note == "this line was not UTF-8; read as Windows-1252 (check its accents)"
    assert rows[-1].values == ["Zoë", "zoe@acme.example"] and rows[-1].note == ""
    assert rows[-1].position == path.stat().st_size


def test_it_reads_rows_holding_stray_bytes_and_says_which(tmp_path):
    # A text file where a few rows hold NUL or control bytes (a bad export, a truncated copy) is a table: those
    # rows lose the bytes and carry a note; the file is not taken for binary data.
    good = [f"Person {n},p{n}@acme.example,Acme\n".encode() for n in range(30)]
    good[6] = b"Bad\x00\x00\x00 Row,bad@acme.example,Ac\x01me\x1b\n"
    good[12] = b"\x00" * 300 + b",nul@acme.example,Acme\n"
    path = write(tmp_path, b"Name,Email,Company\n" + b"".join(good))

    rows = rows_of(path)

    assert len(rows) == 30
    assert rows[6].line == 8 and rows[6].values == ["Bad Row", "bad@acme.example", "Acme"]
    assert rows[6].note == "held control characters (removed)"
    assert rows[12].line == 14 and rows[12].values == ["", "nul@acme.example", "Acme"]
    assert [row.line for row in rows if row.note] == [8, 14]
    assert rows[0].values == ["Person 0", "p0@acme.example", "Acme"] and rows[0].note == ""


def test_a_row_with_stray_bytes_in_another_encoding_gets_both_notes(tmp_path):
    others = "".join(f"Zoë {n},Köln\n" for n in range(8)).encode()
    path = write(tmp_path, b"Name,City\nAda,London\nRen\xe9\x07,Paris\n" + others)

    rows = rows_of(path)

    assert rows[1].values == ["René", "Paris"] and rows[2].values == ["Zoë 0", "Köln"]
    assert rows[1].note == (
        "this line was not UTF-8; read as Windows-1252 (check its accents); held control characters (removed)"
    )


def test_stray_bytes_in_the_header_row_are_removed_from_the_names(tmp_path):
    rows = b"".join(f"Person {n},p{n}@acme.example\n".encode() for n in range(12))
    path = write(tmp_path, b"\x07Name,E\x01mail\n" + rows)

    assert inspect_path(path).headers == ["Name", "Email"]
    assert len(rows_of(path)) == 12


# Broken quoting


def test_an_unterminated_quote_at_the_end_does_not_swallow_the_lines_after_it(tmp_path):
    path = write(
        tmp_path,
        'Name,Company,Email\nAda,Engines,ada@engine.example\nBob,"Acme Inc,bob@acme.example\n'
        "Cid,Globex,cid@globex.example\nDee,Initech,dee@initech.example\n",
    )

    rows = rows_of(path)

    # Bob's line is read on its own, the stray quote kept as text; the rows after it are whole.
    assert [row.line for row in rows] == [2, 3, 4, 5]
    assert rows[1].values == ["Bob", '"Acme Inc', "bob@acme.example"]
    assert rows[2].values == ["Cid", "Globex", "cid@globex.example"]
    assert rows[3].values == ["Dee", "Initech", "dee@initech.example"]
    assert rows[3].position == path.stat().st_size


def test_an_unterminated_quote_longer_than_the_field_limit_is_caught_too(tmp_path):
    lines = "".join(f"Person {n},Acme,p{n}@acme.example\n" for n in range(8_000))  # over csv's 131,072 characters
    path = write(tmp_path, f'Name,Company,Email\nBob,"Acme,bob@acme.example\n{lines}')

    rows = rows_of(path)

    assert len(rows) == 8_001
    assert rows[0].values == ["Bob", '"Acme', "bob@acme.example"]
    assert (rows[-1].line, rows[-1].values[0]) == (8_002, "Person 7999")
    assert rows[-1].position == path.stat().st_size


# Resuming and sampling


def test_it_resumes_after_the_last_line_a_crashed_import_finished():
    path = DATA / "quoted_newlines.csv"
    info = inspect("quoted_newlines.csv")

    resumed = list(table_rows(path, info, after_line=5))

    assert [row.line for row in resumed] == [6, 8, 9]
    # A line inside a record that was already imported doesn't split it.
    assert [row.line for row in table_rows(path, info, after_line=3)] == [5, 6, 8, 9]


def test_it_resumes_a_workbook_by_row_number():
    info = inspect("contacts.xlsx")

    assert [row.line for row in table_rows(DATA / "contacts.xlsx", info, after_line=5)] == [7, 8]


def test_a_sample_is_the_first_rows():
    info = inspect("apollo_export.csv")

    sample = table_sample(DATA / "apollo_export.csv", info)

    assert [row.values[0] for row in sample] == ["Maya", "Daniel", "Priya", "Lucas", "Hannah"]
    assert len(table_sample(DATA / "only_header.csv", inspect("only_header.csv"))) == 0


# Refusals


def test_it_refuses_an_empty_file():
    assert refusal(DATA / "empty.csv") == "This file is empty."


@pytest.mark.parametrize("text", ["\n\n  \n", ",,,\n , ,\n", "\ufeff\r\n"])
def test_it_refuses_a_file_of_blank_lines(tmp_path, text):
    assert refusal(write(tmp_path, text)) == "This file is empty."


def test_it_refuses_an_empty_workbook(tmp_path):
    openpyxl.Workbook().save(tmp_path / "empty.xlsx")

    assert refusal(tmp_path / "empty.xlsx") == "This file is empty."


def test_it_refuses_binary_junk():
    assert refusal(DATA / "not_a_table.csv") == "This file is not a table (it looks like binary data)."


def test_it_refuses_binary_junk_without_nul_bytes(tmp_path):
    junk = bytes(byte for byte in range(1, 256) if byte not in b"\t\n\r") * 20

    assert refusal(write(tmp_path, junk)) == "This file is not a table (it looks like binary data)."


@pytest.mark.parametrize("kind", ["random bytes", "random bytes with line breaks", "gzip", "png", "gettext catalogue"])
def test_it_still_refuses_binary_files_that_hold_a_few_line_breaks(tmp_path, kind):
    noise = random.Random(kind).randbytes(64 * 1024)
    # Binary, but mostly lines of text: a magic number, a table of offsets, then NUL-separated messages.
    messages = "\x00".join(f"Usage: tool{n} [OPTION]...\n  -h, --help  show help\n  -v  version\n" for n in range(80))
    content = {
        "random bytes": noise,
        "random bytes with line breaks": noise.replace(b"\x00", b"\n").replace(b"\x01", b","),
        "gzip": gzip.compress(b"Name,Email\n" + b"Ada,ada@engine.example\n" * 2000),
        "png": (DATA / "not_a_table.csv").read_bytes(),
        "gettext catalogue": b"\xde\x12\x04\x95\x00\x00\x00\x00" + noise[:400] + messages.encode(),
    }[kind]

    assert refusal(write(tmp_path, content)) == "This file is not a table (it looks like binary data)."


@pytest.mark.parametrize(
    ("first_line", "every"),
    [
        ("Name,Email\n", 4),  # a quarter of the lines: more than stray bytes in a few rows
        ("\x7fDB\x01\x02 index\n", 7),  # control bytes in the first line too: a seventh is enough
    ],
)
def test_it_refuses_text_where_too_many_lines_hold_control_characters(tmp_path, first_line, every):
    lines = [f"Person {n},\x01{n}\x02\n" if n % every == 0 else f"Person {n},p{n}@acme.example\n" for n in range(1, 71)]

    assert refusal(write(tmp_path, first_line + "".join(lines))) == (
        "This file is not a table (it looks like binary data)."
    )


def test_it_refuses_a_nul_byte_among_the_first_bytes(tmp_path):
    # Magic numbers, lengths and flags: a table's header row has none.
    path = write(
        tmp_path, b"SQLite format 3\x00" + "".join(f"Person {n},p{n}@acme.example\n" for n in range(50)).encode()
    )

    assert refusal(path) == "This file is not a table (it looks like binary data)."


def test_it_refuses_a_file_over_the_column_limit(tmp_path):
    header = ",".join(f"Field {n}" for n in range(1, 502))
    path = write(tmp_path, f"{header}\n" + ",".join(["x"] * 501) + "\n")

    with pytest.raises(FileRefused, match=r"^This file has 501 columns; the limit is 500\.$"):
        table_inspect(path, max_bytes=LIMIT, max_columns=500)
    assert len(table_inspect(path, max_bytes=LIMIT, max_columns=501).headers) == 501


def test_it_refuses_a_workbook_over_the_column_limit(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.append([f"Field {n}" for n in range(1, 13)])
    workbook.active.append(["x"] * 12)
    workbook.save(tmp_path / "wide.xlsx")

    with pytest.raises(FileRefused, match=r"^This file has 12 columns; the limit is 10\.$"):
        table_inspect(tmp_path / "wide.xlsx", max_bytes=LIMIT, max_columns=10)


@pytest.mark.parametrize(
    "header",
    [
        "Name,Email," + "N" * 140_000,  # one cell over csv's field size limit
        # 2,000 column names of 70 characters (a name over 80 would count as a value, not a header).
        ",".join(f"Field {n:04d} " + "x" * 59 for n in range(2000)),
    ],
)
def test_it_refuses_a_header_row_longer_than_the_csv_field_limit(tmp_path, header):
    path = write(tmp_path, f"{header}\nAda,ada@engine.example,x\n")

    assert refusal(path) == "The header row is over 131,072 characters long; this is not a table's header."


def test_a_data_line_over_the_csv_field_limit_in_the_sample_is_read(tmp_path):
    # csv.reader raises on a field over the limit: the delimiter detection meets it too, and must not fail.
    path = write(tmp_path, f"Name,Email,Notes\nAda,ada@engine.example,{'n' * 140_000}\nBob,bob@acme.example,hi\n")

    rows = rows_of(path)

    assert [row.values[:2] for row in rows] == [["Ada", "ada@engine.example"], ["Bob", "bob@acme.example"]]
    assert len(rows[0].values[2]) == 140_000


def test_delimiter_detection_is_quick_on_quotes_that_csv_sniffer_chokes_on(tmp_path):
    # csv.Sniffer takes time quadratic in its input on such text (240 KB: minutes): it sees only the start.
    path = write(tmp_path, "Name;Email\n" + "'x; " * 60_000 + "\nAda;ada@engine.example\n")

    done = subprocess.run(
        [
            sys.executable,
            "-c",
            f"from crm.importing.reading.detect import csv_delimiter; "
            f"import pathlib; print(csv_delimiter(pathlib.Path({str(path)!r}).read_text()))",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=ROOT,
        check=True,
    )

    assert done.stdout.strip() == ";"


def test_it_refuses_a_file_over_the_limit_before_reading_it(tmp_path):
    path = tmp_path / "big.csv"
    path.write_bytes(b"Name,Email\n" + b"x" * (3 * 1024 * 1024 // 2))

    assert refusal(path, max_bytes=1024 * 1024) == "This file is 2 MB; the limit is 1 MB."
    assert refusal(path, max_bytes=1000) == "This file is 2 MB; the limit is 1000 bytes."


def test_it_refuses_a_file_with_no_header_in_the_first_20_rows(tmp_path):
    path = write(tmp_path, "".join(f"{n},{n * 7},+44 20 7946 {n:04d}\n" for n in range(30)))

    assert refusal(path) == "No header row found in the first 20 rows."


def test_it_refuses_a_zip_bomb():
    path = DATA / "zip_bomb.xlsx"

    assert path.stat().st_size < 200 * 1024
    assert refusal(path) == "This XLSX file is compressed suspiciously well; refusing to unpack it."


def test_it_refuses_a_workbook_too_large_once_unpacked(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx_rows, "XLSX_MAX_UNCOMPRESSED_BYTES", 1024)
    path = tmp_path / "large.xlsx"
    openpyxl.Workbook().save(path)

    assert refusal(path) == "This XLSX file is too large once unpacked."


def test_it_refuses_a_zip_of_too_many_parts(tmp_path):
    path = tmp_path / "parts.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        for number in range(xlsx_rows.XLSX_MAX_MEMBERS + 1):
            archive.writestr(f"xl/part{number}.xml", "<x/>")

    assert refusal(path) == "This XLSX file has too many parts to be a spreadsheet."


def test_it_refuses_a_zip_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "photos.csv"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("holiday.txt", "not a spreadsheet")

    assert refusal(path) == "This file is a zip archive, not an XLSX spreadsheet."


def test_it_refuses_a_damaged_workbook(tmp_path):
    path = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook><sheets>")

    assert refusal(path) == "This XLSX file could not be read; it may be damaged or password-protected."


def test_it_refuses_a_line_too_long_to_be_a_row(tmp_path):
    path = write(tmp_path, "Name,Notes\nAda,short\nBob," + "x" * (5 * 1024 * 1024) + "\n")
    info = table_inspect(path, max_bytes=LIMIT)

    # Past the part table_inspect reads, so it stops the import part-way, after the rows before it.
    rows = table_rows(path, info)
    assert next(rows).line == 2
    with pytest.raises(FileRefused, match=r"^Line 3 is over 4,194,304 characters long; this is not a table\.$"):
        next(rows)


def test_it_refuses_an_old_excel_file(tmp_path):
    path = write(tmp_path, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1000, name="leads.xls")

    assert refusal(path).startswith("This is an old Excel file (.xls)")


# Memory


def test_reading_200000_rows_keeps_memory_flat(tmp_path):
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8", newline="") as file:
        file.write("First Name,Last Name,Email,Company,Phone,Notes\r\n")
        for number in range(200_000):
            file.write(
                f'Person{number},Müller,person{number}@acme.example,"Acme {number % 97}, Inc.",'
                f'+44 20 7946 {number % 10_000:04d},"Called on Monday.\nWants a demo"\r\n'
            )

    tracemalloc.start()
    try:
        info = table_inspect(path, max_bytes=LIMIT)
        count, last = 0, None
        for row in table_rows(path, info):
            count, last = count + 1, row
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert path.stat().st_size > 20 * 1024 * 1024
    assert count == 200_000
    assert last is not None and last.line == 400_000 and last.position == info.size
    assert peak < 20 * 1024 * 1024, f"peak {peak / 1024 / 1024:.1f} MB"
