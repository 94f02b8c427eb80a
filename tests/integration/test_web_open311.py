#!/usr/bin/env python3
"""An Open311 GeoReport v2 client written from the specification
(wiki.open311.org/GeoReport_v2), not from houqin-web's code: it discovers
services, posts a service request (form-encoded, api_key, one location)
and reads it back, in XML and in JSON, and checks the spec's shapes: ids
and codes are strings, errors are a list of {code, description}, dates
are ISO 8601 with a time zone, status is open or closed."""

import json
import re
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

import hqtest
from hqtest import check, check_eq
from webtest import Web, houqinctl


def extra(p):
    p.add_argument("--houqin-web", required=True)
    p.add_argument("--houqinctl", required=True)


ARGS = hqtest.parse_args(extra)
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
REQUEST_FIELDS = ["service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                  "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
                  "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url"]


class GeoReport:
    """Generic GeoReport v2 client: endpoint + format ('xml' or 'json')."""

    def __init__(self, endpoint, fmt, api_key=None, jurisdiction_id=None):
        self.endpoint = endpoint.rstrip("/") + "/"
        self.fmt = fmt
        self.api_key = api_key
        self.jurisdiction_id = jurisdiction_id

    def _call(self, method, resource, params=None):
        params = dict(params or {})
        if self.jurisdiction_id is not None:
            params["jurisdiction_id"] = self.jurisdiction_id
        url = self.endpoint + resource + "." + self.fmt
        data = None
        if method == "GET":
            if self.api_key is not None:
                params["api_key"] = self.api_key
            if params:
                url += "?" + urllib.parse.urlencode(params)
        else:
            data = urllib.parse.urlencode(params).encode("utf-8")
        req = urllib.request.Request(url, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/x-www-form-urlencoded")
        try:
            with urllib.request.urlopen(req, timeout=15) as r:
                return r.status, r.headers.get("Content-Type", ""), self._parse(r.read())
        except urllib.error.HTTPError as e:
            return e.code, e.headers.get("Content-Type", ""), self._parse(e.read())

    def _parse(self, body):
        if self.fmt == "json":
            return json.loads(body.decode("utf-8"))
        root = ET.fromstring(body)
        # <services><service>..</service></services>, <service_requests><request>..,
        # <errors><error>..: a list of flat records, as the JSON format has.
        return [{child.tag: (child.text if child.text is not None else None) for child in item} for item in root]

    def services(self):
        return self._call("GET", "services")

    def post_request(self, service_code, description, **loc):
        p = {"service_code": service_code, "description": description}
        if self.api_key is not None:
            p["api_key"] = self.api_key
        p.update(loc)
        return self._call("POST", "requests", p)

    def get_request(self, sid):
        return self._call("GET", "requests/" + urllib.parse.quote(sid))

    def get_requests(self, **params):
        return self._call("GET", "requests", params)


def check_error_list(status, want, body, what):
    check_eq(status, want, what)
    check(isinstance(body, list) and body and "code" in body[0] and "description" in body[0],
          "%s: errors as a list of {code, description}: %r" % (what, body))
    check_eq(str(body[0]["code"]), str(want), what + " code")


def check_request(rec, what):
    for k in REQUEST_FIELDS:
        check(k in rec, "%s: element %s" % (what, k))
    check(isinstance(rec["service_request_id"], str), what + ": service_request_id is a string")
    check(isinstance(rec["service_code"], str), what + ": service_code is a string")
    check(rec["status"] in ("open", "closed"), what + ": status open|closed")
    for k in ("requested_datetime", "updated_datetime"):
        check(rec[k] and ISO.match(rec[k]), "%s: %s ISO 8601 with zone: %r" % (what, k, rec[k]))


def test_open311():
    d = hqtest.Daemon(extra=["--clock", "manual"])
    d.start()
    d.control().call({"cmd": "clock.set", "ms": 1773022500000})
    w = Web(d, ARGS.houqin_web)
    w.start()
    ep = w.url("/open311/v2/")
    try:
        ids = {}
        for fmt in ("xml", "json"):
            c = GeoReport(ep, fmt, api_key="tok-fms-0123456789ab", jurisdiction_id="")
            st, ct, svc = c.services()
            check_eq(st, 200, fmt + " services")
            check(("xml" if fmt == "xml" else "json") in ct, fmt + " content type " + ct)
            check(len(svc) >= 10, "services listed")
            for s in svc:
                check(isinstance(s["service_code"], str) and s["service_name"], "service record %r" % s)
                check(s["type"] in ("realtime", "batch", "blackbox"), "service type")
            codes = [s["service_code"] for s in svc]
            check("catering.foreign_matter" in codes, "complaint categories as services")
            check(any(re.search("[\u4e00-\u9fff]", s["service_name"]) for s in svc), "Chinese names")
            # errors: no api_key, an unknown code, no location, two locations
            st, _, b = GeoReport(ep, fmt).post_request("catering.hygiene", "x", address_id="canteen-1")
            check_error_list(st, 403, b, fmt + " no api_key")
            st, _, b = GeoReport(ep, fmt, api_key="tok-no311-0123456789").post_request(
                "catering.hygiene", "x", address_id="canteen-1")
            check_error_list(st, 403, b, fmt + " key of a client without open311")
            st, _, b = c.post_request("catering.no_such", "x", address_id="canteen-1")
            check_error_list(st, 404, b, fmt + " unknown service_code")
            st, _, b = c.post_request("catering.hygiene", "x")
            check_error_list(st, 400, b, fmt + " no location")
            st, _, b = c.post_request("catering.hygiene", "x", address_id="canteen-1", address_string="第一食堂")
            check_error_list(st, 400, b, fmt + " two locations")
            st, _, b = c.post_request("catering.hygiene", "x", address_id="no-such-site")
            check_error_list(st, 400, b, fmt + " unknown address_id")
            # submit
            st, _, b = c.post_request("catering.hygiene", "餐桌上有油污（%s）" % fmt, address_id="canteen-2",
                                      email="someone@example.edu.cn", first_name="张")
            check(st in (200, 201), "%s POST requests: %d %r" % (fmt, st, b))
            check(isinstance(b, list) and len(b) == 1, "one request in the reply")
            sid = b[0]["service_request_id"]
            check(isinstance(sid, str) and sid, "service_request_id string")
            ids[fmt] = sid
            st, _, b = c.post_request("catering.price", "价格贵", address_string="第二食堂东门")
            check(st in (200, 201), fmt + " address_string")
            st, _, b = c.post_request("catering.price", "价格贵", lat="31.2", long="121.4")
            check(st in (200, 201), fmt + " lat/long")
            # read back
            st, _, b = c.get_request(sid)
            check_eq(st, 200, fmt + " GET request")
            check_eq(len(b), 1, "one record")
            check_request(b[0], fmt + " request")
            check_eq(b[0]["service_request_id"], sid, "same id")
            check_eq(b[0]["status"], "open", "open")
            check_eq(b[0]["address_id"], "canteen-2", "address_id")
            check("油污" in (b[0]["description"] or ""), "description with the api_key")
            check("someone@" not in json.dumps(b, ensure_ascii=False), "no contact data")
            st, _, b = GeoReport(ep, fmt).get_request(sid)
            check(not b[0]["description"], "no description without an api_key")
            st, _, b = c.get_request("W20000101-ZZZZZZ")
            check_error_list(st, 404, b, fmt + " unknown request")
            st, _, b = c.get_requests(service_request_id=sid)
            check_eq([x["service_request_id"] for x in b], [sid], fmt + " GET requests by id")
        # list: both, newest first
        c = GeoReport(ep, "json", api_key="tok-fms-0123456789ab")
        st, _, b = c.get_requests(service_code="catering.hygiene")
        got = [x["service_request_id"] for x in b]
        check(ids["xml"] in got and ids["json"] in got, "GET requests lists both: %r" % got)
        st, _, b = c.get_requests(status="closed")
        check_eq(b, [], "no closed requests yet")
        st, _, b = c.get_requests(start_date="not a date")
        check_error_list(st, 400, b, "bad start_date")
        # a second complaint at canteen-2 does not open an issue for hygiene; close
        # through the lifecycle needs an issue: two foreign-matter complaints
        c2 = GeoReport(ep, "xml", api_key="tok-fms-0123456789ab")
        s1 = c2.post_request("catering.foreign_matter", "头发", address_id="canteen-3")[2][0]["service_request_id"]
        s2 = c2.post_request("catering.foreign_matter", "虫子", address_id="canteen-3")[2][0]["service_request_id"]
        rc, out, err = houqinctl(ARGS.houqinctl, "issues", "--state", d.state, "--json", "--rules", ARGS.rules,
                                 "--schemas", ARGS.schemas)
        # each complaint is a case of its own (rules/README.md 4.9), and the two make a
        # foreign-matter burst: a complaint is closed when its issues are
        nums = [i["number"] for i in json.loads(out) if i["site"] == "canteen-3"]
        num = nums[0]
        st, _, b = c2.get_request(s1)
        check_eq((b[0]["status"], b[0]["status_notes"]), ("open", "已受理"), "open, received (not yet acknowledged)")
        check(b[0]["expected_datetime"] and ISO.match(b[0]["expected_datetime"]), "expected_datetime: the deadline")
        for num in nums:
            rc, out, err = houqinctl(ARGS.houqinctl, "close", num, "--actor", "chen.catering", "--reason", "已处理",
                                     "--ingest", d.ingest_ep)
            check_eq(rc, 0, "close: " + err)
        for sid in (s1, s2):
            st, _, b = c2.get_request(sid)
            check_eq((b[0]["status"], b[0]["status_notes"]), ("closed", "已办结"), "closed " + sid)
        st, _, b = GeoReport(ep, "json").get_requests(status="closed")
        check_eq(sorted(x["service_request_id"] for x in b), sorted([s1, s2]), "closed list")
    finally:
        w.stop()
        d.stop()


if __name__ == "__main__":
    hqtest.main([test_open311])
