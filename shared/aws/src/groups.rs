//! Groups: one partition per tenant, names unique through name claims (`named`), members
//! listed through their membership items (written with the users, see `users`).

use futures::future::try_join_all;
use roster_domain::directory::group::Group;
use roster_domain::ids::{GroupId, TenantId, UserId};
use roster_domain::store::{GroupStore, Page, StoreError, StoreResult};
use roster_domain::user::User;

use crate::DynamoStore;
use crate::cursor::Cursor;
use crate::item::{PartitionQuery, from_item, record_item, string_attr};
use crate::keys::{self, NamedList, USER_SHARDS};
use crate::named::{NameClaims, RecordWrite};

const ENTITY: &str = "group";

fn name_claim(group: &Group) -> (String, String) {
    keys::name_claim(&group.tenant_id, NamedList::Groups, &group.name)
}

impl DynamoStore {
    /// Up to `limit` member ids of one shard after `after`, and whether the shard ended.
    async fn member_shard(
        &self,
        tenant: &TenantId,
        group: &GroupId,
        shard: u32,
        after: Option<UserId>,
        limit: usize,
    ) -> StoreResult<(Vec<UserId>, bool)> {
        let index = keys::BY_TENANT;
        let partition = keys::group_member_partition(tenant, group, shard);
        let query = PartitionQuery::listing(index, partition, after, limit);
        let mut ids = Vec::new();
        let exhausted = self
            .query_pages(&query, |page| {
                ids.extend(
                    page.iter()
                        .filter_map(|item| string_attr(item, index.sk))
                        .filter_map(|id| UserId::parse(id).ok()),
                );
                Ok(ids.len() >= limit)
            })
            .await?;
        Ok((ids, exhausted))
    }
}

impl GroupStore for DynamoStore {
    async fn create_group(&self, group: &Group) -> StoreResult<()> {
        let record = RecordWrite::Put {
            item: record_item(group, ENTITY, keys::group(&group.tenant_id, &group.id))?,
            condition: "attribute_not_exists(pk)",
            on_failure: StoreError::AlreadyExists,
        };
        let claims = NameClaims {
            take: Some(name_claim(group)),
            free: None,
        };
        self.write_named(record, group.id.as_str(), claims).await
    }

    async fn get_group(&self, tenant: &TenantId, id: &GroupId) -> StoreResult<Option<Group>> {
        self.get_record(keys::group(tenant, id), ENTITY).await
    }

    async fn list_groups(&self, tenant: &TenantId) -> StoreResult<Vec<Group>> {
        let items = self
            .query_all(None, keys::PK, keys::groups_partition(tenant), None)
            .await?;
        items.into_iter().map(|i| from_item(i, ENTITY)).collect()
    }

    async fn update_group(&self, before: &Group, after: &Group) -> StoreResult<()> {
        let record = RecordWrite::Put {
            item: record_item(after, ENTITY, keys::group(&after.tenant_id, &after.id))?,
            condition: "attribute_exists(pk)",
            on_failure: StoreError::NotFound,
        };
        let claims = NameClaims::moving(name_claim(before), name_claim(after));
        self.write_named(record, after.id.as_str(), claims).await
    }

    async fn delete_group(&self, group: &Group) -> StoreResult<()> {
        let record = RecordWrite::Delete(keys::group(&group.tenant_id, &group.id));
        let claims = NameClaims {
            take: None,
            free: Some(name_claim(group)),
        };
        self.write_named(record, group.id.as_str(), claims).await
    }

    async fn list_members(
        &self,
        tenant: &TenantId,
        group: &GroupId,
        cursor: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<User>> {
        let after = match cursor.map(Cursor::decode).transpose()? {
            None => None,
            Some(Cursor::List { after }) => Some(after),
            Some(Cursor::Search { .. } | Cursor::Saved { .. }) => {
                return Err(StoreError::BadCursor);
            }
        };
        let shards = (0..USER_SHARDS).map(|s| self.member_shard(tenant, group, s, after, limit));
        let pages = try_join_all(shards).await?;
        let more_in_shards = pages.iter().any(|(_, exhausted)| !exhausted);
        let mut ids: Vec<UserId> = pages.into_iter().flat_map(|(ids, _)| ids).collect();
        ids.sort();
        let more = more_in_shards || ids.len() > limit;
        ids.truncate(limit);
        let next_cursor = match ids.last() {
            Some(last) if more => Some(Cursor::List { after: *last }.encode()),
            _ => None,
        };
        let mut users = self.get_users(tenant, &ids).await?;
        let items = ids.iter().filter_map(|id| users.remove(id)).collect();
        Ok(Page { items, next_cursor })
    }
}
