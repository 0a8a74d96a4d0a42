"""`zwbot loadtest`: many citizens at once over WeChat's real wire format, against a running zwbot.

Each simulated citizen holds one realistic conversation of ten messages: a guide question and a
follow-up, a complaint to its end, a progress query of that complaint (answered only to its own
citizen), thanks and a 好差评 rating. Messages go as WeChat sends them: safe mode (AES, msg_signature), one MsgId each,
and WeChat's retry: no answer within 5 s → the same message again, three tries at most. A citizen
told the system is busy (the database or Redis is away) sends the same text again a moment later,
as the answer asks.

The report gives throughput, p50/p99 latency, timeouts and retries, and two checks: every reply came
in order (each matches the message it answers), and every complaint acknowledged to a citizen exists
exactly once in the database. Loopback only, bounded in citizens and seconds.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import statistics
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

MAX_CITIZENS = 2000
WECHAT_TIMEOUT = 5.0  # WeChat waits this long for an answer, then retries
WECHAT_TRIES = 3
BUSY_MARK = "系统繁忙"  # domain.yml's utter_busy: "send it again later"
BUSY_PAUSE = 1.0  # seconds a citizen waits before sending again
BUSY_RESENDS = 30
_TICKET = re.compile(r"TS\d{8}-\d{4,}")

# (message, what its answer must contain): the conversation every simulated citizen holds. "{ticket}" is
# the complaint number the citizen was just given (the progress query that checks it is theirs).
CONVERSATION: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("老人证要带啥", ("老年人优待证", "材料")),
    ("那要多久？", ("办理时限",)),
    ("我要投诉，窗口工作人员态度恶劣，让我跑了三趟", ("部门或窗口",)),
    ("二楼3号窗口", ("什么时间",)),
    ("昨天上午", ("电话",)),
    ("13912345678", ("请核对您的投诉",)),
    ("确认", ("工单编号",)),
    ("查一下{ticket}的进度", ("{ticket}", "待受理")),
    ("谢谢", ("评价",)),
    ("1", ("感谢您的评价",)),
)


class LoadTestError(Exception):
    """The load test cannot run as asked (not loopback, WeChat channel off, too large)."""


@dataclass
class CitizenRun:
    openid: str
    latencies: list[float] = field(default_factory=list)
    retries: int = 0
    timeouts: int = 0
    busy: int = 0  # busy answers, each followed by the same message again
    server_errors: int = 0  # HTTP 5xx answers
    out_of_order: list[str] = field(default_factory=list)  # "step n: what came instead"
    ticket: str | None = None


@dataclass
class LoadReport:
    citizens: int
    messages: int
    seconds: float
    p50_ms: float
    p99_ms: float
    retries: int
    timeouts: int
    busy: int
    server_errors: int
    out_of_order: int
    acknowledged: int  # complaints whose number a citizen was given
    filed_once: int  # of those, found exactly once in the database
    duplicates: int  # complaints of the load test's citizens beyond one each
    examples: list[str]

    @property
    def throughput(self) -> float:
        return self.messages / self.seconds if self.seconds else 0.0

    @property
    def passed(self) -> bool:
        return (self.timeouts == 0 and self.server_errors == 0 and self.out_of_order == 0 and self.duplicates == 0
                and self.filed_once == self.acknowledged == self.citizens)

    def as_dict(self) -> dict[str, Any]:
        return {"citizens": self.citizens, "messages": self.messages, "seconds": round(self.seconds, 2),
                "throughput": round(self.throughput, 1), "p50_ms": round(self.p50_ms, 1),
                "p99_ms": round(self.p99_ms, 1), "retries": self.retries, "timeouts": self.timeouts,
                "busy": self.busy, "server_errors": self.server_errors, "out_of_order": self.out_of_order, "acknowledged": self.acknowledged,
                "filed_once": self.filed_once, "duplicates": self.duplicates, "passed": self.passed,
                "examples": self.examples}


class WeChatSimulator:
    """What WeChat's servers send to the account's URL, signed and encrypted as they do it."""

    def __init__(self, url: str, token: str, aes_key: str, app_id: str, account: str = "gh_loadtest") -> None:
        from wechatpy.crypto import WeChatCrypto

        self.url = url.rstrip("/") + "/webhooks/wechat"
        self.crypto = WeChatCrypto(token, aes_key, app_id)
        self.account = account
        self._ids = itertools.count(int(time.time() * 1000))

    def next_msg_id(self) -> int:
        return next(self._ids)

    def envelope(self, openid: str, content: str, msg_id: int) -> tuple[dict[str, str], bytes]:
        """(query, body) of one text message; a retry sends the same MsgId with a fresh signature."""
        import xmltodict

        message = (f"<xml><ToUserName><![CDATA[{self.account}]]></ToUserName>"
                   f"<FromUserName><![CDATA[{openid}]]></FromUserName><CreateTime>{int(time.time())}</CreateTime>"
                   f"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{escape(content)}]]></Content>"
                   f"<MsgId>{msg_id}</MsgId></xml>")
        timestamp, nonce = str(int(time.time())), str(self.next_msg_id() % 10**9)
        sealed = xmltodict.parse(self.crypto.encrypt_message(message, nonce, timestamp))["xml"]
        body = (f"<xml><ToUserName><![CDATA[{self.account}]]></ToUserName>"
                f"<Encrypt><![CDATA[{sealed['Encrypt']}]]></Encrypt></xml>").encode()
        return {"msg_signature": sealed["MsgSignature"], "timestamp": timestamp, "nonce": nonce,
                "encrypt_type": "aes", "openid": openid}, body

    def reply_text(self, answer: str) -> str:
        """The text of a passive reply ('' for WeChat's `success` / empty answer)."""
        import xmltodict
        from wechatpy import parse_message
        from wechatpy.utils import to_text

        if answer in ("", "success"):
            return ""
        sealed = xmltodict.parse(answer)["xml"]
        plain = to_text(self.crypto.decrypt_message(answer, sealed["MsgSignature"], sealed["TimeStamp"],
                                                    sealed["Nonce"]))
        return str(parse_message(plain).content)


class CustomerServiceSink:
    """WeChat's customer-service API on loopback (token and message/custom/send), for a zwbot started with
    ZWBOT_WECHAT_API_BASE pointing here: an answer not ready within WeChat's 5 s comes this way, and the
    load test waits for it as a citizen would."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._inbox: dict[str, asyncio.Queue[str]] = {}
        self._runner: Any = None

    def inbox(self, openid: str) -> asyncio.Queue[str]:
        return self._inbox.setdefault(openid, asyncio.Queue())

    async def start(self) -> None:
        from aiohttp import web

        async def token(request: web.Request) -> web.Response:
            return web.json_response({"access_token": "loadtest-token", "expires_in": 7200})

        async def custom_send(request: web.Request) -> web.Response:
            body = await request.json()
            self.inbox(str(body.get("touser", ""))).put_nowait(str((body.get("text") or {}).get("content", "")))
            return web.json_response({"errcode": 0, "errmsg": "ok"})

        app = web.Application()
        app.router.add_get("/cgi-bin/token", token)
        app.router.add_post("/cgi-bin/message/custom/send", custom_send)
        app.router.add_post("/cgi-bin/message/template/send", custom_send)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


API_WAIT = 15.0  # how long a citizen waits for an answer that comes by the customer-service API


async def _converse(http: Any, wechat: WeChatSimulator, openid: str, deadline: float,
                    sink: CustomerServiceSink | None = None) -> CitizenRun:
    run = CitizenRun(openid)
    for step, (template, wanted) in enumerate(CONVERSATION, 1):
        if time.monotonic() > deadline:
            break
        text = template.format(ticket=run.ticket or "TS00000000-0000")
        expected = tuple(word.format(ticket=run.ticket or "?") for word in wanted)
        started = time.perf_counter()
        reply: str | None = None
        for _ in range(BUSY_RESENDS):
            reply = await _send(http, wechat, openid, text, run, sink)
            if reply is None or BUSY_MARK not in reply:
                break
            run.busy += 1
            await asyncio.sleep(BUSY_PAUSE)
        run.latencies.append(time.perf_counter() - started)
        if reply is None:
            run.timeouts += 1
            continue
        if not all(word in reply for word in expected):
            run.out_of_order.append(f"{openid} 第 {step} 条“{text}”收到：{reply[:60]!r}")
        found = _TICKET.search(reply)
        if template == "确认" and found:
            run.ticket = found.group(0)
    return run


async def _send(http: Any, wechat: WeChatSimulator, openid: str, text: str, run: CitizenRun,
                sink: CustomerServiceSink | None) -> str | None:
    """One message as WeChat delivers it (retried when unanswered); the answer, None when none came."""
    import aiohttp

    msg_id = wechat.next_msg_id()
    reply: str | None = None
    for attempt in range(WECHAT_TRIES):
        query, body = wechat.envelope(openid, text, msg_id)
        try:
            async with http.post(wechat.url, params=query, data=body,
                                 timeout=aiohttp.ClientTimeout(total=WECHAT_TIMEOUT)) as response:
                answer = await response.text()
                if response.status >= 500:
                    run.server_errors += 1
                reply = wechat.reply_text(answer) if response.status == 200 else f"HTTP {response.status}"
            break
        except (asyncio.TimeoutError, aiohttp.ClientError):
            if attempt + 1 < WECHAT_TRIES:
                run.retries += 1
    if reply == "" and sink is not None:  # answered "success": the answer comes by the API
        try:
            reply = await asyncio.wait_for(sink.inbox(openid).get(), API_WAIT)
        except asyncio.TimeoutError:
            reply = None
    return reply


def _loopback(url: str) -> None:
    host = urlsplit(url).hostname or ""
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise LoadTestError(f"压力测试只对本机运行的 zwbot 进行（127.0.0.1），不能对 {host or url} 进行")


async def run_load(url: str, citizens: int, concurrency: int, seconds: float, token: str, aes_key: str,
                   app_id: str, tickets_of: Any, api_port: int | None = None) -> LoadReport:
    """Run the load; `tickets_of(openids)` returns {openid: [ticket numbers]} from the database;
    `api_port`: serve WeChat's customer-service API there for the run (see CustomerServiceSink)."""
    import aiohttp

    _loopback(url)
    if not 1 <= citizens <= MAX_CITIZENS:
        raise LoadTestError(f"模拟群众人数应在 1–{MAX_CITIZENS} 之间")
    wechat = WeChatSimulator(url, token, aes_key, app_id)
    stamp = int(time.time())
    openids = [f"o-load-{stamp}-{n:05d}" for n in range(citizens)]
    gate = asyncio.Semaphore(max(1, concurrency))
    deadline = time.monotonic() + seconds

    sink = CustomerServiceSink(api_port) if api_port else None
    if sink is not None:
        await sink.start()
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=max(1, concurrency))) as http:
            async def citizen(openid: str) -> CitizenRun:
                async with gate:
                    return await _converse(http, wechat, openid, deadline, sink)

            started = time.perf_counter()
            runs = await asyncio.gather(*(citizen(openid) for openid in openids))
            elapsed = time.perf_counter() - started
    finally:
        if sink is not None:
            await sink.close()

    latencies = sorted(latency for run in runs for latency in run.latencies)
    filed = await tickets_of(openids)
    acknowledged = [run for run in runs if run.ticket]
    filed_once = sum(1 for run in acknowledged if filed.get(run.openid) == [run.ticket])
    duplicates = sum(max(len(numbers) - 1, 0) for numbers in filed.values())
    wrong = [line for run in runs for line in run.out_of_order]
    return LoadReport(citizens, len(latencies), elapsed,
                      statistics.median(latencies) * 1000 if latencies else 0.0,
                      latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000 if latencies else 0.0,
                      sum(run.retries for run in runs), sum(run.timeouts for run in runs), sum(run.busy for run in runs),
                      sum(run.server_errors for run in runs), len(wrong),
                      len(acknowledged), filed_once, duplicates, wrong[:5])


def format_report(report: LoadReport) -> str:
    lines = [f"模拟群众 {report.citizens} 人，消息 {report.messages} 条，用时 {report.seconds:.1f} 秒，"
             f"吞吐 {report.throughput:.0f} 条/秒",
             f"延迟 p50 {report.p50_ms:.0f} ms，p99 {report.p99_ms:.0f} ms；重试 {report.retries} 次，超时 {report.timeouts} 条，"
             f"“系统繁忙”后重发 {report.busy} 次，服务器错误（5xx）{report.server_errors} 次",
             f"答复顺序错乱 {report.out_of_order} 条；已告知群众的投诉 {report.acknowledged} 件，"
             f"其中数据库中恰有一件的 {report.filed_once} 件，重复登记 {report.duplicates} 件",
             "结论：" + ("通过" if report.passed else "未通过")]
    lines += [f"  {example}" for example in report.examples]
    return "\n".join(lines)
