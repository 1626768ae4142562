//! The resource principal (v2.2): the RPST, the key and its passphrase the platform hands
//! over in the environment, as values or as paths.

use super::shared::Value;
use crate::error::{Error, Result};
use crate::sys::env::Env;

/// Resource principal v2.2 from the environment (other versions are refused with a reason).
pub(crate) fn from_env(env: &dyn Env) -> Result<(Value, Value, Option<Value>)> {
    match env.var("OCI_RESOURCE_PRINCIPAL_VERSION").as_deref() {
        Some("2.2") => {}
        Some(v) => {
            return Err(Error::Config(format!(
                "OCI_RESOURCE_PRINCIPAL_VERSION is {v}; oci-token serves resource principals of version 2.2 (an RPST and key from the platform)"
            )));
        }
        None => {
            return Err(Error::Config(
                "resource principal: OCI_RESOURCE_PRINCIPAL_VERSION is not set (this is not an OCI Function or other resource with a principal)".into(),
            ));
        }
    }
    let need = |name: &str| {
        Value::from_env(env, name)
            .ok_or_else(|| Error::Config(format!("resource principal: {name} is not set")))
    };
    Ok((
        need("OCI_RESOURCE_PRINCIPAL_RPST")?,
        need("OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM")?,
        Value::from_env(env, "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM_PASSPHRASE"),
    ))
}
