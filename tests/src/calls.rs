//! Counting the DynamoDB calls a piece of code makes: an interceptor on the real SDK client,
//! so benchmarks report calls per operation as DynamoDB would bill them.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use roster_aws::DynamoStore;

/// Counts DynamoDB calls by operation (`x-amz-target`).
#[derive(Debug, Clone, Default)]
pub struct CallCounter(Arc<Mutex<BTreeMap<String, u32>>>);

impl Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "CallCounter"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let target = context
            .request()
            .headers()
            .get("x-amz-target")
            .unwrap_or("?");
        let op = target.rsplit('.').next().unwrap_or(target).to_owned();
        *self.0.lock().unwrap().entry(op).or_default() += 1;
        Ok(())
    }
}

impl CallCounter {
    /// The calls counted since the last take, by operation.
    pub fn take(&self) -> BTreeMap<String, u32> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }

    /// A store over the emulator's table whose calls this counter sees.
    pub fn store(&self, config: &aws_config::SdkConfig) -> DynamoStore {
        let dynamo_config = aws_sdk_dynamodb::config::Builder::from(config)
            .interceptor(self.clone())
            .build();
        DynamoStore::new(
            aws_sdk_dynamodb::Client::from_conf(dynamo_config),
            std::env::var("ROSTER_TABLE").expect("ROSTER_TABLE: run through scripts/with-emulator"),
        )
    }
}

/// `calls` per request, as `1 GetItem + 0.5 Query`.
pub fn per_request(calls: &BTreeMap<String, u32>, requests: usize) -> String {
    calls
        .iter()
        .map(|(op, n)| format!("{} {op}", *n as f64 / requests as f64))
        .collect::<Vec<_>>()
        .join(" + ")
}
