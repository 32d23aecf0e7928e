//! SCIM 2.0 through the handler against the emulator: the request sequences Okta and Entra ID
//! send (from their provisioning guides) to create, find, update, deactivate, reactivate and
//! delete users and to manage groups; the same validation as the admin API; ETags; tenancy;
//! and tenant SCIM tokens from creation to revocation.

mod common;

use common::*;
use roster_domain::scim::token::authenticate;
use roster_tests::apigw::Call;
use serde_json::{Value, json};

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

struct Scim<'a> {
    app: &'a TestApp,
    org: &'a Org,
}

impl Scim<'_> {
    async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        let mut c = Call::new(method, &format!("/scim/v2{path}"))
            .as_caller(admin(&self.org.tenant))
            .header("host", "api.roster.test")
            .header("x-forwarded-proto", "https");
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap();
            c = c.query(k, v);
        }
        for (k, v) in headers {
            c = c.header(k, v);
        }
        if let Some(b) = body {
            c = c.json(b);
        }
        let r = call(self.app, c).await;
        if r.status != 204 {
            assert_eq!(
                r.headers["content-type"], "application/scim+json",
                "{method} {path}: {}",
                r.body
            );
        }
        r
    }

    async fn get(&self, path: &str) -> Reply {
        self.send("GET", path, None, &[]).await
    }

    async fn post(&self, path: &str, body: Value) -> Reply {
        self.send("POST", path, Some(body), &[]).await
    }

    async fn patch(&self, path: &str, operations: Value) -> Reply {
        self.send(
            "PATCH",
            path,
            Some(json!({"schemas": [PATCH], "Operations": operations})),
            &[],
        )
        .await
    }

    async fn admin_view(&self, id: &str) -> Value {
        let r = call(
            self.app,
            Call::new("GET", &format!("/v1/users/{id}")).as_caller(admin(&self.org.tenant)),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()
    }
}

async fn allow_email_logins(app: &TestApp, org: &Org) {
    let r = call(
        app,
        Call::new("PUT", "/v1/tenant")
            .as_caller(admin(&org.tenant))
            .json(json!({"logins_may_be_emails": true, "last_name_min_length": 2})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

fn error(r: &Reply) -> (String, String, String) {
    let b = r.json();
    assert_eq!(
        b["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:Error"
    );
    (
        b["status"].as_str().unwrap().to_owned(),
        b["scimType"].as_str().unwrap_or_default().to_owned(),
        b["detail"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn okta_provisions_a_user_through_its_lifecycle() {
    let app = app().await;
    let org = Org::new(&app).await;
    allow_email_logins(&app, &org).await;
    let scim = Scim {
        app: &app,
        org: &org,
    };

    // Okta first looks the user up by userName.
    let r = scim
        .get(
            "/Users?filter=userName%20eq%20%22isabella.lee%40example.com%22&startIndex=1&count=100",
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["totalResults"], 0);

    let created = scim
        .post(
            "/Users",
            json!({
                "schemas": [USER],
                "userName": "isabella.lee@example.com",
                "name": {"givenName": "Isabella", "familyName": "Lee"},
                "emails": [{"primary": true, "value": "isabella.lee@example.com", "type": "work"}],
                "displayName": "Isabella Lee",
                "locale": "en-US",
                "externalId": "00u1abcd",
                "groups": [],
                "password": "nEvEr-st0red!",
                "active": true
            }),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let user = created.json();
    let id = user["id"].as_str().unwrap().to_owned();
    assert_eq!(created.headers["etag"], "W/\"1\"");
    assert_eq!(
        created.headers["location"],
        format!("https://api.roster.test/scim/v2/Users/{id}")
    );
    assert_eq!(user["meta"]["version"], "W/\"1\"");
    assert_eq!(user["meta"]["resourceType"], "User");
    assert_eq!(user["externalId"], "00u1abcd");
    assert!(user.get("password").is_none() && user.get("locale").is_none());
    let view = scim.admin_view(&id).await;
    assert_eq!(view["login"], "isabella.lee@example.com");
    assert_eq!(view["password_set"], false, "a SCIM password is not stored");

    // Found by userName in any case.
    let r = scim
        .get("/Users?filter=userName%20eq%20%22ISABELLA.LEE%40example.com%22")
        .await;
    assert_eq!(r.json()["totalResults"], 1);
    assert_eq!(r.json()["Resources"][0]["id"], id.as_str());

    // Okta updates with PUT of the whole user.
    let mut replaced = user.clone();
    replaced["name"]["familyName"] = json!("Lee-Smith");
    replaced["phoneNumbers"] = json!([{"value": "201-555-0144", "type": "mobile"}]);
    let r = scim
        .send(
            "PUT",
            &format!("/Users/{id}"),
            Some(replaced),
            &[("if-match", "W/\"1\"")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["name"]["familyName"], "Lee-Smith");
    assert_eq!(r.json()["phoneNumbers"][0]["value"], "+12015550144");
    // A stale ETag is refused.
    let r = scim
        .send(
            "PUT",
            &format!("/Users/{id}"),
            Some(user.clone()),
            &[("if-match", "W/\"1\"")],
        )
        .await;
    assert_eq!(r.status, 412, "{}", r.body);

    // Deactivate, as Okta does, with a path-less replace.
    let r = scim
        .patch(
            &format!("/Users/{id}"),
            json!([{"op": "replace", "value": {"active": false}}]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["active"], false);
    let view = scim.admin_view(&id).await;
    assert_eq!(view["status"], "disabled");
    assert!(
        view["disabled_reason"]
            .as_str()
            .unwrap()
            .contains("identity provider")
    );
    // Reactivate.
    let r = scim
        .patch(
            &format!("/Users/{id}"),
            json!([{"op": "replace", "value": {"active": true}}]),
        )
        .await;
    assert_eq!(r.json()["active"], true);
    assert_eq!(scim.admin_view(&id).await["status"], "active");

    // The same userName in another case is taken.
    let r = scim
        .post(
            "/Users",
            json!({"userName": "Isabella.Lee@Example.com", "name": {"givenName": "I", "familyName": "Lee"},
                   "emails": [{"value": "other@example.com"}]}),
        )
        .await;
    assert_eq!(r.status, 409);
    let (status, kind, detail) = error(&r);
    assert_eq!((status.as_str(), kind.as_str()), ("409", "uniqueness"));
    assert!(detail.starts_with("userName"), "{detail}");

    let r = scim
        .send("DELETE", &format!("/Users/{id}"), None, &[])
        .await;
    assert_eq!(r.status, 204);
    let r = scim.get(&format!("/Users/{id}")).await;
    assert_eq!(r.status, 404);
    assert_eq!(error(&r).0, "404");
}

#[tokio::test]
async fn entra_id_provisions_with_its_patch_dialect() {
    let app = app().await;
    let org = Org::new(&app).await;
    let scim = Scim {
        app: &app,
        org: &org,
    };

    // Entra ID's connection test: a userName that cannot exist.
    let r = scim
        .get("/Users?filter=userName+eq+%22e2a0f2d4-9c6b-4f4c-a2a2-2a5d5c2f4b1e%22")
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["totalResults"], 0);

    let r = scim
        .post(
            "/Users",
            json!({
                "schemas": [USER, ENTERPRISE],
                "externalId": "a1b2c3",
                "userName": "Ava.Ng",
                "active": true,
                "displayName": "Ava Ng",
                "emails": [{"primary": true, "type": "work", "value": "ava.ng@example.com"}],
                "name": {"formatted": "Ava Ng", "familyName": "Ng", "givenName": "Ava"},
                "phoneNumbers": [{"type": "mobile", "value": "+12015550177"}],
                ENTERPRISE: {"department": "Field Ops", "employeeNumber": "E-7"}
            }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(r.json()[ENTERPRISE]["department"], "Field Ops");
    // The department was created by name and the user is in it.
    let view = scim.admin_view(&id).await;
    let departments = call(
        &app,
        Call::new("GET", "/v1/departments").as_caller(admin(&org.tenant)),
    )
    .await
    .json();
    let field_ops = departments["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "Field Ops")
        .expect("created from SCIM");
    assert_eq!(view["department_id"], field_ops["id"]);

    // Entra ID finds the user by externalId too (a small organisation is read in full).
    let r = scim
        .get("/Users?filter=externalId%20eq%20%22a1b2c3%22")
        .await;
    assert_eq!(r.json()["totalResults"], 1, "{}", r.body);

    let r = scim
        .patch(
            &format!("/Users/{id}"),
            json!([
                {"op": "Replace", "path": "displayName", "value": "Ava N."},
                {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "ava@example.com"},
                {"op": "Add", "path": "phoneNumbers[type eq \"work\"].value", "value": "+12015550100"},
                {"op": "Replace", "path": format!("{ENTERPRISE}:department"), "value": "field ops"},
                {"op": "Replace", "path": "name.familyName", "value": "Ng-Lam"}
            ]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let u = r.json();
    assert_eq!(u["displayName"], "Ava N.");
    assert_eq!(
        u["emails"],
        json!([{"value": "ava@example.com", "type": "work"}])
    );
    assert_eq!(
        u["phoneNumbers"],
        json!([{"value": "+12015550177", "type": "mobile"}, {"value": "+12015550100", "type": "work"}])
    );
    assert_eq!(
        u[ENTERPRISE]["department"], "Field Ops",
        "matched without case"
    );
    assert_eq!(u[ENTERPRISE]["employeeNumber"], "E-7");
    assert_eq!(u["meta"]["version"], "W/\"2\"");

    // Deactivation with the string boolean Entra ID sends.
    let r = scim
        .patch(
            &format!("/Users/{id}"),
            json!([{"op": "Replace", "path": "active", "value": "False"}]),
        )
        .await;
    assert_eq!(r.json()["active"], false, "{}", r.body);
    let r = scim
        .patch(
            &format!("/Users/{id}"),
            json!([{"op": "Replace", "path": "active", "value": "True"}]),
        )
        .await;
    assert_eq!(r.json()["active"], true);

    // Groups: created empty, members added and removed in single requests.
    let r = scim
        .post(
            "/Groups",
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "externalId": "g-1",
                   "displayName": "Night Shift", "members": []}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let group = r.json()["id"].as_str().unwrap().to_owned();
    let john = org.john.to_string();
    let r = scim
        .patch(
            &format!("/Groups/{group}"),
            json!([{"op": "Add", "path": "members", "value": [{"value": id}, {"value": john}]}]),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let r = scim
        .get("/Groups?filter=displayName%20eq%20%22night%20shift%22&excludedAttributes=members")
        .await;
    assert_eq!(r.json()["totalResults"], 1, "{}", r.body);
    assert!(r.json()["Resources"][0].get("members").is_none());
    let members = scim.get(&format!("/Groups/{group}")).await.json()["members"].clone();
    assert_eq!(members.as_array().unwrap().len(), 2, "{members}");
    assert_eq!(
        scim.get(&format!("/Users/{id}")).await.json()["groups"][0]["value"],
        group.as_str()
    );
    let r = scim
        .patch(
            &format!("/Groups/{group}"),
            json!([{"op": "Remove", "path": format!("members[value eq \"{john}\"]")}]),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let members = scim.get(&format!("/Groups/{group}")).await.json()["members"].clone();
    assert_eq!(
        members,
        json!([{"value": id, "$ref": format!("https://api.roster.test/scim/v2/Users/{id}"), "type": "User"}])
    );
    let r = scim
        .patch(
            &format!("/Groups/{group}"),
            json!([{"op": "Replace", "path": "displayName", "value": "Night Shift B"}]),
        )
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(
        scim.get(&format!("/Groups/{group}")).await.json()["displayName"],
        "Night Shift B"
    );
    let r = scim
        .send("DELETE", &format!("/Groups/{group}"), None, &[])
        .await;
    assert_eq!(r.status, 204);
    assert!(
        scim.get(&format!("/Users/{id}"))
            .await
            .json()
            .get("groups")
            .is_none()
    );
}

#[tokio::test]
async fn the_same_validation_refuses_the_same_input_naming_the_scim_attribute() {
    let app = app().await;
    let org = Org::new(&app).await;
    let scim = Scim {
        app: &app,
        org: &org,
    };
    for (body, attribute) in [
        (
            json!({"userName": "x", "name": {"givenName": "A", "familyName": "B"}, "emails": [{"value": "a@example.com"}]}),
            "userName",
        ),
        (
            json!({"userName": "ok.name", "name": {"givenName": "A"}, "emails": [{"value": "a@example.com"}]}),
            "name.familyName",
        ),
        (
            json!({"userName": "ok.name", "name": {"givenName": "A", "familyName": "B"}, "emails": [{"value": "not-an-address"}]}),
            "emails",
        ),
        (
            json!({"userName": "ok.name", "name": {"givenName": "A", "familyName": "B"}}),
            "",
        ),
        (
            json!({"name": {"givenName": "A", "familyName": "B"}}),
            "userName",
        ),
        (
            json!({"userName": "ok.name", "name": {"givenName": "A", "familyName": "B"}, "emails": [{"value": "a@example.com"}], "active": "sometimes"}),
            "active",
        ),
    ] {
        let r = scim.post("/Users", body.clone()).await;
        assert_eq!(r.status, 400, "{body}: {}", r.body);
        let (status, kind, detail) = error(&r);
        assert_eq!(
            (status.as_str(), kind.as_str()),
            ("400", "invalidValue"),
            "{detail}"
        );
        assert!(detail.contains(attribute), "{body}: {detail}");
    }
    // The admin API gives the same verdict on the same values.
    let r = call(
        &app,
        Call::new("POST", "/v1/users")
            .as_caller(admin(&org.tenant))
            .json(json!({"login": "x", "first_name": "A", "last_name": "B", "email": "a@example.com"})),
    )
    .await;
    assert_eq!(r.status, 422);
    assert!(r.error_fields().contains("login"));

    let r = scim.get("/Users?filter=userName%20eq").await;
    assert_eq!(error(&r).1, "invalidFilter");
    let r = scim
        .patch(&format!("/Users/{}", org.john), json!([{"op": "remove"}]))
        .await;
    assert_eq!(error(&r).1, "noTarget");
    let r = scim.get("/Nothing").await;
    assert_eq!(r.status, 404);
    let r = scim.post("/.search", json!({})).await;
    assert_eq!(r.status, 501);
}

#[tokio::test]
async fn filters_paging_and_attribute_selection() {
    let app = app().await;
    let org = Org::new(&app).await;
    let scim = Scim {
        app: &app,
        org: &org,
    };
    for n in 0..3 {
        let r = scim
            .post(
                "/Users",
                json!({"userName": format!("page.user{n}"), "name": {"givenName": format!("Pat{n}"), "familyName": "Page"},
                       "emails": [{"value": format!("pat{n}@example.com")}]}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let r = scim.get("/Users?startIndex=2&count=2").await.json();
    assert_eq!(
        (
            r["totalResults"].as_u64(),
            r["startIndex"].as_u64(),
            r["itemsPerPage"].as_u64()
        ),
        (Some(4), Some(2), Some(2))
    );
    let r = scim.get("/Users?count=0").await.json();
    assert_eq!(
        (
            r["totalResults"].as_u64(),
            r["Resources"].as_array().unwrap().len()
        ),
        (Some(4), 0)
    );
    let r = scim
        .get("/Users?filter=name.givenName%20sw%20%22pat%22%20and%20not%20(userName%20eq%20%22page.user1%22)&attributes=userName")
        .await
        .json();
    assert_eq!(r["totalResults"], 2, "{r}");
    let first = r["Resources"][0].as_object().unwrap();
    let mut keys: Vec<_> = first.keys().cloned().collect();
    keys.sort();
    assert_eq!(keys, ["id", "schemas", "userName"]);
    let r = scim
        .get("/Users?filter=emails%20co%20%22pat2%40%22%20or%20userName%20eq%20%22john.smith%22")
        .await
        .json();
    assert_eq!(r["totalResults"], 2, "{r}");
    let r = scim
        .post("/Users/.search", json!({"filter": "userName sw \"page.\"", "excludedAttributes": ["emails", "meta"], "count": 10}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = r.json();
    assert_eq!(r["totalResults"], 3);
    assert!(r["Resources"][0].get("emails").is_none() && r["Resources"][0].get("meta").is_none());
}

#[tokio::test]
async fn tokens_are_shown_once_work_for_their_tenant_only_and_stop_when_revoked() {
    let app = app().await;
    let org = Org::new(&app).await;
    let other = Org::new(&app).await;
    let r = call(
        &app,
        Call::new("POST", "/v1/scim/tokens")
            .as_caller(admin(&org.tenant))
            .json(json!({"name": "Okta production"})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let token = r.json()["token"].as_str().unwrap().to_owned();
    let token_id = r.json()["id"].as_str().unwrap().to_owned();
    let listed = call(
        &app,
        Call::new("GET", "/v1/scim/tokens").as_caller(admin(&org.tenant)),
    )
    .await;
    assert_eq!(listed.json()["items"][0]["name"], "Okta production");
    assert!(
        !listed.body.contains(&token[token.len() - 64..]),
        "the secret is never listed"
    );
    assert!(!listed.body.contains("sha256"));
    let analyst = call(
        &app,
        Call::new("GET", "/v1/scim/tokens").as_caller(analyst(&org.tenant)),
    )
    .await;
    assert_eq!(analyst.status, 403);

    // What the authorizer does: the token stands for an admin of its tenant.
    let caller = authenticate(&app.store, &token).await.unwrap();
    assert_eq!(caller.tenant, org.tenant);
    let context = json!({"sub": caller.actor.to_string(), "custom:tenant_id": caller.tenant.as_str(), "cognito:groups": "admin"});
    let as_token = |path: &str| {
        Call::new("GET", path)
            .authorized_by_lambda(context.clone())
            .header("host", "api.roster.test")
    };
    let r = call(&app, as_token(&format!("/scim/v2/Users/{}", org.john))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = call(&app, as_token(&format!("/scim/v2/Users/{}", other.john))).await;
    assert_eq!(
        r.status, 404,
        "another tenant's user is not there: {}",
        r.body
    );
    let r = call(
        &app,
        as_token("/scim/v2/Users?filter=userName%20eq%20%22John.Smith%22"),
    )
    .await;
    assert_eq!(r.json()["Resources"][0]["id"], org.john.to_string());

    let r = call(
        &app,
        Call::new("DELETE", &format!("/v1/scim/tokens/{token_id}")).as_caller(admin(&org.tenant)),
    )
    .await;
    assert_eq!(r.status, 204);
    assert!(
        authenticate(&app.store, &token).await.is_err(),
        "revoked at once"
    );
    let r = call(
        &app,
        Call::new("DELETE", &format!("/v1/scim/tokens/{token_id}")).as_caller(admin(&org.tenant)),
    )
    .await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn many_members_join_and_leave_in_one_request() {
    let app = app().await;
    let org = Org::new(&app).await;
    let scim = Scim {
        app: &app,
        org: &org,
    };
    let mut ids = vec![];
    for n in 0..25 {
        let r = scim
            .post(
                "/Users",
                json!({"userName": format!("crew{n}"), "name": {"givenName": "Crew", "familyName": format!("M{n}")},
                       "emails": [{"value": format!("crew{n}@example.com")}]}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        ids.push(r.json()["id"].as_str().unwrap().to_owned());
    }
    let members: Vec<Value> = ids.iter().map(|id| json!({"value": id})).collect();
    let r = scim
        .post(
            "/Groups",
            json!({"displayName": "Crew", "members": members}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let group = r.json()["id"].as_str().unwrap().to_owned();
    let etag = r.headers["etag"].to_str().unwrap().to_owned();
    let gone: Vec<Value> = ids[..20].iter().map(|id| json!({"value": id})).collect();
    let r = scim
        .send(
            "PATCH",
            &format!("/Groups/{group}"),
            Some(json!({"schemas": [PATCH], "Operations": [{"op": "remove", "path": "members", "value": gone}]})),
            &[("if-match", &etag)],
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let got = scim.get(&format!("/Groups/{group}")).await;
    assert_eq!(got.json()["members"].as_array().unwrap().len(), 5);
    assert_ne!(
        got.headers["etag"].to_str().unwrap(),
        etag,
        "the ETag follows the members"
    );
    // The old ETag is stale now.
    let r = scim
        .send("PATCH", &format!("/Groups/{group}"), Some(json!({"Operations": [{"op": "add", "path": "members", "value": [{"value": ids[0]}]}]})), &[("if-match", &etag)])
        .await;
    assert_eq!(r.status, 412);
    // A member that is nobody fails by name.
    let r = scim
        .patch(&format!("/Groups/{group}"), json!([{"op": "add", "path": "members", "value": [{"value": "01JD0000000000000000000009"}]}]))
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(error(&r).2.starts_with("members"));
}

#[tokio::test]
async fn a_filter_the_indexes_cannot_serve_is_refused_beyond_the_scan_limit() {
    use roster_domain::scim::service::{ListParams, list_users};
    let app = app().await;
    let org = Org::new(&app).await;
    let scim = Scim {
        app: &app,
        org: &org,
    };
    for n in 0..3 {
        let r = scim
            .post(
                "/Users",
                json!({"userName": format!("scan.user{n}"), "name": {"givenName": "Scan", "familyName": "User"},
                       "emails": [{"value": format!("scan{n}@example.com")}], "externalId": format!("e{n}")}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let caller =
        roster_domain::scim::token::issue(&org.tenant, "t", &roster_domain::ids::Actor::new("a"))
            .0
            .caller();
    let params = |filter: &str| ListParams {
        filter: Some(filter.to_owned()),
        scan_limit: Some(3),
        ..ListParams::default()
    };
    // 4 users (John and three): a scan of at most 3 is refused, naming the way out.
    let e = list_users(
        &app.store,
        &caller,
        &params("externalId eq \"e1\""),
        "https://x",
    )
    .await
    .unwrap_err();
    assert_eq!(
        (e.status, e.scim_type),
        (400, Some("tooMany")),
        "{}",
        e.detail
    );
    assert!(e.detail.contains("userName"), "{}", e.detail);
    // The indexed lookups still answer, whatever the organisation's size.
    let found = list_users(
        &app.store,
        &caller,
        &params("userName eq \"scan.user1\""),
        "https://x",
    )
    .await
    .unwrap();
    assert_eq!(found["totalResults"], 1);
    let found = list_users(
        &app.store,
        &caller,
        &params("userName sw \"scan.\" and externalId eq \"e2\""),
        "https://x",
    )
    .await
    .unwrap();
    assert_eq!(found["totalResults"], 1);
    let e = list_users(
        &app.store,
        &caller,
        &ListParams {
            scan_limit: Some(3),
            ..ListParams::default()
        },
        "https://x",
    )
    .await
    .unwrap_err();
    assert_eq!(
        e.scim_type,
        Some("tooMany"),
        "an unfiltered list is bounded too"
    );
}
