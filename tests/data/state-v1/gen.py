import json
T0 = 1790553600000  # 2026-09-28T08:00:00+08:00
M = 60000; H = 60*M; D = 24*H
ops = []; n = [0]
def E(t, type_, data, source="gw"):
    n[0] += 1
    ops.append("E %d %s" % (t, json.dumps({"id": "old-%d" % n[0], "type": type_, "source": source, "ts": t, "data": data}, ensure_ascii=False)))
def A(t): ops.append("A %d" % t)
def cs(t, v): E(t, "sensor.reading", {"sensor": "cs-001", "kind": "cold_storage_temp", "value": v, "unit": "C", "site": "canteen-1"})
# issue 1: cold storage high, acknowledged, rectified, recheck fail (penalty), overdue days, escalation, recheck pass
cs(T0, 9.5); cs(T0 + 31*M, 9.8)
A(T0 + 40*M)
def act(t, type_, num, actor, **extra):
    d = dict(extra, issue=num, actor=actor); E(t, type_, d, source="staff")
N1 = "HQ-2026-000001"
act(T0 + 1*H, "issue.acknowledged", N1, "contact.xinyuan")
act(T0 + 2*H, "issue.rectified", N1, "contact.xinyuan", evidence="已更换温控器")
act(T0 + 3*H, "issue.rechecked", N1, "lin.sup", result="fail", note="温度仍偏高")
act(T0 + 4*H, "issue.comment", N1, "lin.sup", text="请加快整改")
A(T0 + 3*D)
act(T0 + 3*D + H, "issue.rectified", N1, "contact.xinyuan", evidence="已修复")
act(T0 + 3*D + 2*H, "issue.rechecked", N1, "lin.sup", result="pass")
# issue 2: a complaint, opinion, closed by hand
E(T0 + 3*D + 3*H, "complaint.submitted", {"domain": "catering", "site": "canteen-2", "category": "foreign_matter", "text": "饭里有头发", "contact": "138-0000-1234"}, source="web")
A(T0 + 3*D + 4*H)
print("\n".join(ops))
