"""The schema file split as the mysql client splits it (busi/server/setup.py statements)."""

from busi.server.setup import SCHEMA, statements


def test_a_procedure_body_between_delimiter_lines_is_one_statement():
    sql = (
        "-- a; comment\nCREATE TABLE a (x INT);\n"
        "DELIMITER //\nCREATE PROCEDURE p()\nBEGIN\n  SELECT 1;\n  SELECT 2;\nEND //\nDELIMITER ;\n"
        "SELECT 3;\n"
    )
    assert list(statements(sql)) == [
        "CREATE TABLE a (x INT)",
        "CREATE PROCEDURE p()\nBEGIN\n  SELECT 1;\n  SELECT 2;\nEND",
        "SELECT 3",
    ]


def test_the_project_schema_creates_the_procedure_whole():
    [procedure] = [s for s in statements(SCHEMA.read_text()) if s.startswith("CREATE OR REPLACE PROCEDURE")]
    assert procedure.startswith("CREATE OR REPLACE PROCEDURE flash_sale.purchase_units") and procedure.endswith("END")
    assert "DELIMITER" not in procedure
