import pytest

from simulator.atparser import AtSyntaxError, Command, Kind, parse_line, split_params


def test_extended_forms() -> None:
    assert parse_line("+CMGF=0") == [Command("+CMGF", Kind.SET, "0")]
    assert parse_line("+CMGF?") == [Command("+CMGF", Kind.READ)]
    assert parse_line("+CMGF=?") == [Command("+CMGF", Kind.TEST)]
    assert parse_line("+CGMI") == [Command("+CGMI", Kind.EXEC)]


def test_case_spaces_and_separators() -> None:
    assert parse_line('+cmgf = 1 ; +cscs="GSM" ;e0') == [
        Command("+CMGF", Kind.SET, "1"),
        Command("+CSCS", Kind.SET, '"GSM"'),
        Command("E", Kind.SET, "0"),
    ]


def test_spaces_kept_inside_quotes() -> None:
    (command,) = parse_line('+CSCA="+33 639"')
    assert command.args == '"+33 639"'


def test_basic_commands_run_together() -> None:
    assert [c.name for c in parse_line("E0V1Q0&FS0=0S3?I")] == ["E", "V", "Q", "&F", "S0", "S3", "I"]
    assert parse_line("S7=30") == [Command("S7", Kind.SET, "30")]


def test_dial_swallows_rest() -> None:
    assert parse_line("D+33639980001;") == [Command("D", Kind.SET, "+33639980001;")]


def test_empty_line() -> None:
    assert parse_line("") == []


@pytest.mark.parametrize("body", ["+", "&Z", "S", "S3", "!", '+CSCA="x', "+CMGF!1", "Y", "x" * 600])
def test_malformed(body: str) -> None:
    with pytest.raises(AtSyntaxError):
        parse_line(body)


def test_split_params() -> None:
    assert split_params('1,,"a,b",4') == ["1", "", '"a,b"', "4"]
    assert split_params("") == []
