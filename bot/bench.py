"""`zwbot bench` / `make bench`: speed and memory on this machine (DESIGN §7).

Starts a real `zwbot run` on an empty SQLite database (cold start), drives it over HTTP with a
different text on every request, and does the same against a bare aiohttp "hello" server so every
figure can also be read as a share of what this machine's HTTP stack can do at all.

Then the provincial size: the Guangdong records (../shared/data) copied to 50,000 items, imported,
started twice (the first start builds the item index once, the second is a restart or a further
worker), and measured for time to ready, resident memory and parse rate at 10 connections.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import psutil

from bot.config import Settings
from bot.nlu.corpora import GUANGDONG_ITEMS, corpora_dir

CATALOGUE_COPIES = 45  # × 1,108 Guangdong records = 49,860 items

_HELLO_SERVER = """
import sys
from aiohttp import web
async def hello(request):
    await request.read()
    return web.json_response({"hello": "world"})
app = web.Application()
app.router.add_route("*", "/{tail:.*}", hello)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
"""

_ASPECTS = ["需要什么材料", "要带啥", "多久能办好", "在哪个窗口办", "收费吗", "能网上办吗", "依据是什么", "谁可以申请",
            "咨询电话多少", "怎么办理", "流程是怎样的", ""]
_OTHER = ["你好", "谢谢", "帮我订张机票", "放首歌听听", "政务中心几点上班", "有停车场吗", "再见", "你是机器人吗"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def corpus(names: list[str], size: int, seed: int = 1) -> list[str]:
    """`size` different citizen-like texts (item names × aspects × small variations)."""
    rng = random.Random(seed)
    texts: set[str] = set()
    while len(texts) < size:
        roll = rng.random()
        if roll < 0.8:
            text = f"{rng.choice(names)}{rng.choice(_ASPECTS)}"
        else:
            text = rng.choice(_OTHER)
        texts.add(f"{text}{'？' * rng.randint(0, 1)}{rng.randint(1, 10**6)}" if text in texts or rng.random() < 0.5
                  else text)
    return list(texts)


async def _wait_ready(url: str, process: subprocess.Popen, timeout: float = 120) -> float:
    started = time.perf_counter()
    async with aiohttp.ClientSession() as session:
        while time.perf_counter() - started < timeout:
            if process.poll() is not None:
                raise RuntimeError(f"server exited with {process.returncode}")
            try:
                async with session.get(url) as response:
                    if response.status == 200:
                        return time.perf_counter() - started
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    raise TimeoutError(url)


async def load(url: str, bodies: list[dict[str, Any]], connections: int) -> dict[str, Any]:
    """POST every body once with `connections` requests in flight; latency percentiles and rate."""
    latencies: list[float] = []
    errors = 0
    queue = iter(bodies)
    connector = aiohttp.TCPConnector(limit=connections, force_close=False)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            nonlocal errors
            for body in queue:
                sent = time.perf_counter()
                async with session.post(url, json=body) as response:
                    await response.read()
                    if response.status != 200:
                        errors += 1
                latencies.append(time.perf_counter() - sent)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "client": "python",
        "requests": len(latencies),
        "per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 2),
        "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000, 2),
        "errors": errors,
    }


_WRK_SCRIPT = """
local texts = {}
for line in io.lines(os.getenv("ZWBOT_BENCH_TEXTS")) do texts[#texts + 1] = line end
local turn = os.getenv("ZWBOT_BENCH_KIND") == "turn"
local n = 0
request = function()
  n = n + 1
  local text = texts[(n % #texts) + 1] .. n
  local body
  if turn then
    body = '{"sender":"wrk-' .. (n % 5000) .. '","message":"' .. text .. '"}'
  else
    body = '{"text":"' .. text .. '"}'
  end
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end
"""


def wrk_load(url: str, texts: list[str], kind: str, connections: int, seconds: int) -> dict[str, Any]:
    """The same measurement with wrk (a C load generator that leaves the CPU to the server)."""
    with tempfile.TemporaryDirectory() as folder:
        script, corpus_file = Path(folder) / "bench.lua", Path(folder) / "texts.txt"
        script.write_text(_WRK_SCRIPT, encoding="utf-8")
        corpus_file.write_text("\n".join(t.replace('"', "") for t in texts), encoding="utf-8")
        output = subprocess.run(
            ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url],
            capture_output=True, text=True, check=True,
            env=dict(os.environ, ZWBOT_BENCH_TEXTS=str(corpus_file), ZWBOT_BENCH_KIND=kind)).stdout

    def latency(label: str) -> float:
        value = output.split(label, 1)[1].split()[0]
        number = float(value.rstrip("msu"))
        return number * 1000 if value.endswith("s") and not value.endswith(("ms", "us")) else \
            number / 1000 if value.endswith("us") else number

    errors = output.split("Non-2xx or 3xx responses:", 1)[1].split()[0] if "Non-2xx" in output else "0"
    return {"requests": int(output.split(" requests in")[0].split()[-1]),
            "per_second": float(output.split("Requests/sec:")[1].split()[0]),
            "p50_ms": round(latency(" 50%"), 2), "p99_ms": round(latency(" 99%"), 2), "errors": int(errors),
            "client": "wrk"}


def _rss_mb(pid: int) -> float:
    process = psutil.Process(pid)
    total = process.memory_info().rss
    for child in process.children(recursive=True):
        total += child.memory_info().rss
    return round(total / 2**20, 1)


async def _measure(settings: Settings, quick: bool) -> dict[str, Any]:
    from bot.assistant import load_knowledge_base, train_interpreter

    scale = 0.1 if quick else 1.0
    report: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]}}

    with tempfile.TemporaryDirectory() as state:
        env = dict(os.environ, ZWBOT_STATE_DIR=state, ZWBOT_HOME=str(settings.project_dir))
        env.pop("ZWBOT_DATABASE_URL", None)  # the embedded default: a new, empty SQLite database
        knowledge = await load_knowledge_base(Settings(**{**settings.__dict__,
                                                          "database_url": f"sqlite+aiosqlite:///{state}/t.db"}))
        started = time.perf_counter()
        interpreter = train_interpreter(settings, knowledge)
        report["train_seconds"] = round(time.perf_counter() - started, 3)
        names = [n for r in knowledge.items.values() for n in [r["name"], *(r.get("aliases") or [])]]
        texts = corpus(names, int(20000 * scale))

        latencies = []
        for text in texts[:int(5000 * scale)]:
            began = time.perf_counter()
            interpreter.parse(text)
            latencies.append(time.perf_counter() - began)
        latencies.sort()
        report["parse_in_process"] = {"p50_ms": round(statistics.median(latencies) * 1000, 3),
                                      "p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 3),
                                      "per_second": round(len(latencies) / sum(latencies), 1)}

        hello_port, port = _free_port(), _free_port()
        hello = subprocess.Popen([sys.executable, "-c", _HELLO_SERVER, str(hello_port)])
        server = subprocess.Popen([sys.executable, "-m", "bot", "run", "--port", str(port)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            report["cold_start_seconds"] = round(await _wait_ready(f"http://127.0.0.1:{port}/health", server), 2)
            await _wait_ready(f"http://127.0.0.1:{hello_port}/", hello)
            base = f"http://127.0.0.1:{port}"
            hello_url, parse_url, turn_url = (f"http://127.0.0.1:{hello_port}/", f"{base}/model/parse",
                                              f"{base}/webhooks/rest/webhook")
            if shutil.which("wrk") and not quick:
                seconds = 10
                report["hello_50"] = wrk_load(hello_url, texts, "parse", 50, seconds)
                report["parse_http_50"] = wrk_load(parse_url, texts, "parse", 50, seconds)
                report["turn_1"] = wrk_load(turn_url, texts, "turn", 1, seconds)
                report["turn_50"] = wrk_load(turn_url, texts, "turn", 50, seconds)
                report["turn_100"] = wrk_load(turn_url, texts, "turn", 100, seconds)
            else:
                rounds = int(10000 * scale)
                report["hello_50"] = await load(hello_url, [{"text": t} for t in texts[:rounds]], 50)
                report["parse_http_50"] = await load(parse_url, [{"text": t} for t in texts[:rounds]], 50)
                turns = [{"sender": f"bench-{n % 5000}", "message": t} for n, t in enumerate(texts[:rounds])]
                report["turn_1"] = await load(turn_url, turns[:int(1000 * scale) or 50], 1)
                report["turn_50"] = await load(turn_url, turns, 50)
                report["turn_100"] = await load(turn_url, turns, 100)
            report["server_rss_mb"] = _rss_mb(server.pid)
        finally:
            for process in (server, hello):
                process.terminate()
                process.wait(timeout=20)
    report["catalogue"] = await _measure_catalogue(CATALOGUE_COPIES if not quick else 5, scale)
    ceiling = report["hello_50"]["per_second"]
    for key in ("parse_http_50", "turn_50", "turn_100"):
        report[key]["share_of_hello"] = round(report[key]["per_second"] / ceiling, 3)
    return report


def _write_catalogue(path: Path, copies: int) -> tuple[int, list[str]]:
    """The Guangdong records `copies` times, each copy with its own codes and department names;
    (items written, the records' names)."""
    lines = [line for line in (corpora_dir() / GUANGDONG_ITEMS).read_text(encoding="utf-8").splitlines() if line.strip()]
    names: list[str] = []
    with path.open("w", encoding="utf-8") as out:
        for copy in range(copies):
            for line in lines:
                raw = json.loads(line)
                raw["TASK_CODE"] = f"{raw.get('TASK_CODE')}{copy:02d}"
                if copy:
                    raw["DEPT_NAME"] = f"第{copy}区{raw.get('DEPT_NAME') or ''}"
                out.write(json.dumps(raw, ensure_ascii=False) + "\n")
                if not copy:
                    names.append(str(raw.get("TASK_NAME") or raw.get("matter_name") or ""))
    return len(lines) * copies, [name for name in names if name]


async def _measure_catalogue(copies: int, scale: float) -> dict[str, Any]:
    if not (corpora_dir() / GUANGDONG_ITEMS).is_file():
        return {"skipped": f"{corpora_dir() / GUANGDONG_ITEMS} 不存在"}
    with tempfile.TemporaryDirectory() as state:
        env = dict(os.environ, ZWBOT_STATE_DIR=state)
        env.pop("ZWBOT_DATABASE_URL", None)
        source = Path(state) / "catalogue.jsonl"
        items, names = _write_catalogue(source, copies)
        report: dict[str, Any] = {"items": items}
        started = time.perf_counter()
        await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "bot", "kb", "import", str(source), "--format",
                                                 "gd-jsonl", "--replace"], env=env, check=True, stdout=subprocess.DEVNULL)
        report["import_seconds"] = round(time.perf_counter() - started, 1)
        for start in ("first_start_seconds", "ready_seconds"):
            port = _free_port()
            server = subprocess.Popen([sys.executable, "-m", "bot", "run", "--port", str(port)], env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                report[start] = round(await _wait_ready(f"http://127.0.0.1:{port}/health", server, timeout=600), 2)
                if start == "ready_seconds":
                    report["server_rss_mb"] = _rss_mb(server.pid)
                    texts, url = corpus(names, int(5000 * scale)), f"http://127.0.0.1:{port}/model/parse"
                    report["parse_http_10"] = wrk_load(url, texts, "parse", 10, 10) if shutil.which("wrk") \
                        and scale == 1.0 else await load(url, [{"text": t} for t in texts], 10)
            finally:
                server.terminate()
                server.wait(timeout=60)
    return report


def run_bench(settings: Settings, quick: bool = False) -> dict[str, Any]:
    return asyncio.run(_measure(settings, quick))


def format_bench(report: dict[str, Any]) -> str:
    lines = [f"machine: {report['machine']['cpus']} CPUs, Python {report['machine']['python']}, "
             f"load from {report['hello_50']['client']}",
             f"NLU training:            {report['train_seconds']:.2f} s",
             f"cold start (empty db):   {report['cold_start_seconds']:.2f} s",
             f"server resident memory:  {report['server_rss_mb']:.0f} MB",
             "parse in process:        p50 {p50_ms} ms, p99 {p99_ms} ms, {per_second}/s".format(
                 **report["parse_in_process"])]
    for key, label in (("hello_50", "bare aiohttp hello, 50 conn"), ("parse_http_50", "/model/parse, 50 conn"),
                       ("turn_1", "REST turn, 1 sender"), ("turn_50", "REST turn, 50 conn"),
                       ("turn_100", "REST turn, 100 conn")):
        row = report[key]
        share = f"  ({row['share_of_hello']:.0%} of hello)" if "share_of_hello" in row else ""
        lines.append(f"{label + ':':<30}{row['per_second']:>8}/s  p50 {row['p50_ms']} ms  p99 {row['p99_ms']} ms  "
                     f"errors {row['errors']}{share}")
    catalogue = report.get("catalogue", {})
    if "skipped" in catalogue:
        lines.append(f"provincial catalogue:    skipped ({catalogue['skipped']})")
    elif catalogue:
        lines.append(f"provincial catalogue:    {catalogue['items']} items, import {catalogue['import_seconds']} s, "
                     f"first start {catalogue['first_start_seconds']} s, ready {catalogue['ready_seconds']} s, "
                     f"{catalogue['server_rss_mb']:.0f} MB resident")
        row = catalogue["parse_http_10"]
        lines.append(f"{'  /model/parse, 10 conn:':<30}{row['per_second']:>8}/s  p50 {row['p50_ms']} ms  "
                     f"p99 {row['p99_ms']} ms  errors {row['errors']}")
    return "\n".join(lines)


if __name__ == "__main__":
    from bot.config import load_settings

    print(format_bench(run_bench(load_settings(Path.cwd()))))
