"""Schemathesis hooks of the API contract step (`cargo xtask test`): the credentials of each door.

The shoppers' door: a shopper's session token, as a real client holds one. Fuzzing may end the
session (logout, revoking every session) or erase the account; the token is then replaced by
logging in again, or by signing up a new shopper. The staff door: the development service token,
from SHOP_CONTRACT_STAFF_TOKEN.
"""

import os
import uuid

import requests
import schemathesis

PASSWORD = "contract test password"


@schemathesis.auth(refresh_interval=2)
class DoorCredentials:
    def __init__(self):
        self.email = None

    def get(self, case, ctx):
        staff = os.environ.get("SHOP_CONTRACT_STAFF_TOKEN")
        if staff:
            return staff
        base = os.environ["SHOP_CONTRACT_BASE_URL"]
        for _ in range(2):
            if self.email:
                answer = requests.post(f"{base}/v1/sessions", json={"email": self.email, "password": PASSWORD}, timeout=30)
                if answer.status_code == 201:
                    return answer.json()["token"]
            self.email = f"contract-{uuid.uuid4().hex[:12]}@example.com"
            body = {"email": self.email, "password": PASSWORD, "name": "Contract Shopper", "market": "fr"}
            requests.post(f"{base}/v1/accounts", json=body, timeout=30)
        raise RuntimeError("no shopper session could be had")

    def set(self, case, data, ctx):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"
