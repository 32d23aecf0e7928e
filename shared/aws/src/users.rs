//! Users, their login and e-mail claims, listing and prefix search.
//!
//! Uniqueness is the database's job: a user item is written in one transaction with a claim
//! item per unique value (`attribute_not_exists`), so two concurrent creates of one login can
//! never both succeed, and an update that changes a login deletes the old claim and puts the
//! new one in the same transaction as the user — there is no moment where two users hold it.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::{Delete, KeysAndAttributes, Put, TransactWriteItem, Update};
use futures::future::try_join_all;
use roster_domain::ids::{DepartmentId, TenantId, UserId};
use roster_domain::search::search_term;
use roster_domain::store::{
    CreateUser, DeleteUser, FindUser, GetUser, ListUsers, Page, StoreError, StoreResult,
    UniqueField, UpdateUser, UserQuery,
};
use roster_domain::user::{StatusChange, User};

use crate::DynamoStore;
use crate::cursor::Cursor;
use crate::error::classify;
use crate::item::{
    Item, PartitionQuery, SortRange, from_item, key, n, record_item, s, string_attr,
};
use crate::keys::{self, AFTER_PREFIX, AFTER_TERM, Index, SearchField, USER_SHARDS};
use crate::transaction::{Cancelled, build_err};

const ENTITY: &str = "user";

/// What each item of a transaction stands for, to explain a cancellation.
#[derive(Debug, Clone)]
enum Role {
    User,
    NewClaim(UniqueField),
    OldClaim,
    /// A member counter of this department (missing: the department is gone, or predates
    /// the counters).
    Department(DepartmentId),
    /// An older status change moved off the user item (unconditional).
    Archive,
    /// A membership item put or deleted with the user (unconditional).
    Membership,
}

/// A transaction under construction, with the role of each item.
#[derive(Default)]
struct Tx {
    items: Vec<TransactWriteItem>,
    roles: Vec<Role>,
}

impl Tx {
    fn push(&mut self, item: TransactWriteItem, role: Role) {
        self.items.push(item);
        self.roles.push(role);
    }
}

impl DynamoStore {
    /// The user item: the record plus every index attribute it appears under.
    fn user_item(&self, user: &User) -> StoreResult<Item> {
        let t = &user.tenant_id;
        let p = &user.profile;
        let mut item = record_item(user, ENTITY, keys::user(t, &user.id))?;
        let shard = keys::shard_of(&user.id);
        let id = user.id.to_string();
        let mut set = |name: &str, value: String| {
            item.insert(name.to_owned(), s(value));
        };
        set(keys::BY_TENANT.pk, keys::user_list_partition(t, shard));
        set(keys::BY_TENANT.sk, id.clone());
        // A sparse index: users without a department are not in it.
        if let Some(department) = &p.department_id {
            set(
                keys::BY_DEPARTMENT.pk,
                keys::department_list_partition(t, department, shard),
            );
            set(keys::BY_DEPARTMENT.sk, id);
        }
        if p.in_address_book {
            set(
                keys::BY_ADDRESS_BOOK.pk,
                keys::address_book_partition(t, shard),
            );
            set(keys::BY_ADDRESS_BOOK.sk, user.id.to_string());
        }
        let terms = SearchField::ALL.map(|field| {
            let text = match field {
                SearchField::FirstName => Some(p.first_name.as_str()),
                SearchField::LastName => Some(p.last_name.as_str()),
                SearchField::Email => p.email.as_ref().map(|e| e.as_str()),
                SearchField::Login => Some(p.login.as_str()),
            };
            (field, text.and_then(search_term))
        });
        for (field, term) in keys::search_entries(terms) {
            if let Some(partition) = keys::search_partition(t, field, &term) {
                let index = field.index();
                set(index.pk, partition);
                set(index.sk, keys::search_sort_key(&term, &user.id));
            }
        }
        Ok(item)
    }

    fn claim_put(
        &self,
        claim: (String, String),
        user: &User,
        field: UniqueField,
    ) -> StoreResult<TransactWriteItem> {
        let mut item = key(claim);
        item.insert("user_id".to_owned(), s(user.id.to_string()));
        item.insert("entity".to_owned(), s(format!("{}_claim", field.as_str())));
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(build_err)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    fn claim_delete(&self, claim: (String, String), user: &User) -> StoreResult<TransactWriteItem> {
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key(claim)))
            .condition_expression("user_id = :me")
            .expression_attribute_values(":me", s(user.id.to_string()))
            .build()
            .map_err(build_err)?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }

    /// Counts the user in (`+1`) or out (`-1`) of its department, in the write's transaction,
    /// on one of the department's member counters: the counter exists only while the
    /// department does, so this is also the check that it exists (none for no department,
    /// nor for a user its import's hold on the departments counts, `User::uncounted_in`).
    fn department_count(
        &self,
        user: &User,
        delta: i64,
    ) -> StoreResult<Option<(TransactWriteItem, DepartmentId)>> {
        let Some(department) = user.counted_department() else {
            return Ok(None);
        };
        let counter = keys::member_counter_of(&user.id);
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(keys::department_members(
                &user.tenant_id,
                department,
                counter,
            ))))
            .update_expression("ADD members :delta")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":delta", n(delta))
            .build()
            .map_err(build_err)?;
        Ok(Some((
            TransactWriteItem::builder().update(update).build(),
            department.clone(),
        )))
    }

    /// Pushes the department counts of a user moving from `before` to `after`.
    fn push_department_counts(
        &self,
        tx: &mut Tx,
        before: Option<&User>,
        after: Option<&User>,
    ) -> StoreResult<()> {
        if before.and_then(User::counted_department) == after.and_then(User::counted_department) {
            return Ok(());
        }
        for (user, delta) in [(before, -1), (after, 1)] {
            if let Some(user) = user
                && let Some((write, department)) = self.department_count(user, delta)?
            {
                tx.push(write, Role::Department(department));
            }
        }
        Ok(())
    }

    /// Runs a user write; when a department's counters are missing because the department
    /// predates them, adds them and runs the write once more.
    async fn run_counted(
        &self,
        build: impl Fn() -> StoreResult<Tx>,
        missing_user: impl Fn() -> StoreError,
        tenant: &TenantId,
    ) -> StoreResult<()> {
        match self.run_naming(build()?, missing_user()).await {
            Ok(()) => Ok(()),
            Err((StoreError::MissingDepartment, Some(department))) => {
                if self
                    .add_missing_member_counters(tenant, &department)
                    .await?
                {
                    self.run(build()?, missing_user()).await
                } else {
                    Err(StoreError::MissingDepartment)
                }
            }
            Err((e, _)) => Err(e),
        }
    }

    /// The claims a user holds: (field, key of the claim item). A login that is an e-mail
    /// address also claims that address among e-mails, so no other user can have it as theirs.
    fn claims_of(user: &User) -> Vec<(UniqueField, (String, String))> {
        let t = &user.tenant_id;
        let login = &user.profile.login;
        let mut claims = vec![(UniqueField::Login, keys::login_claim(t, &login.key()))];
        let email = user.profile.email.as_ref().map(|e| e.key());
        if let Some(email) = &email {
            claims.push((UniqueField::Email, keys::email_claim(t, email)));
        }
        if login.is_email() && email.as_deref() != Some(login.key().as_str()) {
            claims.push((UniqueField::Login, keys::email_claim(t, &login.key())));
        }
        for device in &user.profile.devices {
            claims.push((
                UniqueField::Extension,
                keys::extension_claim(t, &device.extension),
            ));
            if let Some(mac) = &device.mac_address {
                claims.push((UniqueField::MacAddress, keys::mac_claim(t, mac.as_str())));
            }
        }
        claims
    }

    /// Membership items of the groups `after` is in and `before` is not (put), and of those
    /// `before` was in and `after` is not (deleted).
    fn membership_writes(
        &self,
        before: Option<&User>,
        after: Option<&User>,
    ) -> StoreResult<Vec<TransactWriteItem>> {
        let groups = |u: Option<&User>| u.map(|u| u.profile.groups.clone()).unwrap_or_default();
        let (old, new) = (groups(before), groups(after));
        let mut writes = Vec::new();
        if let Some(user) = after {
            for group in new.difference(&old) {
                let t = &user.tenant_id;
                let mut item = key(keys::membership(t, &user.id, group));
                let shard = keys::shard_of(&user.id);
                item.insert(
                    keys::BY_TENANT.pk.to_owned(),
                    s(keys::group_member_partition(t, group, shard)),
                );
                item.insert(keys::BY_TENANT.sk.to_owned(), s(user.id.to_string()));
                item.insert("entity".to_owned(), s("group_member"));
                item.insert("group_id".to_owned(), s(group.as_str()));
                item.insert("user_id".to_owned(), s(user.id.to_string()));
                let put = Put::builder()
                    .table_name(&self.table)
                    .set_item(Some(item))
                    .build()
                    .map_err(build_err)?;
                writes.push(TransactWriteItem::builder().put(put).build());
            }
        }
        if let Some(user) = before {
            for group in old.difference(&new) {
                let delete = Delete::builder()
                    .table_name(&self.table)
                    .set_key(Some(key(keys::membership(
                        &user.tenant_id,
                        &user.id,
                        group,
                    ))))
                    .build()
                    .map_err(build_err)?;
                writes.push(TransactWriteItem::builder().delete(delete).build());
            }
        }
        Ok(writes)
    }

    /// Status changes that fell off the user item become items of their own.
    fn archived_status_changes(
        &self,
        before: &User,
        after: &User,
    ) -> StoreResult<Vec<TransactWriteItem>> {
        before
            .status_history
            .iter()
            .filter(|change| !after.status_history.contains(change))
            .map(|change| {
                let primary = keys::status_change(
                    &after.tenant_id,
                    &after.id,
                    change.at,
                    change.status.as_str(),
                );
                let put = Put::builder()
                    .table_name(&self.table)
                    .set_item(Some(record_item(change, "status_change", primary)?))
                    .build()
                    .map_err(build_err)?;
                Ok(TransactWriteItem::builder().put(put).build())
            })
            .collect()
    }

    /// The status changes of a user that no longer fit on its item, newest first.
    pub async fn older_status_changes(
        &self,
        tenant: &TenantId,
        id: &UserId,
    ) -> StoreResult<Vec<StatusChange>> {
        let mut items = self
            .query_all(None, keys::PK, keys::user_partition(tenant, id), None)
            .await?;
        items.retain(|i| {
            string_attr(i, keys::SK).is_some_and(|sk| sk.starts_with(keys::STATUS_CHANGE_PREFIX))
        });
        let mut changes: Vec<StatusChange> = items
            .into_iter()
            .map(|i| from_item(i, "status_change"))
            .collect::<StoreResult<_>>()?;
        changes.sort_by_key(|c| std::cmp::Reverse(c.at));
        Ok(changes)
    }

    async fn run(&self, tx: Tx, missing_user: StoreError) -> StoreResult<()> {
        self.run_naming(tx, missing_user).await.map_err(|(e, _)| e)
    }

    /// Runs the transaction; a missing department comes with its id.
    async fn run_naming(
        &self,
        tx: Tx,
        missing_user: StoreError,
    ) -> Result<(), (StoreError, Option<DepartmentId>)> {
        let Tx { items, roles } = tx;
        match self.transact(items).await {
            Ok(()) => Ok(()),
            Err(Cancelled::Condition(i)) => Err(match roles.get(i) {
                Some(Role::User) => (missing_user, None),
                Some(Role::NewClaim(field)) => (StoreError::Conflict { field: *field }, None),
                Some(Role::Department(department)) => {
                    (StoreError::MissingDepartment, Some(department.clone()))
                }
                // Our own claim vanished or belongs to someone else: the user changed under us.
                Some(Role::OldClaim) => (StoreError::VersionMismatch, None),
                Some(Role::Archive | Role::Membership) | None => (
                    StoreError::Unavailable(format!(
                        "the condition of transaction item {i} failed"
                    )),
                    None,
                ),
            }),
            // Still contended after the retries: busy, not stale (429, never 412).
            Err(Cancelled::Conflict) => Err((StoreError::Throttled, None)),
            Err(Cancelled::Other(e)) => Err((e, None)),
        }
    }

    /// Follows a login or e-mail claim to its user.
    async fn get_by_claim(
        &self,
        tenant: &TenantId,
        claim: (String, String),
    ) -> StoreResult<Option<User>> {
        let Some(claim_item) = self.get_raw(claim).await? else {
            return Ok(None);
        };
        let user_id = string_attr(&claim_item, "user_id")
            .and_then(|id| UserId::parse(id).ok())
            .ok_or_else(|| StoreError::Unavailable("claim without a valid user_id".into()))?;
        self.get_user(tenant, &user_id).await
    }
}

impl CreateUser for DynamoStore {
    async fn create_user(&self, user: &User) -> StoreResult<()> {
        let build = || {
            let mut tx = Tx::default();
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(self.user_item(user)?))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .map_err(build_err)?;
            tx.push(TransactWriteItem::builder().put(put).build(), Role::User);
            for (field, claim) in Self::claims_of(user) {
                tx.push(self.claim_put(claim, user, field)?, Role::NewClaim(field));
            }
            self.push_department_counts(&mut tx, None, Some(user))?;
            for write in self.membership_writes(None, Some(user))? {
                tx.push(write, Role::Membership);
            }
            Ok(tx)
        };
        self.run_counted(build, || StoreError::AlreadyExists, &user.tenant_id)
            .await
    }
}

impl GetUser for DynamoStore {
    async fn get_user(&self, tenant: &TenantId, id: &UserId) -> StoreResult<Option<User>> {
        self.get_record(keys::user(tenant, id), ENTITY).await
    }
}

impl FindUser for DynamoStore {
    async fn find_by_login(&self, tenant: &TenantId, login: &str) -> StoreResult<Option<User>> {
        let claim = keys::login_claim(tenant, &login.trim().to_lowercase());
        self.get_by_claim(tenant, claim).await
    }

    async fn find_by_email(&self, tenant: &TenantId, email: &str) -> StoreResult<Option<User>> {
        let claim = keys::email_claim(tenant, &email.trim().to_lowercase());
        self.get_by_claim(tenant, claim).await
    }
}

impl roster_domain::store::TrustUser for DynamoStore {
    async fn mark_trusted(&self, before: &User, after: &User) -> StoreResult<()> {
        let updated = serde_dynamo::to_attribute_value(&after.updated)
            .map_err(|e| StoreError::Unavailable(format!("cannot encode the stamp: {e}")))?;
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(crate::item::key(keys::user(
                &before.tenant_id,
                &before.id,
            ))))
            .update_expression("SET trusted = :trusted, version = :next, updated = :updated")
            .condition_expression("version = :expected")
            .expression_attribute_values(
                ":trusted",
                aws_sdk_dynamodb::types::AttributeValue::Bool(after.trusted),
            )
            .expression_attribute_values(":next", n(after.version))
            .expression_attribute_values(":expected", n(before.version))
            .expression_attribute_values(":updated", updated)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if crate::error::is_condition_failure(&e) => Err(StoreError::VersionMismatch),
            Err(e) => Err(classify(e)),
        }
    }
}

impl UpdateUser for DynamoStore {
    async fn update_user(&self, before: &User, after: &User) -> StoreResult<()> {
        if before.id != after.id || before.tenant_id != after.tenant_id {
            return Err(StoreError::Unavailable(
                "update must keep the user's identity".into(),
            ));
        }
        let settled = before.settled_after(after);
        let after = settled.as_ref().unwrap_or(after);
        let build = || {
            let mut tx = Tx::default();
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(self.user_item(after)?))
                .condition_expression("version = :expected")
                .expression_attribute_values(":expected", n(before.version))
                .build()
                .map_err(build_err)?;
            tx.push(TransactWriteItem::builder().put(put).build(), Role::User);
            let old = Self::claims_of(before);
            let new = Self::claims_of(after);
            for (_, claim) in old.iter().filter(|(_, c)| !new.iter().any(|(_, n)| n == c)) {
                tx.push(self.claim_delete(claim.clone(), before)?, Role::OldClaim);
            }
            for (field, claim) in new.iter().filter(|(_, c)| !old.iter().any(|(_, o)| o == c)) {
                tx.push(
                    self.claim_put(claim.clone(), after, *field)?,
                    Role::NewClaim(*field),
                );
            }
            self.push_department_counts(&mut tx, Some(before), Some(after))?;
            for archived in self.archived_status_changes(before, after)? {
                tx.push(archived, Role::Archive);
            }
            for write in self.membership_writes(Some(before), Some(after))? {
                tx.push(write, Role::Membership);
            }
            Ok(tx)
        };
        // A missing user fails the version check too: report the stale version, the caller
        // re-reads and then sees it is gone.
        self.run_counted(build, || StoreError::VersionMismatch, &after.tenant_id)
            .await
    }
}

impl DeleteUser for DynamoStore {
    async fn delete_user(&self, user: &User) -> StoreResult<()> {
        let build = || {
            let mut tx = Tx::default();
            let delete = Delete::builder()
                .table_name(&self.table)
                .set_key(Some(key(keys::user(&user.tenant_id, &user.id))))
                .condition_expression("version = :expected")
                .expression_attribute_values(":expected", n(user.version))
                .build()
                .map_err(build_err)?;
            tx.push(
                TransactWriteItem::builder().delete(delete).build(),
                Role::User,
            );
            for (_, claim) in Self::claims_of(user) {
                tx.push(self.claim_delete(claim, user)?, Role::OldClaim);
            }
            let code = Delete::builder()
                .table_name(&self.table)
                .set_key(Some(key(keys::activation_code(&user.tenant_id, &user.id))))
                .build()
                .map_err(build_err)?;
            tx.push(
                TransactWriteItem::builder().delete(code).build(),
                Role::OldClaim,
            );
            self.push_department_counts(&mut tx, Some(user), None)?;
            for write in self.membership_writes(Some(user), None)? {
                tx.push(write, Role::Membership);
            }
            Ok(tx)
        };
        self.run_counted(build, || StoreError::VersionMismatch, &user.tenant_id)
            .await?;
        // Older status changes go with the user (nothing else refers to them).
        for change in self.older_status_changes(&user.tenant_id, &user.id).await? {
            self.delete_record(
                keys::status_change(&user.tenant_id, &user.id, change.at, change.status.as_str()),
                None,
                StoreError::NotFound,
            )
            .await?;
        }
        Ok(())
    }
}

impl ListUsers for DynamoStore {
    async fn list_users(&self, tenant: &TenantId, query: &UserQuery) -> StoreResult<Page<User>> {
        let cursor = query.cursor.as_deref().map(Cursor::decode).transpose()?;
        match query.text.as_deref().and_then(search_term) {
            Some(prefix) => self.search(tenant, query, &prefix, cursor).await,
            None => self.list(tenant, query, cursor).await,
        }
    }
}

/// One shard's contribution to a page.
struct ShardPage {
    items: Vec<User>,
    exhausted: bool,
}

/// How long a search cursor can be followed.
const SAVED_SEARCH_LIFETIME: time::Duration = time::Duration::hours(1);

/// One search index entry: the user and the matched term.
#[derive(Debug, Clone)]
struct Hit {
    term: String,
    rank: u8,
    user: UserId,
}

impl Hit {
    fn order(&self) -> (&str, u8, UserId) {
        (&self.term, self.rank, self.user)
    }
}

struct StreamPage {
    hits: Vec<Hit>,
    exhausted: bool,
}

impl DynamoStore {
    /// Lists by id across the shards of `by_tenant` (or `by_department` when filtered by it).
    async fn list(
        &self,
        tenant: &TenantId,
        query: &UserQuery,
        cursor: Option<Cursor>,
    ) -> StoreResult<Page<User>> {
        let after = match cursor {
            None => None,
            Some(Cursor::List { after }) => Some(after),
            Some(Cursor::Search { .. } | Cursor::Saved { .. }) => {
                return Err(StoreError::BadCursor);
            }
        };
        let limit = query.page_size();
        let shards = (0..USER_SHARDS).map(|shard| {
            let (index, partition) = match &query.department_id {
                Some(dept) => (
                    keys::BY_DEPARTMENT,
                    keys::department_list_partition(tenant, dept, shard),
                ),
                None if query.address_book => (
                    keys::BY_ADDRESS_BOOK,
                    keys::address_book_partition(tenant, shard),
                ),
                None => (keys::BY_TENANT, keys::user_list_partition(tenant, shard)),
            };
            self.list_shard(index, partition, after, query, limit)
        });
        let pages = try_join_all(shards).await?;
        let more_in_shards = pages.iter().any(|p| !p.exhausted);
        let mut items: Vec<User> = pages.into_iter().flat_map(|p| p.items).collect();
        items.sort_by_key(|u| u.id);
        let more = more_in_shards || items.len() > limit;
        items.truncate(limit);
        let next_cursor = match items.last() {
            Some(last) if more => Some(Cursor::List { after: last.id }.encode()),
            _ => None,
        };
        Ok(Page { items, next_cursor })
    }

    /// Reads one shard from `after` until it yields `limit` matching users or ends.
    async fn list_shard(
        &self,
        index: Index,
        partition: String,
        after: Option<UserId>,
        query: &UserQuery,
        limit: usize,
    ) -> StoreResult<ShardPage> {
        let read = PartitionQuery::listing(index, partition, after, limit);
        let mut items = Vec::new();
        let exhausted = self
            .query_pages(&read, |page| {
                for item in page {
                    let user: User = from_item(item, ENTITY)?;
                    if query.matches(&user) {
                        items.push(user);
                    }
                }
                Ok(items.len() >= limit)
            })
            .await?;
        Ok(ShardPage { items, exhausted })
    }

    /// Prefix search over the four search indexes, merged by (term, field, id).
    ///
    /// A user whose first name and last name both match appears in two indexes; it is kept
    /// only at its first position in that order (its *canonical* hit), which each index entry
    /// can decide alone because entries carry all four terms. So pages never repeat a user
    /// and the cursor is a single position.
    async fn search(
        &self,
        tenant: &TenantId,
        query: &UserQuery,
        prefix: &str,
        cursor: Option<Cursor>,
    ) -> StoreResult<Page<User>> {
        let after = match cursor {
            None => None,
            Some(Cursor::Saved { id }) => match self.saved_search(tenant, &id).await? {
                Cursor::Search { term, rank, after } if term.starts_with(prefix) => Some(Hit {
                    term,
                    rank,
                    user: after,
                }),
                _ => return Err(StoreError::BadCursor),
            },
            Some(_) => return Err(StoreError::BadCursor),
        };
        let limit = query.page_size();
        let streams = SearchField::ALL
            .iter()
            .map(|field| self.search_stream(tenant, *field, prefix, after.as_ref(), limit));
        let pages = try_join_all(streams).await?;
        let more_in_streams = pages.iter().any(|p| !p.exhausted);
        let mut hits: Vec<Hit> = pages.into_iter().flat_map(|p| p.hits).collect();
        hits.sort_by(|a, b| a.order().cmp(&b.order()));
        let more = more_in_streams || hits.len() > limit;
        hits.truncate(limit);
        let next_cursor = match hits.last() {
            Some(last) if more => Some(
                self.save_search(
                    tenant,
                    &Cursor::Search {
                        term: last.term.clone(),
                        rank: last.rank,
                        after: last.user,
                    },
                )
                .await?,
            ),
            _ => None,
        };
        let ids: Vec<UserId> = hits.iter().map(|h| h.user).collect();
        let mut users = self.get_users(tenant, &ids).await?;
        let items = ids
            .iter()
            .filter_map(|id| users.remove(id))
            .filter(|u| query.matches(u))
            .collect();
        Ok(Page { items, next_cursor })
    }

    /// Keeps a search position in the table for an hour; the cursor the client gets.
    async fn save_search(&self, tenant: &TenantId, position: &Cursor) -> StoreResult<String> {
        let id = crate::cursor::new_saved_id();
        let (pk, sk) = keys::search_cursor(tenant, &id);
        let expires = time::OffsetDateTime::now_utc() + SAVED_SEARCH_LIFETIME;
        let item: Item = [
            ("pk".to_owned(), s(pk)),
            ("sk".to_owned(), s(sk)),
            ("position".to_owned(), s(position.position_json())),
            ("expires_at".to_owned(), n(expires.unix_timestamp())),
        ]
        .into_iter()
        .collect();
        self.put_record(item, None, StoreError::BadCursor).await?;
        Ok(Cursor::Saved { id }.encode())
    }

    /// A saved search position of this tenant; gone or expired is a bad cursor.
    async fn saved_search(&self, tenant: &TenantId, id: &str) -> StoreResult<Cursor> {
        let item = self
            .get_raw(keys::search_cursor(tenant, id))
            .await?
            .ok_or(StoreError::BadCursor)?;
        let live = item
            .get("expires_at")
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse::<i64>().ok())
            .is_some_and(|at| at > time::OffsetDateTime::now_utc().unix_timestamp());
        match string_attr(&item, "position") {
            Some(text) if live => Cursor::from_position_json(text),
            _ => Err(StoreError::BadCursor),
        }
    }

    async fn search_stream(
        &self,
        tenant: &TenantId,
        field: SearchField,
        prefix: &str,
        after: Option<&Hit>,
        limit: usize,
    ) -> StoreResult<StreamPage> {
        let Some(partition) = keys::search_partition(tenant, field, prefix) else {
            return Ok(StreamPage {
                hits: vec![],
                exhausted: true,
            });
        };
        let index = field.index();
        let rank = field.rank();
        // Where this stream resumes: after the cursor in (term, rank, id) order.
        let (from, skip_exact) = match after {
            None => (prefix.to_owned(), None),
            Some(c) => match rank.cmp(&c.rank) {
                Ordering::Less => (format!("{}{AFTER_TERM}", c.term), None),
                Ordering::Equal => {
                    let exact = keys::search_sort_key(&c.term, &c.user);
                    (exact.clone(), Some(exact))
                }
                Ordering::Greater => (format!("{}{}", c.term, keys::TERM_SEPARATOR), None),
            },
        };
        let to = format!("{prefix}{AFTER_PREFIX}");
        let query = PartitionQuery {
            index: Some(index.name),
            pk_attribute: index.pk,
            partition,
            range: SortRange::Between {
                attribute: index.sk,
                from,
                to,
            },
            page_size: Some(limit.clamp(10, 1000) as i32),
        };
        let mut hits = Vec::new();
        let exhausted = self
            .query_pages(&query, |page| {
                for item in page {
                    let Some(sk) = string_attr(&item, index.sk) else {
                        continue;
                    };
                    if skip_exact.as_deref() == Some(sk) {
                        continue;
                    }
                    let Some((term, id)) = keys::parse_search_sort_key(sk) else {
                        continue;
                    };
                    let Ok(user) = UserId::parse(id) else {
                        continue;
                    };
                    if is_canonical(&item, field, term, prefix) {
                        hits.push(Hit {
                            term: term.to_owned(),
                            rank,
                            user,
                        });
                    }
                }
                Ok(hits.len() >= limit)
            })
            .await?;
        Ok(StreamPage { hits, exhausted })
    }

    /// Users by id, in one BatchGetItem per 100 ids (retrying unprocessed keys).
    pub(crate) async fn get_users(
        &self,
        tenant: &TenantId,
        ids: &[UserId],
    ) -> StoreResult<HashMap<UserId, User>> {
        let mut found = HashMap::new();
        for chunk in ids.chunks(100) {
            let keys: Vec<Item> = chunk.iter().map(|id| key(keys::user(tenant, id))).collect();
            let mut pending = Some(
                KeysAndAttributes::builder()
                    .set_keys(Some(keys))
                    .consistent_read(true)
                    .build()
                    .map_err(build_err)?,
            );
            let mut attempt = 0u32;
            while let Some(request) = pending.take() {
                let out = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, request)
                    .send()
                    .await
                    .map_err(classify)?;
                for item in out
                    .responses
                    .unwrap_or_default()
                    .remove(&self.table)
                    .unwrap_or_default()
                {
                    let user: User = from_item(item, ENTITY)?;
                    found.insert(user.id, user);
                }
                pending = out
                    .unprocessed_keys
                    .and_then(|mut left| left.remove(&self.table))
                    .filter(|k| !k.keys().is_empty());
                if pending.is_some() {
                    attempt += 1;
                    if attempt > 8 {
                        return Err(StoreError::Throttled);
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(25 << attempt.min(6)))
                        .await;
                }
            }
        }
        Ok(found)
    }
}

/// Whether this index entry is the first place its user matches `prefix`.
fn is_canonical(item: &Item, field: SearchField, term: &str, prefix: &str) -> bool {
    let mine = (term, field.rank());
    let others: BTreeMap<u8, &str> = SearchField::ALL
        .iter()
        .filter(|f| **f != field)
        .filter_map(|f| {
            let sk = string_attr(item, f.index().sk)?;
            let (t, _) = keys::parse_search_sort_key(sk)?;
            Some((f.rank(), t))
        })
        .collect();
    others
        .iter()
        .filter(|(_, t)| t.starts_with(prefix))
        .all(|(rank, t)| mine < (*t, *rank))
}
