"""Everything beyond tools, through the official Python client: resources,
templates, prompts, completion, rich content, progress, logging, and the
plugin asking the client (sampling, elicitation, roots), over both transports
and in both protocol eras. The server side is `plugins/everything`.

In the 2025-11-25 era moat sends the plugin's questions to the client as
requests; in 2026-07-28 it answers "input required" and runs the request
again with the client's answers. The client code is the same for both."""

import base64
import shutil

import anyio
import pytest
from mcp import Client, StdioServerParameters, types
from mcp.shared.exceptions import MCPError

from conftest import built

pytestmark = pytest.mark.anyio

MODES = ["legacy", "2026-07-28"]


@pytest.fixture
def everything_dir(tmp_path):
    shutil.copy(built("MOAT_EVERYTHING_WASM"), tmp_path / "everything.wasm")
    return tmp_path


@pytest.fixture(params=["stdio", "http"])
def server(request, moat_bin, everything_dir, serve_http):
    if request.param == "stdio":
        return StdioServerParameters(command=moat_bin, args=["serve", "--plugins", str(everything_dir)])
    return serve_http(everything_dir).url


async def answer_sampling(context, params):
    asked = params.messages[0].content.text
    return types.CreateMessageResult(
        role="assistant",
        content=types.TextContent(type="text", text=f"an answer to: {asked}"),
        model="test-model",
        stopReason="endTurn",
    )


async def answer_elicitation(context, params):
    return types.ElicitResult(action="accept", content={"username": "ada", "email": "ada@example.com"})


def client(server, mode, **callbacks):
    return Client(
        server,
        mode=mode,
        read_timeout_seconds=30,
        sampling_callback=answer_sampling,
        elicitation_callback=answer_elicitation,
        **callbacks,
    )


@pytest.mark.parametrize("mode", MODES)
async def test_resources_and_templates(server, mode):
    async with client(server, mode) as c:
        uris = [r.uri for r in (await c.list_resources()).resources]
        assert "test://static-text" in uris and "test://static-binary" in uris, uris
        templates = [t.uri_template for t in (await c.list_resource_templates()).resource_templates]
        assert templates == ["test://template/{id}/data"]

        text = (await c.read_resource("test://static-text")).contents[0]
        assert text.text == "This is the content of the static text resource."
        assert text.mime_type == "text/plain"

        binary = (await c.read_resource("test://static-binary")).contents[0]
        assert binary.mime_type == "image/png"
        assert base64.b64decode(binary.blob).startswith(b"\x89PNG")

        templated = (await c.read_resource("test://template/4711/data")).contents[0]
        assert "4711" in templated.text

        with pytest.raises(MCPError) as missing:
            await c.read_resource("test://no-such-resource")
        assert missing.value.error.code == -32602
        assert missing.value.error.data == {"uri": "test://no-such-resource"}


@pytest.mark.parametrize("mode", MODES)
async def test_prompts_and_completion(server, mode):
    async with client(server, mode) as c:
        names = [p.name for p in (await c.list_prompts()).prompts]
        assert "test_simple_prompt" in names and "test_prompt_with_arguments" in names, names

        prompt = await c.get_prompt("test_prompt_with_arguments", {"arg1": "red", "arg2": "blue"})
        text = prompt.messages[0].content.text
        assert "red" in text and "blue" in text, text

        image = await c.get_prompt("test_prompt_with_image")
        assert image.messages[0].content.mime_type == "image/png"

        with pytest.raises(MCPError) as unknown:
            await c.get_prompt("no_such_prompt")
        assert unknown.value.error.code == -32602

        completed = await c.complete(
            types.PromptReference(type="ref/prompt", name="test_prompt_with_arguments"),
            {"name": "arg1", "value": "te"},
        )
        assert completed.completion.values, completed
        assert all(value.startswith("te") for value in completed.completion.values), completed


@pytest.mark.parametrize("mode", MODES)
async def test_rich_content_and_errors(server, mode):
    async with client(server, mode) as c:
        tools = [t.name for t in (await c.list_tools()).tools]
        assert tools[0] == "test_simple_text", tools

        image = (await c.call_tool("test_image_content", {})).content[0]
        assert image.type == "image" and image.mime_type == "image/png"

        audio = (await c.call_tool("test_audio_content", {})).content[0]
        assert audio.type == "audio" and audio.mime_type == "audio/wav"

        embedded = (await c.call_tool("test_embedded_resource", {})).content[0]
        assert embedded.type == "resource"
        assert embedded.resource.uri == "test://embedded-resource"

        mixed = (await c.call_tool("test_multiple_content_types", {})).content
        assert [item.type for item in mixed] == ["text", "image", "resource"]

        failed = await c.call_tool("test_error_handling", {})
        assert failed.is_error
        assert "intentionally" in failed.content[0].text


@pytest.mark.parametrize("mode", MODES)
async def test_the_plugin_asks_the_client(server, mode):
    async with client(server, mode) as c:
        sampled = await c.call_tool("test_sampling", {"prompt": "What is 2 + 2?"})
        assert not sampled.is_error, sampled
        assert "an answer to: What is 2 + 2?" in sampled.content[0].text

        elicited = await c.call_tool("test_elicitation", {"message": "Who are you?"})
        assert not elicited.is_error, elicited
        assert "ada@example.com" in elicited.content[0].text


@pytest.mark.parametrize("mode", MODES)
async def test_progress_and_log_messages_reach_the_client(server, mode):
    logged = []

    async def on_log(params):
        logged.append(params.data)

    extra = {"log_level": "debug"} if mode != "legacy" else {}
    async with client(server, mode, logging_callback=on_log, **extra) as c:
        progress = []

        async def on_progress(value, total, message):
            progress.append((value, total))

        result = await c.call_tool("test_tool_with_progress", {}, progress_callback=on_progress)
        assert not result.is_error, result
        assert [value for value, _ in progress] == [0, 50, 100], progress
        assert all(total == 100 for _, total in progress)

        if mode == "legacy":
            await c.set_logging_level("debug")
        await c.call_tool("test_tool_with_logging", {})
        assert logged == ["Tool execution started", "Tool processing data", "Tool execution completed"], logged


async def test_a_client_without_sampling_gets_a_clear_error(moat_bin, everything_dir):
    params = StdioServerParameters(command=moat_bin, args=["serve", "--plugins", str(everything_dir)])
    async with Client(params, mode="legacy", read_timeout_seconds=30) as c:
        result = await c.call_tool("test_sampling", {"prompt": "anyone?"})
        assert result.is_error
        assert "sampling" in result.content[0].text, result
        # Still serving.
        assert (await c.call_tool("test_simple_text", {})).content[0].text


async def test_a_subscribed_client_hears_that_a_resource_changed(server):
    updated = anyio.Event()

    async def on_message(message):
        if getattr(message, "method", None) == "notifications/resources/updated":
            assert message.params.uri == "test://watched-resource"
            updated.set()

    async with client(server, "legacy", message_handler=on_message) as c:
        await c.subscribe_resource("test://watched-resource")
        await c.call_tool("touch_watched_resource", {})
        with anyio.fail_after(10):
            await updated.wait()


async def test_a_stateless_client_listens_for_changes(moat_bin, everything_dir, serve_http):
    """2026-07-28 has no sessions: changes reach a client through a
    `subscriptions/listen` stream. With `--watch`, a new plugin's tools are
    announced there, and so is a resource a plugin says changed."""
    shutil.copy(built("MOAT_MATH_WASM"), everything_dir / "staged")
    url = serve_http(everything_dir, "--watch").url
    async with client(url, "2026-07-28") as c:
        async with c.listen(tools_list_changed=True, resource_subscriptions=["test://watched-resource"]) as changes:
            await c.call_tool("touch_watched_resource", {})
            with anyio.fail_after(10):
                event = await changes.__anext__()
            assert "test://watched-resource" in repr(event), event

            (everything_dir / "staged").rename(everything_dir / "math.wasm")
            with anyio.fail_after(30):
                event = await changes.__anext__()
            assert "tool" in repr(event).lower(), event
        assert "mul" in [t.name for t in (await c.list_tools()).tools]
