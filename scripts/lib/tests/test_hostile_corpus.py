"""The hostile-file corpus: enough distinct cases, each with a checkable outcome, built the way
the formats say (so a refusal is the importer's doing, not a broken recipe)."""

import io
import struct
import tempfile
import unittest
import zipfile
from pathlib import Path

import hostile_corpus as corpus


class Corpus(unittest.TestCase):
    def test_at_least_thirty_distinct_cases_each_with_an_expected_outcome(self):
        cases = corpus.corpus()
        self.assertGreaterEqual(len(cases), 30)
        self.assertEqual(len({c.name for c in cases}), len(cases))
        for case in cases:
            self.assertTrue(case.status, case.name)
            if case.status == ("failed",):
                self.assertTrue(case.error or case.name == "deep-nesting.xlsx", f"{case.name}: no message to check")

    def test_the_compound_file_holds_the_workbook_stream_where_its_header_says(self):
        stream = corpus.xls_workbook([corpus.xls_sheet([(0, 0), (3, 2)])])
        data = corpus.compound_file(stream)
        self.assertEqual(data[:8], b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")
        fat_sectors, first_directory = struct.unpack_from("<II", data, 0x2C)
        directory = data[512 * (first_directory + 1):][:512]
        self.assertEqual(directory[128:128 + 16].decode("utf-16-le"), "Workbook")
        start, size = struct.unpack_from("<IQ", directory, 128 + 116)
        self.assertEqual(data[512 * (start + 1):][:size], stream.ljust(size, b"\0"))
        self.assertGreaterEqual(size, 4096, "a smaller stream would belong in the mini stream")
        # The first sheet's BOF is where its BoundSheet8 record points.
        offset = struct.unpack_from("<I", stream, 20 + 4)[0]
        self.assertEqual(struct.unpack_from("<HH", stream, offset)[0], 0x0809)
        self.assertGreaterEqual(fat_sectors, 1)

    def test_lying_sizes_rewrite_every_recorded_size(self):
        with tempfile.TemporaryDirectory() as d:
            path = Path(d) / "lie.xlsx"
            corpus.lying_sizes(corpus.write_xlsx([corpus.sheet_xml(corpus.table_rows(corpus.good_rows("x", 500)))]))(path)
            with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as z:
                self.assertTrue(all(info.file_size == 100 for info in z.infolist()))
                sheet = z.getinfo("xl/worksheets/sheet1.xml")
                self.assertGreater(sheet.compress_size, 100, "the sheet really is larger than it says")
