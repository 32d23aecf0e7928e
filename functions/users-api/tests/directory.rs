//! The directory routes end to end through the handler, against the emulator: groups and
//! membership, devices, voicemail, answering rules, photos, contacts, the address book and
//! shared contacts.

mod common;

use common::*;
use roster_domain::directory::photo::PhotoStore;
use roster_domain::store::GetUser;
use roster_tests::apigw::Call;
use roster_tests::{fresh_tenant, http_get, http_put_typed};
use serde_json::{Value, json};

async fn create_user(app: &TestApp, org: &Org, login: &str, extra: Value) -> String {
    let mut body = json!({
        "login": login, "first_name": login, "last_name": "Tester",
        "email": format!("{login}@example.com"), "department_id": "sales",
    });
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let r = call(
        app,
        Call::new("POST", "/v1/users")
            .as_caller(admin(&org.tenant))
            .json(body),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()["id"].as_str().unwrap().to_owned()
}

async fn as_admin(
    app: &TestApp,
    org: &Org,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> Reply {
    let mut c = Call::new(method, path).as_caller(admin(&org.tenant));
    if let Some(b) = body {
        c = c.json(b);
    }
    call(app, c).await
}

fn ids_of(reply: &Reply) -> Vec<String> {
    reply.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn groups_and_idempotent_membership() {
    let app = app().await;
    let org = Org::new(&app).await;
    let created = as_admin(
        &app,
        &org,
        "POST",
        "/v1/groups",
        Some(json!({"name": "Night Shift", "description": "after 22:00"})),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let group = created.json()["id"].as_str().unwrap().to_owned();
    assert!(!group.is_empty(), "the server made an id");
    let clash = as_admin(
        &app,
        &org,
        "POST",
        "/v1/groups",
        Some(json!({"name": "night shift"})),
    )
    .await;
    assert_eq!(clash.status, 409);
    assert!(clash.error_fields().contains("name"));
    let bad = as_admin(&app, &org, "POST", "/v1/groups", Some(json!({"name": ""}))).await;
    assert_eq!(bad.status, 422);
    assert!(bad.error_fields().contains("name"));

    // Membership: PUT and DELETE are idempotent, the user shows group_ids.
    let member = format!("/v1/groups/{group}/members/{}", org.john);
    for _ in 0..2 {
        assert_eq!(as_admin(&app, &org, "PUT", &member, None).await.status, 204);
    }
    let john = as_admin(&app, &org, "GET", &org.user_path(""), None).await;
    assert_eq!(john.json()["group_ids"], json!([group]));
    let version_after_add = john.json()["version"].clone();
    assert_eq!(as_admin(&app, &org, "PUT", &member, None).await.status, 204);
    let again = as_admin(&app, &org, "GET", &org.user_path(""), None).await;
    assert_eq!(
        again.json()["version"],
        version_after_add,
        "a repeated PUT writes nothing"
    );

    // The member list pages by id.
    let mut ids = vec![org.john.to_string()];
    for n in 0..4 {
        let id = create_user(
            &app,
            &org,
            &format!("member.{n}"),
            json!({"group_ids": [group]}),
        )
        .await;
        ids.push(id);
    }
    ids.sort();
    let mut listed = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut c = Call::new("GET", &format!("/v1/groups/{group}/members"))
            .as_caller(admin(&org.tenant))
            .query("limit", "2");
        if let Some(cur) = &cursor {
            c = c.query("cursor", cur);
        }
        let page = call(&app, c).await;
        assert_eq!(page.status, 200, "{}", page.body);
        listed.extend(ids_of(&page));
        match page.json()["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(listed, ids);

    // Roles: an analyst reads but may not change membership; unknown ids are 404.
    let analyst_put = call(
        &app,
        Call::new("PUT", &member).as_caller(analyst(&org.tenant)),
    )
    .await;
    assert_eq!(analyst_put.status, 403);
    let analyst_list = call(
        &app,
        Call::new("GET", &format!("/v1/groups/{group}/members")).as_caller(analyst(&org.tenant)),
    )
    .await;
    assert_eq!(analyst_list.status, 200);
    let unknown_group = format!("/v1/groups/nosuchgroup/members/{}", org.john);
    assert_eq!(
        as_admin(&app, &org, "PUT", &unknown_group, None)
            .await
            .status,
        404
    );
    let unknown_user = format!("/v1/groups/{group}/members/01JAAAAAAAAAAAAAAAAAAAAAAA");
    assert_eq!(
        as_admin(&app, &org, "PUT", &unknown_user, None)
            .await
            .status,
        404
    );
    let bad_group_id =
        create_user_body_error(&app, &org, json!({"group_ids": ["nosuchgroup"]})).await;
    assert!(bad_group_id.contains("group_ids[0]"), "{bad_group_id}");

    // Another tenant's admin sees nothing of it.
    let other = fresh_tenant();
    for (method, path) in [
        ("GET", format!("/v1/groups/{group}")),
        ("PUT", member.clone()),
        ("GET", format!("/v1/groups/{group}/members")),
    ] {
        let r = call(&app, Call::new(method, &path).as_caller(admin(&other))).await;
        assert_eq!(r.status, 404, "{method} {path}");
    }

    // Rename; then remove John (twice); then delete the group: no member keeps it.
    let renamed = as_admin(
        &app,
        &org,
        "PATCH",
        &format!("/v1/groups/{group}"),
        Some(json!({"name": "Nights", "description": null})),
    )
    .await;
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    assert_eq!(renamed.json()["name"], "Nights");
    for _ in 0..2 {
        assert_eq!(
            as_admin(&app, &org, "DELETE", &member, None).await.status,
            204
        );
    }
    let john = as_admin(&app, &org, "GET", &org.user_path(""), None).await;
    assert!(
        john.json().get("group_ids").is_none_or(|g| g == &json!([])),
        "{}",
        john.body
    );
    assert_eq!(
        as_admin(&app, &org, "DELETE", &format!("/v1/groups/{group}"), None)
            .await
            .status,
        204
    );
    for id in &ids {
        let u = as_admin(&app, &org, "GET", &format!("/v1/users/{id}"), None).await;
        assert!(
            u.json().get("group_ids").is_none_or(|g| g == &json!([])),
            "{}",
            u.body
        );
    }
    let gone = as_admin(
        &app,
        &org,
        "GET",
        &format!("/v1/groups/{group}/members"),
        None,
    )
    .await;
    assert_eq!(gone.status, 404);
    // The name is free again.
    let reused = as_admin(
        &app,
        &org,
        "POST",
        "/v1/groups",
        Some(json!({"name": "Nights"})),
    )
    .await;
    assert_eq!(reused.status, 201);
}

/// The 422 message of a create that should fail.
async fn create_user_body_error(app: &TestApp, org: &Org, extra: Value) -> String {
    let mut body = json!({"login": "bad.user", "first_name": "B", "last_name": "U", "email": "bad.user@example.com"});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let r = as_admin(app, org, "POST", "/v1/users", Some(body)).await;
    assert_eq!(r.status, 422, "{}", r.body);
    r.body
}

#[tokio::test]
async fn deleting_a_user_leaves_no_membership_behind() {
    let app = app().await;
    let org = Org::new(&app).await;
    let group = as_admin(
        &app,
        &org,
        "POST",
        "/v1/groups",
        Some(json!({"id": "pilots", "name": "Pilots"})),
    )
    .await;
    assert_eq!(group.status, 201);
    let anna = create_user(&app, &org, "anna.b", json!({"group_ids": ["pilots"]})).await;
    assert_eq!(
        as_admin(&app, &org, "DELETE", &format!("/v1/users/{anna}"), None)
            .await
            .status,
        204
    );
    let members = as_admin(&app, &org, "GET", "/v1/groups/pilots/members", None).await;
    assert_eq!(ids_of(&members), Vec::<String>::new());
}

#[tokio::test]
async fn devices_have_unique_extensions_and_mac_addresses() {
    let app = app().await;
    let org = Org::new(&app).await;
    let devices = org.user_path("/devices");
    let added = as_admin(&app, &org, "POST", &devices, Some(json!({"extension": "201", "mac_address": "00-1A-2B-3C-4D-5E", "label": "Desk", "model": "Yealink T54W"}))).await;
    assert_eq!(added.status, 201, "{}", added.body);
    let device = added.json();
    assert_eq!(device["kind"], "desk_phone");
    assert_eq!(device["mac_address"], "00:1a:2b:3c:4d:5e");
    let device_id = device["id"].as_str().unwrap().to_owned();

    for (body, field) in [
        (json!({"extension": "1"}), "extension"),
        (json!({"extension": "12345678901"}), "extension"),
        (json!({"extension": "20a"}), "extension"),
        (json!({"extension": "301", "kind": "fax"}), "kind"),
        (
            json!({"extension": "301", "mac_address": "nope"}),
            "mac_address",
        ),
        (json!({}), "extension"),
    ] {
        let r = as_admin(&app, &org, "POST", &devices, Some(body.clone())).await;
        assert_eq!(r.status, 422, "{body}: {}", r.body);
        assert!(r.error_fields().contains(field), "{body}: {}", r.body);
    }
    let typo = as_admin(
        &app,
        &org,
        "POST",
        &devices,
        Some(json!({"extension": "301", "colour": "red"})),
    )
    .await;
    assert_eq!(typo.status, 400);

    // Another user of the tenant cannot take the extension or the MAC address.
    let mia = create_user(&app, &org, "mia.k", json!({})).await;
    let mia_devices = format!("/v1/users/{mia}/devices");
    let taken = as_admin(
        &app,
        &org,
        "POST",
        &mia_devices,
        Some(json!({"extension": "201"})),
    )
    .await;
    assert_eq!(taken.status, 409, "{}", taken.body);
    assert!(taken.error_fields().contains("extension"));
    let mac = as_admin(
        &app,
        &org,
        "POST",
        &mia_devices,
        Some(json!({"extension": "202", "mac_address": "001a.2b3c.4d5e"})),
    )
    .await;
    assert_eq!(mac.status, 409, "{}", mac.body);
    assert!(mac.error_fields().contains("mac_address"));
    let in_create = create_user_body_error_status(
        &app,
        &org,
        json!({"login": "zed.q", "devices": [{"extension": "201"}]}),
    )
    .await;
    assert_eq!(in_create, 409);
    // Another tenant may use the same numbers.
    let other = Org::new(&app).await;
    let elsewhere = as_admin(
        &app,
        &other,
        "POST",
        &other.user_path("/devices"),
        Some(json!({"extension": "201", "mac_address": "00:1a:2b:3c:4d:5e"})),
    )
    .await;
    assert_eq!(elsewhere.status, 201, "{}", elsewhere.body);
    let foreign = call(
        &app,
        Call::new("GET", &devices).as_caller(admin(&other.tenant)),
    )
    .await;
    assert_eq!(foreign.status, 404);

    // Changing the extension frees the old one; deleting frees the new one.
    let device_path = org.user_path(&format!("/devices/{device_id}"));
    let moved = as_admin(
        &app,
        &org,
        "PATCH",
        &device_path,
        Some(json!({"extension": "210", "label": null})),
    )
    .await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    assert_eq!(moved.json()["extension"], "210");
    assert!(moved.json().get("label").is_none());
    let freed = as_admin(
        &app,
        &org,
        "POST",
        &mia_devices,
        Some(json!({"extension": "201", "kind": "softphone"})),
    )
    .await;
    assert_eq!(freed.status, 201, "{}", freed.body);
    let listed = as_admin(&app, &org, "GET", &devices, None).await;
    assert_eq!(listed.json()["items"][0]["extension"], "210");
    let user = as_admin(&app, &org, "GET", &org.user_path(""), None).await;
    assert_eq!(user.json()["devices"][0]["id"], device_id.as_str());
    assert_eq!(
        as_admin(&app, &org, "DELETE", &device_path, None)
            .await
            .status,
        204
    );
    assert_eq!(
        as_admin(&app, &org, "DELETE", &device_path, None)
            .await
            .status,
        404
    );
    let reuse = as_admin(
        &app,
        &org,
        "POST",
        &mia_devices,
        Some(json!({"extension": "210", "mac_address": "00:1a:2b:3c:4d:5e"})),
    )
    .await;
    assert_eq!(reuse.status, 201, "{}", reuse.body);

    // Deleting a user frees its extensions.
    assert_eq!(
        as_admin(&app, &org, "DELETE", &format!("/v1/users/{mia}"), None)
            .await
            .status,
        204
    );
    let after = as_admin(
        &app,
        &org,
        "POST",
        &devices,
        Some(json!({"extension": "201"})),
    )
    .await;
    assert_eq!(after.status, 201, "{}", after.body);

    // Roles: analysts read, managers change their departments only.
    let analyst_add = call(
        &app,
        Call::new("POST", &devices)
            .as_caller(analyst(&org.tenant))
            .json(json!({"extension": "500"})),
    )
    .await;
    assert_eq!(analyst_add.status, 403);
    let outsider = call(
        &app,
        Call::new("POST", &devices)
            .as_caller(manager(&org.tenant, &["support"]))
            .json(json!({"extension": "500"})),
    )
    .await;
    assert_eq!(outsider.status, 404);
    let insider = call(
        &app,
        Call::new("POST", &devices)
            .as_caller(manager(&org.tenant, &["sales"]))
            .json(json!({"extension": "500"})),
    )
    .await;
    assert_eq!(insider.status, 201, "{}", insider.body);
}

async fn create_user_body_error_status(app: &TestApp, org: &Org, extra: Value) -> u16 {
    let mut body =
        json!({"login": "bad.user", "first_name": "B", "last_name": "U", "email": "x@example.org"});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    as_admin(app, org, "POST", "/v1/users", Some(body))
        .await
        .status
}

#[tokio::test]
async fn voicemail_pins_are_write_only_hashed_and_never_trivial() {
    let app = app().await;
    let org = Org::new(&app).await;
    let path = org.user_path("/voicemail");
    let empty = as_admin(&app, &org, "GET", &path, None).await;
    assert_eq!(empty.status, 200);
    assert_eq!(empty.json()["pin_set"], false);
    for pin in ["1234", "0000", "12", "12345678901", "98a7"] {
        let r = as_admin(
            &app,
            &org,
            "PUT",
            &path,
            Some(json!({"enabled": true, "pin": pin})),
        )
        .await;
        assert_eq!(r.status, 422, "{pin}: {}", r.body);
        assert!(r.error_fields().contains("pin"));
        assert!(!r.body.contains(pin), "the refused PIN is not echoed");
    }
    let numeric = as_admin(&app, &org, "PUT", &path, Some(json!({"pin": 2580}))).await;
    assert_eq!(numeric.status, 400);
    let bad = as_admin(
        &app,
        &org,
        "PUT",
        &path,
        Some(json!({"enabled": true, "notify_email": "nope", "colour": 1})),
    )
    .await;
    assert_eq!(
        bad.status, 400,
        "unknown fields are named first: {}",
        bad.body
    );

    let set = as_admin(&app, &org, "PUT", &path, Some(json!({"enabled": true, "pin": "2580", "greeting": "You reached John", "notify_email": "john.smith@example.com", "attach_audio": true}))).await;
    assert_eq!(set.status, 200, "{}", set.body);
    assert_eq!(set.json()["pin_set"], true);
    assert!(
        !set.body.contains("2580") && !set.body.contains("argon"),
        "{}",
        set.body
    );
    let stored = app
        .store
        .get_user(&org.tenant, &org.john)
        .await
        .unwrap()
        .unwrap();
    let hash = stored.voicemail.unwrap().pin_hash.unwrap();
    assert!(hash.as_phc().starts_with("$argon2id$"));
    let user_json = as_admin(&app, &org, "GET", &org.user_path(""), None).await;
    assert!(!user_json.body.contains("argon") && !user_json.body.contains("2580"));

    // Left out keeps the PIN; null removes it.
    let kept = as_admin(&app, &org, "PUT", &path, Some(json!({"enabled": false}))).await;
    assert_eq!(kept.json()["pin_set"], true);
    assert_eq!(kept.json()["enabled"], false);
    let analyst_read = call(
        &app,
        Call::new("GET", &path).as_caller(analyst(&org.tenant)),
    )
    .await;
    assert_eq!(analyst_read.status, 200);
    let analyst_write = call(
        &app,
        Call::new("PUT", &path)
            .as_caller(analyst(&org.tenant))
            .json(json!({"pin": null})),
    )
    .await;
    assert_eq!(analyst_write.status, 403);
    let removed = as_admin(&app, &org, "PUT", &path, Some(json!({"pin": null}))).await;
    assert_eq!(removed.json()["pin_set"], false);
    let foreign = call(
        &app,
        Call::new("GET", &path).as_caller(admin(&fresh_tenant())),
    )
    .await;
    assert_eq!(foreign.status, 404);
}

#[tokio::test]
async fn answering_rules_are_validated_as_a_whole() {
    let app = app().await;
    let org = Org::new(&app).await;
    let path = org.user_path("/answering-rules");
    let bad = as_admin(&app, &org, "PUT", &path, Some(json!({"rules": [
        {"name": "Day", "days": ["mon", "tue"], "from": "09:00", "to": "17:00", "action": "ring", "ring_seconds": 20},
        {"name": "Evening", "days": ["mon"], "from": "18:00", "to": "17:00", "action": "forward"},
        {"name": "Weekend", "days": ["sat", "someday"], "from": "00:00", "to": "24:00", "action": "forward", "forward_to": "12"},
    ]}))).await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    let fields = bad.error_fields();
    for f in [
        "rules[1].to",
        "rules[1].forward_to",
        "rules[2].days[1]",
        "rules[2].forward_to",
    ] {
        assert!(fields.contains(f), "{f} missing in {}", bad.body);
    }
    assert!(!fields.iter().any(|f| f.starts_with("rules[0]")));
    let good = as_admin(&app, &org, "PUT", &path, Some(json!({"rules": [
        {"name": "Day", "days": ["fri", "mon"], "from": "09:00", "to": "17:00", "action": "ring", "ring_seconds": 20},
        {"name": "Night", "days": ["mon", "tue", "wed", "thu", "fri"], "from": "17:00", "to": "24:00", "action": "forward", "forward_to": "201-555-0199"},
    ]}))).await;
    assert_eq!(good.status, 200, "{}", good.body);
    let read = as_admin(&app, &org, "GET", &path, None).await;
    let rules = read.json()["rules"].clone();
    assert_eq!(rules[0]["name"], "Day");
    assert_eq!(rules[0]["days"], json!(["mon", "fri"]));
    assert_eq!(
        rules[1]["forward_to"], "+12015550199",
        "national numbers take the tenant's country"
    );
    let cleared = as_admin(&app, &org, "PUT", &path, Some(json!([]))).await;
    assert_eq!(cleared.json()["rules"], json!([]));
    let analyst_write = call(
        &app,
        Call::new("PUT", &path)
            .as_caller(analyst(&org.tenant))
            .json(json!({"rules": []})),
    )
    .await;
    assert_eq!(analyst_write.status, 403);
}

const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

#[tokio::test]
async fn photos_are_checked_before_they_are_shown_and_go_with_the_user() {
    let app = app().await;
    let org = Org::new(&app).await;
    let path = org.user_path("/photo");
    let html = as_admin(
        &app,
        &org,
        "POST",
        &path,
        Some(json!({"content_type": "text/html"})),
    )
    .await;
    assert_eq!(html.status, 422);
    assert!(html.error_fields().contains("content_type"));
    let huge = as_admin(
        &app,
        &org,
        "POST",
        &path,
        Some(json!({"content_type": "image/png", "content_length": 6_000_000})),
    )
    .await;
    assert_eq!(huge.status, 422);
    assert!(huge.error_fields().contains("content_length"));

    let link = as_admin(
        &app,
        &org,
        "POST",
        &path,
        Some(json!({"content_type": "image/png"})),
    )
    .await;
    assert_eq!(link.status, 200, "{}", link.body);
    let url = link.json()["upload_url"].as_str().unwrap().to_owned();
    assert!(
        url.contains(&format!("photos/{}/{}/", org.tenant, org.john)),
        "{url}"
    );
    let pending = as_admin(&app, &org, "GET", &org.user_path(""), None).await;
    assert_eq!(pending.json()["photo_pending"], true);
    assert!(
        pending.json()["photo_url"].is_null(),
        "nothing to show before the upload"
    );
    assert_eq!(http_put_typed(&url, "image/png", PNG), 200);
    let shown = as_admin(&app, &org, "GET", &org.user_path(""), None).await;
    assert_eq!(shown.json()["photo_pending"], false, "{}", shown.body);
    let photo_url = shown.json()["photo_url"].as_str().unwrap().to_owned();
    let (status, bytes) = http_get(&photo_url);
    assert_eq!((status, bytes.as_slice()), (200, PNG));
    let key = shown.json()["photo"].as_str().unwrap().to_owned();

    // Not an image, or too big: deleted, and the old photo stays.
    for body in [
        b"<html><script>alert(1)</script>".to_vec(),
        [PNG, &vec![0u8; 5 * 1024 * 1024]].concat(),
    ] {
        let link = as_admin(
            &app,
            &org,
            "POST",
            &path,
            Some(json!({"content_type": "image/png"})),
        )
        .await;
        let url = link.json()["upload_url"].as_str().unwrap().to_owned();
        assert_eq!(http_put_typed(&url, "image/png", &body), 200);
        let after = as_admin(&app, &org, "GET", &org.user_path(""), None).await;
        assert_eq!(after.json()["photo"], key.as_str(), "{}", after.body);
        assert_eq!(after.json()["photo_pending"], false);
        let refused_key = url
            .split('?')
            .next()
            .unwrap()
            .split(&format!("/{}/", bucket()))
            .nth(1)
            .unwrap()
            .to_owned();
        assert!(
            app.photos.inspect(&refused_key).await.unwrap().is_none(),
            "the refused upload is deleted"
        );
    }
    let current = as_admin(&app, &org, "GET", &org.user_path(""), None).await;
    let etag = current.headers["etag"].to_str().unwrap().to_owned();
    let write_photo = call(
        &app,
        Call::new("PATCH", &org.user_path(""))
            .as_caller(admin(&org.tenant))
            .header("if-match", &etag)
            .json(json!({"photo": "photos/x"})),
    )
    .await;
    assert_eq!(
        write_photo.status, 400,
        "clients cannot point the photo anywhere"
    );
    assert!(write_photo.error_fields().contains("photo"));

    // show_photo decides whether contacts and the address book show it.
    let hidden = as_admin(&app, &org, "GET", "/v1/address-book", None).await;
    assert!(!hidden.body.contains("photo_url"));
    let patched = call(
        &app,
        Call::new("PATCH", &org.user_path(""))
            .as_caller(admin(&org.tenant))
            .header("if-match", &etag)
            .json(json!({"show_photo": true, "in_address_book": true})),
    )
    .await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    let book = as_admin(&app, &org, "GET", "/v1/address-book", None).await;
    assert!(
        book.json()["items"][0]["photo_url"].is_string(),
        "{}",
        book.body
    );

    assert_eq!(
        as_admin(&app, &org, "DELETE", &org.user_path(""), None)
            .await
            .status,
        204
    );
    assert!(
        app.photos.inspect(&key).await.unwrap().is_none(),
        "the photo goes with the user"
    );
}

#[tokio::test]
async fn contacts_address_book_and_shared_contacts() {
    let app = app().await;
    let org = Org::new(&app).await;
    let mia = create_user(
        &app,
        &org,
        "mia.k",
        json!({"in_address_book": true, "devices": [{"extension": "301"}]}),
    )
    .await;
    let _ned = create_user(
        &app,
        &org,
        "ned.o",
        json!({"maximal_contacts": false, "in_address_book": true}),
    )
    .await;
    let _sue = create_user(
        &app,
        &org,
        "sue.p",
        json!({"department_id": "support", "in_address_book": false}),
    )
    .await;

    // Shared contacts: CRUD with validation.
    let bad = as_admin(
        &app,
        &org,
        "POST",
        "/v1/shared-contacts",
        Some(json!({"company": "Acme"})),
    )
    .await;
    assert_eq!(bad.status, 422);
    assert!(bad.error_fields().contains("name") && bad.error_fields().contains("phone"));
    let reception = as_admin(
        &app,
        &org,
        "POST",
        "/v1/shared-contacts",
        Some(json!({"name": "Reception", "phone": "201 555 0100"})),
    )
    .await;
    assert_eq!(reception.status, 201, "{}", reception.body);
    assert_eq!(reception.json()["phone"], "+12015550100");
    let reception_id = reception.json()["id"].as_str().unwrap().to_owned();
    let helpdesk = as_admin(&app, &org, "POST", "/v1/shared-contacts", Some(json!({"id": "helpdesk", "name": "IT Help Desk", "email": "help@example.com", "company": "Acme IT"}))).await;
    assert_eq!(helpdesk.status, 201, "{}", helpdesk.body);
    let dup = as_admin(
        &app,
        &org,
        "POST",
        "/v1/shared-contacts",
        Some(json!({"id": "helpdesk", "name": "Again", "email": "a@example.com"})),
    )
    .await;
    assert_eq!(dup.status, 409);
    let patched = as_admin(
        &app,
        &org,
        "PATCH",
        "/v1/shared-contacts/helpdesk",
        Some(json!({"phone": "+12015550111"})),
    )
    .await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    let unreachable = as_admin(
        &app,
        &org,
        "PATCH",
        "/v1/shared-contacts/helpdesk",
        Some(json!({"phone": null, "email": null})),
    )
    .await;
    assert_eq!(unreachable.status, 422);
    let analyst_create = call(
        &app,
        Call::new("POST", "/v1/shared-contacts")
            .as_caller(analyst(&org.tenant))
            .json(json!({"name": "X", "phone": "+12015550100"})),
    )
    .await;
    assert_eq!(analyst_create.status, 403);
    let foreign = call(
        &app,
        Call::new("PATCH", "/v1/shared-contacts/helpdesk")
            .as_caller(admin(&fresh_tenant()))
            .json(json!({"name": "Mine"})),
    )
    .await;
    assert_eq!(foreign.status, 404);

    // John's contacts: department members who share theirs, then the shared contacts first.
    let contacts = as_admin(&app, &org, "GET", &org.user_path("/contacts"), None).await;
    assert_eq!(contacts.status, 200, "{}", contacts.body);
    let entries = contacts.json()["items"].as_array().unwrap().clone();
    let names: Vec<&str> = entries
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["IT Help Desk", "Reception", "mia.k Tester"],
        "{}",
        contacts.body
    );
    assert_eq!(entries[2]["extensions"], json!(["301"]));
    assert_eq!(entries[2]["type"], "user");
    // Turning maximal_contacts off takes Mia out of John's list.
    let mia_user = as_admin(&app, &org, "GET", &format!("/v1/users/{mia}"), None).await;
    let etag = mia_user.headers["etag"].to_str().unwrap().to_owned();
    let off = call(
        &app,
        Call::new("PATCH", &format!("/v1/users/{mia}"))
            .as_caller(admin(&org.tenant))
            .header("if-match", &etag)
            .json(json!({"maximal_contacts": false})),
    )
    .await;
    assert_eq!(off.status, 200);
    let contacts = as_admin(&app, &org, "GET", &org.user_path("/contacts"), None).await;
    assert_eq!(
        contacts.json()["items"].as_array().unwrap().len(),
        2,
        "{}",
        contacts.body
    );

    // The address book: opted-in users and shared contacts; searchable; any role reads it.
    let book = call(
        &app,
        Call::new("GET", "/v1/address-book").as_caller(analyst(&org.tenant)),
    )
    .await;
    assert_eq!(book.status, 200, "{}", book.body);
    let names: Vec<String> = book.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        names,
        ["IT Help Desk", "Reception", "mia.k Tester", "ned.o Tester"]
    );
    let searched = call(
        &app,
        Call::new("GET", "/v1/address-book")
            .query("q", "ned")
            .as_caller(manager(&org.tenant, &["support"])),
    )
    .await;
    let names: Vec<String> = searched.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["ned.o Tester"], "{}", searched.body);
    let help = as_admin(&app, &org, "GET", "/v1/address-book?q=acme", None).await;
    let shared = call(
        &app,
        Call::new("GET", "/v1/address-book")
            .query("q", "acme")
            .as_caller(admin(&org.tenant)),
    )
    .await;
    assert_eq!(help.status, 200);
    assert_eq!(
        shared.json()["items"][0]["id"],
        "helpdesk",
        "{}",
        shared.body
    );

    // Deleted shared contacts leave both lists.
    assert_eq!(
        as_admin(
            &app,
            &org,
            "DELETE",
            &format!("/v1/shared-contacts/{reception_id}"),
            None
        )
        .await
        .status,
        204
    );
    assert_eq!(
        as_admin(
            &app,
            &org,
            "DELETE",
            &format!("/v1/shared-contacts/{reception_id}"),
            None
        )
        .await
        .status,
        404
    );
    let listed = as_admin(&app, &org, "GET", "/v1/shared-contacts", None).await;
    assert_eq!(ids_of(&listed), ["helpdesk"]);
}

/// (method, path, body, status for an admin, a manager of sales, an analyst).
type RoleCase = (&'static str, String, Option<Value>, u16, u16, u16);

/// Every directory route for each role: admins everything; managers change users of their
/// departments but not the organisation's groups or shared contacts; analysts only read.
#[tokio::test]
async fn each_directory_route_for_each_role() {
    let app = app().await;
    let org = Org::new(&app).await;
    let g = as_admin(
        &app,
        &org,
        "POST",
        "/v1/groups",
        Some(json!({"id": "g1", "name": "G1"})),
    )
    .await;
    assert_eq!(g.status, 201);
    let sc = as_admin(
        &app,
        &org,
        "POST",
        "/v1/shared-contacts",
        Some(json!({"id": "c1", "name": "Desk", "phone": "+12015550100"})),
    )
    .await;
    assert_eq!(sc.status, 201);
    let john = org.john.to_string();
    // (method, path, body, admin, manager of sales, analyst); run in this order.
    let cases: Vec<RoleCase> = vec![
        ("GET", "/v1/groups".into(), None, 200, 200, 200),
        (
            "POST",
            "/v1/groups".into(),
            Some(json!({"name": "X"})),
            201,
            403,
            403,
        ),
        ("GET", "/v1/groups/g1".into(), None, 200, 200, 200),
        (
            "PATCH",
            "/v1/groups/g1".into(),
            Some(json!({"description": "d"})),
            200,
            403,
            403,
        ),
        (
            "PUT",
            format!("/v1/groups/g1/members/{john}"),
            None,
            204,
            204,
            403,
        ),
        ("GET", "/v1/groups/g1/members".into(), None, 200, 200, 200),
        (
            "DELETE",
            format!("/v1/groups/g1/members/{john}"),
            None,
            204,
            204,
            403,
        ),
        (
            "GET",
            format!("/v1/users/{john}/devices"),
            None,
            200,
            200,
            200,
        ),
        (
            "POST",
            format!("/v1/users/{john}/devices"),
            Some(json!({"extension": "__EXT__"})),
            201,
            201,
            403,
        ),
        (
            "GET",
            format!("/v1/users/{john}/voicemail"),
            None,
            200,
            200,
            200,
        ),
        (
            "PUT",
            format!("/v1/users/{john}/voicemail"),
            Some(json!({"enabled": true})),
            200,
            200,
            403,
        ),
        (
            "GET",
            format!("/v1/users/{john}/answering-rules"),
            None,
            200,
            200,
            200,
        ),
        (
            "PUT",
            format!("/v1/users/{john}/answering-rules"),
            Some(json!({"rules": []})),
            200,
            200,
            403,
        ),
        (
            "POST",
            format!("/v1/users/{john}/photo"),
            Some(json!({"content_type": "image/jpeg"})),
            200,
            200,
            403,
        ),
        (
            "GET",
            format!("/v1/users/{john}/contacts"),
            None,
            200,
            200,
            200,
        ),
        ("GET", "/v1/address-book".into(), None, 200, 200, 200),
        ("GET", "/v1/shared-contacts".into(), None, 200, 200, 200),
        (
            "POST",
            "/v1/shared-contacts".into(),
            Some(json!({"name": "Y", "email": "y@example.com"})),
            201,
            403,
            403,
        ),
        (
            "PATCH",
            "/v1/shared-contacts/c1".into(),
            Some(json!({"company": "Acme"})),
            200,
            403,
            403,
        ),
        ("DELETE", "/v1/groups/g1".into(), None, 204, 403, 403),
    ];
    let mut extension = 300;
    for (role, claims) in [
        ("manager", manager(&org.tenant, &["sales"])),
        ("analyst", analyst(&org.tenant)),
        ("admin", admin(&org.tenant)),
    ] {
        for (method, path, body, for_admin, for_manager, for_analyst) in &cases {
            let expected = match role {
                "admin" => *for_admin,
                "manager" => *for_manager,
                _ => *for_analyst,
            };
            let mut c = Call::new(method, path).as_caller(claims.clone());
            if let Some(b) = body {
                extension += 1;
                let text = b.to_string().replace("__EXT__", &extension.to_string());
                c = c.json(serde_json::from_str(&text).unwrap());
            }
            let r = call(&app, c).await;
            assert_eq!(r.status, expected, "{role} {method} {path}: {}", r.body);
        }
    }
    // A manager of another department reaches none of John's directory data.
    let outsider = manager(&org.tenant, &["support"]);
    for path in ["/devices", "/voicemail", "/answering-rules", "/contacts"] {
        let r = call(
            &app,
            Call::new("GET", &org.user_path(path)).as_caller(outsider.clone()),
        )
        .await;
        assert_eq!(r.status, 404, "{path}");
    }
    // The export carries the new user-level columns.
    let export = as_admin(&app, &org, "GET", "/v1/users/export", None).await;
    let header = export.body.lines().next().unwrap().to_owned();
    assert!(header.contains(",groups,extension,"), "{header}");
    // The manager (first pass) added 303 and the admin (last pass) 319: see the numbering.
    assert!(
        export.body.contains(",303;319,"),
        "extensions are exported: {}",
        export.body
    );
}
