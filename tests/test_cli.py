"""The command line through real subprocesses: `python -m bot ask/chat/eval` and settings errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.rag.files import write_md


def run(args: list[str], *, data_dir: Path, stdin: str | None = None, env: dict | None = None,
        timeout: float = 300) -> subprocess.CompletedProcess[str]:  # fmt: skip
    environment = {
        **os.environ,
        "DATA_DIR": str(data_dir),
        "HF_HUB_OFFLINE": "1",
        "LOG_LEVEL": "WARNING",
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin, capture_output=True, text=True, cwd=ROOT, env=environment, timeout=timeout,
        check=False,
    )  # fmt: skip


def test_ask_json_one_question(indexed_settings) -> None:
    done = run(["ask", "--json", "서울창업허브 호치민은 언제 문을 열었나요?"],
               data_dir=indexed_settings.data_dir)  # fmt: skip
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["answered"] is True and answer["language"] == "ko"
    assert "2021" in answer["answer"]
    assert {"title", "source", "section", "snippet", "score"} <= set(answer["sources"][0])


def test_ask_json_reads_one_question_per_line(indexed_settings) -> None:
    questions = "What is SBA?\n\nWhat is the capital of France?\nHUTECH은 어떤 곳인가요?\n"
    done = run(["ask", "--json", "-"], data_dir=indexed_settings.data_dir, stdin=questions)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["answered"] for line in lines] == [True, False, True]
    assert [line["language"] for line in lines] == ["en", "en", "ko"]


def test_ask_human_output_lists_sources(indexed_settings) -> None:
    done = run(["ask", "Where", "is", "the", "hub?"], data_dir=indexed_settings.data_dir)
    assert done.returncode == 0, done.stderr
    assert "[1]" in done.stdout and ".md" in done.stdout


def test_chat_console_answers_until_empty_line(indexed_settings) -> None:
    done = run(["chat"], data_dir=indexed_settings.data_dir,
               stdin="How big is Seoul Startup Hub Ho Chi Minh?\n\n")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "1,758" in done.stdout


def test_first_run_on_an_empty_index_ingests_knowledge_first(tmp_path: Path) -> None:
    knowledge = tmp_path / "knowledge"
    write_md(knowledge / "hub.md", "Hub", "hub", {"How big is the hub?": "The hub is 1,758 m²."})
    done = run(["ask", "--json", "How big is the hub?"], data_dir=tmp_path / "data",
               env={"KNOWLEDGE_DIR": str(knowledge)})  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "indexing" in done.stderr.lower()
    assert "1,758" in json.loads(done.stdout)["answer"]


@pytest.mark.parametrize(
    ("env", "needle"),
    [({"STAFF_USER_IDS": "12,abc"}, "STAFF_USER_IDS"), ({"TOP_K": "0"}, "TOP_K")],
)
def test_bad_settings_name_the_variable(tmp_path: Path, env: dict, needle: str) -> None:
    done = run(["ask", "hello"], data_dir=tmp_path, env=env)
    assert done.returncode == 2
    assert needle in done.stderr and "Traceback" not in done.stderr


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    done = run(["ask"], data_dir=tmp_path)
    assert done.returncode == 2 and "usage" in done.stderr.lower()
