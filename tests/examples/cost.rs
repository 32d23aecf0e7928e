//! Prints what each store operation costs in DynamoDB requests and capacity units, for
//! docs/benchmarks.md. Item sizes are measured on the items the adapter really writes (read
//! back from the emulator) and converted with DynamoDB's published sizing rules; the emulator
//! does not report consumed capacity for transactions.
//!
//! Run: scripts/with-emulator cargo run -p roster-tests --example cost

use aws_sdk_dynamodb::types::AttributeValue;
use roster_aws::keys;
use roster_domain::ids::{DepartmentId, TenantId};
use roster_domain::store::CreateUser;
use roster_domain::validation::UserDraft;
use roster_tests::{create_department, dynamodb, store, table_name, user_from};

/// DynamoDB's item size: attribute names plus values (numbers ≈ 1 byte per 2 digits + 1).
fn size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => n.len().div_ceil(2) + 1,
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::L(items) => 3 + items.iter().map(|v| 1 + size(v)).sum::<usize>(),
        AttributeValue::M(map) => {
            3 + map
                .iter()
                .map(|(k, v)| 1 + k.len() + size(v))
                .sum::<usize>()
        }
        AttributeValue::Ss(items) => items.iter().map(String::len).sum(),
        _ => 0,
    }
}

fn item_size(
    item: &std::collections::HashMap<String, AttributeValue>,
    only: Option<&[&str]>,
) -> usize {
    item.iter()
        .filter(|(k, _)| only.is_none_or(|names| names.contains(&k.as_str())))
        .map(|(k, v)| k.len() + size(v))
        .sum()
}

fn units(bytes: usize, per: usize) -> usize {
    bytes.div_ceil(per).max(1)
}

#[tokio::main]
async fn main() {
    let store = store().await;
    // A realistic tenant id: its length is repeated in every key of the user item.
    let tenant = TenantId::parse("acme-corp").unwrap();
    let dept = DepartmentId::parse("sales").unwrap();
    create_department(&store, &tenant, &dept).await;
    let user = user_from(
        &tenant,
        &dept,
        UserDraft {
            login: Some("John.Smith".into()),
            first_name: Some("John".into()),
            last_name: Some("Smith".into()),
            email: Some("john.smith@example.com".into()),
            mobile_phone: Some("+12015550123".into()),
            roles: Some(vec!["agent".into()]),
            ..UserDraft::default()
        },
    );
    store.create_user(&user).await.expect("create");
    // The department's counters are written only for users created one by one: an
    // import's hold on the departments stands in for its users (`User::uncounted_in`).
    let counted_after_create = roster_tests::counted_members(&tenant, &dept).await;
    let mut imported = user_from(
        &tenant,
        &dept,
        UserDraft {
            login: Some("Jane.Smith".into()),
            first_name: Some("Jane".into()),
            last_name: Some("Smith".into()),
            email: Some("jane.smith@example.com".into()),
            mobile_phone: Some("+12015550124".into()),
            roles: Some(vec!["agent".into()]),
            ..UserDraft::default()
        },
    );
    imported.uncounted_in = imported.profile.department_id.clone();
    store.create_user(&imported).await.expect("create imported");
    let counted_after_import = roster_tests::counted_members(&tenant, &dept).await;
    // An `ADD` to one counter item (under 1 KB), doubled as a transaction item.
    let counter_wcu = |added: i64| if added > 0 { 2 } else { 0 };
    let api_counter_wcu = counter_wcu(counted_after_create);
    let import_counter_wcu = counter_wcu(counted_after_import - counted_after_create);
    let client = dynamodb().await;
    let get = |k: (String, String)| {
        let client = client.clone();
        async move {
            client
                .get_item()
                .table_name(table_name())
                .key("pk", AttributeValue::S(k.0))
                .key("sk", AttributeValue::S(k.1))
                .send()
                .await
                .expect("get")
                .item
                .expect("item exists")
        }
    };
    let user_item = get(keys::user(&tenant, &user.id)).await;
    let login_claim = get(keys::login_claim(&tenant, &user.profile.login.key())).await;
    let email_claim = get(keys::email_claim(&tenant, "john.smith@example.com")).await;

    let user_bytes = item_size(&user_item, None);
    let claim_bytes = item_size(&login_claim, None).max(item_size(&email_claim, None));
    let search_attrs: Vec<&str> = keys::SearchField::ALL
        .iter()
        .flat_map(|f| [f.index().pk, f.index().sk])
        .chain(["pk", "sk"])
        .collect();
    let search_bytes = item_size(&user_item, Some(&search_attrs));
    let mut attrs: Vec<(usize, &String)> = user_item
        .iter()
        .map(|(k, v)| (k.len() + size(v), k))
        .collect();
    attrs.sort_by(|a, b| b.cmp(a));
    println!("largest user attributes: {:?}", &attrs[..6]);
    println!(
        "user item: {user_bytes} B, claim item: {claim_bytes} B, search index entry: {search_bytes} B"
    );

    let user_wcu = units(user_bytes, 1024);
    let claim_wcu = units(claim_bytes, 1024);
    let claims_table_wcu = 2 * (user_wcu + 2 * claim_wcu);
    // Only the search entries the stored item carries: a login that begins the e-mail
    // address has none of its own.
    let entries = keys::SearchField::ALL
        .iter()
        .filter(|f| user_item.contains_key(f.index().sk))
        .count();
    println!(
        "search index entries: {entries} of {}",
        keys::SearchField::ALL.len()
    );
    let gsi_wcu = 2 * user_wcu + entries * units(search_bytes, 1024);
    for (how, counter) in [
        ("create user through the API", api_counter_wcu),
        ("create user by import", import_counter_wcu),
    ] {
        let table = claims_table_wcu + counter;
        println!(
            "{how} (login, e-mail, phone): 1 TransactWriteItems, table {table} WCU (department counter {counter}) + indexes {gsi_wcu} WCU = {} WCU",
            table + gsi_wcu
        );
    }
    println!(
        "get user: 1 GetItem (consistent), {} RCU",
        units(user_bytes, 4096)
    );
    println!(
        "find by login/e-mail: 2 GetItem (consistent), {} RCU",
        units(claim_bytes, 4096) + units(user_bytes, 4096)
    );
    println!(
        "update user (no login/e-mail change): 1 TransactWriteItems, table {} WCU + indexes up to {} WCU",
        2 * user_wcu,
        gsi_wcu
    );
    println!(
        "update user changing login: 1 TransactWriteItems, table {} WCU + indexes up to {} WCU",
        2 * (user_wcu + 2 * claim_wcu),
        gsi_wcu
    );
    println!(
        "delete user: 1 TransactWriteItems, table {} WCU ({} for an imported user never moved) + indexes {} WCU",
        2 * (user_wcu + 2 * claim_wcu + 1),
        2 * (user_wcu + 2 * claim_wcu),
        gsi_wcu
    );
}
