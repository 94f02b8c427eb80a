#!/usr/bin/env bash
# demo.sh - feed a simulated campus day to a running houqind (newcomers' demo).
#
#   bash scripts/run.sh                 # terminal 1: houqind on the shipped rules, state in ./var
#   bash scripts/demo.sh                # terminal 2: yesterday on campus, as events
#
# Generates about 2,000 events of one campus day (default: yesterday, local
# time; every event lies in the past; the cold rooms report for the last two
# hours, the other sensors from the day's midnight until now) and sends them with
# `houqinctl send --file -`: cold-room and freezer sensors, bathing hot water,
# drinking-water machines and a lab result, kitchen AI-camera detections,
# meal-card transactions with dish lines, morning health checks, food samples,
# ingredient acceptance, inspections and self-inspections, complaints, repair
# tickets (some carried over from earlier days), a power cut, deliveries,
# shuttle-bus GPS, a security incident, a leadership decision task, and two
# events that name things the registries do not know.  The problems planted in
# them open issues at once (the rule windows follow the events' own times) and
# their notifications appear in the outbox: within a minute of starting.
#
# Options:
#   --ingest EP       houqind's ingest endpoint (default tcp://127.0.0.1:7601)
#   --state DIR       houqind's state directory, for the summary (default ./var)
#   --houqinctl PATH  (default ./build/tools/houqinctl/houqinctl)
#   --day YYYY-MM-DD  the day to simulate (default yesterday)
#   --print           print the events as JSON lines instead of sending them
set -euo pipefail
cd "$(dirname "$0")/.."

ingest="tcp://127.0.0.1:7601"
state="./var"
ctl="./build/tools/houqinctl/houqinctl"
day=""
print=0
while [ $# -gt 0 ]; do
  case "$1" in
    --ingest) ingest="$2"; shift 2 ;;
    --state) state="$2"; shift 2 ;;
    --houqinctl) ctl="$2"; shift 2 ;;
    --day) day="$2"; shift 2 ;;
    --print) print=1; shift ;;
    -h|--help) sed -n '2,/^set /{/^#/p}' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

generate() {
/usr/bin/python3 - "$day" <<'PY'
import datetime, json, random, sys, time

CST = datetime.timezone(datetime.timedelta(hours=8))
now = datetime.datetime.now(CST)
day = datetime.date.fromisoformat(sys.argv[1]) if sys.argv[1] else (now - datetime.timedelta(days=1)).date()
D0 = datetime.datetime(day.year, day.month, day.day, tzinfo=CST)
now_ms = int(time.time() * 1000)
rnd = random.Random(day.toordinal())
run = "demo%s-%d" % (day.strftime("%Y%m%d"), now_ms % 100000)
events = []

def ms(h, m=0, s=0, days=0):
    return int((D0 + datetime.timedelta(days=days, hours=h, minutes=m, seconds=s)).timestamp() * 1000)

def ev(t, type_, source, data):
    if t > now_ms:          # never in the future
        return
    events.append({"type": type_, "source": source, "id": "%s-%05d" % (run, len(events)), "ts": t, "data": data})

def every(h0, h1, step_min):
    t = h0 * 60
    while t < h1 * 60:
        yield divmod(t, 60)
        t += step_min

# Sensors report from the simulated day's midnight until now (so that none looks silent),
# except the cold rooms, which are watched for silence (catering.cold-storage-sensor-silent,
# 2 hours): their history here is the last 110 minutes, since a backfill that starts
# further back would trip the silence rule before the later readings arrive.
# ---- kitchen cold chain: cold rooms every 10 min (cs-003's compressor has failed in the
# last hour), freezers and sample fridges every 30 min
recent = now_ms - 110 * 60000
for h, m in every(0, 48, 10):
    t = ms(h, m)
    for sid, site in (("cs-001", "canteen-1"), ("cs-002", "canteen-2"), ("cs-003", "canteen-3"), ("cs-099", "canteen-1")):
        if t < recent:
            continue
        v = round(rnd.uniform(2.5, 5.5), 1)
        if sid == "cs-003" and t >= now_ms - 60 * 60000:
            v = round(rnd.uniform(9.5, 12.0), 1)
        ev(t, "sensor.reading", "kitchen-gw", {"sensor": sid, "kind": "cold_storage_temp", "value": v,
                                               "unit": "C", "site": site,
                                               "location": "新冷库" if sid == "cs-099" else "冷藏库"})
    if m % 30 == 0:
        for sid, site in (("fz-001", "canteen-1"), ("fz-002", "canteen-2"), ("fz-003", "canteen-3")):
            ev(ms(h, m), "sensor.reading", "kitchen-gw", {"sensor": sid, "kind": "freezer_temp",
                                                          "value": round(rnd.uniform(-19.5, -16.5), 1),
                                                          "unit": "C", "site": site})
        for sid, site in (("lf-c1-01", "canteen-1"), ("lf-c2-01", "canteen-2"), ("lf-c3-01", "canteen-3")):
            ev(ms(h, m), "sensor.reading", "kitchen-gw", {"sensor": sid, "kind": "sample_fridge_temp",
                                                          "value": round(rnd.uniform(2.0, 4.5), 1),
                                                          "unit": "C", "site": site})

# ---- bathing hot water every 15 min, 06:00-24:00
for h, m in every(6, 48, 15):
    if 0 <= h - 24 < 6:
        continue
    for sid, site in (("hw-101", "dorm-1"), ("hw-301", "dorm-3"), ("hw-701", "dorm-7"), ("hw-801", "dorm-8")):
        v = round(rnd.uniform(43.0, 47.5), 1)
        ev(ms(h, m), "sensor.reading", "hotwater-gw", {"sensor": sid, "kind": "hot_water_temp", "value": v,
                                                       "unit": "C", "site": site, "location": "淋浴间"})

# ---- drinking water: TDS hourly; dorm-7's RO membrane fails at 10:00; a lab result for dorm-8
for h, m in every(0, 48, 60):
    for sid, site in (("dw-101", "dorm-1"), ("dw-301", "dorm-3"), ("dw-701", "dorm-7"), ("dw-801", "dorm-8")):
        v = round(rnd.uniform(8, 18), 1) if not (sid == "dw-701" and h >= 10) else round(rnd.uniform(80, 95), 1)
        ev(ms(h, m), "sensor.reading", "water-gw", {"sensor": sid, "kind": "drinking_water_tds", "value": v,
                                                    "unit": "mg/L", "site": site, "location": "1F饮水间"})
ev(ms(15, 30), "sensor.reading", "lab", {"sensor": "dw-801", "kind": "drinking_water_bacteria", "value": 240,
                                         "unit": "CFU/mL", "site": "dorm-8", "location": "1F饮水间"})

# ---- kitchen AI cameras: a rat in canteen-2's store at 02:10; many no-hat/no-mask alarms in canteen-1
ev(ms(2, 10), "sensor.reading", "ai-platform", {"sensor": "ai-c2-01", "kind": "ai_event", "label": "rodent",
                                                "value": 1, "unit": "count", "site": "canteen-2", "location": "干货库",
                                                "confidence": 0.91, "snapshot": "https://mclz.example.edu.cn/snap/c2-0210.jpg"})
for i in range(12):
    ev(ms(9 + i // 3, (i * 17) % 60), "sensor.reading", "ai-platform",
       {"sensor": "ai-c1-01", "kind": "ai_event", "label": ["no_hat", "no_mask", "phone"][i % 3], "value": 1,
        "unit": "count", "site": "canteen-1", "location": "热菜间"})

# ---- building meters: yesterday's totals (dorm-7 far above its baseline)
ev(ms(23, 59), "sensor.reading", "meter-platform", {"sensor": "em-dorm-7", "kind": "electricity_consumption",
                                                    "value": 3420, "unit": "kWh", "site": "dorm-7", "period_s": 86400})
ev(ms(23, 59), "sensor.reading", "meter-platform", {"sensor": "em-teaching-1", "kind": "electricity_consumption",
                                                    "value": 2860, "unit": "kWh", "site": "teaching-1", "period_s": 86400})

# ---- morning health checks (06:15); canteen-3 keeps a cook with diarrhoea on duty
for site, roster in (("canteen-1", 24), ("canteen-2", 20), ("canteen-3", 18)):
    d = {"site": site, "shift": "breakfast", "roster": roster, "checked": roster, "abnormal": 0, "removed": 0,
         "kept_on_duty": 0, "no_certificate": 0, "checker": site + "-fs"}
    if site == "canteen-3":
        d.update(abnormal=1, kept_on_duty=1, findings=[{"symptom": "diarrhoea", "removed_from_post": False}])
    ev(ms(6, 15), "catering.health_check", "foodsafety-app", d)

# ---- ingredient acceptance (06:10): chilled pork at 14 ℃ refused at canteen-1
ev(ms(6, 10), "catering.acceptance", "foodsafety-app", {"site": "canteen-1", "supplier": "sup-meat-02",
   "result": "fail", "reason": "wrong_temperature", "record": "YS-C1-%s-03" % day.strftime("%Y%m%d"),
   "category": "meat", "temperature_c": 14.2, "certificates": True, "inspectors": ["c1-store-01", "c1-fs-01"],
   "items": [{"name": "冷鲜猪肉", "result": "fail", "qty": 60, "unit": "kg", "reason": "wrong_temperature",
              "temperature_c": 14.2}]})
for site in ("canteen-2", "canteen-3"):
    ev(ms(6, 20), "catering.acceptance", "foodsafety-app", {"site": site, "supplier": "sup-veg-03", "result": "pass",
       "category": "vegetables", "inspectors": ["store-01", "fs-01"]})

# ---- food samples per meal; canteen-2's lunch cold dish only 90 g
DISHES = {"canteen-1": ["红烧肉", "宫保鸡丁"], "canteen-2": ["土豆牛肉", "凉拌黄瓜"], "canteen-3": ["大盘鸡", "拉面"]}
for meal, (h, m) in (("breakfast", (7, 20)), ("lunch", (11, 35)), ("dinner", (17, 35))):
    for site, dishes in DISHES.items():
        for dish in dishes:
            w = 90 if (site == "canteen-2" and meal == "lunch" and dish == "凉拌黄瓜") else rnd.choice([135, 150, 160, 180])
            ev(ms(h, m), "catering.sample_retention", "foodsafety-app", {"site": site, "dish": dish, "meal": meal,
               "stage": "retained", "weight_g": w, "retained_ms": ms(h, m), "sampler": site + "-staff",
               "fridge": {"canteen-1": "lf-c1-01", "canteen-2": "lf-c2-01", "canteen-3": "lf-c3-01"}[site]})

# ---- meal-card transactions with dish lines; window c2-w01 charges 13.00 for 土豆牛肉 (approved 12.00)
MENU = {"canteen-1": [("c1-rb-001", "红烧肉", 800), ("c1-gb-002", "宫保鸡丁", 900), ("c1-yx-003", "鱼香肉丝", 700),
                      ("c1-vg-014", "清炒时蔬", 250), ("c1-tf-015", "麻婆豆腐", 300)],
        "canteen-2": [("c2-nr-001", "土豆牛肉", 1200), ("c2-mf-002", "牛肉面", 1000), ("c2-jf-003", "鸡腿饭", 1100),
                      ("c2-vg-010", "清炒时蔬", 250)],
        "canteen-3": [("c3-dp-001", "大盘鸡", 1500), ("c3-lm-002", "拉面", 1200), ("c3-vg-003", "凉拌黄瓜", 300)]}
RICE = {"canteen-1": "c1-st-002", "canteen-2": "c2-st-001", "canteen-3": "c3-st-001"}
n = 0
for period, h0, h1, per in (("breakfast", 7, 8, 40), ("lunch", 11, 13, 120), ("dinner", 17, 19, 90)):
    for site, menu in MENU.items():
        for i in range(per):
            t = ms(h0) + int((ms(h1) - ms(h0)) * i / per)
            n += 1
            w = rnd.randint(1, 3)
            code, name, price = rnd.choice(menu)
            if site == "canteen-2" and period == "lunch" and code == "c2-nr-001" and w == 1:
                price = 1300
            items = [{"code": code, "name": name, "unit_price_fen": price, "qty": 1}]
            if period != "breakfast":
                items.append({"code": RICE[site], "name": "米饭", "unit_price_fen": 50, "qty": 1})
            ev(t, "mealcard.transaction", "card-system", {"txn": "T%s%06d" % (day.strftime("%Y%m%d"), n), "kind": "sale",
               "site": site, "terminal": "pos-%s-w%02d" % (site[-1], w), "window": "c%s-w%02d" % (site[-1], w),
               "amount_fen": sum(x["unit_price_fen"] for x in items), "meal_period": period,
               "wallet": "cash", "method": rnd.choice(["card", "face", "qr"]), "card_type": "student",
               "card_hash": "hk1:%012x" % rnd.getrandbits(48), "items": items})

# ---- inspections
for site in ("canteen-1", "canteen-2", "canteen-3"):
    ev(ms(15, 0), "inspection.submitted", "inspection-app", {"kind": "self", "domain": "catering", "site": site,
       "inspector": site + "-fs", "checklist": "food_safety_daily",
       "items": [{"code": "fs.cold_storage_temp", "result": "pass"}, {"code": "fs.hygiene", "result": "pass"}]})
ev(ms(10, 0), "inspection.submitted", "inspection-app", {"kind": "key", "domain": "catering", "site": "canteen-1",
   "inspector": "hq-cat-02", "checklist": "food_safety_key", "record": "JC-%s-01" % day.strftime("%Y%m%d"),
   "participants": ["hq-cat-05"],
   "items": [{"code": "fs.cold_storage_temp", "result": "pass", "value": 4.5, "unit": "C"},
             {"code": "fs.raw_cooked_separation", "result": "fail", "severity": "high", "note": "熟食间内发现生肉砧板"},
             {"code": "fs.health_certificates", "result": "pass"}]})
for site in ("dorm-1", "dorm-3", "dorm-7", "dorm-8"):
    ev(ms(16, 0), "inspection.submitted", "inspection-app", {"kind": "self", "domain": "dormitory", "site": site,
       "inspector": "dc-01", "checklist": "dorm_daily", "items": [{"code": "dorm.public_hygiene", "result": "pass"}]})
ev(ms(14, 20), "inspection.submitted", "inspection-app", {"kind": "spot", "domain": "dormitory", "site": "dorm-7",
   "inspector": "hq-dorm-01", "area": "3F公共区域",
   "items": [{"code": "dorm.fire_exit", "result": "fail", "note": "3楼消防通道堆放杂物"}]})
for site in ("teaching-1", "library", "admin-building"):
    ev(ms(16, 30), "inspection.submitted", "inspection-app", {"kind": "self", "domain": "property", "site": site,
       "inspector": "pc-01", "checklist": "property_daily", "items": [{"code": "prop.cleaning", "result": "pass"}]})
ev(ms(8, 30), "inspection.submitted", "inspection-app", {"kind": "self", "domain": "property", "site": "gc-north",
   "inspector": "pc-03", "checklist": "garbage_cleared", "items": [{"code": "prop.garbage_cleared", "result": "pass"}]})
ev(ms(9, 40), "inspection.submitted", "inspection-app", {"kind": "self", "domain": "property", "site": "gc-south",
   "inspector": "pc-03", "checklist": "garbage_cleared",
   "items": [{"code": "prop.garbage_cleared", "result": "fail", "note": "清运车未到，垃圾满溢"}]})
for site in ("power-room-1", "pump-house-1"):
    ev(ms(9, 0), "inspection.submitted", "inspection-app", {"kind": "self", "domain": "energy", "site": site,
       "inspector": "ec-01", "checklist": "utilities_daily", "items": [{"code": "util.round", "result": "pass"}]})
for v in ("bus-01", "bus-02"):
    ev(ms(13, 30), "inspection.submitted", "inspection-app", {"kind": "key", "domain": "transport", "site": "main-campus",
       "vehicle": v, "inspector": "hq-tr-01", "checklist": "vehicle_safety",
       "items": [{"code": "veh.brakes", "result": "pass"}, {"code": "veh.tyres", "result": "pass"}]})

# ---- complaints
C = [(12, 25, "catering", "canteen-2", "foreign_matter", "午餐土豆牛肉里吃出一根头发", "qr_code"),
     (18, 5, "catering", "canteen-2", "foreign_matter", "晚饭青菜里有小虫子", "wechat"),
     (12, 40, "catering", "canteen-1", "food_quality", "米饭有点夹生", "web"),
     (9, 10, "property", "library", "hygiene", "图书馆三楼卫生间很脏，纸篓满了没人清理", "qr_code"),
     (20, 15, "dormitory", "dorm-3", "laundry", "洗衣机洗不干净，衣服上有污渍", "web"),
     (20, 40, "dormitory", "dorm-3", "laundry", "2号洗衣机坏了一直不修", "web"),
     (21, 5, "dormitory", "dorm-3", "laundry", "洗衣房有异味", "wechat"),
     (8, 5, "transport", "bus-03", "vehicle_interior", "3号校园巴士车内有异味", "qr_code"),
     (17, 50, "transport", "bus-03", "vehicle_interior", "3号校园巴士座椅破损", "qr_code"),
     (10, 30, "energy", "dorm-3", "fee", "本月电费比上月多了一倍", "web")]
for h, m, dom, site, cat, text, ch in C:
    d = {"domain": dom, "site": site, "category": cat, "text": text, "channel": ch, "role": "student"}
    if dom == "property":
        d.update(contact="13700001234", wants_reply=True)
    ev(ms(h, m), "complaint.submitted", "complaint-portal", d)

# ---- repairs: a normal ticket from three days ago accepted but still open, an emergency from
# 25 hours ago whose worker came after 50 minutes, one completed and rated one star
ev(ms(10, 0, days=-3), "repair.requested", "repair-platform", {"ticket": "BX-DEMO-%s-01" % day.strftime("%m%d"),
   "domain": "dormitory", "site": "dorm-3", "category": "carpentry", "subcategory": "door_lock", "urgency": "normal",
   "room": "210", "text": "宿舍门锁坏了，关不上", "channel": "wechat"})
ev(ms(12, 0, days=-3), "repair.accepted", "repair-platform", {"ticket": "BX-DEMO-%s-01" % day.strftime("%m%d"),
   "domain": "dormitory", "site": "dorm-3", "urgency": "normal", "room": "210", "worker": "w-0211"})
ev(ms(23, 0, days=-1), "repair.requested", "repair-platform", {"ticket": "WX-DEMO-%s-02" % day.strftime("%m%d"),
   "domain": "property", "site": "teaching-1", "category": "lift", "urgency": "emergency", "location": "2号电梯",
   "text": "电梯停在两层之间", "channel": "phone"})
ev(ms(23, 50, days=-1), "repair.arrived", "repair-platform", {"ticket": "WX-DEMO-%s-02" % day.strftime("%m%d"),
   "domain": "property", "site": "teaching-1", "urgency": "emergency", "worker": "w-0102"})
ev(ms(9, 0), "repair.requested", "repair-platform", {"ticket": "BX-DEMO-%s-03" % day.strftime("%m%d"),
   "domain": "dormitory", "site": "dorm-7", "category": "plumbing", "urgency": "normal", "room": "512",
   "text": "淋浴喷头漏水", "channel": "wechat"})
ev(ms(9, 20), "repair.accepted", "repair-platform", {"ticket": "BX-DEMO-%s-03" % day.strftime("%m%d"),
   "domain": "dormitory", "site": "dorm-7", "urgency": "normal", "room": "512", "worker": "w-0317"})
ev(ms(10, 0), "repair.arrived", "repair-platform", {"ticket": "BX-DEMO-%s-03" % day.strftime("%m%d"),
   "domain": "dormitory", "site": "dorm-7", "urgency": "normal", "room": "512", "worker": "w-0317"})
ev(ms(16, 0), "repair.completed", "repair-platform", {"ticket": "BX-DEMO-%s-03" % day.strftime("%m%d"),
   "domain": "dormitory", "site": "dorm-7", "result": "fixed", "room": "512", "worker": "w-0317", "rating": 1,
   "feedback": "修完还是漏水"})

# ---- energy: dorm-8 loses power at 22:40 and is still out at midnight; a planned cut without notice
ev(ms(22, 40), "energy.outage", "energy-platform", {"outage": "TD-%s-01" % day.strftime("%Y%m%d"),
   "utility": "electricity", "site": "dorm-8", "status": "started", "planned": False, "cause": "fault",
   "affects": ["dormitory"], "households": 396, "text": "8号学生公寓整栋停电"})
ev(ms(23, 30), "energy.outage", "energy-platform", {"outage": "TD-%s-01" % day.strftime("%Y%m%d"),
   "utility": "electricity", "site": "dorm-8", "status": "updated", "planned": False, "affects": ["dormitory"],
   "text": "抢修人员已到场，正在排查"})
ev(ms(8, 0), "energy.outage", "energy-platform", {"outage": "TD-%s-02" % day.strftime("%Y%m%d"), "utility": "water",
   "site": "teaching-1", "status": "started", "planned": True, "cause": "maintenance", "affects": ["teaching"],
   "text": "管网检修停水"})

# ---- deliveries
ev(ms(7, 15), "procurement.delivery", "wms", {"order": "PO-%s-0318" % day.strftime("%Y%m%d"), "supplier": "sup-grain-01",
   "site": "canteen-1", "domain": "catering", "category": "grain_oil", "due_ms": ms(6, 30), "delivered_ms": ms(7, 15),
   "delay_min": 45, "status": "complete", "qc_result": "pass", "brand_match": False, "spec_match": True,
   "quantity_match": True, "items": [{"item": "oil-soy-5l", "name": "大豆油", "brand": "某品牌", "brand_ordered": "金龙鱼",
                                     "spec": "5 L", "spec_ordered": "5 L", "qty": 40, "qty_ordered": 40, "unit": "bottle"}]})
ev(ms(14, 0), "procurement.delivery", "wms", {"order": "PO-%s-0320" % day.strftime("%Y%m%d"), "supplier": "sup-goods-04",
   "site": "warehouse-1", "category": "cleaning_supplies", "due_ms": ms(14, 0), "delivered_ms": ms(13, 50),
   "delay_min": -10, "status": "complete", "qc_result": "pass", "brand_match": True, "spec_match": True,
   "quantity_match": True})

# ---- shuttle GPS every minute in the rush hours; bus-02 speeds on the main road at 07:40
for h0 in (7, 17):
    for i in range(60):
        for v, route in (("bus-01", "line-1"), ("bus-02", "line-2")):
            sp = round(rnd.uniform(12, 22), 1)
            zone = "main_road" if i % 3 else "teaching_area"
            if v == "bus-02" and h0 == 7 and 40 <= i <= 42:
                sp, zone = round(rnd.uniform(32, 35), 1), "main_road"
            if zone == "teaching_area":
                sp = min(sp, 14.5)
            # one report a minute; the terminal reports every 20 s while over the limit
            for sec in ((0, 20, 40) if (v == "bus-02" and h0 == 7 and 40 <= i <= 42) else (0,)):
                ev(ms(h0, i, sec), "vehicle.telemetry", "gps-platform", {"vehicle": v, "speed_kmh": sp,
                   "lat": round(32.01 + rnd.random() / 100, 5), "lon": round(120.86 + rnd.random() / 100, 5),
                   "site": "main-campus", "zone": zone, "plate": "苏F·D120%s" % v[-1], "vehicle_type": "shuttle_bus",
                   "route": route, "driver": "drv-0%s" % v[-1], "ignition": True})

# ---- security: an intrusion alarm at 23:00 nobody answered
ev(ms(23, 0), "security.incident", "duty-room", {"incident": "AQ-%s-01" % day.strftime("%Y%m%d"), "site": "teaching-1",
   "category": "intrusion", "status": "reported", "location": "东门", "detected_by": "alarm"})

# ---- a leadership decision issued eight days ago, with no progress report since
ev(ms(9, 0, days=-8), "decision.task", "oa", {"task": "DB-%s-07" % day.strftime("%Y%m"),
   "title": "第二食堂二楼增设平价窗口，2元以下菜品不少于20%", "due_ms": ms(9, 0, days=50), "kind": "decision",
   "origin": "president_office", "concerns": "catering", "site": "canteen-2", "contractor": "xinyuan-catering",
   "priority": "important", "report_every_days": 7})

# ---- data quality: a new canteen nobody registered, a sensor nobody registered
ev(ms(12, 50), "complaint.submitted", "complaint-portal", {"domain": "catering", "site": "canteen-5",
   "category": "food_quality", "text": "新开的第五食堂饭菜偏咸", "channel": "web"})
# (and the cold-room sensor cs-099 above, which nobody registered)

events.sort(key=lambda e: e["ts"])
for e in events:
    print(json.dumps(e, ensure_ascii=False))
print("demo: %d events of %s" % (len(events), day.isoformat()), file=sys.stderr)
PY
}

if [ "$print" = 1 ]; then
  generate
  exit 0
fi
[ -x "$ctl" ] || { echo "demo.sh: $ctl not found: build first (bash scripts/run.sh builds)" >&2; exit 2; }
generate | "$ctl" send --file - --ingest "$ingest" --source demo -q
echo "demo: sent.  Issues and notifications:"
if [ -d "$state" ]; then
  "$ctl" issues --state "$state"
  echo
  echo "notifications in the outbox: $("$ctl" outbox --state "$state" | wc -l)"
  echo "see one:   $ctl issue HQ-YYYY-NNNNNN --state $state"
  echo "notice:    $ctl notice HQ-YYYY-NNNNNN --format text --state $state"
else
  echo "(no state directory $state here: run houqinctl issues --state DIR where houqind keeps its state)"
fi
