"""Settings: checked when the program starts, each error naming the variable, file key or flag at
fault; unknown FAQBOT_* variables warned about; runtime data kept per corpus under one home."""

from __future__ import annotations

import pytest

from bot.cli import main
from bot.config import SETTINGS, ConfigError, load_settings
from tests.support import DEFAULT_CORPUS


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    for name in SETTINGS:
        monkeypatch.delenv(f"FAQBOT_{name.upper()}", raising=False)
    monkeypatch.delenv("FAQBOT_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)  # no ./faqbot.toml here


@pytest.mark.parametrize("variable, value, expected", [
    ("FAQBOT_TOP_K", "0", "a whole number from 1 to 20"),
    ("FAQBOT_TOP_K", "2.5", "a whole number from 1 to 20"),
    ("FAQBOT_ANSWER_THRESHOLD", "nan", 'a number from -1 to 2, or "auto"'),
    ("FAQBOT_QUESTION_WEIGHT", "1.5", "a number from 0 to 1"),
    ("FAQBOT_RETRIEVER", "semantic", "one of hybrid, dense, bm25"),
    ("FAQBOT_QUERY_ENCODER", "gpu", "one of auto, torch"),
    ("FAQBOT_PORT", "70000", "a port from 0 to 65535"),
    ("FAQBOT_ALLOWED_ORIGINS", "www.example.org", 'origins like https://www.example.org, or "*"'),
    ("FAQBOT_MAX_REQUEST_BYTES", "10", "1024 or more"),
    ("FAQBOT_RATE_LIMIT_PER_MINUTE", "-1", "0 or more"),
])
def test_a_bad_variable_stops_the_program_at_start_naming_it(monkeypatch, capsys, variable, value, expected):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as error:
        load_settings()
    assert str(error.value) == f"environment variable {variable} is {value!r}; expected {expected}"
    # The command line says so in one line, exit code 2, before doing anything else.
    assert main(["corpus", "check"]) == 2
    err = capsys.readouterr().err
    assert err == f"Configuration error: environment variable {variable} is {value!r}; expected {expected}\n"


def test_a_bad_file_key_is_named_with_its_file(tmp_path, monkeypatch):
    config = tmp_path / "faqbot.toml"
    config.write_text("[faqbot]\ntop_k = 0\n")
    with pytest.raises(ConfigError, match=f"^{config}: key 'top_k' is 0; expected a whole number from 1 to 20$"):
        load_settings()
    config.write_text("[faqbot]\ntop_k = true\n")
    with pytest.raises(ConfigError, match="key 'top_k' is True"):
        load_settings()
    config.write_text("colour = 'blue'\n")
    with pytest.raises(ConfigError, match="key 'colour': unknown setting 'colour'"):
        load_settings()


def test_a_bad_flag_is_named_as_the_option(capsys):
    assert main(["serve", "--port", "70000"]) == 2
    assert capsys.readouterr().err == "Configuration error: option --port is 70000; expected a port from 0 to 65535\n"


def test_unknown_faqbot_variables_are_warned_about_not_fatal(monkeypatch, capsys):
    monkeypatch.setenv("FAQBOT_TOPK", "3")
    settings = load_settings()
    assert settings.warnings and "FAQBOT_TOPK is not a setting" in settings.warnings[0]
    assert settings.warnings[0].endswith("(did you mean FAQBOT_TOP_K?)")
    assert main(["corpus", "check"]) == 0
    captured = capsys.readouterr()
    assert captured.err.startswith("Warning: environment variable FAQBOT_TOPK is not a setting")
    assert "58 entries, no problems" in captured.out


def test_each_corpus_has_its_own_index_and_data_under_one_home(tmp_path, monkeypatch):
    monkeypatch.setenv("FAQBOT_HOME", str(tmp_path / "home"))
    default = load_settings()
    assert default.corpus == DEFAULT_CORPUS and default.corpus_key == "default"
    assert default.index_path == tmp_path / "home" / "index" / "default"
    assert default.data_path == tmp_path / "home" / "data" / "default"
    assert default.exports_path == tmp_path / "home" / "index" / "encoders"
    (tmp_path / "a").mkdir()
    (tmp_path / "b" / "a").mkdir(parents=True)
    first, second = load_settings(corpus=tmp_path / "a"), load_settings(corpus=tmp_path / "b" / "a")
    assert first.index_path != second.index_path and first.data_path != second.data_path
    assert first.index_path.parent == default.index_path.parent and first.index_path.name.startswith("a-")
    assert first.exports_path == default.exports_path  # one exported model for every corpus
    explicit = load_settings(corpus=tmp_path / "a", index_dir=tmp_path / "i", data_dir=tmp_path / "d")
    assert (explicit.index_path, explicit.data_path) == (tmp_path / "i", tmp_path / "d")


def test_relative_paths_in_the_config_file_are_relative_to_the_file(tmp_path, monkeypatch):
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "faqbot.toml").write_text('corpus = "faq"\nhome = "state"\n')
    monkeypatch.setenv("FAQBOT_CONFIG", str(folder / "faqbot.toml"))
    settings = load_settings()
    assert settings.corpus == folder / "faq" and settings.home == folder / "state"
    assert settings.config_file == folder / "faqbot.toml"
