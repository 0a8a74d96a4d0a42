"""The `zwbot` command line."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import sys
from pathlib import Path

import click

from bot import __version__
from bot.config import load_settings
from bot.configuration import ConfigError


def _run(coroutine):  # type: ignore[no-untyped-def]
    # asyncio's own loop, not uvloop: under saturation (100 connections) uvloop served some
    # connections late, a p99 of 0.5–0.9 s against 72 ms here at the same throughput (make bench).
    return asyncio.run(coroutine)


def _echo_json(value: object) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2))


class _Commands(click.Group):
    """zwbot's commands: a config.yml that cannot be used is a clear message and exit status 1, not a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except ConfigError as error:
            raise click.ClickException(str(error)) from None


@click.group(cls=_Commands)
@click.version_option(__version__, prog_name="zwbot")
@click.option("-v", "--verbose", is_flag=True, help="详细日志")
def main(verbose: bool) -> None:
    """zwbot — 政务服务智能助手 (citizen self-service assistant)."""
    from bot.services.privacy import MaskingFilter

    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:  # on handlers: records of every logger pass them
        handler.addFilter(MaskingFilter())


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5005, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(min=1),
              help="工作进程数，共用同一端口（多于 1 个需要 PostgreSQL 和 Redis）")
def run(host: str, port: int, workers: int) -> None:
    """Run the service: web chat at /, the HTTP API and every configured channel."""
    from aiohttp import web

    from bot.assistant import Assistant
    from bot.server import DRAIN_SECONDS, AddressInUse, bind_listener, create_app, make_runner, until_stopped
    from bot.services.staff import ensure_first_admin

    settings = load_settings()
    if workers > 1 and not settings.shared:
        raise click.ClickException(
            "多个工作进程要共用全部状态：请把 ZWBOT_DATABASE_URL 设为 PostgreSQL，并设置 ZWBOT_REDIS_URL。"
            "使用 SQLite 或没有 Redis 时只能运行一个进程（--workers 1）。")
    try:
        listener = bind_listener(host, port)
    except AddressInUse:
        raise click.ClickException(f"端口 {host}:{port} 已被占用（可能已有一个 zwbot 在运行）。"
                                   "请先停止它，或用 --port 换一个端口。") from None

    async def prepare() -> Assistant:
        """Migrate, import, train (or load the model) and create the first admin: once, before any worker."""
        assistant = await Assistant.start(settings)
        report = assistant.report
        password_file = await ensure_first_admin(assistant.staff, settings.state_dir)
        if password_file is not None:
            click.echo(f"已创建工作台管理员 admin，初始密码已写入 {password_file}"
                       "（仅本用户可读；登录 /staff/ 后请更换密码并删除该文件）")
        if report.imported_items:
            click.echo(f"已从 {settings.knowledge_dir} 导入 {report.imported_items} 个事项")
        click.echo(f"知识库 {report.items} 个事项；NLU 训练 {report.train_seconds:.1f} 秒；"
                   f"启动用时 {report.total_seconds:.1f} 秒")
        return assistant

    async def serve(assistant: Assistant | None = None) -> None:
        assistant = assistant or await Assistant.start(settings)
        # Everything loaded so far lives as long as the process: keep the garbage collector from
        # walking it again and again under load.
        gc.collect()
        gc.freeze()
        runner = make_runner(create_app(settings, assistant), settings)
        await runner.setup()
        await web.SockSite(runner, listener, shutdown_timeout=DRAIN_SECONDS).start()
        click.echo(f"zwbot 已启动：http://{host}:{port}/  （Ctrl+C 退出）")
        try:
            await until_stopped()
        finally:
            # Stop accepting, let turns in flight finish, then write the turn log and conversations.
            await runner.cleanup()
            await assistant.close()
            click.echo("zwbot 已停止：进行中的消息已处理完毕，记录已写入数据库。")

    async def prepared_and_closed() -> None:
        await (await prepare()).close()

    async def one_worker() -> None:
        await serve(await prepare())

    if workers == 1:
        try:
            _run(one_worker())
        except KeyboardInterrupt:
            pass
        return
    _run(prepared_and_closed())
    from bot.workers import supervise

    supervise(workers, lambda: _run(serve()))


@main.command()
@click.option("--url", default="http://127.0.0.1:5005", show_default=True, help="正在运行的 zwbot（仅限本机）")
@click.option("--citizens", default=200, show_default=True, type=click.IntRange(1, 2000), help="模拟群众人数")
@click.option("--concurrency", default=200, show_default=True, type=click.IntRange(min=1), help="同时在线的人数")
@click.option("--seconds", default=300.0, show_default=True, type=click.FloatRange(1, 3600), help="最长运行时间")
@click.option("--api-port", type=click.IntRange(1, 65535), help="在此端口模拟微信客服消息接口（被测 zwbot 的 "
              "ZWBOT_WECHAT_API_BASE 指向这里）：超过 5 秒的答复经接口送达")
@click.option("--json", "as_json", is_flag=True)
def loadtest(url: str, citizens: int, concurrency: int, seconds: float, api_port: int | None, as_json: bool) -> None:
    """Simulate citizens over WeChat's wire format against a running zwbot, then check what it kept.

    The running zwbot and this command need the same ZWBOT_WECHAT_TOKEN, ZWBOT_WECHAT_AES_KEY and
    ZWBOT_WECHAT_APPID (safe mode) and the same ZWBOT_DATABASE_URL; exit status 1 when a check fails."""
    from bot.channels.wechat.settings import wechat_settings
    from bot.loadtest import LoadTestError, format_report, run_load
    from bot.services.tickets import TicketService
    from bot.vocabulary import TicketKind

    settings = load_settings()
    wechat = wechat_settings(settings)
    if wechat is None or not wechat.aes_key or not wechat.app_id:
        raise click.ClickException("压力测试按微信安全模式发送消息：请设置与被测 zwbot 相同的 ZWBOT_WECHAT_TOKEN、"
                                   "ZWBOT_WECHAT_AES_KEY 和 ZWBOT_WECHAT_APPID")

    async def tickets_of(openids: list[str]) -> dict[str, list[str]]:
        async def numbers(database):  # type: ignore[no-untyped-def]
            return await TicketService(database).numbers_of("wechat", openids, TicketKind.COMPLAINT)

        return await _with_database(numbers)

    try:
        report = _run(run_load(url, citizens, concurrency, seconds, wechat.token, wechat.aes_key, wechat.app_id,
                               tickets_of, api_port))
    except LoadTestError as error:
        raise click.ClickException(str(error)) from None
    if as_json:
        _echo_json(report.as_dict())
    else:
        click.echo(format_report(report))
    if not report.passed:
        sys.exit(1)


@main.command()
@click.option("--sender", default="shell", show_default=True)
def shell(sender: str) -> None:
    """Chat with zwbot in the terminal."""
    from bot.assistant import Assistant

    async def chat() -> None:
        assistant = await Assistant.start(load_settings())
        click.echo("请输入问题（输入 /quit 退出）")
        try:
            while True:
                try:
                    text = await asyncio.to_thread(input, "您：")
                except EOFError:
                    break
                if text.strip() in ("/quit", "/exit"):
                    break
                for reply in await assistant.handle(text, sender, "shell"):
                    click.echo(f"助手：{reply.text}")
                    for button in reply.buttons:
                        click.echo(f"   [{button['title']}]  → 输入：{button['payload']}")
        finally:
            await assistant.close()

    _run(chat())


@main.command()
def train() -> None:
    """Train the NLU model from nlu_data/ and the knowledge base, and report its size and time."""
    import time

    from bot.assistant import load_knowledge_base
    from bot.nlu.model import save, train_model
    from bot.nlu.training_data import read_path

    settings = load_settings()
    knowledge = _run(load_knowledge_base(settings))
    data = read_path(settings.nlu_data_dir)
    started = time.perf_counter()
    model = train_model(data, knowledge.items, knowledge.department_aliases(), settings.config)
    seconds = time.perf_counter() - started
    path = save(model, settings.state_dir / "models")
    _echo_json({"model": str(path), "train_seconds": round(seconds, 3), "examples": len(data.examples),
                "items": len(knowledge.items), "intents": model.classifier.intents})


@main.group("test")
def test_group() -> None:
    """Evaluate models."""


@test_group.command("nlu")
@click.option("--train", "train_file", type=click.Path(exists=True, path_type=Path), help="Rasa 格式训练文件")
@click.option("--test", "test_file", type=click.Path(exists=True, path_type=Path), help="Rasa 格式测试文件")
@click.option("--cross-validation", "folds", type=int, default=0, help="在 nlu_data/ 上做 N 折交叉验证")
@click.option("--calibrate", is_flag=True,
              help="在训练数据（含语料训练部分）上交叉验证，给出 config.yml thresholds.fallback 的各意图阈值")
@click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象")
def test_nlu(train_file: Path | None, test_file: Path | None, folds: int, calibrate: bool, as_json: bool) -> None:
    """Intent accuracy, macro-F1, per-intent report and confusions (out-of-scope precision/recall when the
    test data has out_of_scope); with --calibrate, the fallback thresholds tuned on training data."""
    from bot.nlu.evaluation import cross_validate, evaluate_files, format_report
    from bot.nlu.training_data import TrainingDataError

    settings = load_settings()
    if calibrate:
        from bot.assistant import load_knowledge_base
        import yaml

        from bot.nlu.evaluation import calibrate_fallback
        from bot.nlu.training_data import read_path

        knowledge = _run(load_knowledge_base(settings))
        result = calibrate_fallback(read_path(settings.nlu_data_dir), knowledge.items,
                                    knowledge.department_aliases(), settings.config)
        if as_json:
            _echo_json(result)
        else:
            click.echo(yaml.safe_dump({"fallback": result["fallback"]}, allow_unicode=True,
                                      default_flow_style=None, sort_keys=False))
        return
    try:
        if folds:
            report = cross_validate(settings.nlu_data_dir, folds, settings.config)
        elif train_file and test_file:
            report = evaluate_files(train_file, test_file, settings.config)
        else:
            raise click.UsageError("请给出 --train 和 --test，或 --cross-validation N")
    except TrainingDataError as error:
        raise click.ClickException(str(error)) from error
    if as_json:
        _echo_json(report)
    else:
        click.echo(format_report(report))


@test_group.command("guide")
@click.option("--file", "questions_file", required=True, type=click.Path(exists=True, path_type=Path),
              help="YAML 或 CSV：question, items（可接受的事项编码，空 = 非本中心业务）, aspect")
@click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象")
def test_guide(questions_file: Path, as_json: bool) -> None:
    """Guide questions: item@1, item@3, aspect accuracy, out-of-scope precision/recall, and the misses."""
    from bot.assistant import load_knowledge_base, train_interpreter
    from bot.nlu.guide_evaluation import GuideQuestionsError, evaluate, format_guide_report, read_guide_questions

    try:
        questions = read_guide_questions(questions_file)
    except GuideQuestionsError as error:
        raise click.ClickException(str(error)) from error
    settings = load_settings()
    interpreter = train_interpreter(settings, _run(load_knowledge_base(settings)))
    report = evaluate(questions, interpreter.parse)
    if as_json:
        _echo_json(report)
    else:
        click.echo(format_guide_report(report))


@main.group()
def kb() -> None:
    """Knowledge base: import, export, validate, search."""


@kb.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["zwbot", "gd-jsonl", "csv"]), default="zwbot", show_default=True)
@click.option("--replace", is_flag=True, help="先删除现有全部事项")
def kb_import(path: Path, fmt: str, replace: bool) -> None:
    """Import items; nothing is written when any record has a problem."""
    from bot.services.importers import FORMATS
    from bot.services.knowledge import KnowledgeService
    from bot.storage import Database

    batch = FORMATS[fmt](path)
    if not batch.ok:
        for problem in batch.problems[:200]:
            click.echo(str(problem), err=True)
        raise click.ClickException(f"发现 {len(batch.problems)} 处问题，未导入任何记录")

    async def store() -> int:
        database = Database(load_settings().database_url)
        try:
            await database.migrate()
            return await KnowledgeService(database).store(batch, replace=replace)
        finally:
            await database.close()

    count = _run(store())
    click.echo(f"已导入 {count} 个事项、{len(batch.departments)} 个部门" + ("（已替换原有事项）" if replace else ""))


@kb.command("export")
@click.argument("path", type=click.Path(path_type=Path), default="knowledge-export")
@click.option("--format", "fmt", type=click.Choice(["zwbot", "csv"]), default="zwbot", show_default=True)
def kb_export(path: Path, fmt: str) -> None:
    """Export the knowledge base from the database."""
    from bot.assistant import load_knowledge_base
    from bot.services.importers import write_csv_template, write_zwbot_folder

    knowledge = _run(load_knowledge_base(load_settings()))
    items = list(knowledge.items.values())
    if fmt == "csv":
        write_csv_template(path, items)
        click.echo(f"已导出 {len(items)} 个事项到 {path}")
    else:
        files = write_zwbot_folder(path, items, list(knowledge.departments.values()), knowledge.centre)
        click.echo(f"已导出 {len(items)} 个事项到 {path}（{len(files)} 个文件）")


@kb.command("validate")
@click.argument("path", type=click.Path(exists=True, path_type=Path), required=False)
@click.option("--format", "fmt", type=click.Choice(["zwbot", "gd-jsonl", "csv"]), default="zwbot", show_default=True)
def kb_validate(path: Path | None, fmt: str) -> None:
    """Check a knowledge source (default: knowledge/) without importing it."""
    from bot.services.importers import FORMATS

    path = path or load_settings().knowledge_dir
    batch = FORMATS[fmt](path)
    for problem in batch.problems:
        click.echo(str(problem))
    if not batch.ok:
        raise click.ClickException(f"{len(batch.problems)} 处问题")
    click.echo(f"通过：{len(batch.items)} 个事项，{len(batch.departments)} 个部门")


@kb.command("search")
@click.argument("text")
@click.option("--json", "as_json", is_flag=True)
def kb_search(text: str, as_json: bool) -> None:
    """Which items a question finds, with scores."""
    from bot.assistant import load_knowledge_base, train_interpreter

    settings = load_settings()
    knowledge = _run(load_knowledge_base(load_settings()))
    result = train_interpreter(settings, knowledge).parse(text)
    if as_json:
        _echo_json(result.as_dict()["guide"])
        return
    click.echo(f"方面：{result.aspect or '-'}")
    for candidate in result.candidates:
        click.echo(f"{candidate.score:8.2f}  {candidate.item_id}  {candidate.name}")
    if not result.candidates:
        click.echo("没有找到相关事项")


async def _with_database(work):  # type: ignore[no-untyped-def]
    """Run `work(database)` against the configured database, migrated."""
    from bot.storage import Database

    database = Database(load_settings().database_url)
    try:
        await database.migrate()
        return await work(database)
    finally:
        await database.close()


@main.group()
def cases() -> None:
    """Cases from the approval system."""


@cases.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
def cases_import(path: Path) -> None:
    """Import cases (CSV: case_no,item_id,applicant,phone,status,accepted_at,promised_at,updated_at,note)."""
    from bot.services.cases import CaseService, read_cases_csv

    records, problems = read_cases_csv(path)
    if problems:
        for problem in problems[:200]:
            click.echo(str(problem), err=True)
        raise click.ClickException(f"发现 {len(problems)} 处问题，未导入任何记录")

    async def store(database):  # type: ignore[no-untyped-def]
        return await CaseService(database).record(records)

    new = _run(_with_database(store))
    click.echo(f"已导入 {new} 条办件状态（{len(records) - new} 条此前已导入）")


@main.group()
def tickets() -> None:
    """Complaint, suggestion and rectification tickets."""


@tickets.command("list")
@click.option("--department", help="只看一个部门")
@click.option("--json", "as_json", is_flag=True)
def tickets_list(department: str | None, as_json: bool) -> None:
    """Number, kind, department, status, created, due, overdue."""
    from bot.services.tickets import TicketService
    from bot.vocabulary import TicketKind
    from bot.storage.cipher import load_cipher

    cipher = load_cipher(load_settings().state_dir)

    async def fetch(database):  # type: ignore[no-untyped-def]
        return await TicketService(database, cipher=cipher).list(department)

    views = _run(_with_database(fetch))
    if as_json:
        _echo_json([v.as_dict() for v in views])
        return
    for v in views:
        click.echo(f"{v.number}  {TicketKind(v.kind).label}  {v.department}  {v.status}  "
                   f"{v.created_at:%Y-%m-%d %H:%M}  到期 {v.due_at}{'  已超期' if v.overdue else ''}")
    if not views:
        click.echo("暂无工单")


PERSONAL_TABLES = {"turns": "对话记录", "conversations": "会话状态", "unanswered_questions": "未答问题",
                   "handoffs": "人工服务", "handoff_messages": "人工服务消息", "notifications": "通知",
                   "case_subscriptions": "办件订阅", "verification_attempts": "办件核验记录",
                   "login_attempts": "工作人员登录记录", "tickets": "工单", "ratings": "评价"}


@main.command()
@click.option("--older-than", "days", type=click.IntRange(min=0), help="删除多少天以前的记录（默认 config.yml 的 "
              "privacy.keep_days）")
def purge(days: int | None) -> None:
    """Delete old turns, conversations, unanswered questions, attempts, notifications and hand-offs."""
    from datetime import timedelta

    from bot.services.citizens import CitizenData
    from bot.services.staff import StaffService

    settings = load_settings()
    if days is None:
        days = settings.config.privacy.keep_days

    async def work(database):  # type: ignore[no-untyped-def]
        counts = await CitizenData(database).purge(timedelta(days=days))
        await StaffService(database).audit("cli", "purge", f"older_than:{days}d",
                                           json.dumps(counts, ensure_ascii=False))
        return counts

    counts = _run(_with_database(work))
    click.echo(f"已删除 {days} 天以前的记录：")
    for table, count in counts.items():
        click.echo(f"  {PERSONAL_TABLES.get(table, table)}  {count} 条")


@main.group()
def citizen() -> None:
    """One citizen's personal data: export it, delete it (个人信息保护法)."""


def _citizen_options(command):  # type: ignore[no-untyped-def]
    command = click.option("--sender", required=True, help="群众在该渠道的标识（如 openid）")(command)
    return click.option("--channel", required=True, help="渠道（rest、webchat、wechat、weibo、telegram …）")(command)


@citizen.command("export")
@_citizen_options
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="写入文件（默认输出到屏幕）")
def citizen_export(channel: str, sender: str, output: Path | None) -> None:
    """Everything held about one citizen, as JSON."""
    from bot.services.citizens import CitizenData, citizen_reference
    from bot.services.staff import StaffService
    from bot.storage.cipher import load_cipher

    cipher = load_cipher(load_settings().state_dir)

    async def work(database):  # type: ignore[no-untyped-def]
        data = await CitizenData(database, cipher).export(channel, sender)
        await StaffService(database).audit("cli", "citizen_export", citizen_reference(channel, sender),
                                           str(output or "stdout"))
        return data

    text = json.dumps(_run(_with_database(work)), ensure_ascii=False, indent=2)
    if output is None:
        click.echo(text)
        return
    try:
        output.write_text(text + "\n", encoding="utf-8")
    except OSError as error:
        raise click.ClickException(f"无法写入 {output}：{error}") from error
    output.chmod(0o600)  # it holds what the citizen told us
    click.echo(f"已写入 {output}")


@citizen.command("delete")
@_citizen_options
@click.option("--yes", is_flag=True, help="不再确认")
def citizen_delete(channel: str, sender: str, yes: bool) -> None:
    """Remove everything held about one citizen; their tickets stay with the identity masked."""
    from bot.services.citizens import CitizenData, citizen_reference
    from bot.services.staff import StaffService

    if not yes:
        click.confirm(f"删除 {channel} 渠道群众 {sender} 的全部个人信息？此操作不可撤销", abort=True)

    async def work(database):  # type: ignore[no-untyped-def]
        removal = await CitizenData(database).delete(channel, sender)
        await StaffService(database).audit("cli", "citizen_delete", citizen_reference(channel, sender),
                                           json.dumps(removal.as_dict(), ensure_ascii=False))
        return removal

    removal = _run(_with_database(work))
    click.echo(f"已删除 {channel} 渠道该群众的个人信息：")
    for table, count in removal.deleted.items():
        click.echo(f"  {PERSONAL_TABLES.get(table, table)}  删除 {count} 条")
    for table, count in removal.anonymised.items():
        click.echo(f"  {PERSONAL_TABLES.get(table, table)}  保留 {count} 条（身份已去除）")


@main.group()
def staff() -> None:
    """Staff console accounts."""


@staff.command("add-user")
@click.argument("username")
@click.option("--role", type=click.Choice(["admin", "supervisor", "department"]), default="department",
              show_default=True)
@click.option("--department", help="部门工作人员所属部门（如 市民政局）")
@click.option("--name", "display_name", default="", help="显示的姓名")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True, help="至少 8 位")
def staff_add_user(username: str, role: str, department: str | None, display_name: str, password: str) -> None:
    """Create a staff user (or reset one's password and role)."""
    from bot.services.staff import StaffService

    async def add(database):  # type: ignore[no-untyped-def]
        await StaffService(database).add_user(username, password, role, display_name, department)

    try:
        _run(_with_database(add))
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"已保存工作人员 {username}（{role}{'，' + department if department else ''}）")


@main.group()
def ratings() -> None:
    """好差评 ratings."""


@ratings.command("stats")
@click.option("--json", "as_json", is_flag=True)
def ratings_stats(as_json: bool) -> None:
    """Counts per level and the satisfaction rate."""
    from bot.services.ratings import RatingService
    from bot.services.tickets import TicketService

    async def fetch(database):  # type: ignore[no-untyped-def]
        return await RatingService(database, TicketService(database)).stats()

    stats = _run(_with_database(fetch))
    if as_json:
        _echo_json(stats.as_dict())
        return
    for level, count in stats.counts.items():
        click.echo(f"{level:<8}{count:>6}")
    rate = "—" if stats.satisfaction_rate is None else f"{stats.satisfaction_rate:.1%}"
    click.echo(f"共 {stats.total} 条，满意率 {rate}")


@main.command()
@click.option("--from", "start", required=True, type=click.DateTime(["%Y-%m-%d"]), help="起始日期 YYYY-MM-DD")
@click.option("--to", "end", required=True, type=click.DateTime(["%Y-%m-%d"]), help="截止日期（含当天）")
@click.option("--format", "fmt", type=click.Choice(["text", "csv", "xlsx", "json"]), default="text", show_default=True)
@click.option("--output", type=click.Path(path_type=Path), help="写入文件（xlsx 必须指定）")
def report(start, end, fmt: str, output: Path | None) -> None:  # type: ignore[no-untyped-def]
    """The statistics a centre reports each month or year."""
    from bot.services.knowledge import KnowledgeService
    from bot.services.statistics import centre_report

    if end < start:
        raise click.BadParameter("截止日期早于起始日期", param_hint="--to")
    if fmt == "xlsx" and output is None:
        raise click.BadParameter("xlsx 格式需要 --output 文件名", param_hint="--output")

    async def build(database):  # type: ignore[no-untyped-def]
        knowledge = await KnowledgeService(database).load()
        names = {item_id: record["name"] for item_id, record in knowledge.items.items()}
        return await centre_report(database, start.date(), end.date(), names)

    result = _run(_with_database(build))
    if fmt == "xlsx" and output is not None:
        output.write_bytes(result.xlsx())
        click.echo(f"已写入 {output}")
        return
    if fmt == "json":
        text = json.dumps([{"section": a, "measure": b, "value": c} for a, b, c in result.rows()], ensure_ascii=False,
                          indent=2)
    elif fmt == "csv":
        text = result.csv()
    else:
        text = "\n".join(f"{section:<8}{measure:<30}{value}" for section, measure, value in result.rows())
    if output:
        output.write_text(text, encoding="utf-8")
        click.echo(f"已写入 {output}")
    else:
        click.echo(text)


@main.group()
def wechat() -> None:
    """WeChat Official Account: the custom menu."""


@wechat.command("menu")
@click.option("--file", "menu_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="菜单所在的 YAML 文件（默认项目的 wechat.yml）")
@click.option("--push", is_flag=True, help="安装到公众号（调用微信 menu/create 接口）")
def wechat_menu(menu_file: Path | None, push: bool) -> None:
    """Show the menu as WeChat will receive it; with --push, install it."""
    from bot.channels.wechat import make_api, wechat_settings
    from bot.channels.wechat.api import WeChatApiError
    from bot.channels.wechat.settings import menu_for_wechat, menu_problems, read_wechat_yml

    settings = load_settings()
    path = menu_file or settings.project_dir / "wechat.yml"
    try:
        menu = read_wechat_yml(path).get("menu") or {}
    except Exception as error:  # noqa: BLE001 - unreadable YAML: say which file and why
        raise click.ClickException(f"无法读取 {path}：{error}") from error
    problems = menu_problems(menu)
    if problems:
        raise click.ClickException(f"{path} 中的菜单有问题：\n" + "\n".join(problems))
    if not push:
        _echo_json(menu_for_wechat(menu))
        return
    channel = wechat_settings(settings)
    if channel is None or not channel.can_send:
        raise click.ClickException("未配置公众号：请设置 ZWBOT_WECHAT_TOKEN、ZWBOT_WECHAT_APPID 和 ZWBOT_WECHAT_SECRET")

    async def push_menu() -> None:
        api = make_api(channel, settings.redis_url)
        try:
            await api.create_menu(menu_for_wechat(menu))
        finally:
            await api.close()

    try:
        _run(push_menu())
    except WeChatApiError as error:
        raise click.ClickException(f"微信拒绝了菜单：{error}") from error
    except OSError as error:
        raise click.ClickException(f"无法连接微信接口 {channel.api_base}：{error}") from error
    click.echo(f"已安装公众号菜单（{len(menu.get('button', []))} 个一级菜单）")


@main.command()
@click.option("--quick", is_flag=True, help="更短的测量（用于测试）")
@click.option("--json", "as_json", is_flag=True)
def bench(quick: bool, as_json: bool) -> None:
    """Measure training, parse and turn speed, memory and cold start on this machine."""
    from bot.bench import format_bench, run_bench

    report = run_bench(load_settings(), quick=quick)
    if as_json:
        _echo_json(report)
    else:
        click.echo(format_bench(report))


if __name__ == "__main__":
    sys.exit(main())
