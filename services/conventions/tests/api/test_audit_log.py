"""Every write through the API is in the audit log, the refused ones too; reads are not."""


def test_each_write_attempt_is_logged_with_who_what_and_the_answer(api):
    structure = api.structure("974")
    api.call("POST", "/conventions", 422, {"structure_id": structure["id"]}, sub="alice")
    api.call("GET", "/structures", 200)
    api.call("POST", "/conventions", 403, {}, role="finance", sub="bruno")

    log = api.call("GET", "/audit", 200, role="auditor")

    assert [
        (entry["actor"], entry["role"], entry["method"], entry["path"], entry["status"]) for entry in log
    ] == [
        ("bruno", "finance", "POST", "/api/v1/conventions", 403),
        ("alice", "legal", "POST", "/api/v1/conventions", 422),
        ("legal-demo", "legal", "POST", "/api/v1/structures", 201),
    ]
    assert log[0]["client_address"] == "127.0.0.1"
    assert [entry["actor"] for entry in api.call("GET", "/audit?actor=alice", 200, role="admin")] == ["alice"]
    api.call("GET", "/audit", 403, role="legal")
