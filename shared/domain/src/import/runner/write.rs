//! Writing one judged row: create the user, or (upsert) lay the row over the existing user;
//! in a dry run, only look for the existing users a write would collide with.
//!
//! A create that collides with a user this job wrote before a crash is that row's user, not
//! a conflict: resuming never duplicates and never reports its own rows as taken.

use super::ImportError;
use crate::ids::{Actor, ImportJobId, TenantId};
use crate::import::directory::ImportDirectory;
use crate::password::PasswordHash;
use crate::store::{StoreError, UniqueField};
use crate::tenant::TenantSettings;
use crate::user::{User, UserProfile};
use crate::validation::{FieldError, Overlay, UserDraft, ValidUser, validate_user};

use super::ImportStore;

/// The actor an import writes as: links each user to its job.
pub fn import_actor(job: &ImportJobId) -> Actor {
    Actor::new(format!("import:{job}"))
}

/// The outcome of writing one row.
pub(super) enum Written {
    Created(Box<User>),
    Updated,
    Failed(Vec<FieldError>),
    /// The login or e-mail belongs to an existing user.
    Conflict(Vec<FieldError>),
}

/// The report line of a row whose `field` belongs to an existing user.
fn conflict_error(field: UniqueField) -> FieldError {
    let what = match field {
        UniqueField::Login => "login",
        UniqueField::Email => "e-mail address",
        UniqueField::Extension => "extension",
        UniqueField::MacAddress => "MAC address",
    };
    FieldError::new(
        field.as_str(),
        format!("conflict: this {what} belongs to an existing user"),
    )
}

fn conflict(field: UniqueField) -> Written {
    Written::Conflict(vec![conflict_error(field)])
}

/// Writes rows for one job; shared by the concurrent writes of a chunk.
pub(super) struct RowWriter<'a, S> {
    pub store: &'a S,
    pub tenant: TenantId,
    pub actor: Actor,
    pub settings: TenantSettings,
    pub directory: ImportDirectory,
}

impl<S: ImportStore> RowWriter<'_, S> {
    /// The existing user holding `profile`'s value of `field`.
    async fn holder_of(
        &self,
        field: UniqueField,
        profile: &UserProfile,
    ) -> Result<Option<User>, StoreError> {
        match field {
            UniqueField::Login => {
                self.store
                    .find_by_login(&self.tenant, profile.login.as_str())
                    .await
            }
            UniqueField::Email => match &profile.email {
                Some(e) => self.store.find_by_email(&self.tenant, e.as_str()).await,
                None => Ok(None),
            },
            // A device claim is never the first to fail for a row already written by this
            // job (its login claim is checked before), so there is no holder to look for.
            UniqueField::Extension | UniqueField::MacAddress => Ok(None),
        }
    }

    /// Dry run: the conflicts a write of this valid row would meet.
    pub(super) async fn check(&self, user: &ValidUser) -> Result<Written, ImportError> {
        let mut errors = Vec::new();
        for field in [UniqueField::Login, UniqueField::Email] {
            if self.holder_of(field, &user.profile).await?.is_some() {
                errors.push(conflict_error(field));
            }
        }
        Ok(if errors.is_empty() {
            Written::Updated
        } else {
            Written::Conflict(errors)
        })
    }

    /// Creates the row's user; with `upsert`, an existing login is updated instead.
    pub(super) async fn write(
        &self,
        valid: ValidUser,
        draft: UserDraft,
        upsert: bool,
    ) -> Result<Written, ImportError> {
        if upsert
            && let Some(existing) = self
                .store
                .find_by_login(&self.tenant, valid.profile.login.as_str())
                .await?
        {
            return self.update_existing(existing, draft).await;
        }
        let mut user = User::new(self.tenant.clone(), valid.profile, &self.actor);
        // The job's hold on the departments counts it (see `DepartmentHold`).
        user.uncounted_in = user.profile.department_id.clone();
        if let Some(p) = &valid.password {
            user.password_hash = Some(PasswordHash::hash(p)?);
        }
        match self.store.create_user(&user).await {
            Ok(()) => Ok(Written::Created(Box::new(user))),
            // The id was made for this write, so a user under it is this write, applied by an
            // attempt whose answer was lost (the SDK retried a request DynamoDB had done).
            Err(StoreError::AlreadyExists) => {
                tracing::info!(job = %self.actor, user_id = %user.id, "the row's user was written by an earlier attempt");
                Ok(Written::Created(Box::new(user)))
            }
            Err(StoreError::Conflict { field }) => {
                match self.holder_of(field, &user.profile).await? {
                    Some(h)
                        if h.created.by == self.actor
                            && h.profile.login.key() == user.profile.login.key() =>
                    {
                        tracing::info!(job = %self.actor, user_id = %h.id, "the row's user was written by this job before it resumed");
                        Ok(Written::Created(Box::new(h)))
                    }
                    _ => Ok(conflict(field)),
                }
            }
            Err(StoreError::MissingDepartment) => Ok(Written::Failed(vec![FieldError::new(
                "department_id",
                "this department does not exist in your organisation",
            )])),
            Err(e) => Err(e.into()),
        }
    }

    /// Upsert of a row that is not valid on its own: it may still be valid once laid over the
    /// existing user of its login (blank cells keep that user's values).
    pub(super) async fn write_partial_row(
        &self,
        draft: Option<Box<UserDraft>>,
        errors: Vec<FieldError>,
    ) -> Result<Written, ImportError> {
        let Some(draft) = draft else {
            return Ok(Written::Failed(errors));
        };
        // A login that is not one (too long for a key, say) names no existing user.
        if errors.iter().any(|e| e.field == "login") {
            return Ok(Written::Failed(errors));
        }
        let existing = match draft.login.as_deref() {
            Some(login) => self.store.find_by_login(&self.tenant, login).await?,
            None => None,
        };
        match existing {
            Some(user) => self.update_existing(user, *draft).await,
            None => Ok(Written::Failed(errors)),
        }
    }

    /// The row's filled cells overwrite the existing user's values.
    async fn update_existing(
        &self,
        existing: User,
        row: UserDraft,
    ) -> Result<Written, ImportError> {
        let merged = match row.laid_over(&existing.profile, Overlay::BlankKeeps) {
            Ok(m) => m,
            Err(error) => return Ok(Written::Failed(vec![error])),
        };
        let valid = match validate_user(&merged, &self.settings, &self.directory) {
            Ok(v) => v,
            Err(errors) => return Ok(Written::Failed(errors.into_errors())),
        };
        let mut next = existing.clone().touched(&self.actor);
        next.profile = valid.profile;
        match self.store.update_user(&existing, &next).await {
            Ok(()) => Ok(Written::Updated),
            Err(StoreError::Conflict { field }) => Ok(conflict(field)),
            Err(StoreError::VersionMismatch) => Ok(Written::Failed(vec![FieldError::new(
                "login",
                "the user was changed during the import; import the row again",
            )])),
            Err(e) => Err(e.into()),
        }
    }
}
