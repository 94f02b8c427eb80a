#!/usr/bin/python3
"""Bad configuration (issue 5, "Bad input": a malformed or unknown channel,
role or template is a load error with file:line:column).

- test_check_errors: houqin-alertd --check on rules directories with one
  mistake each exits 1 and names the file, line and column of the mistake
  with a plain reason; a directory with several mistakes reports all of
  them; a template cannot name the complainant's contact (there is no
  such placeholder).
- test_reload: SIGHUP with a broken alerts.yaml is refused and the running
  configuration keeps delivering; a fixed one is taken.
"""
import os
import signal

import atest as A
from atest import check, check_eq, log

GOOD_CHANNELS = """  mail: {type: email, url: "smtp://127.0.0.1:2525", from: alerts@example.edu.cn}
  hook: {type: webhook, url: "http://127.0.0.1:8080/hook"}
"""
GOOD_POLICIES = "  quiet_hours: false\n"


def org_with(channels):
    return A.Org({"chen.catering": channels})


def position(text, needle, nth=0):
    """1-based (line, column) of the nth occurrence of needle in text."""
    i = -1
    for _ in range(nth + 1):
        i = text.index(needle, i + 1)
    line = text.count("\n", 0, i) + 1
    col = i - (text.rfind("\n", 0, i) + 1) + 1
    return line, col


def check_error(d, file, needle, reason, nth=0):
    """--check fails and reports `reason` at needle's position in file."""
    rc, out, err = A.run_alertd(["--check", "--rules", d, "--schemas", A.ARGS.schemas])
    check_eq(rc, 1, "exit status of --check with %s" % reason)
    path = os.path.join(d, file)
    with open(path, encoding="utf-8") as f:
        line, col = position(f.read(), needle, nth)
    want = "%s:%d:%d: %s" % (path, line, col, reason)
    check(want in err, "expected %r in:\n%s" % (want, err))
    return err


def test_check_errors():
    cases = [
        # (channels, policies, org channels, templates?, file, needle, reason)
        ('  sms: {type: pager, argv: [/bin/true]}\n', GOOD_POLICIES, [], "alerts.yaml", "pager",
         'unknown channel type "pager" (expected one of webhook, email, command, file)'),
        (GOOD_CHANNELS, GOOD_POLICIES, [{"channel": "wechat"}], "org.yaml", '"wechat"', 'unknown channel "wechat"'),
        (GOOD_CHANNELS + '  x: {type: webhook, url: "ftp://example.edu.cn/x"}\n', GOOD_POLICIES, [],
         "alerts.yaml", '"ftp://', 'url: expected http://..., got "ftp://example.edu.cn/x"'),
        (GOOD_CHANNELS + '  y: {type: webhook, urll: "http://x/"}\n', GOOD_POLICIES, [], "alerts.yaml", "urll",
         "unknown key"),
        (GOOD_CHANNELS, GOOD_POLICIES, [{"channel": "mail"}], "org.yaml", "{channel: \"mail\"}",
         "channel mail is e-mail: expected `to` or the person's `email:` with an address like name@example.edu.cn"),
        (GOOD_CHANNELS, '  digest: {every: 4h, roles: [section_head, dean]}\n', [], "alerts.yaml", "dean",
         'unknown role "dean"'),
        (GOOD_CHANNELS, '  working_hours: {days: [mon-fri], from: "8am", to: "18:00"}\n', [], "alerts.yaml",
         '"8am"', 'expected a time of day like "08:30", got "8am"'),
        (GOOD_CHANNELS, '  complainant: {email: nowhere}\n', [], "alerts.yaml", "nowhere",
         'unknown channel "nowhere"'),
        (GOOD_CHANNELS, '  urgent: severe\n', [], "alerts.yaml", "severe",
         'unknown severity "severe" (expected low, medium, high or critical)'),
    ]
    for chans, pol, pcs, file, needle, reason in cases:
        d = A.rules_dir(org_with(pcs), chans, pol, templates=False)
        check_error(d, file, needle, reason)
    # Templates: an unknown name, an unknown kind, a placeholder for the contact.
    tmpl = ('templates:\n  offfice: {zh: {subject: "x", body: "y"}}\n'
            '  contractor.sent: {zh: {subject: "x", body: "y"}}\n'
            '  complainant: {zh: {subject: "x", body: "您的联系方式 {{contact}}"}}\n')
    d = A.rules_dir(org_with([]), GOOD_CHANNELS, GOOD_POLICIES, templates=False)
    with open(os.path.join(d, "templates.yaml"), "w", encoding="utf-8") as f:
        f.write(tmpl)
    err = check_error(d, "templates.yaml", "offfice", 'unknown template "offfice"')
    check_error(d, "templates.yaml", "contractor.sent", 'unknown template "contractor.sent": no such alert kind')
    check_error(d, "templates.yaml", '"您的', "template placeholder {{contact}}: unknown placeholder")
    check_eq(err.count("templates.yaml:"), 3, "every template error reported:\n%s" % err)
    log("%d single-mistake directories and one with three mistakes refused with positions" % len(cases))


def test_reload():
    rules = {"test/c.yaml": A.rules_file(A.complaint_rule("test.c", "catering", "high"))}
    st = A.Stack(rules=rules)
    try:
        st.start()
        st.hq.complaint("catering", "a")
        st.wait_keys(st.expected(st.hq.outbox()), what="before the reload")
        path = os.path.join(st.rules, "alerts.yaml")
        with open(path, encoding="utf-8") as f:
            good = f.read()
        with open(path, "w", encoding="utf-8") as f:
            f.write(good.replace("type: webhook, format: json", "type: webhok, format: json"))
        st.ad.proc.send_signal(signal.SIGHUP)
        A.wait_for(lambda: "reload refused" in st.ad.log_text(), 30, "the refused reload")
        check("unknown channel type \"webhok\"" in st.ad.log_text(), "the reason is logged")
        st.hq.complaint("catering", "b")
        st.wait_keys(st.expected(st.hq.outbox()), what="still delivering after a refused reload")
        with open(path, "w", encoding="utf-8") as f:
            f.write(good.replace("timeout: 5s", "timeout: 6s"))
        st.ad.proc.send_signal(signal.SIGHUP)
        A.wait_for(lambda: "reloaded the configuration" in st.ad.log_text(), 30, "the reload")
        st.hq.complaint("catering", "c")
        st.wait_keys(st.expected(st.hq.outbox()), what="delivering after the reload")
        st.stop()
    finally:
        st.kill()


if __name__ == "__main__":
    A.parse_args()
    A.main([test_check_errors, test_reload])
