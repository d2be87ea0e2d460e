"""Claude Code's hook dispatch as its hooks documentation describes it, for tests.

  claude_hooks.py dispatch SETTINGS EVENTS   for each payload in the JSON list EVENTS, runs every
                                             command hook of SETTINGS (a settings.json) whose
                                             matcher matches, through `sh -c`, the payload on
                                             stdin; prints "<event> <hooks run>" per payload
  claude_hooks.py --version                  answers as `claude --version` does
  claude_hooks.py [ARGS...]                  a stand-in for `claude` in a sprite: one turn
                                             (UserPromptSubmit, PreToolUse, Stop) dispatched
                                             through ~/.claude/settings.json, then the idle
                                             reminder Claude sends after Stop, then
                                             ~/idle-reminder-sent, then it waits

Matching, as documented: a tool event's matcher is matched against `tool_name`, Notification's
against `notification_type`, SessionStart's against `source`; UserPromptSubmit and Stop take no
matcher (every group runs). "*", "" or no matcher match everything; anything else is a regular
expression that must match the whole value.
"""
import json
import os
import re
import subprocess
import sys
import time

MATCH_FIELD = {
    "PreToolUse": "tool_name", "PostToolUse": "tool_name", "PermissionRequest": "tool_name",
    "Notification": "notification_type", "SessionStart": "source", "PreCompact": "trigger",
}


def common(event):
    return {"session_id": "0a1b2c3d-test", "transcript_path": os.path.expanduser("~/.claude/projects/t/0a1b2c3d-test.jsonl"),
            "cwd": os.getcwd(), "permission_mode": "default", "hook_event_name": event}


def payloads():
    """One turn, then the idle reminder: the documented payloads."""
    return [
        dict(common("UserPromptSubmit"), prompt="add a test"),
        dict(common("PreToolUse"), tool_name="Bash", tool_input={"command": "make test", "description": "Run the tests"},
             tool_use_id="toolu_01"),
        dict(common("Stop"), stop_hook_active=False, last_assistant_message="Done: the test passes."),
        dict(common("Notification"), message="Claude is waiting for your input", notification_type="idle_prompt"),
    ]


def matches(matcher, value):
    if matcher in (None, "", "*"):
        return True
    try:
        return re.fullmatch(matcher, value or "") is not None
    except re.error:
        return False


def dispatch(settings, payload):
    event = payload["hook_event_name"]
    field = MATCH_FIELD.get(event)
    ran = 0
    for group in settings.get("hooks", {}).get(event, []):
        if field is not None and not matches(group.get("matcher"), payload.get(field)):
            continue
        for hook in group.get("hooks", []):
            if hook.get("type") != "command":
                continue
            subprocess.run(["sh", "-c", hook["command"]], input=json.dumps(payload).encode(), timeout=60)
            ran += 1
    return ran


def main():
    args = sys.argv[1:]
    if args[:1] == ["--version"]:
        print("2.0.0 (Claude Code)")
        return
    if args[:1] == ["dispatch"]:
        with open(args[1]) as f:
            settings = json.load(f)
        for payload in json.loads(args[2]):
            print(payload["hook_event_name"], dispatch(settings, payload), flush=True)
        return
    with open(os.path.expanduser("~/.claude/settings.json")) as f:
        settings = json.load(f)
    print("stand-in claude: a turn", flush=True)
    for payload in payloads():
        if payload["hook_event_name"] == "Notification":
            time.sleep(1)  # Claude waits a minute; the order is what matters
        dispatch(settings, payload)
    open(os.path.expanduser("~/idle-reminder-sent"), "w").close()
    print("stand-in claude: finished, reminded", flush=True)
    while True:
        time.sleep(3600)


main()
